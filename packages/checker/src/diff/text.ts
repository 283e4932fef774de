import { heartbeatFigures, upperP99 } from './compare.js';
import type { DiffThresholds, RunDiff, RunProfile } from './types.js';

/** The noise rule in one sentence (printed with every report, README "checker diff"). */
export function thresholdLine(t: DiffThresholds): string {
  return `a count is changed when b/a leaves the band between the run-length ratio and the workload-size ratio, widened by ${Math.round(t.relative * 100)}% and ${t.sigmas}σ of the Poisson log-ratio √(1/a+1/b); `
    + `a message in one run only when ≥ ${t.minExpected} were expected in the other; latency, heartbeat gaps and frame sizes past ±${Math.round(t.figureRelative * 100)}% (and ${t.figureAbsoluteMs} ms); `
    + `identity fields when their distinct values differ; the first ${t.startupLength} startup messages; every check verdict`;
}

const f1 = (x: number | undefined) => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2));

function side(label: string, p: RunProfile): string {
  const w = p.workload ? `, workload ${p.workload.total} items (${Object.entries(p.workload.items).map(([k, v]) => `${k} ${v}`).join(', ')})` : ', no manifest';
  const checks = p.report ? `, checks ${p.reportFrom}` : '';
  return `${label}: ${p.source} (${p.era ?? '?'}, ${p.seconds.toFixed(1)} s${w}${checks})${p.errors.length ? `; decode errors: ${p.errors.join('; ')}` : ''}`;
}

function table(rows: string[][], right: number[] = []): string[] {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => (right.includes(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd()}`);
}

/** The human report: both runs, the verdict, the changes, then every figure side by side. */
export function renderRunDiffText(d: RunDiff): string {
  const L: string[] = [side('A', d.a), side('B', d.b), `${d.changed ? 'CHANGED' : 'SAME'}: ${d.summary}`, `thresholds: ${thresholdLine(d.thresholds)}`];
  if (d.changes.length) L.push('', 'changes:', ...table(d.changes.map((c) => [c.area, c.detail])));
  L.push('', 'messages (count, per second, b/a and the band run length and workload explain):');
  L.push(...table([['', 'stream', 'message', 'A', 'B', 'A/s', 'B/s', 'b/a', 'band'], ...d.messages.map((m) => [
    m.changed ? '*' : '', m.stream, m.name, String(m.a), String(m.b), f1(m.perSecond[0]), f1(m.perSecond[1]),
    m.ratio === null ? '-' : m.ratio.toFixed(2), m.note ?? `${m.band[0].toFixed(2)}..${m.band[1].toFixed(2)}`,
  ])], [3, 4, 5, 6, 7]));
  L.push('', 'startup sequence:', `  A: ${d.a.startup.slice(0, d.thresholds.startupLength).join(' → ')}`, `  B: ${d.b.startup.slice(0, d.thresholds.startupLength).join(' → ')}`);
  const keys = [...new Set([...d.a.fields, ...d.b.fields].map((f) => `${f.message}.${f.field}`))].sort();
  const val = (p: RunProfile, k: string) => { const f = p.fields.find((x) => `${x.message}.${x.field}` === k); return f ? `${f.distinct.join(' | ')}${f.more ? ' | …' : ''}` : '-'; };
  if (keys.length) L.push('', 'identity fields (distinct values):', ...table([['field', 'A', 'B'], ...keys.map((k) => [k, val(d.a, k), val(d.b, k)])]));
  const la = d.a.report?.figures?.latency, lb = d.b.report?.figures?.latency, ha = heartbeatFigures(d.a.report), hb = heartbeatFigures(d.b.report);
  const fr = (p: RunProfile) => (p.frames?.count ? `${p.frames.count} frames, ${f1(p.frames.bytes / p.frames.count)} B (${f1(p.frames.plainBytes / p.frames.count)} B plain) each` : '-');
  L.push('', 'figures:', ...table([['', 'A', 'B'],
    ['BPF→intake latency p50 ms ≥ (own frame)', f1(la?.lowerP50Ms), f1(lb?.lowerP50Ms)], ['BPF→intake latency p99 ms ≥ (own frame)', f1(la?.lowerP99Ms), f1(lb?.lowerP99Ms)],
    ['BPF→intake latency p99 ms ≤ (next stamped)', f1(upperP99(la)), f1(upperP99(lb))],
    ['heartbeat gap median ms', f1(ha.median), f1(hb.median)], ['heartbeat gap max ms', f1(ha.max), f1(hb.max)],
    ['LZ4 frames', fr(d.a), fr(d.b)]]));
  if (d.checks.length) L.push('', 'checks:', ...table([['', 'check', 'A', 'B'], ...d.checks.map((c) => [c.changed ? '*' : '', c.id, c.a ?? '-', c.b ?? '-'])]));
  return `${L.join('\n')}\n`;
}

/** The machine report: the diff without the two embedded check reports (their verdicts are in `checks`). */
export function renderRunDiffJson(d: RunDiff): string {
  const strip = ({ report: _r, ...p }: RunProfile) => p;
  return `${JSON.stringify({ ...d, a: strip(d.a), b: strip(d.b) })}\n`;
}
