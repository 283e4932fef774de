import type { KernelView } from '@flowmill/agent-runner';
import type { DecodedRecord } from '@flowmill/raw-codec';
import type { Tolerances } from './tolerances.js';
import type { CheckStatus, InputKind, ReportFigures } from './types.js';
import type { ResolvedInputs } from './inputs.js';
import type { AuthzLogEntry, Manifest, SinkConnection } from './side-inputs.js';
import { isoOfNs } from './values.js';

/** One decoded record, exactly as raw-codec's `decode` yields it. */
export type Rec = DecodedRecord;

/** What the runner learnt about one intake session (segment) before the checks finish. */
export interface SegmentInfo {
  segment: number;
  records: number;
  firstTs: bigint;
  lastTs: bigint;
  /** bpf_compiled's ts: BPF samples are consumed (and can reach the intake) from here on. */
  telemetryTs?: bigint;
  token?: string;
}

export interface CheckContext {
  tol: Tolerances;
  inputs: ResolvedInputs;
  /** Which tap the `intake` stream is: the wire capture when given, else the record file. */
  intakeSource?: 'wire' | 'record';
  manifest?: Manifest;
  /** VM runs: the guest kernel's own tcp_connect count per port (kernel-view.json beside the manifest). */
  kernelView?: KernelView;
  authzLog?: AuthzLogEntry[];
  /** tls-sink's connection index lines (a wire capture given as its out dir). */
  connections?: SinkConnection[];
  /** The intake's era as the decoder tells it (`flowmill`, `ebpf_net`, or a .render name); set on its first records. */
  era?: string;
  /** Filled during the intake pass; complete when `finish` runs. */
  segments: SegmentInfo[];
  /** Shared plot data (the checks add to it). */
  figures: ReportFigures;
}

export interface Outcome {
  status: CheckStatus;
  reason?: string;
  evidence?: unknown[];
  figures?: Record<string, unknown>;
}

/** A check sees the records of the streams it asked for, in stream order, then says its verdict. */
export interface Observer {
  bpf?(r: Rec): void;
  intake?(r: Rec): void;
  finish(): Outcome | Promise<Outcome>;
}

export interface CheckDef {
  id: string;
  title: string;
  /** All of these must be given; `intake` = the wire capture or the record file. */
  needs: InputKind[];
  /** Not run unless this returns undefined (e.g. the upstream preset is off): the reason. */
  disabled?(ctx: CheckContext): string | undefined;
  create(ctx: CheckContext): Observer;
}

/** Evidence with a cap: the first `max` items are kept, all are counted. */
export class Evidence {
  readonly items: unknown[] = [];
  total = 0;
  constructor(private readonly max: number) {}
  add(item: unknown): void {
    this.total++;
    if (this.items.length < this.max) this.items.push(item);
  }
  get empty(): boolean {
    return this.total === 0;
  }
}

/** JSON-safe copy of decoded data (bigint -> decimal string, byte arrays kept as number arrays). */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/** A record as evidence: where it is and what it says. */
export function recEvidence(stream: string, r: Rec, note?: string): Record<string, unknown> {
  return {
    ...(note ? { note } : {}),
    stream,
    segment: r.segment,
    offset: r.offset,
    name: r.name,
    timestamp: r.timestamp.toString(),
    time: isoOfNs(r.timestamp),
    data: jsonSafe(r.data),
  };
}

/** The outcome from an evidence list: fail with `reason` when anything was found, else pass. */
export function verdict(ev: Evidence, reason: (n: number) => string, figures?: Record<string, unknown>): Outcome {
  if (ev.empty) return { status: 'pass', figures };
  return { status: 'fail', reason: reason(ev.total), evidence: ev.items, figures: { ...figures, findings: ev.total } };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
