import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { agentEnvironment, exportLines } from '../src/agent-env.js';

test('Flowmill era: the recipe\'s agent command (docs/recorder-recipe.md) with the spec\'s additions', () => {
  const { env, args } = agentEnvironment({ era: 'flowmill', runDir: '/r', intake: { host: '127.0.0.1', port: 7001, tls: true, name: 'localhost' }, authz: { server: 'http://localhost:8001' }, caFile: '/k/ca.pem' });
  // values from docs/recorder-recipe.md "Running the agent"
  // the recipe said localhost; the listen address instead, because the agent takes the first getaddrinfo answer
  // (docs/agent-protocol.md §2.1), ::1 on many hosts, and verifies the name given separately
  assert.is(env.FLOWMILL_INTAKE_HOST, '127.0.0.1');
  assert.is(env.FLOWMILL_INTAKE_PORT, '7001');
  assert.is(env.FLOWMILL_INTAKE_NAME, 'localhost');
  assert.is(env.FLOWMILL_AUTH_KEY_ID, 'KFIIVU75RGHY7EC7JABW');
  assert.is(env.FLOWMILL_AUTH_SECRET, 'KFIIVU75RGHY7EC7JABW');
  assert.ok(args.includes('--log-console'));
  assert.ok(args.includes('--authz-server=http://localhost:8001'));
  assert.ok(args.includes('--bpf-dump-file=/r/bpf.raw'));
  // docs/agent-protocol.md §2.9, §2.3
  assert.is(env.FLOWMILL_RECORD_INTAKE_OUTPUT_PATH, '/r/intake.record');
  assert.is(env.SSL_CERT_FILE, '/k/ca.pem');
  assert.is(env.FLOWMILL_INTAKE_DISABLE_TLS, 'false');
  assert.is(env.PATH, undefined, 'recipe env does not export PATH');
});

test('Flowmill --plain disables TLS; OTel era uses EBPF_NET_* and no authz or crash-report flags', () => {
  assert.is(agentEnvironment({ era: 'flowmill', runDir: '/r', intake: { host: 'localhost', port: 8000, tls: false }, authz: { server: 'http://localhost:8001' } }).env.FLOWMILL_INTAKE_DISABLE_TLS, 'true');
  const { env, args } = agentEnvironment({ era: 'otel', runDir: '/r', intake: { host: '127.0.0.1', port: 8000, tls: false } });
  assert.is(env.EBPF_NET_INTAKE_HOST, '127.0.0.1');
  assert.is(env.EBPF_NET_INTAKE_PORT, '8000');
  assert.is(env.EBPF_NET_RECORD_INTAKE_OUTPUT_PATH, '/r/intake.record');
  assert.not.ok(Object.keys(env).some((k) => k.startsWith('FLOWMILL_')));
  assert.not.ok(args.some((a) => a.startsWith('--authz-server') || a === '--disable-crash-report'), 'docs/eras.md: the flag is a parse error in OTel');
});

test('exports survive a real shell: eval in bash gives back every value byte for byte', () => {
  const env = { A: "it's", B: 'two words', C: '$HOME `x` "q"', D: 'plain' };
  const script = `${exportLines(env)}printf '%s\\n' "$A" "$B" "$C" "$D"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: {} });
  assert.is(r.status, 0);
  assert.equal(r.stdout.split('\n').slice(0, 4), Object.values(env));
});

test.run();
