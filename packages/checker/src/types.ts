/** What the checker reads and what it reports. */

/** The inputs a check can need. `intake` is satisfied by the wire capture or, failing that, the record file. */
export type InputKind = 'wire' | 'record' | 'bpf' | 'intake' | 'manifest' | 'authzLog';

export type CheckStatus = 'pass' | 'fail' | 'not-run';

export interface CheckResult {
  /** Stable id, e.g. `startup-order`; what `--only` takes. */
  id: string;
  /** One line: what the check asserts. */
  title: string;
  status: CheckStatus;
  /** Why it failed or did not run (one line). */
  reason?: string;
  /** The records (or lines) that show a failure, capped by `report.maxEvidence`. */
  evidence?: unknown[];
  /** Measured numbers behind the verdict. */
  figures?: Record<string, unknown>;
}

export interface InputSummary {
  kind: 'wire' | 'record' | 'bpf' | 'manifest' | 'authzLog';
  path: string;
  bytes?: number;
  records?: number;
  segments?: number;
  /** The schema the decoder used and how sure it was ('given', 'high', 'low'). */
  schema?: string;
  schemaConfidence?: string;
  error?: string;
}

/** Data for the report's plots, gathered in the same streaming pass as the checks. */
export interface ReportFigures {
  /** Message counts per time bin and type, one lane per stream (`bpf`, `intake`). */
  timeline?: { t0: string; binMs: number; bins: number; lanes: Record<string, Record<string, number[]>> };
  /**
   * BPF event -> intake latency, bracketed. `lower*`: to the latest timestamp of the sample's own LZ4 frame (a lower
   * bound; wire captures only); `upper*`: to the next userspace-stamped record (an upper bound, ~1 s loose). The
   * histogram (bucket upper bounds in ms, last = +inf) and `p50Ms`/`p99Ms`/`maxMs` are of the bound named by `bound`:
   * the lower one when there is a wire capture, else the upper one.
   */
  latency?: { bound: 'lower' | 'upper'; boundsMs: number[]; counts: number[]; samples: number; p50Ms?: number; p99Ms?: number; maxMs?: number; lowerP50Ms?: number; lowerP99Ms?: number; upperP50Ms?: number; upperP99Ms?: number };
  /** Heartbeat gaps per session: [Unix ms of the later heartbeat, gap ms, 1 if excused as the probe-load gap]. */
  heartbeatGaps?: { segment: number; points: [number, number, number?][] }[];
  heartbeatBand?: { minMs: number; maxMs: number };
  /** Records per segment and stream. */
  segments?: { segment: number; intake: number; record?: number; wire?: number; start?: string; end?: string }[];
}

export interface CheckReport {
  ok: boolean;
  preset: string;
  inputs: InputSummary[];
  checks: CheckResult[];
  summary: { pass: number; fail: number; notRun: number; total: number; durationMs: number };
  figures: ReportFigures;
}

/** The named inputs of a run. Paths; `wire` may name per-connection capture files, tls-sink out dirs, or one capture file. */
export interface CheckInputs {
  wire?: string | string[];
  record?: string;
  bpf?: string;
  manifest?: string;
  authzLog?: string;
  /** `auto` (default: the decoder tells the era from the recording), `flowmill`, `ebpf_net`, or a path to a .render file. */
  schema?: 'flowmill' | 'ebpf_net' | 'auto' | string;
}

export interface CheckOptions {
  /** `default` or `upstream` (adds the kernel_collector_test.cc thresholds). */
  preset?: string;
  /** A JSON file path or an object deep-merged over the preset's tolerances. */
  config?: string | object;
  /** Run only these check ids (the others are reported as not run). */
  only?: string[];
  /** Wall clock, for the report's duration (tests pass a fake). */
  now?: () => number;
}
