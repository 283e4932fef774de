/**
 * What the recipe needs from the packages it composes, as narrow structural types (the subsets of CONTRACTS.md it
 * uses). `defaultDeps()` (default-deps.ts) wires the real packages; tests pass fakes, e.g. an agent that exits early.
 */

export interface CertFiles {
  caCert: string;
  cert: string;
  key: string;
  created: string[];
}

export interface AuthzLike {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface SinkConnection {
  id: number;
  file?: string;
  bytes: number;
  ended?: string;
  sha256?: string;
}

export interface SinkLike {
  url: string;
  port: number;
  connections: SinkConnection[];
  close(): Promise<void>;
}

/** The simulated agent as the recipe drives it: started, ready once telemetry flows, stopped with SIGTERM's 241. */
export interface SimAgentLike {
  ready: Promise<void>;
  /** Resolves if the agent ends on its own (a crash, a fault): the recipe treats that as "ended early". */
  exited?: Promise<number>;
  /** Feed a workload event (in-process sim follows the workload as it happens). */
  addEvent?(e: unknown): void;
  /** Resolves once every workload item fed so far is in the recordings (the catch-up step waits for it). */
  drained?(): Promise<void>;
  stop(): Promise<number>;
}

export interface SimStartOptions {
  era: 'flowmill' | 'otel';
  authzUrl?: string;
  /** `ca` is PEM text. */
  intake: { host: string; port: number; tls: boolean; name?: string; ca?: string };
  keyId: string;
  secret: string;
  recordPath: string;
  bpfDumpPath: string;
  /** Fault switches (agent-runner's SimFaults). */
  faults?: unknown;
  /** Multiplies every agent timer (heartbeat, hold-off, polls). */
  timeScale: number;
  /** Replace existing recordings (`recipe run --out DIR --force`). */
  force?: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface WorkloadRunOptions {
  profile?: unknown;
  manifestPath: string;
  eventsPath?: string;
  simulated: boolean;
  agent: { kind: 'sim' | 'real'; era: 'flowmill' | 'otel'; binary?: string; image?: string };
  onEvent?: (e: unknown) => void;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** The checker's own inputs type (a dependency of the recipe), re-exported for RecipeDeps implementers. */
export type { CheckInputs } from '@flowmill/checker';
import type { CheckInputs } from '@flowmill/checker';

export interface CheckResult {
  id: string;
  title: string;
  status: 'pass' | 'fail' | 'not-run';
  reason?: string;
}

export interface CheckReportLike {
  ok: boolean;
  checks: CheckResult[];
}

export interface RecipeDeps {
  /** Package versions for run.json (`{ '@flowmill/certs': '0.1.0', ... }`). */
  versions: Record<string, string>;
  ensureCerts(o: { dir: string; names: string[] }): Promise<CertFiles>;
  startAuthz(o: { host: string; port: number; tls: { cert: string; key: string } | false; intake: string; onRequest: (e: Record<string, unknown>) => void }): Promise<AuthzLike>;
  startSink(o: { host: string; port: number; tls: { cert: string; key: string } | false; dir: string; onEvent: (e: { type: string; [k: string]: unknown }) => void }): Promise<SinkLike>;
  runSimAgent(o: SimStartOptions): Promise<SimAgentLike>;
  runWorkload(o: WorkloadRunOptions): Promise<unknown>;
  /** Decodes recordings (one kind, several files read back to back) to NDJSON lines; returns the record count. */
  decodeToNdjson(o: { kind: 'intake' | 'record' | 'bpf'; files: string[]; schema: 'flowmill' | 'ebpf_net'; out: { write(b: string | Uint8Array): unknown } }): Promise<number>;
  /** `config`: tolerance overrides deep-merged over the preset (the checker's --config). */
  runChecks(inputs: CheckInputs, opts?: { preset?: string; config?: string | object }): Promise<CheckReportLike>;
  renderHtml(r: CheckReportLike): string;
}
