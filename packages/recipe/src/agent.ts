import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import {
  isVmAgent, maskArgv, startAgent as startRunnerAgent, StartError, type AgentExit, type AgentSetup, type AgentTarget, type RunningAgent, type SimFaults, type SpawnFn,
  type VmTarget,
  type WorkloadEvent,
} from '@flowmill/agent-runner';
import type { RecipeDeps } from './deps.js';
import { AgentNotFoundError } from './errors.js';
import type { PrefixedLog } from './log-prefix.js';
import type { Stoppable } from './flow-control/teardown.js';

/** Which agent a run uses. */
export type AgentChoice =
  | { kind: 'simulated'; faults?: SimFaults; /** agent timers × this (default SIM_TIME_SCALE) */ timeScale?: number }
  | { kind: 'binary'; path: string; sudo?: boolean }
  | { kind: 'docker'; image: string };

/** A started agent, real or simulated, as a step of the run: agent-runner's RunningAgent on the teardown stack. */
export interface AgentRun extends Stoppable {
  kind: AgentChoice['kind'];
  /** The command line (real agents), for run.json and the log; secrets masked. */
  argv?: string[];
  pid?: number;
  /** Resolves at "Telemetry is flowing!". */
  ready: Promise<void>;
  /** Resolves when it ends on its own or after stop. */
  exited: Promise<AgentExit>;
  readonly stopping: boolean;
  /** Its exit once it ended. */
  readonly exit?: AgentExit;
  /** The in-process simulated agent follows the workload's events as they happen. */
  onWorkloadEvent?: (e: WorkloadEvent) => void;
  /** Simulated agent: resolves once everything the workload did is in the recordings. */
  drained?: () => Promise<void>;
  /** In a VM (recipe run --vm): the guest runs the workload itself; its exit status once it ended. */
  workloadDone?: () => Promise<number>;
}

export interface StartAgentOptions {
  choice: AgentChoice;
  setup: AgentSetup;
  log: PrefixedLog;
  deps: Pick<RecipeDeps, 'runSimAgent'>;
  /** Name for the docker container (so it can be found, signalled and removed). */
  containerName?: string;
  graceMs?: number;
  spawn?: SpawnFn;
  uid?: number;
  /** Replace existing recordings (a reused --out directory). */
  force?: boolean;
  /** recipe run --vm: the agent (and the workload) in this guest instead (vm.ts vmTargetOf). */
  vm?: VmTarget;
}

/**
 * When the agent must go through sudo, make sure sudo will not ask for a password (we run it with -n, and a prompt
 * in the middle of the run would hang it): one clear line before anything starts instead.
 */
export function checkSudo(run: (cmd: string, args: string[]) => { status: number | null; error?: Error } = (c, a) => spawnSync(c, a, { stdio: 'ignore' })): void {
  const r = run('sudo', ['-n', 'true']);
  if (r.error) throw new AgentNotFoundError('sudo', 'not installed (run recipe as root, or pass --no-sudo)', r.error);
  if (r.status !== 0) throw new AgentNotFoundError('sudo', 'a password is required (run `sudo -v` first, or run recipe as root)');
}

/** Refuses a missing or non-executable agent binary before anything else is started (exit 66). */
export function checkAgentBinary(path: string): void {
  if (!existsSync(path)) throw new AgentNotFoundError(path, 'no such file');
  try {
    accessSync(path, constants.X_OK);
  } catch (err) {
    throw new AgentNotFoundError(path, 'not executable', err);
  }
}

/** The checks a choice needs before anything is started: the binary is there, sudo will not ask (exit 66). */
export function checkAgentChoice(c: AgentChoice, uid: number | undefined): void {
  if (c.kind !== 'binary') return;
  checkAgentBinary(c.path);
  if (c.sudo ?? (uid ?? 0) !== 0) checkSudo();
}

/**
 * Default time scale of the simulated agent: its 2 s heartbeat every 500 ms, so a run takes seconds, and the
 * checker's cadence window (see scaledTolerances) still leaves 375 ms for a busy event loop.
 */
export const SIM_TIME_SCALE = 0.25;

function targetOf(o: StartAgentOptions): AgentTarget {
  if (o.vm) return o.vm;
  const c = o.choice;
  if (c.kind === 'binary') return { kind: 'binary', path: c.path, sudo: c.sudo ?? (o.uid ?? 0) !== 0 };
  if (c.kind === 'docker') return { kind: 'docker', image: c.image, containerName: o.containerName ?? `flowmill-recipe-${process.pid}` };
  // the agent connects as soon as it has its token; the 5 s + jitter is the reconnect delay (docs/agent-protocol.md §2.8)
  return { kind: 'simulated', faults: c.faults, timeScale: c.timeScale ?? SIM_TIME_SCALE, connectDelayMs: 0, run: o.deps.runSimAgent };
}

/** Starts the chosen agent with agent-runner's startAgent; its lines go to the agent's prefixed log. */
export async function startAgent(o: StartAgentOptions): Promise<AgentRun> {
  let a: RunningAgent;
  try {
    a = await startRunnerAgent(targetOf(o), {
      ...o.setup, graceMs: o.graceMs, spawn: o.spawn, force: o.force, onLine: (l) => o.log.line(l), onCommand: (c) => o.log.line(`$ ${maskArgv(c.argv).join(' ')}`),
    });
  } catch (err) {
    throw err instanceof StartError ? new AgentNotFoundError(err.path, err.why, err) : err;
  }
  const argv = a.argv && maskArgv(a.argv);
  return {
    kind: a.kind as AgentChoice['kind'],
    name: isVmAgent(a) ? `agent (in a VM, qemu pid ${a.pid})` : a.pid ? `agent (pid ${a.pid})` : 'agent (simulated)',
    argv,
    pid: a.pid,
    ready: a.ready,
    exited: a.exited,
    get stopping() {
      return a.stopping;
    },
    get exit() {
      return a.exit;
    },
    stop: async () => {
      await a.stop();
    },
    kill: () => a.kill(),
    onWorkloadEvent: a.addEvent && ((e) => a.addEvent!(e)),
    drained: a.drained && (() => a.drained!()),
    workloadDone: isVmAgent(a) ? () => a.workloadDone : undefined,
  };
}
