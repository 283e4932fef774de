import type { AgentClock } from '../clock.js';
import type { SimFaultRecord, SimFaults, WorkloadEvent } from '../manifest.js';
import type { AuthzToken } from './authz-client.js';
import type { ConnEvents, IntakeConn } from './conn.js';
import type { HostView } from './host.js';
import type { AgentVersion } from './metadata.js';
import type { Scheduler } from './scheduler.js';
import type { Era } from './encoding.js';
import type { SimEdit } from './session-io.js';

export interface SimOptions {
  era?: Era;
  /** Intake endpoint. `tls` defaults to true for Flowmill, and is always false for the OTel era. */
  intake: { host: string; port: number; tls?: boolean; name?: string; ca?: string | Uint8Array };
  /** Flowmill era: authz server and key material (FLOWMILL_AUTH_KEY_ID must start with KFII: docs/agent-protocol.md §1.1). */
  authz?: { server: string; keyId: string; secret: string; ca?: string | Uint8Array };
  recordFile?: string;
  bpfDumpFile?: string;
  /**
   * A real kernel instead of the simulated one: bpf-recorder's dump, followed as it grows, decoded with `schema`
   * (the render file its BPF code was built from); see bpf-real/followed-kernel.ts. Leave `bpfDumpFile` unset.
   */
  bpfFollow?: { dump: string; schema: import('@flowmill/raw-codec').Schema };
  /** Replace existing record/dump files (default: refuse). */
  force?: boolean;
  /** Workload manifest to follow: an NDJSON events file (*.jsonl) tailed as it grows, or a manifest.json. */
  manifest?: string;
  /** Multiplies every agent timer (tests: e.g. 0.02). Default 1 = the agent's real timing. */
  timeScale?: number;
  /** Initial connect delay in ms before scaling; default the agent's 5 s + 0-10 s jitter. */
  connectDelayMs?: number;
  /** Apply the agent's random jitters (default true). */
  jitter?: boolean;
  faults?: SimFaults;
  /** Agent-style log lines (the CLI prints them to stdout like --log-console). */
  log?: (line: string) => void;
  hostname?: string;
  version?: { major: number; minor: number; build: number };
  /** Extra set_config_label pairs; `simulated=agent-runner` is always sent so a recording says what made it. */
  labels?: Record<string, string>;
  /** Give up reconnecting after this many sessions (default unlimited). */
  maxSessions?: number;
  clock?: import('../clock.js').AgentClock;
  /** The time T the hold-off callback blocks on compile (`compileMs`) and probe load (`probeLoadMs`), agent ms. */
  compileMs?: number;
  probeLoadMs?: number;
  /** OpenTelemetry era: --socket-stats-interval-sec (default 10). */
  socketStatsIntervalS?: number;
  /** Change records on their way into the recordings (tests). */
  edit?: SimEdit;
}

export interface SimStats {
  era: Era;
  simulated: true;
  agentId: string;
  sessions: number;
  /** Intake records actually sent, per message name (after faults), all sessions. */
  intake: Record<string, number>;
  /** BPF dump records written, per message name (after faults). */
  bpf: Record<string, number>;
  /** Intake records sent (all names), LZ4 frames, plaintext bytes and bytes on the wire (before TLS). */
  records: number;
  frames: number;
  plainBytes: number;
  wireBytes: number;
  heartbeats: number;
  lostBpf: number;
  faults: SimFaultRecord[];
  workloadItems: number;
  disabled: boolean;
  token?: string;
  /** BPF sample → the poll that sent its translation (agent ms), once the agent has ended. */
  latency?: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export interface SimAgent {
  /** Resolves at the first "Telemetry is flowing!"; rejects if the agent dies first. */
  ready: Promise<void>;
  /** Orderly stop like SIGTERM: discard the unflushed buffer, close, resolve 241. */
  stop(): Promise<number>;
  /** Resolves with the exit status when the agent ends by itself (fatal error) or is stopped. */
  exited: Promise<number>;
  /** Feed a workload event in-process (instead of, or besides, `manifest`). */
  addEvent(e: WorkloadEvent): void;
  /** Resolves once every item fed so far has been polled into the recordings. */
  drained(): Promise<void>;
  stats: SimStats;
}

export type Later<T> = T | Promise<T>;
/** What the agent's logic needs from its surroundings: a live process and a deterministic run differ only here. */
export interface AgentEnv {
  scheduler: Scheduler;
  clock: AgentClock;
  host: HostView;
  /** Flowmill era: a token from authz (the agent gives up after 10 attempts). */
  fetchToken(): Later<AuthzToken>;
  connect(name: string, tls: boolean, ev: ConnEvents): Later<IntakeConn>;
  /** [0, 1) for the agent's jitters. */
  random(): number;
  /** Wall-clock seconds (the token's expiry). */
  nowS(): number;
  recordFd?: number;
  bpfFd?: number;
  /** The kernel side every session reads (default: a new SimKernel per session, fed by the workload). */
  kernel?: import('./kernel.js').SimKernel;
  closeFiles(): void;
}

export interface CoreOptions {
  era: Era; version: AgentVersion; labels: Record<string, string>; intakeName?: string; tls: boolean; where: string;
  faults: SimFaults; connectDelayMs?: number; jitter: boolean; maxSessions?: number; compileMs: number; probeLoadMs: number;
  socketStatsIntervalS: number; edit?: SimEdit; log: (level: 'info' | 'warning' | 'error' | 'critical', msg: string) => void; sink: (line: string) => void;
}

