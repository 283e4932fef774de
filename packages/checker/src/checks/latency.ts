/**
 * The BPF → intake latency figure: each passthrough record (stamped with its BPF sample's time) waits for the next
 * userspace-stamped intake record, an upper bound of when it was written. Bucket counts for the plot, quantiles from
 * a fine log histogram (100 bins per decade from 1 µs: ~2.3 % resolution) instead of every sample.
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
