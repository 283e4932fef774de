// buildAgentCommand / `run --dry-run` checked field by field against docs/eras.md §2.1, §2.5, docs/agent-protocol.md §4,
// §5.4 and the recorder recipe (expected values typed in from those documents).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAgentCommand, renderCommand, authzTrustSteps, MASK } from '../src/index.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'agent-runner.js');
const runDir = '/srv/run1';
const flowmillAuthz = { server: 'https://localhost:8001', keyId: 'KFIIVU75RGHY7EC7JABW', secret: 'KFIIVU75RGHY7EC7JABW' };

function pairs(argv: string[], flag: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => { if (a === flag) out.push(argv[i + 1]); });
  return out;
}

test('Flowmill binary: the recipe\'s env (FLOWMILL_*), flags, record file, no stale or proxy env', () => {
  const c = buildAgentCommand({ era: 'flowmill', agent: '/root/agent', runDir, intake: { host: 'localhost', port: 7001, name: 'localhost' }, authz: flowmillAuthz, caFile: '/keys/ca.pem', path: '/usr/bin:/bin' });
  assert.is(c.mode, 'binary');
  assert.equal(c.argv, ['/root/agent', '--log-console', '--no-log-file', '--bpf-dump-file=/srv/run1/bpf.raw', '--authz-server=https://localhost:8001', '--disable-crash-report']);
  assert.equal(c.env, {
    PATH: '/usr/bin:/bin',
    FLOWMILL_INTAKE_HOST: 'localhost', FLOWMILL_INTAKE_PORT: '7001', FLOWMILL_INTAKE_NAME: 'localhost', FLOWMILL_INTAKE_DISABLE_TLS: 'false',
    FLOWMILL_AUTH_KEY_ID: 'KFIIVU75RGHY7EC7JABW', FLOWMILL_AUTH_SECRET: 'KFIIVU75RGHY7EC7JABW', FLOWMILL_AUTHZ_SERVER: 'https://localhost:8001',
    FLOWMILL_RECORD_INTAKE_OUTPUT_PATH: '/srv/run1/intake.record', SSL_CERT_FILE: '/keys/ca.pem', no_proxy: '*', NO_PROXY: '*',
  });
  assert.is(c.masked.FLOWMILL_AUTH_SECRET, MASK);
  assert.is(c.masked.FLOWMILL_AUTH_KEY_ID, 'KFIIVU75RGHY7EC7JABW');
  assert.not.match(renderCommand(c), /FLOWMILL_AUTH_SECRET=KFII/);
  assert.equal(c.files, { bpf: '/srv/run1/bpf.raw', record: '/srv/run1/intake.record', log: '/srv/run1/agent.log' });
});

test('Flowmill plain intake: FLOWMILL_INTAKE_DISABLE_TLS=true and no intake name', () => {
  const c = buildAgentCommand({ era: 'flowmill', agent: '/a', runDir, intake: { host: '127.0.0.1', port: 7000, tls: false, name: 'x' }, authz: { ...flowmillAuthz, server: 'http://127.0.0.1:8000' } });
  assert.is(c.env.FLOWMILL_INTAKE_DISABLE_TLS, 'true');
  assert.is(c.env.FLOWMILL_INTAKE_NAME, undefined);
  assert.ok(c.argv.includes('--authz-server=http://127.0.0.1:8000'));
});

