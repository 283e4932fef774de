import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild, type ChildHandle, type ExitInfo, type SpawnFn } from './children.js';
import { readFileSync } from 'node:fs';
import { realAgentCommand, type AgentTarget } from './agent-env.js';
import type { RecipeDeps, SimAgentLike } from './deps.js';
import { AgentNotFoundError } from './errors.js';
import type { PrefixedLog } from './log-prefix.js';
import type { Stoppable } from './flow-control/teardown.js';
import { firstLine } from './flow-control/wait-ready.js';

/** Which agent a run uses. */
export type AgentChoice =
  | { kind: 'simulated'; faults?: unknown; /** agent timers × this (default 0.1) */ timeScale?: number }
  | { kind: 'binary'; path: string; sudo?: boolean }
  | { kind: 'docker'; image: string };

/** The agent's readiness line (agent-protocol.md §5.3); the simulated agent says the same. */
export const AGENT_READY = /Agent connected successfully\. Telemetry is flowing!/;

/** What SIGTERM makes the agent exit with: exit(-signo) = 256 − 15 (agent-protocol.md §5.1). */
export const AGENT_SIGTERM_EXIT = 241;

/** A started agent, real or simulated, behind one face. */
export interface AgentRun extends Stoppable {
  kind: AgentChoice['kind'];
  /** The command line (real agents), for run.json and the log. */
  argv?: string[];
  pid?: number;
  /** Resolves at "Telemetry is flowing!". */
  ready: Promise<void>;
  /** Resolves when it ends on its own or after stop. */
  exited: Promise<ExitInfo>;
  readonly stopping: boolean;
  /** Its exit once it ended. */
  exit?: ExitInfo;
  /** The in-process simulated agent follows the workload's events as they happen. */
  onWorkloadEvent?: (e: unknown) => void;
  /** Simulated agent: resolves once everything the workload did is in the recordings. */
  drained?: () => Promise<void>;
}

export interface StartAgentOptions {
  choice: AgentChoice;
  target: AgentTarget;
  log: PrefixedLog;
  deps: Pick<RecipeDeps, 'runSimAgent'>;
  /** Name for the docker container (so it can be found and removed). */
  containerName?: string;
  graceMs?: number;
  spawn?: SpawnFn;
  uid?: number;
  /** Replace existing recordings (a reused --out directory). */
  force?: boolean;
  signal?: AbortSignal;
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

export async function startAgent(o: StartAgentOptions): Promise<AgentRun> {
  if (o.choice.kind === 'simulated') return startSim(o, o.choice);
  const cmd =
    o.choice.kind === 'binary'
      ? realAgentCommand(o.target, { binary: o.choice.path, sudo: o.choice.sudo ?? (o.uid ?? 0) !== 0 })
      : realAgentCommand(o.target, { image: o.choice.image, name: o.containerName ?? `flowmill-recipe-${process.pid}` });
  const argv = cmd.argv;
  o.log.line(`$ ${argv.map((a) => (a.startsWith('FLOWMILL_AUTH_SECRET=') ? 'FLOWMILL_AUTH_SECRET=********' : a)).join(' ')}`);
  const child: ChildHandle = await spawnChild('agent', argv, { env: cmd.env, log: o.log, graceMs: o.graceMs, spawn: o.spawn });
  // Killing the docker client does not stop its container: a forced stop also asks the daemon to kill it by name.
  const container = o.choice.kind === 'docker' ? argv[argv.indexOf('--name') + 1] : undefined;
  const killContainer = () => {
    if (container) spawnSync(argv[0], ['kill', container], { stdio: 'ignore', timeout: 10_000, env: cmd.env });
  };
  const run: AgentRun = {
    kind: o.choice.kind,
    name: `agent (pid ${child.pid})`,
    argv,
    pid: child.pid,
    ready: firstLine(child, AGENT_READY).then(() => {}),
    exited: child.exited,
    get stopping() {
      return child.stopping;
    },
    get exit() {
      return child.exit;
    },
    stop: async () => {
      await child.stop();
      if (child.exit?.signal === 'SIGKILL') killContainer(); // the client needed SIGKILL: its container may live on
    },
    kill: () => {
      child.kill?.();
      killContainer();
    },
  };
  return run;
}

/**
 * Default time scale of the simulated agent: its 2 s heartbeat every 500 ms, so a run takes seconds, and the
 * checker's cadence window (see scaledTolerances) still leaves 375 ms for a busy event loop.
 */
export const SIM_TIME_SCALE = 0.25;

async function startSim(o: StartAgentOptions, choice: { faults?: unknown; timeScale?: number }): Promise<AgentRun> {
  const t = o.target;
  let stopping = false;
  let exit: ExitInfo | undefined;
  const sim: SimAgentLike = await o.deps.runSimAgent({
    era: t.era,
    authzUrl: t.authzUrl,
    intake: { host: t.intakeHost, port: t.intakePort, tls: t.tls, name: t.intakeName ?? t.intakeHost, ca: t.caFile ? readFileSync(t.caFile, 'utf8') : undefined },
    keyId: t.keyId ?? '',
    secret: t.secret ?? '',
    recordPath: join(t.runDir, 'intake.record'),
    bpfDumpPath: join(t.runDir, 'bpf.raw'),
    faults: choice.faults,
    timeScale: choice.timeScale ?? SIM_TIME_SCALE,
    force: o.force,
    log: (l) => o.log.line(l),
    signal: o.signal,
  });
  let resolveExit!: (e: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
  const finish = (code: number) => {
    if (!exit) {
      exit = { code, signal: null };
      resolveExit(exit);
    }
  };
  sim.exited?.then(finish, () => finish(255));
  let stopped: Promise<void> | undefined;
  return {
    kind: 'simulated',
    name: 'agent (simulated)',
    onWorkloadEvent: sim.addEvent ? (e) => sim.addEvent!(e) : undefined,
    drained: sim.drained ? () => sim.drained!() : undefined,
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
  };
}
