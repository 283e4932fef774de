import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnChild, prefixedLog, AgentNotFoundError, firstLine, alive, checkSudo } from '../src/index.js';

test('a child: output prefixed line by line, readiness by line, stop reaches its whole process group', async () => {
  const out: string[] = [];
  const file: string[] = [];
  const log = prefixedLog('agent', { console: { write: (s) => void out.push(s) }, file: { write: (s) => void file.push(s) } });
  // a shell that starts a grandchild (like sudo → agent) and reports its pid, then says it is ready
  const child = await spawnChild('agent', ['sh', '-c', 'sleep 30 & echo "grandchild $!"; printf "partial "; echo "line"; echo ready; wait'], { log, graceMs: 2000 });
  const gc = firstLine(child, /^grandchild (\d+)$/);
  const ready = firstLine(child, /^ready$/);
  const m = await gc;
  await ready;
  const grandchild = Number(m[1]);
  assert.ok(alive(grandchild));
  await child.stop();
  assert.ok(child.exit);
  for (let i = 0; i < 100 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 10)); // the signal is async
  assert.not.ok(alive(grandchild), 'the grandchild went with the group');
  assert.ok(out.includes('[agent] partial line\n'), out.join(''));
  assert.ok(file.includes('partial line\n'), 'log file lines are unprefixed');
});

test('a child that ignores SIGTERM is killed after the grace period', async () => {
  const log = prefixedLog('agent', {});
  const child = await spawnChild('agent', ['sh', '-c', "trap '' TERM; echo up; while :; do sleep 0.05; done"], { log, graceMs: 100 });
  await firstLine(child, /^up$/);
  const t0 = Date.now();
  await child.stop();
  assert.is(child.exit?.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 2000);
});

test('a missing executable: AgentNotFoundError with ERR_MISSING_INPUT, before anything runs', async () => {
  try {
    await spawnChild('agent', ['/nonexistent/agent'], { log: prefixedLog('agent', {}) });
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
