import type { WorkloadEvent } from '../manifest.js';
import type { SimKernel } from './kernel.js';

/**
 * The workload's events on their way into the simulated kernel. An item becomes BPF samples as soon as it is fed
 * (the probes fire as things happen) while probes are loaded; items that happen while none are (connecting,
 * probe hold-off, disconnected) are never seen, as with the agent.
 */
export class WorkloadFeed {
  private pending: WorkloadEvent[] = [];
  private fed = 0;
  private consumed = 0;
  private waiters: (() => void)[] = [];
  items = 0;
  /** Workload clock → agent clock (both CLOCK_MONOTONIC + a realtime adjustment sampled at start). */
  private wlAdj?: bigint;

  constructor(private readonly agentAdjustmentNs: bigint, private readonly ppidOf: (pid: number) => number, private readonly log: (msg: string) => void) {}

  add(e: WorkloadEvent, kernel: SimKernel | undefined): void {
    this.fed++;
    if (e.type !== 'start' && e.type !== 'end' && e.type !== 'spawn') this.items++;
    this.pending.push(e);
    if (kernel) this.feed(kernel);
  }

  /** A new connection attempt: items not yet seen are gone; the run's start and end still matter. */
  dropItems(): number {
    const before = this.pending.length;
    this.pending = this.pending.filter((e) => e.type === 'start' || e.type === 'end');
    return before - this.pending.length;
  }

  toAgentNs(ns: bigint): bigint { return this.wlAdj === undefined ? ns : ns - this.wlAdj + this.agentAdjustmentNs; }

  /** Probes are loaded: everything pending becomes BPF samples in `kernel` now. */
  feed(kernel: SimKernel): void {
    kernel.toAgentNs = (ns) => this.toAgentNs(ns);
    for (const e of this.pending.splice(0)) {
      switch (e.type) {
        case 'start':
          this.wlAdj = BigInt(e.clock.adjustmentNs);
          kernel.onStart(e, this.ppidOf(e.workload.pid));
          break;
        case 'tcp': kernel.onTcp(e.item); break;
        case 'udp': kernel.onUdp(e.item); break;
        case 'dns': kernel.onDns(e.item); break;
        case 'spawn': kernel.onSpawn(e); break;
        case 'process': kernel.onProcess(e.item); break;
        case 'http': kernel.onHttp(e.item); break;
        case 'end':
          kernel.onEnd(e.endedNs);
          this.log(`workload ended: ${this.items} items simulated`);
          break;
      }
    }
  }

  /** Everything fed so far has left the kernel (polled, or gone with a connection). */
  settled(kernelEmpty: boolean): void {
    if (!kernelEmpty || this.pending.some((e) => e.type !== 'start' && e.type !== 'end')) return;
    this.release();
  }
  release(): void {
    this.consumed = this.fed;
    for (const f of this.waiters.splice(0)) f();
  }
  drained(kernelEmpty: boolean): Promise<void> {
    if (this.consumed === this.fed && kernelEmpty && this.pending.length === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
}
