/** What `checker diff` gathers from each run and what it reports. */
import type { CheckReport } from '../types.js';

export type StreamName = 'intake' | 'bpf';

/** Counts of one message in one stream. */
export interface MessageCount { stream: StreamName; name: string; count: number; bytes: number }

/** Distinct values (capped) and the numeric range of one field of a message that says what ran. */
export interface FieldSummary { message: string; field: string; distinct: string[]; more: boolean; min?: number; max?: number }

/** One run, reduced to what two runs can be compared on. */
export interface RunProfile {
  /** The run directory or recording it came from. */
  source: string;
  /** A run directory, or the kind of the single recording it is. */
  kind: 'run' | 'intake' | 'record' | 'bpf';
  /** `flowmill`, `ebpf_net`, or the .render file the intake was decoded with. */
  era?: string;
  /** Telemetry length: the intake's first to last record (else the dump's), seconds. */
  seconds: number;
  /** The workload's items per kind from the manifest (tcp, udp, dns, processes, http), and their sum. */
  workload?: { items: Record<string, number>; total: number };
  messages: MessageCount[];
  /** The intake's first distinct message names, in order of first appearance (the agent's startup sequence). */
  startup: string[];
  fields: FieldSummary[];
  /** The wire capture's LZ4 frames: count, compressed and plaintext bytes. */
  frames?: { count: number; bytes: number; plainBytes: number };
  /** The checker's report on the run: `check.json` when the run holds one, else computed. */
  report?: CheckReport;
  /** Where `report` came from. */
  reportFrom?: 'check.json' | 'computed';
  /** Decode errors met while profiling (the counts cover the records before them). */
  errors: string[];
}

export type ChangeArea = 'era' | 'workload' | 'message' | 'startup' | 'field' | 'latency' | 'heartbeat' | 'frames' | 'check';

export interface RunChange {
  area: ChangeArea;
  /** What changed: `intake heartbeat`, `os_info.kernel_version`, `latency p99`, a check id. */
  subject: string;
  a: unknown;
  b: unknown;
  /** One line for a person, with the threshold it passed. */
  detail: string;
}

/** A compared message: counts, per-second and per-workload-item rates, and whether the difference passed the threshold. */
export interface MessageRow {
  stream: StreamName; name: string;
  a: number; b: number;
  perSecond: [number, number];
  perItem?: [number, number];
  /** b/a of the counts, and the band of ratios run length and workload size explain (widened by noise). */
  ratio: number | null;
  band: [number, number];
  changed: boolean;
  note?: string;
}

export interface CheckRow { id: string; a?: string; b?: string; figuresA?: Record<string, unknown>; figuresB?: Record<string, unknown>; changed: boolean }

export interface RunDiff {
  a: RunProfile;
  b: RunProfile;
  thresholds: DiffThresholds;
  changes: RunChange[];
  messages: MessageRow[];
  checks: CheckRow[];
  /** One line: `no change` or the count and areas. */
  summary: string;
  changed: boolean;
}

/** The noise model (README "checker diff"): every figure is compared against these. */
export interface DiffThresholds {
  /** A count ratio outside the band run length and workload explain by more than this fraction… */
  relative: number;
  /** …plus `sigmas` standard deviations of the log-ratio of two Poisson counts (√(1/a + 1/b)). */
  sigmas: number;
  /** A message absent from one run is a change when the other run's count, scaled to it, is at least this. */
  minExpected: number;
  /** Latency p50/p99, heartbeat gap median/max, frame sizes: changed past this fraction… */
  figureRelative: number;
  /** …and past this many ms (latency, gaps). */
  figureAbsoluteMs: number;
  /** How many distinct message names make the startup sequence. */
  startupLength: number;
}

export const defaultThresholds: DiffThresholds = { relative: 0.2, sigmas: 2, minExpected: 3, figureRelative: 0.5, figureAbsoluteMs: 5, startupLength: 8 };
