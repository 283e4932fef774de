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

  /** Freed `struct sock`s per slab (TCP and UDP socks come from different caches), with the time they were freed. */
  private freed: Record<'tcp' | 'udp', { sk: bigint; at: bigint }[]> = { tcp: [], udp: [] };
  /**
   * A socket's address. Given the slab and the allocation time, the most recently freed one freed before it is handed
   * back, as the kernel's slab does (a real loopback run reuses the same two `struct sock`s one after another).
   */
  allocSk(slab?: 'tcp' | 'udp', ts?: bigint): bigint {
    if (slab && ts !== undefined) {
      const list = this.freed[slab];
      for (let i = list.length - 1; i >= 0; i--) if (list[i].at < ts) return list.splice(i, 1)[0].sk;
    }
    const sk = this.nextSk; this.nextSk += 0x1000n; return sk;
  }
  /** The socket's last sample is out (close_sock_info, udp_destroy_socket): its address may be reused after `ts`. */
  freeSk(slab: 'tcp' | 'udp', sk: bigint, ts: bigint): void { this.freed[slab].push({ sk, at: ts }); }

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
