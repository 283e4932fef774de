import type { Rec } from './framework.js';
import type { ReportFigures } from './types.js';
import { isoOfNs } from './values.js';

/** Base resolution of the timeline counters; the plot re-bins to ~120 columns. */
const BASE_NS = 100_000_000n;
/** Slots per counter block (one minute of 100 ms slots). */
const BLOCK = 600;

/** Message counts per lane (bpf / intake), type and 100 ms slot, in one-minute Int32Array blocks (small, flat). */
export class Timeline {
  private readonly lanes = new Map<string, Map<string, Map<number, Int32Array>>>();
  private min: bigint | undefined;
  private max: bigint | undefined;

  add(lane: string, r: Rec): void {
    const ts = r.timestamp;
    if (ts <= 0n) return;
    if (this.min === undefined || ts < this.min) this.min = ts;
    if (this.max === undefined || ts > this.max) this.max = ts;
    let byName = this.lanes.get(lane);
    if (!byName) this.lanes.set(lane, (byName = new Map()));
    let slots = byName.get(r.name);
    if (!slots) byName.set(r.name, (slots = new Map()));
    const k = Number(ts / BASE_NS);
    const b = Math.floor(k / BLOCK);
    let block = slots.get(b);
    if (!block) slots.set(b, (block = new Int32Array(BLOCK)));
    block[k - b * BLOCK]++;
  }

  /** The figure: `types` busiest types per lane (plus `other`), binned to `binMs` (0 = ~120 bins). */
  figure(binMs: number, types: number): ReportFigures['timeline'] | undefined {
    if (this.min === undefined || this.max === undefined) return undefined;
    const spanMs = Number(this.max - this.min) / 1e6;
    const nice = [100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
    const bin = binMs > 0 ? Math.max(100, Math.round(binMs / 100) * 100) : nice.find((b) => spanMs / b <= 120) ?? 600_000;
    const bins = Math.max(1, Math.floor(spanMs / bin) + 1);
    const base0 = Number(this.min / BASE_NS);
    const perBin = bin / 100;
    const lanes: Record<string, Record<string, number[]>> = {};
    for (const [lane, byName] of this.lanes) {
      const totals = [...byName].map(([name, slots]) => [name, [...slots.values()].reduce((a, blk) => a + blk.reduce((x, y) => x + y, 0), 0)] as const);
      totals.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const keep = new Set(totals.slice(0, types).map(([n]) => n));
      const out: Record<string, number[]> = {};
      for (const [name, slots] of byName) {
        const key = keep.has(name) ? name : 'other';
        const arr = (out[key] ??= new Array<number>(bins).fill(0));
        for (const [b, blk] of slots) {
          for (let j = 0; j < BLOCK; j++) {
            if (!blk[j]) continue;
            const i = Math.min(bins - 1, Math.max(0, Math.floor((b * BLOCK + j - base0) / perBin)));
            arr[i] += blk[j];
          }
        }
      }
      lanes[lane] = out;
    }
    return { t0: isoOfNs(this.min), binMs: bin, bins, lanes };
  }

  get t0(): bigint | undefined {
    return this.min;
  }
}
