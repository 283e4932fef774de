// issue 12 item 1: a malformed --faults/--profile/--check-config is a usage error (64) naming the key path and the
// valid keys, before anything starts (no run directory); and after any failure of the agent (one that crashed, one
// stuck reconnecting that ignores SIGTERM) every child is stopped and the recipe exits: no process outlives it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-bad-input-'));
const recipe = (args: string[], timeout = 60_000) =>
  spawnSync(process.execPath, [BUNDLE, 'run', '--runs', 'runs', ...args], { cwd, encoding: 'utf8', timeout, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });

test.after(() => rmSync(cwd, { recursive: true, force: true }));

const usage: [string[], RegExp][] = [
  // the shape seen in the issue: it crashed the simulated agent, and the recipe never exited
  [['--faults', '{"drop":1}'], /^recipe: bad --faults: drop: expected a list \(each an object \{name, nth\?, stream\?\}\), got 1$/m],
  // the typo that used to run with no fault and PASS
  [['--faults', '{"drop":[{"nme":"heartbeat"}]}'], /^recipe: bad --faults: drop\[0\]\.nme: unknown key \(valid keys of drop\[0\]: name, nth, stream\)$/m],
  [['--faults', '{"drop":[{"name":"heartbeat","stream":"tls"}]}'], /drop\[0\]\.stream: expected one of "intake", "bpf", got "tls"/],
  [['--faults', '{"skipheartbeat":[3]}'], /skipheartbeat: unknown key \(valid keys: drop, duplicate, reorder, corrupt, loseBpf, skipHeartbeat, wrongToken\)/],
  [['--faults', '{"skipHeartbeat":["3"]}'], /skipHeartbeat\[0\]: expected a whole number >= 0, got "3"/],
  [['--faults', '[]'], /bad --faults: \(top\): expected an object/],
  [['--profile', '{"tpc":{"connections":2}}'], /^recipe: bad --profile: tpc: unknown key \(valid keys: name, pauseMs, tcp, udp, dns, processes, http\)$/m],
  [['--profile', '{"tcp":{"connections":"2"}}'], /bad --profile: tcp\.connections: expected a whole number >= 0, got "2"/],
  [['--profile', '{"tcp":{"conections":2}}'], /bad --profile: tcp\.conections: unknown key \(valid keys of tcp: connections, clientBytes, serverBytes, port\)/],
];

for (const [args, want] of usage) {
  test(`recipe run ${args.join(' ')}: exit 64, the key path named, nothing started`, () => {
    const r = recipe(args, 20_000);
    assert.is(r.status, 64, r.stderr);
    assert.match(r.stderr, want);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.ok(existsSync(join(cwd, 'runs')), 'no run directory for a refused run');
  });
}

test('a profile file with a typo and a checker config with a wrong type are refused the same way', () => {
  writeFileSync(join(cwd, 'p.yaml'), 'udp:\n  datagram: 4\n');
  const p = recipe(['--profile', 'p.yaml'], 20_000);
  assert.is(p.status, 64);
  assert.match(p.stderr, /p\.yaml: udp\.datagram: unknown key \(valid keys of udp: datagrams, bytes, port\)/);
  writeFileSync(join(cwd, 'c.json'), '{"cadence":{"heartbeatMs":"500"}}');
  const c = recipe(['--check-config', 'c.json'], 20_000);
  assert.is(c.status, 64);
  assert.match(c.stderr, /c\.json: cadence\.heartbeatMs: expected a number, got "500"/);
  assert.not.ok(existsSync(join(cwd, 'runs')));
});

/** Processes whose command line names this marker (the fake agents below carry it in their path). */
function alive(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

function fakeAgent(name: string, body: string): string {
  const f = join(cwd, `${name}-${process.pid}.sh`);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
}

test('an agent that crashes: the recipe stops the cloud and exits 69 (unavailable) at once, nothing left', () => {
  const f = fakeAgent('crashing-agent', 'echo "connecting to intake..." >&2\nsleep 0.3\necho "Segmentation fault" >&2\nexit 139');
  const r = recipe(['--agent', f, '--no-sudo', '--grace', '1s']);
  assert.is(r.status, 69, r.stderr);
  assert.match(r.stderr, /agent ended early: exit 139/);
  assert.equal(alive(f), []);
});

test('an agent stuck reconnecting that ignores SIGTERM: the recipe times out, kills it, exits 75, nothing left', () => {
  const f = fakeAgent('stuck-agent', "trap '' TERM INT\nwhile :; do echo 'cannot reach intake: connection refused' >&2; sleep 0.2; done");
  const r = recipe(['--agent', f, '--no-sudo', '--ready-timeout', '2s', '--grace', '1s']);
  assert.is(r.status, 75, r.stderr);
  assert.match(r.stderr, /timed out: agent readiness/);
  assert.equal(alive(f), []);
});

test.run();
