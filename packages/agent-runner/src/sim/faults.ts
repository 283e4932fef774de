import type { MessageSelector, SimFaults } from '../manifest.js';
import type { FaultLog } from './fault-log.js';

type Kind = 'drop' | 'duplicate' | 'reorder' | 'corrupt';
export interface Rec { name: string; ts: bigint; bytes: Uint8Array }

/**
 * rpc_id written over a corrupted record: 0 is in no app's namespace ranges in either era (ingest starts at 301,
 * agent_internal at 331: docs/wire-format.md (a) 1). Not 0xFFFF: OpenTelemetry-lineage renderc adds `pulse` = 65535.
 */
export const CORRUPT_RPC_ID = 0;

/**
 * Applies the sim's fault switches to one stream ('intake' or 'bpf') of encoded records, counting occurrences per
 * message name (1-based, whole run). Every applied fault is reported through `record`.
 */
export class FaultStream {
  private counts = new Map<string, number>();
  private held: Rec | undefined;
  constructor(private readonly stream: 'intake' | 'bpf', private readonly faults: SimFaults, private readonly log: FaultLog) {}

  private match(kind: Kind, name: string, nth: number): boolean {
    const list: MessageSelector[] | undefined = this.faults[kind];
    return !!list?.some((s) => s.name === name && (s.stream ?? 'intake') === this.stream && (!s.nth || s.nth.includes(nth)));
  }

  /** Records to really write for one input record (0, 1 or 2 of them, possibly an earlier held one). */
  apply(r: Rec): Rec[] {
    const nth = (this.counts.get(r.name) ?? 0) + 1;
    this.counts.set(r.name, nth);
    const log = (fault: 'drop' | 'duplicate' | 'reorder' | 'corrupt') => this.log.add(fault, r.name, nth, this.stream, r.ts);
    const out: Rec[] = [];
    let cur: Rec | undefined = r;
    if (this.match('drop', r.name, nth)) { log('drop'); cur = undefined; }
    else if (this.match('corrupt', r.name, nth)) {
      log('corrupt');
      const b = r.bytes.slice();
      b[8] = CORRUPT_RPC_ID & 0xff; b[9] = CORRUPT_RPC_ID >> 8;
      cur = { ...r, bytes: b };
    }
    if (cur && this.match('reorder', r.name, nth) && !this.held) { log('reorder'); this.held = cur; return []; }
    if (cur) out.push(cur);
    if (cur && this.match('duplicate', r.name, nth)) { log('duplicate'); out.push(cur); }
    if (this.held && cur) { out.push(this.held); this.held = undefined; }
    return out;
  }

  /** A held (reordered) record still waiting when the stream ends. */
  flushHeld(): Rec[] { const h = this.held; this.held = undefined; return h ? [h] : []; }
}
