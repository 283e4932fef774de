// The real-agent runner exercised with a stand-in executable (a shell script that behaves like the agent's
// console: log lines, "Telemetry is flowing!", exit(-15) = 241 on SIGTERM), and preflight on a fake root.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectEra, preflight, runRealAgent } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'ar-real-test-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function fakeAgent(name: string, body: string): string {
  const p = join(root, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('runRealAgent: clean env, stale dump deleted, output prefixed into agent.log, ready on the agent\'s line, SIGTERM → 241', async () => {
  const runDir = join(root, 'r1');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'bpf.raw'), 'stale bytes from an earlier run');
  const agent = fakeAgent('agent-ok', [
    'env > "$(dirname "$FLOWMILL_RECORD_INTAKE_OUTPUT_PATH")/env.txt"',
    'for a in "$@"; do echo "$a"; done > "$(dirname "$FLOWMILL_RECORD_INTAKE_OUTPUT_PATH")/args.txt"',
    'trap \'echo "Caught signal 15"; exit 241\' TERM',
    'echo "2026-01-01 00:00:00.000000+0000 info [p:$$ t:$$] Starting Flowmill Agent version 0.9.4137"',
    'echo "warming up" >&2',
    'echo "2026-01-01 00:00:00.000000+0000 info [p:$$ t:$$] Agent connected successfully. Telemetry is flowing!"',
    'while true; do sleep 0.05; done',
  ].join('\n'));
  const seen: string[] = [];
  const a = await runRealAgent({ era: 'flowmill', agent, runDir, intake: { host: '127.0.0.1', port: 7001, name: 'localhost' }, authz: { server: 'http://127.0.0.1:8000', keyId: 'KFIIX', secret: 'y' }, onLine: (l) => seen.push(l), path: '/usr/bin:/bin' });
  await a.ready;
  assert.ok(!existsSync(join(runDir, 'bpf.raw')), 'the stale dump is gone (the agent appends)');
  const x = await a.stop();
  assert.is(x.code, 241);
  assert.ok(x.expected);
  assert.match(x.meaning, /SIGTERM/);
  const log = readFileSync(join(runDir, 'agent.log'), 'utf8');
  assert.match(log, /^agent\| .*Starting Flowmill Agent/m);
  assert.match(log, /^agent! warming up$/m);
  assert.match(log, /^agent\| Caught signal 15$/m);
  assert.ok(seen.some((l) => l.endsWith('Telemetry is flowing!')));
  const env = readFileSync(join(runDir, 'env.txt'), 'utf8');
  assert.match(env, /^FLOWMILL_AUTH_SECRET=y$/m);
  assert.match(env, /^no_proxy=\*$/m);
  assert.not.match(env, /^HOME=/m, 'nothing inherited');
  assert.equal(readFileSync(join(runDir, 'args.txt'), 'utf8').trim().split('\n'), ['--log-console', '--no-log-file', `--bpf-dump-file=${runDir}/bpf.raw`, '--authz-server=http://127.0.0.1:8000', '--disable-crash-report']);
});

test('runRealAgent: an agent that dies before readiness rejects ready and reports the status in the agent\'s terms', async () => {
  const runDir = join(root, 'r2');
  mkdirSync(runDir);
  const agent = fakeAgent('agent-bad', 'echo "Authentication key error: doesn\'t look like a valid agent key"; exit 255');
  const a = await runRealAgent({ era: 'otel', agent, runDir, intake: { host: '127.0.0.1', port: 8000 } });
  await a.ready.then(() => assert.unreachable(), (e) => assert.match(e.message, /ended before telemetry was flowing: fatal/));
  const x = await a.exited;
  assert.is(x.code, 255);
  assert.is(x.expected, false);
});

test('runRealAgent: SIGKILL after the grace period when SIGTERM is ignored', async () => {
  const runDir = join(root, 'r3');
  mkdirSync(runDir);
  const agent = fakeAgent('agent-stubborn', 'trap "" TERM\necho "Agent connected successfully. Telemetry is flowing!"\nwhile true; do sleep 0.05; done');
  const a = await runRealAgent({ era: 'otel', agent, runDir, intake: { host: '127.0.0.1', port: 8000 }, graceMs: 200 });
  await a.ready;
  const x = await a.stop();
  assert.is(x.signal, 'SIGKILL');
});

test('detectEra: from the variable names compiled into the binary, or the image name', async () => {
  const f = join(root, 'bin-flowmill');
  writeFileSync(f, Buffer.concat([Buffer.alloc(3 << 20, 1), Buffer.from('\0FLOWMILL_INTAKE_HOST\0')]));
  assert.is(await detectEra({ agent: f }), 'flowmill');
  const o = join(root, 'bin-otel');
  writeFileSync(o, Buffer.from('junk\0EBPF_NET_INTAKE_HOST\0'));
  assert.is(await detectEra({ agent: o }), 'otel');
  assert.is(await detectEra({ docker: 'otel/opentelemetry-ebpf-kernel-collector:v0.11.0' }), 'otel');
  assert.is(await detectEra({ docker: 'kernel-collector' }), undefined);
});

test('preflight: root, BTF/debugfs/headers on a fake root, CA file, and the fake cloud reachable or not', async () => {
  const fake = join(root, 'fs');
  mkdirSync(join(fake, 'sys/kernel/btf'), { recursive: true });
  writeFileSync(join(fake, 'sys/kernel/btf/vmlinux'), '');
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const ok = await preflight({ era: 'otel', uid: 0, root: fake, intake: { host: '127.0.0.1', port } });
    assert.ok(ok.ok, JSON.stringify(ok));
    const bad = await preflight({ era: 'flowmill', uid: 1000, root: fake, kernelRelease: '9.9.9-test', intake: { host: '127.0.0.1', port: 1 }, authz: { server: `http://127.0.0.1:${port}` }, caFile: join(root, 'missing.pem') });
    assert.not.ok(bad.ok);
    const failed = bad.checks.filter((c) => !c.ok).map((c) => c.id).sort();
    assert.equal(failed, ['ca-trust', 'debugfs', 'intake-reachable', 'kernel-headers', 'root']);
    assert.match(bad.checks.find((c) => c.id === 'kernel-headers')!.detail, /9\.9\.9-test/);
    assert.ok(bad.checks.find((c) => c.id === 'authz-reachable')!.ok);
  } finally { srv.close(); }
});

test.run();
