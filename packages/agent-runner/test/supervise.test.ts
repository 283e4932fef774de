// The one supervision every agent target uses (src/process/supervise.ts), with real processes, and the agent's exit
// statuses (src/real/exit-status.ts) as the agent's source defines them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { supervise, isAlive, describeAgentExit, isCleanStop, AGENT_EXIT, StartError } from '../src/index.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a child that ignores SIGTERM, with a grandchild that ignores it too: SIGKILL to the group after the grace, nothing left alive', async () => {
  // sh ignores TERM, starts a grandchild in the same process group that ignores it as well, and says both pids
  const script = "trap '' TERM; sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & echo \"pids $$ $!\"; while :; do sleep 0.05; done";
  const lines: string[] = [];
  const p = await supervise(['sh', '-c', script], { graceMs: 300, onLine: (l) => lines.push(l) });
  const [self, grandchild] = (await p.waitForLine(/^pids /)).split(' ').slice(1).map(Number);
  assert.is(self, p.pid);
  assert.ok(isAlive(grandchild));
  await pause(100);
  assert.ok(isAlive(self) && isAlive(grandchild), 'both still run before the stop');
  const t0 = Date.now();
  const exit = await p.stop();
  assert.is(exit.signal, 'SIGKILL', 'SIGTERM was ignored, so SIGKILL came');
  assert.ok(Date.now() - t0 >= 250, 'not before the grace period');
  // isAlive reads /proc/PID/stat: a zombie (PID 1 here may never reap it) counts as gone
  for (let i = 0; i < 100 && isAlive(grandchild); i++) await pause(10);
  assert.not.ok(isAlive(grandchild), 'the grandchild went with the group');
  assert.not.ok(isAlive(self));
  assert.ok(p.stopping);
  assert.ok(lines.some((l) => l.startsWith('pids ')), 'lines reach onLine');
});

test('a child that honours SIGTERM stops at once with its own status; a second stop returns the same exit', async () => {
  const p = await supervise(['sh', '-c', "trap 'echo bye; exit 241' TERM; echo up; while :; do sleep 0.05; done"], { graceMs: 5000 });
  await p.waitForLine('up');
  const t0 = Date.now();
  const exit = await p.stop();
  assert.equal(exit, { code: 241, signal: null });
  assert.ok(Date.now() - t0 < 2000);
  assert.is(await p.stop(), exit);
});

test('waitForLine rejects when the process ends without the line; the last unterminated line is still delivered', async () => {
  const lines: string[] = [];
  const p = await supervise(['sh', '-c', 'echo one; printf two >&2; exit 3'], { onLine: (l, s) => lines.push(`${s}:${l}`) });
  await p.waitForLine('Telemetry').then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /ended before saying "Telemetry": exit 3/));
  assert.equal(lines.sort(), ['stderr:two', 'stdout:one']);
});

test('a missing program: StartError (ERR_MISSING_INPUT) before anything runs', async () => {
  try {
    await supervise(['/nonexistent/agent']);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, StartError);
    assert.is((err as StartError).code, 'ERR_MISSING_INPUT');
  }
});

test('the agent\'s exit statuses: exit(-signum) after SIGTERM/SIGINT, exit(-1) when fatal', () => {
  // util/signal_handler.cc@3598385a:441-451 calls ::exit(-handler_.signum) for SIGINT and SIGTERM
  // (collector/kernel/main.cc@3598385a:673-676); exit() keeps the low 8 bits: 256 - 15, 256 - 2
  assert.is(AGENT_EXIT.sigterm, 256 - 15);
  assert.is(AGENT_EXIT.sigint, 256 - 2);
  // main.cc@3598385a:259, 280, 420: exit(-1)
  assert.is(AGENT_EXIT.fatal, 256 - 1);
  assert.match(describeAgentExit(241, null), /SIGTERM.*normal stop/);
  assert.match(describeAgentExit(255, null), /^fatal/);
  assert.match(describeAgentExit(null, 'SIGKILL'), /killed by SIGKILL/);
  assert.ok(isCleanStop(241, null));
  assert.ok(isCleanStop(null, 'SIGKILL'), 'killed after the grace period: reported, not an unexpected exit');
  assert.not.ok(isCleanStop(143, null), 'what the docker client reports when SIGTERM killed the entrypoint instead');
  assert.not.ok(isCleanStop(255, null));
});

test.run();
