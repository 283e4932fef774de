import type { ReportFigures } from '../types.js';

/**
 * The BPF → intake latency figures. The recordings never say when a record was sent, so the agent's latency is
 * bracketed: each passthrough record (stamped with its BPF sample's time) is held against
 * - the latest timestamp of its own LZ4 frame (wire captures only): a frame is one flush, sent after every record in
 *   it was written (buffered_poller.cc@3598385a:225), so this is a lower bound; at p99 it is tight (a late sample is
 *   followed by others in its poll: the simulated agent's own p99 agrees within 0.1 ms), at p50 it is not;
 * - the next userspace-stamped intake record: an upper bound of when it was written, loose by design (those records
 *   come every 1-2 s, so it cannot read under ~1 s however fast the agent forwards).
 * Bucket counts for the plot, quantiles from a fine log histogram (100 bins per decade from 1 µs: ~2.3 % resolution).
 */
const FINE_PER_DECADE = 100, FINE_MIN_MS = 1e-3;

export class LatencyHistogram {
  readonly counts: number[];
  private readonly fine = new Float64Array(FINE_PER_DECADE * 10);
  private awaiting: bigint[] = [];
  samples = 0;
  maxMs = 0;
  constructor(readonly boundsMs: number[]) {
    this.counts = new Array<number>(boundsMs.length + 1).fill(0);
  }

  /** A passthrough record: its sample's time. */
  waiting(ts: bigint): void {
    this.awaiting.push(ts);
  }

  /** A userspace-stamped record at `ts`: every waiting record was written by then. */
  stamped(ts: bigint): void {
    for (const t of this.awaiting) {
      const ms = Math.max(0, Number(ts - t) / 1e6);
      this.samples++;
      if (ms > this.maxMs) this.maxMs = ms;
      this.fine[Math.min(this.fine.length - 1, Math.max(0, Math.ceil(Math.log10(Math.max(ms, FINE_MIN_MS) / FINE_MIN_MS) * FINE_PER_DECADE)))]++;
      let i = this.boundsMs.findIndex((b) => ms <= b);
      if (i < 0) i = this.boundsMs.length;
      this.counts[i]++;
    }
    this.awaiting = [];
  }

  /** The f-quantile in ms (3 decimals), or undefined without samples. */
  quantile(f: number): number | undefined {
    if (!this.samples) return undefined;
    let acc = 0;
    const want = f * this.samples;
    let v = this.maxMs;
    for (let i = 0; i < this.fine.length; i++) { acc += this.fine[i]; if (acc >= want) { v = Math.min(this.maxMs, FINE_MIN_MS * 10 ** (i / FINE_PER_DECADE)); break; } }
    return Math.round(v * 1000) / 1000;
  }
}

/** The bracket as the report leads with it: the lower bound first (the poll-to-flush latency issue 14 asks about). */
export function latencyBracket(lower: LatencyHistogram, upper: LatencyHistogram): { text?: string; figures: Record<string, number | string | undefined> } {
  const lo = lower.samples ? lower.quantile(0.99) : undefined, hi = upper.samples ? upper.quantile(0.99) : undefined;
  const text = lo !== undefined
    ? `BPF→intake latency p99 ≥ ${lo} ms (to its own frame's latest timestamp)${hi !== undefined ? `, ≤ ${hi} ms (to the next agent-stamped record)` : ''}`
    : hi !== undefined ? `BPF→intake latency p99 ≤ ${hi} ms (to the next agent-stamped record; no frames without a wire capture)` : undefined;
  return {
    text,
    figures: {
      latencyP50MsLowerBound: lower.samples ? lower.quantile(0.5) : undefined,
      latencyP99MsLowerBound: lo,
      latencyP50MsUpperBound: upper.samples ? upper.quantile(0.5) : undefined,
      latencyP99MsUpperBound: hi,
      latencyBounds: 'the agent\'s BPF→intake latency lies between the lower bound (to the latest timestamp of the sample\'s own LZ4 frame, wire captures only) and the upper bound (to the next agent-stamped intake record, ~1 s apart)',
    },
  };
}

/** The report's latency figure: the histogram and p50/p99 of the lead bound (`bound` says which), both bounds named. */
export function latencyFigure(lower: LatencyHistogram, upper: LatencyHistogram): NonNullable<ReportFigures['latency']> {
  const lead = lower.samples ? lower : upper;
  const q = (h: LatencyHistogram, f: number) => (h.samples ? h.quantile(f) : undefined);
  return {
    bound: lower.samples ? 'lower' : 'upper', boundsMs: lead.boundsMs, counts: lead.counts, samples: lead.samples,
    p50Ms: q(lead, 0.5), p99Ms: q(lead, 0.99), maxMs: lead.samples ? lead.maxMs : undefined,
    ...(lower.samples ? { lowerP50Ms: q(lower, 0.5), lowerP99Ms: q(lower, 0.99) } : {}),
    upperP50Ms: q(upper, 0.5), upperP99Ms: q(upper, 0.99),
  };
}