test('Flowmill docker: docs/eras.md §2.5 privileges and volumes under /var/run/flowmill/host, env by name only', () => {
  const c = buildAgentCommand({ era: 'flowmill', docker: 'kernel-collector', runDir, intake: { host: 'localhost', port: 7001, name: 'localhost' }, authz: flowmillAuthz, caFile: '/keys/ca.pem', containerName: 'kc', path: '/usr/bin' });
  assert.is(c.mode, 'docker');
  assert.equal(c.argv.slice(0, 5), ['docker', 'run', '--rm', '--name', 'kc']);
  assert.ok(c.argv.includes('--privileged'));
  assert.equal(pairs(c.argv, '--pid'), ['host']);
  assert.equal(pairs(c.argv, '--network'), ['host']);
  assert.equal(pairs(c.argv, '--volume'), [
    '/var/run/docker.sock:/var/run/docker.sock', '/sys/fs/cgroup:/hostfs/sys/fs/cgroup', '/etc:/var/run/flowmill/host/etc',
    '/var/cache:/var/run/flowmill/host/cache', '/usr/src:/var/run/flowmill/host/usr/src', '/lib/modules:/var/run/flowmill/host/lib/modules',
    '/srv/run1:/trace', '/keys/ca.pem:/var/run/agent-runner/ca.pem:ro',
  ]);
  // secrets never on the command line: docker copies them from its own environment (`--env NAME`)
  assert.ok(pairs(c.argv, '--env').includes('FLOWMILL_AUTH_SECRET'));
  assert.ok(c.argv.every((a) => !a.includes('KFIIVU75RGHY7EC7JABW')));
  assert.is(c.env.FLOWMILL_AUTH_SECRET, 'KFIIVU75RGHY7EC7JABW');
  // the image, then the agent flags; paths inside the container
  const img = c.argv.indexOf('kernel-collector');
  assert.equal(c.argv.slice(img + 1), ['--log-console', '--no-log-file', '--bpf-dump-file=/trace/bpf.raw', '--authz-server=https://localhost:8001', '--disable-crash-report']);
  assert.is(c.env.FLOWMILL_RECORD_INTAKE_OUTPUT_PATH, '/trace/intake.record');
  assert.is(c.env.SSL_CERT_FILE, '/var/run/agent-runner/ca.pem');
  assert.ok(!c.argv.includes('-it'), 'not interactive: the runner reads the output');
  // the docker CLI's own variables reach the CLI, not the container
  const d = buildAgentCommand({ era: 'otel', docker: 'img', runDir, intake: { host: 'h', port: 1 }, dockerClientEnv: { HOME: '/root', DOCKER_HOST: 'unix:///x.sock', FLOWMILL_STALE: '1' } });
  assert.is(d.env.HOME, '/root');
  assert.is(d.env.DOCKER_HOST, 'unix:///x.sock');
  assert.is(d.env.FLOWMILL_STALE, undefined);
  assert.ok(!pairs(d.argv, '--env').includes('HOME'));
});

test('OpenTelemetry binary: EBPF_NET_* env, no authz, no TLS, no --disable-crash-report', () => {
  const c = buildAgentCommand({ era: 'otel', agent: '/usr/local/bin/kernel-collector', runDir, intake: { host: '127.0.0.1', port: 8000 }, path: '/bin' });
  assert.equal(c.argv, ['/usr/local/bin/kernel-collector', '--log-console', '--no-log-file', '--bpf-dump-file=/srv/run1/bpf.raw']);
  assert.equal(c.env, { PATH: '/bin', EBPF_NET_INTAKE_HOST: '127.0.0.1', EBPF_NET_INTAKE_PORT: '8000', EBPF_NET_RECORD_INTAKE_OUTPUT_PATH: '/srv/run1/intake.record', no_proxy: '*', NO_PROXY: '*' });
  assert.throws(() => buildAgentCommand({ era: 'otel', agent: '/a', runDir, intake: { host: 'h', port: 1 }, authz: flowmillAuthz }), /no authz/);
});

test('OpenTelemetry docker: /hostfs volumes and EBPF_NET_HOST_DIR=/hostfs (docs/eras.md §2.5)', () => {
  const c = buildAgentCommand({ era: 'otel', docker: 'otel/opentelemetry-ebpf-kernel-collector:v0.11.0', runDir, intake: { host: '127.0.0.1', port: 8000 } });
  assert.equal(pairs(c.argv, '--volume'), ['/var/run/docker.sock:/var/run/docker.sock', '/sys/fs/cgroup:/hostfs/sys/fs/cgroup', '/etc:/hostfs/etc', '/var/cache:/hostfs/cache', '/usr/src:/hostfs/usr/src', '/lib/modules:/hostfs/lib/modules', '/srv/run1:/trace']);
  assert.is(c.env.EBPF_NET_HOST_DIR, '/hostfs');
  assert.equal(pairs(c.argv, '--env').sort(), ['EBPF_NET_HOST_DIR', 'EBPF_NET_INTAKE_HOST', 'EBPF_NET_INTAKE_PORT', 'EBPF_NET_RECORD_INTAKE_OUTPUT_PATH', 'NO_PROXY', 'no_proxy']);
  assert.ok(!c.argv.includes('--disable-crash-report'));
});

