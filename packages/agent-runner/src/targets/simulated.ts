import { readFile } from 'node:fs/promises';
import { runSimAgent } from '../index.js';
import { describeAgentExit, isCleanStop } from '../real/exit-status.js';
import { runLayout } from '../run-layout.js';
import { authzOf } from './command-for.js';
import type { AgentExit, RunningAgent, SimulatedTarget, StartAgentOptions } from './types.js';

/**
 * The simulated agent, in-process: it speaks the agent's protocol and writes the same recordings into the run
 * directory. Its log lines come through `onLine` as stdout; its stop is the agent's SIGTERM path (exit 241).
 */
export async function startSimulated(t: SimulatedTarget, o: StartAgentOptions): Promise<RunningAgent> {
  const layout = runLayout(o.runDir);
  const ca = o.caFile ? await readFile(o.caFile, 'utf8') : undefined;
  const tls = o.era === 'flowmill' ? o.intake.tls !== false : false;
  const authz = o.era === 'flowmill' ? authzOf(o) : undefined;
  const sim = await (t.run ?? runSimAgent)({
    era: o.era,
    intake: { host: o.intake.host, port: o.intake.port, tls, name: o.intake.name ?? o.intake.host, ca },
    authz: authz && { ...authz, ca },
    recordFile: layout.path('record'),
    bpfDumpFile: layout.path('bpf'),
    force: o.force,
    manifest: t.manifest,
    timeScale: t.timeScale,
    connectDelayMs: t.connectDelayMs,
    jitter: t.jitter,
    faults: t.faults,
    maxSessions: t.maxSessions,
    log: (l) => o.onLine?.(l, 'stdout'),
  });
  let stopping = false;
  let exit: AgentExit | undefined;
  let resolveExit!: (e: AgentExit) => void;
  const exited = new Promise<AgentExit>((r) => (resolveExit = r));
  const finish = (code: number) => {
    if (exit) return exit;
    exit = { code, signal: null, meaning: describeAgentExit(code, null), expected: stopping && isCleanStop(code, null) };
    resolveExit(exit);
    return exit;
  };
  sim.exited.then(finish, () => finish(255));
  let stopped: Promise<AgentExit> | undefined;
  return {
    kind: 'simulated',
    ready: sim.ready,
    exited,
    get stopping() {
      return stopping;
    },
    get exit() {
      return exit;
    },
    stop() {
      stopping = true;
      stopped ??= sim.stop().then(finish, (err) => {
        finish(255);
        throw err;
      });
      return stopped;
    },
    kill() {
      stopping = true;
      void sim.stop().then(finish, () => finish(255));
    },
    addEvent: (e) => sim.addEvent(e),
    drained: () => sim.drained(),
  };
}
