/**
 * What the recipe needs from the packages it composes, typed with those packages' own types (narrowed with Pick to
 * the parts it uses, so a test can pass a small fake). `defaultDeps()` (default-deps.ts) wires the real packages;
 * tests pass fakes, e.g. an agent that exits early.
 */
import type { SimAgent, SimOptions, WorkloadManifest, WorkloadOptions } from '@flowmill/agent-runner';
import type { EnsureResult } from '@flowmill/certs';
import type { CheckInputs, CheckOptions, CheckReport } from '@flowmill/checker';
import type { AuthzLogEntry, AuthzServer } from '@flowmill/mock-authz';
import type { Sink, SinkEvent } from '@flowmill/tls-sink';

export type { CheckInputs } from '@flowmill/checker';
export type CertFiles = Pick<EnsureResult, 'caCert' | 'cert' | 'key' | 'created'>;
export type AuthzLike = Pick<AuthzServer, 'url' | 'port' | 'close'>;
export type SinkLike = Pick<Sink, 'url' | 'port' | 'close'>;
/** The simulated agent as the recipe drives it: started, ready once telemetry flows, stopped with SIGTERM's 241. */
export type SimAgentLike = Pick<SimAgent, 'ready' | 'exited' | 'stop' | 'addEvent' | 'drained'>;
/** The checker's report. */
export type CheckReportLike = CheckReport;

/** PEM text (not paths) of the fake cloud's certificate, or plain. */
type TlsMaterial = { cert: string; key: string } | false;

export interface RecipeDeps {
  /** Package versions for run.json (`{ '@flowmill/certs': '0.1.0', ... }`). */
  versions: Record<string, string>;
  ensureCerts(o: { dir: string; names: string[] }): Promise<CertFiles>;
  startAuthz(o: { host: string; port: number; tls: TlsMaterial; intake: string; onRequest: (e: AuthzLogEntry) => void }): Promise<AuthzLike>;
  /** tls-sink writing one capture per connection into `dir`. */
  startSink(o: { host: string; port: number; tls: TlsMaterial; dir: string; onEvent: (e: SinkEvent) => void }): Promise<SinkLike>;
  runSimAgent(o: SimOptions): Promise<SimAgentLike>;
  runWorkload(o: WorkloadOptions & { manifestPath: string }): Promise<WorkloadManifest>;
  /** Decodes recordings (one kind, several files read back to back) to NDJSON lines; returns the record count. */
  decodeToNdjson(o: { kind: 'intake' | 'record' | 'bpf'; files: string[]; schema: 'flowmill' | 'ebpf_net'; out: { write(b: string | Uint8Array): unknown } }): Promise<number>;
  /** `config`: tolerance overrides deep-merged over the preset (the checker's --config). */
  runChecks(inputs: CheckInputs, opts?: Pick<CheckOptions, 'preset' | 'config'>): Promise<CheckReportLike>;
  renderHtml(r: CheckReportLike): string;
}
