// The recipe's agent step: agent-runner's startAgent (the one supervision of a real agent) behind the teardown's
// Stoppable face, with the agent's lines in its prefixed log. A stand-in agent (fake-agent.ts) plays the collector.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSudo, startAgent } from '../src/agent.js';
import { AgentNotFoundError } from '../src/errors.js';
import { prefixedLog } from '../src/log-prefix.js';
import { alive, fakeAgent } from './fake-agent.js';
import { fakeDeps } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'recipe-agent-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const setup = { era: 'flowmill' as const, runDir: dir, intake: { host: '127.0.0.1', port: 7001, tls: true, name: 'localhost' }, authz: { server: 'http://localhost:8001', secret: 'hush' } };

test('a real agent: its command logged with the secret masked, ready on its line, stopped with 241, its child gone', async () => {
  const a = fakeAgent(dir, 'ready-then-wait');
  const file: string[] = [];
  const log = prefixedLog('agent', { file: { write: (s) => void file.push(s) } });
  const run = await startAgent({ choice: { kind: 'binary', path: a.path, sudo: false }, setup, log, deps: fakeDeps().deps, graceMs: 2000 });
  await run.ready;
  assert.match(file[0], /^\$ .*ready-then-wait\.sh --log-console/);
  assert.ok(run.argv!.includes('--authz-server=http://localhost:8001'));
  const [, child] = readFileSync(a.pidFile, 'utf8').trim().split('\n').map(Number);
  assert.ok(alive(child));
  await run.stop();
  assert.is(run.exit?.code, 241);
  assert.ok(run.exit?.expected);
  assert.ok(file.includes('Caught signal 15\n'));
  for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 10));
  assert.not.ok(alive(child), 'the agent\'s child went with its process group');
});

test('the secret never reaches the log, also through sudo\'s env arguments', async () => {
  const file: string[] = [];
  const log = prefixedLog('agent', { file: { write: (s) => void file.push(s) } });
  // sudo -n with a PATH that has no sudo: the start fails, but the command line was logged first
  await startAgent({ choice: { kind: 'binary', path: '/nonexistent/agent', sudo: true }, setup, log, deps: fakeDeps().deps }).then(
    () => assert.unreachable(),
    (err) => assert.instance(err, AgentNotFoundError),
  );
  assert.match(file[0], /FLOWMILL_AUTH_SECRET=\*{8}/);
  assert.not.match(file.join(''), 'hush');
});

test('a missing executable: AgentNotFoundError with ERR_MISSING_INPUT, before anything runs', async () => {
  try {
    await startAgent({ choice: { kind: 'binary', path: '/nonexistent/agent', sudo: false }, setup, log: prefixedLog('agent', {}), deps: fakeDeps().deps });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, AgentNotFoundError);
    assert.is((err as { code: string }).code, 'ERR_MISSING_INPUT');
    assert.match((err as Error).message, 'cannot start the agent: /nonexistent/agent: no such executable');
  }
});

test('prefixes are coloured only when asked and padded to a width', () => {
  const out: string[] = [];
  const l = prefixedLog('sink', { console: { write: (s) => void out.push(s) }, color: true, width: 8 });
  l.write('a\nb');
  l.end();
  assert.equal(out, ['\x1b[35m[sink]\x1b[0m     a\n', '\x1b[35m[sink]\x1b[0m     b\n']);
});

test('sudo that would ask for a password is refused up front with the fix in the message', () => {
  try {
    checkSudo(() => ({ status: 1 }));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, AgentNotFoundError);
    assert.is((err as Error).message, 'cannot start the agent: sudo: a password is required (run `sudo -v` first, or run recipe as root)');
  }
  checkSudo(() => ({ status: 0 }));
});

test.run();
