import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { WorkloadEvent, WorkloadManifest } from '../manifest.js';

/** The events a complete manifest stands for (start, items in their kinds' order, end). */
export function eventsOfManifest(m: WorkloadManifest): WorkloadEvent[] {
  const { tcp, udp, dns, processes, http, ended, endedNs, ...head } = m;
  const ev: WorkloadEvent[] = [{ type: 'start', ...head }];
  for (const item of tcp) ev.push({ type: 'tcp', item });
  for (const item of udp) ev.push({ type: 'udp', item });
  for (const item of dns) ev.push({ type: 'dns', item });
  for (const item of processes) ev.push({ type: 'process', item });
  for (const item of http) ev.push({ type: 'http', item });
  ev.push({ type: 'end', ended, endedNs });
  return ev;
}

/**
 * Follows the workload's events file (NDJSON, `manifest.events.jsonl`) as it grows, or reads a finished
 * `manifest.json` once it is complete. A line that is not JSON is reported through `onError` with its line number
 * and skipped; the tail goes on. Returns the stop function.
 */
export function tailEvents(path: string, onEvent: (e: WorkloadEvent) => void, onError: (msg: string) => void, everyMs = 50): () => void {
  const isJson = /\.json$/i.test(path);
  let off = 0, rest = '', line = 0, done = false;
  const tick = () => {
    if (done || !existsSync(path)) return;
    try {
      if (isJson) {
        let m: WorkloadManifest;
        try { m = JSON.parse(readFileSync(path, 'utf8')) as WorkloadManifest; } catch { return; } // not complete yet
        done = true;
        for (const e of eventsOfManifest(m)) onEvent(e);
        return;
      }
      const size = statSync(path).size;
      if (size <= off) return;
      const fd = openSync(path, 'r');
      const b = Buffer.alloc(size - off);
      try { readSync(fd, b, 0, b.length, off); } finally { closeSync(fd); }
      off = size;
      const lines = (rest + b.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        line++;
        if (!l.trim()) continue;
        let e: WorkloadEvent;
        try { e = JSON.parse(l) as WorkloadEvent; } catch (err) { onError(`${path}:${line}: not a JSON event: ${(err as Error).message}`); continue; }
        onEvent(e);
      }
    } catch (err) {
      onError(`${path}: cannot read the workload events: ${(err as Error).message}`);
    }
  };
  const t = setInterval(tick, everyMs);
  return () => clearInterval(t);
}
