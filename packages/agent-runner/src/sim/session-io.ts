import { writeSync } from 'node:fs';
import type { AgentClock } from '../clock.js';
import type { SimCodec } from './encoding.js';
import type { FaultStream } from './faults.js';
import type { IntakeWriter } from './intake-writer.js';
import type { BpfMsg } from './kernel.js';

/** A record on its way out, before encoding: what an `edit` hook sees and returns. */
export interface SimRecord { name: string; ts: bigint; data: Record<string, unknown> }
/**
 * Changes records on their way into the recordings (tests break one thing on purpose): return the records to write
 * instead (`[]` drops, `[r, r]` duplicates). `nth` counts each stream's records per name, from 1, over the run.
 */
export type SimEdit = (r: SimRecord, where: { stream: 'bpf' | 'intake'; session: number; nth: number }) => SimRecord[];

interface Counts { intake: Record<string, number>; bpf: Record<string, number> }

/**
 * The two outputs of one session: intake records (encoded, edited, then through the writer's faults and 16 KiB
 * buffer) and BPF dump records (`u64 ts | agent_internal message`, written as the perf ring is read).
 */
export class SessionIO {
  private readonly nth = new Map<string, number>();
  constructor(
    private readonly codec: SimCodec, private readonly clock: AgentClock, readonly writer: IntakeWriter,
    private readonly bpfFd: number | undefined, private readonly bpfFaults: FaultStream, private readonly stats: Counts,
    private readonly session: number, private readonly edit: SimEdit | undefined, nth: Map<string, number>,
  ) { this.nth = nth; }

  private edited(stream: 'bpf' | 'intake', r: SimRecord): SimRecord[] {
    if (!this.edit) return [r];
    const key = `${stream}:${r.name}`;
    const n = (this.nth.get(key) ?? 0) + 1;
    this.nth.set(key, n);
    return this.edit(r, { stream, session: this.session, nth: n });
  }

  /** One intake record (skipped when the era's schema has no such message), stamped now unless `ts` is given. */
  w(name: string, data: Record<string, unknown>, ts: bigint = this.clock.now()): void {
    if (!this.codec.hasIngest(name)) return;
    for (const r of this.edited('intake', { name, ts, data })) this.writer.write({ name: r.name, ts: r.ts, bytes: this.codec.encodeIngest(r.name, r.ts, r.data) });
  }

  /** The connection's first record, uncompressed and alone (version_info). */
  raw(name: string, data: Record<string, unknown>): void {
    const ts = this.clock.now();
    for (const r of this.edited('intake', { name, ts, data })) this.writer.writeRaw({ name: r.name, ts: r.ts, bytes: this.codec.encodeIngest(r.name, r.ts, r.data) });
  }

  flush(): void { this.writer.flush(); }

  /** Appends BPF samples to the dump, as read from the ring (the agent writes each before dispatching it). */
  dump(msgs: BpfMsg[]): void {
    for (const m of msgs) {
      for (const r of this.edited('bpf', { name: m.name, ts: m.ts, data: m.data })) {
        for (const x of this.bpfFaults.apply({ name: r.name, ts: r.ts, bytes: this.codec.encodeBpf(r.name, r.ts, r.data) })) {
          if (this.bpfFd !== undefined) writeSync(this.bpfFd, x.bytes);
          this.stats.bpf[x.name] = (this.stats.bpf[x.name] ?? 0) + 1;
        }
      }
    }
  }
}
