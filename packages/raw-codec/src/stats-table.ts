import type { StatsReport } from './codec/stats.js';

const NS_2000 = 946_684_800_000_000_000n, NS_2100 = 4_102_444_800_000_000_000n;

/** A nanosecond timestamp for a person: UTC date and time (to the ns) when it reads as wall-clock time (years
 * 2000-2099), else a duration from the clock's zero (a monotonic clock: time since boot). */
export function instant(ns: string): string {
  const t = BigInt(ns);
  if (t < NS_2000 || t >= NS_2100) return `${duration(t)} after clock zero`;
  const iso = new Date(Number(t / 1_000_000n)).toISOString(); // …T…:SS.mmmZ
  return `${iso.slice(0, -1)}${String(t % 1_000_000n).padStart(6, '0')}Z`;
}

/** Nanoseconds in the largest unit that keeps it ≥ 1: `850 ns`, `12.5 µs`, `1.234 ms`, `2.000 s`, `3 min 4.500 s`, `5 h 6 min 7 s`. */
export function duration(ns: bigint): string {
  const neg = ns < 0n ? '-' : '';
  const n = ns < 0n ? -ns : ns;
  const f = Number(n);
  let s: string;
  if (n < 1_000n) s = `${n} ns`;
  else if (n < 1_000_000n) s = `${(f / 1e3).toFixed(3)} µs`;
  else if (n < 1_000_000_000n) s = `${(f / 1e6).toFixed(3)} ms`;
  else if (n < 60_000_000_000n) s = `${(f / 1e9).toFixed(3)} s`;
  else if (n < 3_600_000_000_000n) s = `${n / 60_000_000_000n} min ${((f % 6e10) / 1e9).toFixed(3)} s`;
  else s = `${n / 3_600_000_000_000n} h ${(n / 60_000_000_000n) % 60n} min ${(n / 1_000_000_000n) % 60n} s`;
  return neg + s;
}

/** The stats report as an aligned text table (what `raw-codec stats` prints on a terminal). */
export function renderStatsTable(r: StatsReport): string {
  const lines: string[] = [];
  lines.push(`kind ${r.kind ?? '-'}, schema ${r.schema ?? '-'} (${r.schemaConfidence ?? '-'})`);
  lines.push(`${r.records} records, ${r.recordBytes} record bytes, ${r.inputBytes} input bytes, ${r.segments} segment(s), ${r.frames} LZ4 frame(s)${r.cuts ? `, ${r.cuts} connection(s) cut inside a frame` : ''}`);
  if (r.minTimestamp !== null) lines.push(`time ${instant(r.minTimestamp)} .. ${instant(r.maxTimestamp ?? r.minTimestamp)} (span ${duration(BigInt(r.maxTimestamp ?? r.minTimestamp) - BigInt(r.minTimestamp))})`);
  const rows = [['message', 'rpc', 'count', 'bytes'], ...r.messages.map((m) => [m.name, String(m.rpc_id), String(m.count), String(m.bytes)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push(row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  if (r.error) lines.push(`error: ${r.error}`);
  return `${lines.join('\n')}\n`;
}
