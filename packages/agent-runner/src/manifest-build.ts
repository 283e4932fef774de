import type { WorkloadEvent, WorkloadManifest } from './manifest.js';

/**
 * Building a manifest: the workload's event log (manifest.events.jsonl, one WorkloadEvent a line) replayed into the
 * manifest it describes. The types are in manifest.ts; reading a manifest back into events is sim/events-tail.ts.
 */
/** Replays an NDJSON event log into a manifest (what the simulated agent does with a growing file). */
export function manifestFromEvents(events: WorkloadEvent[]): Partial<WorkloadManifest> {
  const m: Partial<WorkloadManifest> = { tcp: [], udp: [], dns: [], processes: [], http: [] };
  for (const e of events) {
    if (e.type === 'start') { const { type, ...h } = e; void type; Object.assign(m, h); }
    else if (e.type === 'end') { m.ended = e.ended; m.endedNs = e.endedNs; }
    else if (e.type === 'process') m.processes!.push(e.item);
    else if (e.type === 'spawn') continue;
    else (m[e.type] as unknown[]).push(e.item);
  }
  return m;
}
