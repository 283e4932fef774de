import type { SimFaultRecord } from '../manifest.js';

/**
 * Where every applied fault is written down, once: kept in `stats.faults` and logged as one `{"simFault":{…}}` line
 * (the stream faults, loseBpf, skipHeartbeat and wrongToken all go through here).
 */
export class FaultLog {
  constructor(private readonly list: SimFaultRecord[], private readonly sink: (line: string) => void, private readonly session: () => number) {}
  add(fault: SimFaultRecord['fault'], name: string, nth: number, stream: 'intake' | 'bpf', ts: bigint): void {
    const r: SimFaultRecord = { fault, name, nth, stream, timestampNs: String(ts), session: this.session() };
    this.list.push(r);
    this.sink(JSON.stringify({ simFault: r }));
  }
}
