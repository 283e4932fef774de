/** One BPF sample as the probes submit it: its timestamp, message and a sequence number (ties keep their order). */
export interface BpfMsg { name: string; ts: bigint; data: Record<string, unknown>; seq: number }

/**
 * The perf rings between the simulated probes and the agent's poller: samples wait here until a poll reads those
 * due, merged by timestamp as PerfReader merges the per-CPU rings (here: one ring).
 */
export class PerfRing {
  private nextSk = 0xffff888100000000n;
  private seq = 0;
  readonly out: BpfMsg[] = [];

  allocSk(): bigint { const sk = this.nextSk; this.nextSk += 0x1000n; return sk; }

  /** Bytes of the samples in the ring, when a size function is given (the watermark after DISABLE_SEND). */
  ringBytes = 0;
  sizeOf?: (m: BpfMsg) => number;

  emit(name: string, ts: bigint, data: Record<string, unknown>): void {
    const m = { name, ts, data, seq: this.seq++ };
    this.out.push(m);
    if (this.sizeOf) this.ringBytes += this.sizeOf(m);
  }

  /** Take the messages generated so far, unordered (a connection attempt drops them). */
  drain(): BpfMsg[] {
    this.ringBytes = 0;
    return this.out.splice(0, this.out.length);
  }
  /** The samples with ts ≤ t, merged across the rings by ts (PerfReader), the rest left for a later poll. */
  takeDue(t: bigint): BpfMsg[] {
    const due: BpfMsg[] = [], later: BpfMsg[] = [];
    for (const m of this.out) (m.ts <= t ? due : later).push(m);
    this.out.length = 0;
    this.out.push(...later);
    if (this.sizeOf) this.ringBytes = later.reduce((n, m) => n + this.sizeOf!(m), 0);
    return due.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq));
  }
  /** Samples read but not consumed stay in the ring. */
  putBack(msgs: BpfMsg[]): void {
    this.out.push(...msgs);
    if (this.sizeOf) for (const m of msgs) this.ringBytes += this.sizeOf(m);
  }
}
