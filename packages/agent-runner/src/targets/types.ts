import type { AgentCommand } from '../real/command.js';
import type { ExitInfo, OutputStream, SpawnFn } from '../process/supervise.js';
import type { Era, SimAgent, SimFaults, SimOptions, WorkloadEvent } from '../index.js';
import type { VmTarget } from './vm.js';

/** Where the agent sends its telemetry and writes its recordings: the same for every kind of target. */
export interface AgentSetup {
  era: Era;
  /** Absolute run directory: the record file and the BPF dump go there (run-layout.ts). */
  runDir: string;
  /**
   * The intake. `host` is an address, not `localhost`: the agent uses the first getaddrinfo answer
   * (docs/agent-protocol.md §2.1), ::1 on many hosts. `name` is the TLS name it verifies (Flowmill only); `tls` defaults
   * to true in the Flowmill era and is always false in the OpenTelemetry era.
   */
  intake: { host: string; port: number; tls?: boolean; name?: string };
  /** Flowmill era: the authz base URL; key id and secret default to DEFAULT_KEY_ID. */
  authz?: { server: string; keyId?: string; secret?: string };
  /** CA the agent must trust for the intake's TLS (and https authz). */
  caFile?: string;
}

/** The installed kernel collector binary. */
export interface BinaryTarget {
  kind: 'binary';
  path: string;
  /** Through `sudo -n` (the agent needs root to load its probes). */
  sudo?: boolean;
  /** PATH of the agent's environment. */
  envPath?: string;
  extraArgs?: string[];
  extraEnv?: Record<string, string>;
}

/** The kernel collector's docker image, run with `--pid host` (so its collector can be signalled from the host). */
export interface DockerTarget {
  kind: 'docker';
  image: string;
  containerName?: string;
  /** The docker CLI (default `docker`) and its own variables (HOME, DOCKER_HOST, …). */
  dockerCli?: string;
  dockerClientEnv?: Record<string, string>;
  /** PATH for the docker CLI. */
  envPath?: string;
  extraArgs?: string[];
  extraEnv?: Record<string, string>;
}

/** The in-process simulated agent (sim/). */
export interface SimulatedTarget {
  kind: 'simulated';
  faults?: SimFaults;
  /** Multiplies every agent timer. */
  timeScale?: number;
  connectDelayMs?: number;
  jitter?: boolean;
  /** Workload events file or manifest to derive telemetry from (else fed with `addEvent`). */
  manifest?: string;
  maxSessions?: number;
  /** Replaces runSimAgent (tests, or a caller's own wiring); only these parts of a SimAgent are used. */
  run?: (o: SimOptions) => Promise<Pick<SimAgent, 'ready' | 'exited' | 'stop' | 'addEvent' | 'drained'>>;
}

/**
 * Every kind of agent the runner can start. Adding one (a VM) is one file in this folder exporting its target type
 * and a `start` function, one member here, and one line in the registry (targets/index.ts), whose mapped type
 * refuses to compile until the new kind has its starter.
 */
export type AgentTarget = BinaryTarget | DockerTarget | SimulatedTarget | VmTarget;
export type AgentKind = AgentTarget['kind'];

export interface StartAgentOptions extends AgentSetup {
  /** Replace existing recordings. */
  force?: boolean;
  /** SIGTERM → SIGKILL grace (default 15 s). */
  graceMs?: number;
  /** Reject `ready` with TimeoutError after this long (default: wait; the caller bounds it). */
  readyTimeoutMs?: number;
  /** Each line the agent writes (its console log; the simulated agent's log lines come as stdout). */
  onLine?: (line: string, stream: OutputStream) => void;
  /** A real agent's command, just before it is started (to log it: mask its secrets with maskArgv). */
  onCommand?: (c: AgentCommand) => void;
  spawn?: SpawnFn;
}

/** How a started agent ended, in its own terms. */
export interface AgentExit extends ExitInfo {
  /** describeAgentExit's words. */
  meaning: string;
  /** We asked it to stop and it stopped the agent's way (241), or needed SIGKILL after the grace period. */
  expected: boolean;
}

/** A started agent of any kind, behind one face. */
export interface RunningAgent {
  readonly kind: AgentKind;
  /** The command line of a real agent (secrets as given; mask with maskArgv for logs). */
  readonly argv?: string[];
  readonly command?: AgentCommand;
  readonly pid?: number;
  /** Resolves at "Telemetry is flowing!"; rejects if the agent ends first. */
  readonly ready: Promise<void>;
  /** Resolves when it ends, on its own or after stop/kill. */
  readonly exited: Promise<AgentExit>;
  readonly stopping: boolean;
  readonly exit?: AgentExit;
  /** SIGTERM (or the target's equivalent), SIGKILL after the grace period; resolves with the exit. Idempotent. */
  stop(): Promise<AgentExit>;
  /** At once, never throws. */
  kill(): void;
  /** Simulated: feed a workload event as it happens. */
  addEvent?(e: WorkloadEvent): void;
  /** Simulated: resolves once every event fed so far is in the recordings. */
  drained?(): Promise<void>;
}

export type Starter<T extends AgentTarget> = (target: T, o: StartAgentOptions) => Promise<RunningAgent>;
