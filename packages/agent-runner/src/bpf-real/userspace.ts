/**
 * The real dump through the simulated agent's userspace half: SimUserspace (sim/userspace.ts, the agent's
 * BufferedPoller translation) consumes the records a real kernel produced instead of the simulator's own, and the
 * intake records it derives are written as a record file (version_info, then the records, as the agent's
 * FLOWMILL_RECORD_INTAKE_OUTPUT_PATH file holds them). The checker's BPF→intake checks can then run on what a real
 * kernel saw. Offline, after the guest ended: no TLS session, heartbeats or metadata sequence, and `cmdline` is
 * empty (the guest's /proc is gone by then).
 */
import { RecordEncoder, type DecodedRecord, type Schema } from '@flowmill/raw-codec';
import type { BpfMsg } from '../sim/kernel.js';
import { SimUserspace } from '../sim/userspace.js';

/**
 * The checker's checks that hold a real dump against the record file derived from it (the others need a live
 * session: wire captures, authz, heartbeats, the metadata sequence).
 */
export const REAL_BPF_CHECKER_CHECKS = ['decode', 'bpf-intake', 'lifecycles', 'workload', 'udp-conservation', 'dns-port', 'socket-stats-live'] as const;

/** The OpenTelemetry collector's --socket-stats-interval-sec default, 10 s (entrypoint.cc@68f0c23f:284). */
export const OTEL_STATS_SLOT_NS = 10_000_000_000n;
/** The version_info the record file starts with: the vendored tree's VERSION (0.11.0). */
export const REAL_BPF_VERSION = { major: 0, minor: 11, patch: 0 } as const;

const hexBytes = (hex: string) => Uint8Array.from((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));

/** raw-codec's decoded values → the simulator's: byte arrays and string fields as Uint8Array. */
export function toBpfMsg(r: Pick<DecodedRecord, 'name' | 'timestamp' | 'data'>, seq: number): BpfMsg {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data)) {
    if (Array.isArray(v)) data[k] = Uint8Array.from(v as number[]);
    else if (typeof v === 'string') data[k] = new TextEncoder().encode(v);
    else if (v && typeof v === 'object' && 'hex' in v) data[k] = hexBytes((v as { hex: string }).hex);
    else data[k] = v;
  }
  return { name: r.name, ts: r.timestamp, data, seq };
}

export interface DerivedIntake {
  /** The record file's bytes. */
  bytes: Uint8Array;
  /** Intake records by message name. */
  counts: Record<string, number>;
}

/**
 * Each record is handed over as the collector's poll would: in dump order, the poll time being its timestamp; one
 * last poll and a slow poll well after the end flush the open stats slot and time out pending DNS requests.
 */
export function intakeFromRealBpf(records: readonly DecodedRecord[], schema: Schema): DerivedIntake {
  const ingest = schema.apps.ingest;
  const enc = new RecordEncoder(ingest);
  const user = new SimUserspace((n) => ingest.byName.has(n), () => '', OTEL_STATS_SLOT_NS);
  const counts: Record<string, number> = {};
  const parts: Uint8Array[] = [];
  const put = (name: string, ts: bigint, data: Record<string, unknown>) => {
    const m = ingest.byName.get(name)!;
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) {
      const f = m.fields.find((x) => x.name === k);
      values[k] = v instanceof Uint8Array ? (f?.type === 'string' ? { hex: Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') } : Array.from(v)) : v;
    }
    parts.push(enc.encode(name, ts, values));
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const start = records.length ? records[0].timestamp : 0n;
  put('version_info', start, { ...REAL_BPF_VERSION });
  records.forEach((r, i) => {
    for (const m of user.poll([toBpfMsg(r, i)], r.timestamp)) put(m.name, m.ts, m.data);
  });
  const end = (records.length ? records[records.length - 1].timestamp : 0n) + OTEL_STATS_SLOT_NS * 2n;
  for (const m of [...user.slowPoll(end), ...user.poll([], end)]) put(m.name, m.ts, m.data);
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return { bytes, counts };
}