test('refuses what the agent would die on: bad key prefix, empty secret, relative run dir', () => {
  assert.throws(() => buildAgentCommand({ era: 'flowmill', agent: '/a', runDir, intake: { host: 'h', port: 1 }, authz: { ...flowmillAuthz, keyId: 'KFIAXXXX' } }), /KFII/);
  assert.throws(() => buildAgentCommand({ era: 'flowmill', agent: '/a', runDir, intake: { host: 'h', port: 1 }, authz: { ...flowmillAuthz, secret: '' } }), /non-empty/);
  assert.throws(() => buildAgentCommand({ era: 'otel', agent: '/a', runDir: 'rel', intake: { host: 'h', port: 1 } }), /absolute/);
});

test('CLI run --dry-run --json (built bin) prints the same masked command, exits 0; no era and no binary exits 64', () => {
  const out = execFileSync(process.execPath, [BIN, 'run', '--dry-run', '--json', '--era', 'flowmill', '--docker', 'kernel-collector', '--run-dir', runDir, '--intake-name', 'localhost', '--secret', 'hush'], { encoding: 'utf8' });
  const j = JSON.parse(out);
  assert.is(j.env.FLOWMILL_AUTH_SECRET, MASK);
  assert.is(j.env.FLOWMILL_INTAKE_PORT, '7001');
  assert.is(j.env.FLOWMILL_INTAKE_NAME, 'localhost');
  assert.ok(!out.includes('hush'));
  const text = execFileSync(process.execPath, [BIN, 'run', '--dry-run', '--era', 'otel', '--agent', '/opt/kc', '--run-dir', runDir], { encoding: 'utf8' });
  assert.match(text, /^env -i \\$/m);
  assert.match(text, /EBPF_NET_INTAKE_PORT=8000/);
  assert.match(text, /\/opt\/kc --log-console --no-log-file --bpf-dump-file=\/srv\/run1\/bpf.raw$/m);
  const bad = spawnSync(process.execPath, [BIN, 'run', '--dry-run', '--agent', '/nonexistent/agent'], { encoding: 'utf8' });
  assert.is(bad.status, 64);
  assert.match(bad.stderr, /^agent-runner: cannot tell the era/);
});

test('the real agent gets plain http authz by default, TLS intake unchanged; https stays an option and prints the trust steps', () => {
  // The agent keeps the scheme of --authz-server (util/url.cc@3598385a:19-25, used by util/authz_fetcher.cc@3598385a:103-106)
  // and gives the URL to libcurl as is, with no protocol restriction (util/curl_engine.cc@3598385a:138): http:// works.
  const out = execFileSync(process.execPath, [BIN, 'run', '--dry-run', '--json', '--era', 'flowmill', '--agent', '/opt/agent', '--run-dir', runDir, '--ca', '/keys/ca.pem'], { encoding: 'utf8' });
  const j = JSON.parse(out);
  assert.ok(j.argv.includes('--authz-server=http://localhost:8001'), j.argv.join(' '));
  assert.is(j.env.FLOWMILL_AUTHZ_SERVER, 'http://localhost:8001');
  assert.is(j.env.FLOWMILL_INTAKE_DISABLE_TLS, 'false', 'the intake keeps TLS');
  assert.is(j.env.SSL_CERT_FILE, '/keys/ca.pem');
  const https = spawnSync(process.execPath, [BIN, 'run', '--dry-run', '--era', 'flowmill', '--agent', '/opt/agent', '--run-dir', runDir, '--ca', '/keys/ca.pem', '--authz-server', 'https://localhost:8001'], { encoding: 'utf8' });
  assert.is(https.status, 0);
  assert.match(https.stdout, /--authz-server=https:\/\/localhost:8001/);
  assert.match(https.stderr, /ignores SSL_CERT_FILE/);
  assert.match(https.stderr, /update-ca-certificates/);
  const steps = authzTrustSteps('/k/ca.pem', 'https://localhost:8001').join('\n');
  assert.match(steps, /cp \/k\/ca.pem \/usr\/local\/share\/ca-certificates\//);
  assert.match(steps, /--cacert \/k\/ca.pem .* curl only/);
});

test.run();
