import type { StatsReport } from './codec/stats.js';

/** The stats report as an aligned text table (what `raw-codec stats` prints on a terminal). */
export function renderStatsTable(r: StatsReport): string {
  const lines: string[] = [];
  lines.push(`kind ${r.kind ?? '-'}, schema ${r.schema ?? '-'} (${r.schemaConfidence ?? '-'})`);
  lines.push(`${r.records} records, ${r.recordBytes} record bytes, ${r.inputBytes} input bytes, ${r.segments} segment(s), ${r.frames} LZ4 frame(s)${r.cuts ? `, ${r.cuts} connection(s) cut inside a frame` : ''}`);
  if (r.minTimestamp !== null) lines.push(`time ${r.minTimestamp} .. ${r.maxTimestamp} (${r.spanSeconds?.toFixed(3)} s)`);
  const rows = [['message', 'rpc', 'count', 'bytes'], ...r.messages.map((m) => [m.name, String(m.rpc_id), String(m.count), String(m.bytes)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push(row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  if (r.error) lines.push(`error: ${r.error}`);
  return `${lines.join('\n')}\n`;
}
