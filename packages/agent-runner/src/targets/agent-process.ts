import { rm } from 'node:fs/promises';
import { TimeoutError, UnreachableError } from '../errors.js';
import type { AgentCommand } from '../real/command.js';
import { AGENT_READY, describeAgentExit, isCleanStop } from '../real/exit-status.js';
import { supervise, type ExitInfo, type StopOptions, type Supervised } from '../process/supervise.js';
import type { AgentExit, AgentKind, RunningAgent, StartAgentOptions } from './types.js';

/**
 * A real agent as a supervised process (binary, docker, and any target that runs one): the stale BPF dump removed
 * first (the agent opens it for append, docs/agent-protocol.md §3.1), readiness from its log line, the exit in the agent's
 * terms. `stopHow` lets a target replace "SIGTERM to the process group" (docker signals the collector itself).
 */
export async function startAgentProcess(
  kind: AgentKind,
  command: AgentCommand,
  o: StartAgentOptions,
  stopHow?: (proc: Supervised) => StopOptions,
): Promise<RunningAgent> {
  await rm(command.files.bpf, { force: true });
  o.onCommand?.(command);
  const proc = await supervise(command.argv, { env: command.env, onLine: o.onLine, graceMs: o.graceMs, spawn: o.spawn });
  const toExit = (e: ExitInfo): AgentExit => ({ ...e, meaning: describeAgentExit(e.code, e.signal), expected: proc.stopping && isCleanStop(e.code, e.signal) });
  const exited = proc.exited.then(toExit);
  let ready = proc.waitForLine(AGENT_READY).then(
    () => {},
    () => {
      const e = toExit(proc.exit ?? { code: null, signal: null });
      throw new UnreachableError(command.argv[0], `the agent ended before telemetry was flowing: ${e.meaning}${o.runDir ? ` (see its log in ${o.runDir})` : ''}`);
    },
  );
  if (o.readyTimeoutMs !== undefined) ready = withTimeout(ready, o.readyTimeoutMs, `waiting for "${AGENT_READY}" from ${command.argv[0]}`);
  ready.catch(() => {});
  let stopped: Promise<AgentExit> | undefined;
  return {
    kind,
    argv: command.argv,
    command,
    pid: proc.pid,
    ready,
    exited,
    get stopping() {
      return proc.stopping;
    },
    get exit() {
      return proc.exit && toExit(proc.exit);
    },
    stop() {
      stopped ??= proc.stop(stopHow?.(proc)).then(toExit);
      return stopped;
    },
    kill: () => proc.kill(),
  };
}

function withTimeout(p: Promise<void>, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    p.then(
      () => (clearTimeout(t), resolve()),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
