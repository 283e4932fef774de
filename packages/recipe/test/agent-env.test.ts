import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { agentEnvironment, agentCommand, exportLines } from '../src/index.js';

test('Flowmill era: the recipe\'s agent command (recorder-recipe.md) with the spec\'s additions', () => {
  const { env, args } = agentEnvironment({ era: 'flowmill', intakeHost: 'localhost', intakePort: 7001, tls: true, authzUrl: 'https://localhost:8001', caFile: '/k/ca.pem', bpfDumpPath: '/r/bpf.raw', recordPath: '/r/intake.record' });
  // values from recorder-recipe.md "Running the agent"
  assert.is(env.FLOWMILL_INTAKE_HOST, 'localhost');
  assert.is(env.FLOWMILL_INTAKE_PORT, '7001');
  assert.is(env.FLOWMILL_INTAKE_NAME, 'localhost');
  assert.is(env.FLOWMILL_AUTH_KEY_ID, 'KFIIVU75RGHY7EC7JABW');
  assert.is(env.FLOWMILL_AUTH_SECRET, 'KFIIVU75RGHY7EC7JABW');
  assert.ok(args.includes('--log-console'));
  assert.ok(args.includes('--authz-server=https://localhost:8001'));
  assert.ok(args.includes('--bpf-dump-file=/r/bpf.raw'));
  // agent-protocol.md §2.9, §2.3
  assert.is(env.FLOWMILL_RECORD_INTAKE_OUTPUT_PATH, '/r/intake.record');
  assert.is(env.SSL_CERT_FILE, '/k/ca.pem');
  assert.is(env.FLOWMILL_INTAKE_DISABLE_TLS, undefined);
});

test('Flowmill --plain disables TLS; OTel era uses EBPF_NET_* and no authz or crash-report flags', () => {
  assert.is(agentEnvironment({ era: 'flowmill', intakeHost: 'localhost', intakePort: 8000, tls: false }).env.FLOWMILL_INTAKE_DISABLE_TLS, 'true');
  const { env, args } = agentEnvironment({ era: 'otel', intakeHost: '127.0.0.1', intakePort: 8000, tls: false, recordPath: '/r/x' });
  assert.is(env.EBPF_NET_INTAKE_HOST, '127.0.0.1');
  assert.is(env.EBPF_NET_INTAKE_PORT, '8000');
  assert.is(env.EBPF_NET_RECORD_INTAKE_OUTPUT_PATH, '/r/x');
  assert.not.ok(Object.keys(env).some((k) => k.startsWith('FLOWMILL_')));
  assert.not.ok(args.some((a) => a.startsWith('--authz-server') || a === '--disable-crash-report'), 'eras.md: the flag is a parse error in OTel');
});

test('exports survive a real shell: eval in bash gives back every value byte for byte', () => {
  const env = { A: "it's", B: 'two words', C: '$HOME `x` "q"', D: 'plain' };
  const script = `${exportLines(env)}printf '%s\\n' "$A" "$B" "$C" "$D"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: {} });
  assert.is(r.status, 0);
  assert.equal(r.stdout.split('\n').slice(0, 4), Object.values(env));
});

test('sudo and docker command lines', () => {
  assert.equal(agentCommand({ binary: '/a', sudo: false }, 'flowmill', { K: 'v' }, ['--x']), ['/a', '--x']);
  assert.equal(agentCommand({ binary: '/a', sudo: true }, 'flowmill', { K: 'v' }, ['--x']), ['sudo', '-n', 'env', 'K=v', '/a', '--x']);
  const d = agentCommand({ image: 'img', name: 'n', mounts: ['/run/d'] }, 'otel', { K: 'v' }, ['--x']);
  assert.equal(d.slice(0, 10), ['docker', 'run', '--rm', '--name', 'n', '--privileged', '--pid', 'host', '--network', 'host']);
  assert.ok(d.join(' ').includes('-v /run/d:/run/d'));
  assert.ok(d.join(' ').includes('--env EBPF_NET_HOST_DIR=/hostfs'), 'eras.md §2.5: CI minimal set');
  assert.equal(d.slice(-2), ['img', '--x']);
});

test.run();
