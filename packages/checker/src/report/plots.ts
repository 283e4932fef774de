import type { ReportFigures } from '../types.js';

/** Inline SVG plots for the HTML report: generated here, no library, no network. */

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2)).replace(/\.0+$/, '');

/** Seconds label for an axis tick. */
function secLabel(s: number): string {
  if (s >= 120) return `${fmt(s / 60)} min`;
  return `${fmt(s)} s`;
}

/** Nice tick step for a span. */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Lane colours: BPF warm, intake cool. The first is the empty-cell colour. */
const LANE_COLOURS: Record<string, [number, number, number]> = { bpf: [196, 88, 0], intake: [9, 105, 218] };
const LANE_TITLES: Record<string, string> = { bpf: 'BPF dump', intake: 'Intake' };

function cellColour(lane: string, f: number): string {
  const [r, g, b] = LANE_COLOURS[lane] ?? [80, 80, 80];
  const base = [246, 248, 250];
  const mix = (a: number, z: number) => Math.round(a + (z - a) * (0.15 + 0.85 * f));
  return `rgb(${mix(base[0], r)},${mix(base[1], g)},${mix(base[2], b)})`;
}

/** Message rates per type over time: one heatmap lane per stream, rows = types, columns = time bins. */
export function timelineSvg(t: NonNullable<ReportFigures['timeline']>): string {
  const W = 1120, labelW = 210, totalW = 70, plotW = W - labelW - totalW, rowH = 15, laneGap = 34, top = 8;
  const lanes = Object.keys(t.lanes).sort((a, b) => (a === 'bpf' ? -1 : b === 'bpf' ? 1 : a.localeCompare(b)));
  const cellW = plotW / t.bins;
  const parts: string[] = [];
  let y = top;
  for (const lane of lanes) {
    const rows = Object.entries(t.lanes[lane]).map(([name, arr]) => ({ name, arr, total: arr.reduce((a, b) => a + b, 0) }));
    rows.sort((a, b) => (a.name === 'other' ? 1 : b.name === 'other' ? -1 : b.total - a.total));
    const max = Math.max(1, ...rows.flatMap((r) => r.arr));
    const laneTotal = rows.reduce((a, r) => a + r.total, 0);
    parts.push(`<text x="0" y="${y + 12}" class="lane">${esc(LANE_TITLES[lane] ?? lane)}</text>`);
    parts.push(`<text x="${W}" y="${y + 12}" class="muted" text-anchor="end">${laneTotal.toLocaleString('en-US')} records · peak ${max.toLocaleString('en-US')} per ${secLabel(t.binMs / 1000)}</text>`);
    y += 20;
    for (const r of rows) {
      parts.push(`<text x="${labelW - 8}" y="${y + rowH - 4}" class="row" text-anchor="end">${esc(r.name)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${plotW}" height="${rowH - 2}" fill="#f6f8fa"/>`);
      r.arr.forEach((c, i) => {
        if (!c) return;
        const f = Math.log1p(c) / Math.log1p(max);
        const t0 = (i * t.binMs) / 1000;
        parts.push(`<rect x="${(labelW + i * cellW).toFixed(1)}" y="${y}" width="${Math.max(1, cellW - 0.5).toFixed(1)}" height="${rowH - 2}" fill="${cellColour(lane, f)}"><title>${esc(r.name)}: ${c} in ${secLabel(t0)} – ${secLabel(t0 + t.binMs / 1000)}</title></rect>`);
      });
      parts.push(`<text x="${W}" y="${y + rowH - 4}" class="num" text-anchor="end">${r.total.toLocaleString('en-US')}</text>`);
      y += rowH;
    }
    y += laneGap - 20;
  }
  // time axis
  const span = (t.bins * t.binMs) / 1000;
  const step = niceStep(span, 8);
  parts.push(`<line x1="${labelW}" x2="${labelW + plotW}" y1="${y}" y2="${y}" class="axis"/>`);
  for (let s = 0; s <= span + 1e-9; s += step) {
    const x = labelW + (s / span) * plotW;
    parts.push(`<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}" class="axis"/><text x="${x}" y="${y + 16}" class="tick" text-anchor="middle">${secLabel(s)}</text>`);
  }
  y += 24;
  parts.push(`<text x="${labelW}" y="${y + 6}" class="muted">time since ${esc(t.t0)} · one column = ${secLabel(t.binMs / 1000)} · darker = more records (log scale)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${y + 12}" width="100%" role="img" aria-label="message rates per type over time">${parts.join('')}</svg>`;
}

/** Bars with value labels; `labels` under each bar. */
function barsSvg(values: number[], labels: string[], opts: { colour: string; yLabel: string; highlight?: (i: number) => boolean; w?: number; h?: number }): string {
  const W = opts.w ?? 540, H = opts.h ?? 240, left = 48, bottom = 42, top = 16, right = 8;
  const pw = W - left - right, ph = H - top - bottom;
  const max = Math.max(1, ...values);
  const step = niceStep(max, 4);
  const ymax = Math.ceil(max / step) * step;
  const bw = pw / values.length;
  const p: string[] = [];
  for (let v = 0; v <= ymax + 1e-9; v += step) {
    const y = top + ph - (v / ymax) * ph;
    p.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" class="grid"/><text x="${left - 6}" y="${y + 4}" class="tick" text-anchor="end">${fmt(v)}</text>`);
  }
  values.forEach((v, i) => {
    const h = (v / ymax) * ph;
    const x = left + i * bw + bw * 0.12;
    const fill = opts.highlight?.(i) ? '#cf222e' : opts.colour;
    p.push(`<rect x="${x.toFixed(1)}" y="${(top + ph - h).toFixed(1)}" width="${(bw * 0.76).toFixed(1)}" height="${h.toFixed(1)}" rx="2" fill="${fill}"><title>${esc(labels[i])}: ${v}</title></rect>`);
    if (v) p.push(`<text x="${(x + bw * 0.38).toFixed(1)}" y="${(top + ph - h - 4).toFixed(1)}" class="num" text-anchor="middle">${v}</text>`);
    p.push(`<text x="${(x + bw * 0.38).toFixed(1)}" y="${top + ph + 14}" class="tick" text-anchor="middle">${esc(labels[i])}</text>`);
  });
  p.push(`<line x1="${left}" x2="${W - right}" y1="${top + ph}" y2="${top + ph}" class="axis"/>`);
  p.push(`<text x="${left + pw / 2}" y="${H - 6}" class="muted" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img">${p.join('')}</svg>`;
}

/** Which bound the latency histogram shows, and the bracket: the agent's latency lies between the two bounds. */
export function latencyNote(l: NonNullable<ReportFigures['latency']>): string {
  const f = (v?: number) => (v === undefined ? '?' : v.toFixed(1));
  const lower = l.lowerP99Ms !== undefined ? `p50 ≥ ${f(l.lowerP50Ms)} ms, p99 ≥ ${f(l.lowerP99Ms)} ms (to the latest timestamp of its own LZ4 frame: the histogram)` : '';
  const upper = `p99 ≤ ${f(l.upperP99Ms ?? (l.bound ? undefined : l.p99Ms))} ms (to the next agent-stamped record${lower ? '' : ': the histogram; no wire capture, no lower bound'})`;
  return esc(lower ? `${lower} · ${upper}; the agent's latency lies between them` : upper);
}

/** BPF event -> intake write latency histogram. */
export function latencySvg(l: NonNullable<ReportFigures['latency']>): string {
  const labels = l.boundsMs.map((b) => `≤${fmt(b)}`).concat(`>${fmt(l.boundsMs[l.boundsMs.length - 1])}`);
  return barsSvg(l.counts, labels, { colour: '#8250df', yLabel: 'ms from the BPF event to the next userspace-stamped intake record' });
}

/** Heartbeat gaps over time with the tolerance band. */
export function heartbeatSvg(series: NonNullable<ReportFigures['heartbeatGaps']>, band: { minMs: number; maxMs: number }, t0ms: number): string {
  const W = 540, H = 240, left = 52, bottom = 42, top = 16, right = 10;
  const pw = W - left - right, ph = H - top - bottom;
  const pts = series.flatMap((s) => s.points.map(([t, g, ex]) => ({ s: s.segment, x: (t - t0ms) / 1000, g, ex: ex === 1 })));
  if (!pts.length) return '<p class="muted">no heartbeat gaps</p>';
  const xmax = Math.max(1, ...pts.map((p) => p.x));
  const gmax = Math.max(...pts.map((p) => p.g));
  const ycap = Math.max(band.maxMs * 1.4, Math.min(gmax * 1.08, band.maxMs * 3));
  const X = (x: number) => left + (x / xmax) * pw;
  const Y = (g: number) => top + ph - (Math.min(g, ycap) / ycap) * ph;
  const p: string[] = [];
  const ys = niceStep(ycap, 4);
  for (let v = 0; v <= ycap + 1e-9; v += ys) p.push(`<line x1="${left}" x2="${W - right}" y1="${Y(v)}" y2="${Y(v)}" class="grid"/><text x="${left - 6}" y="${Y(v) + 4}" class="tick" text-anchor="end">${fmt(v / 1000)} s</text>`);
  p.push(`<rect x="${left}" y="${Y(band.maxMs)}" width="${pw}" height="${Y(band.minMs) - Y(band.maxMs)}" fill="#1a7f37" opacity="0.12"><title>tolerance ${band.minMs}–${band.maxMs} ms</title></rect>`);
  const xs = niceStep(xmax, 6);
  for (let v = 0; v <= xmax + 1e-9; v += xs) p.push(`<text x="${X(v)}" y="${top + ph + 14}" class="tick" text-anchor="middle">${secLabel(v)}</text>`);
  for (const q of pts) {
    const out = q.g < band.minMs || q.g > band.maxMs;
    const colour = q.ex ? '#bf8700' : out ? '#cf222e' : '#1f6feb';
    const note = q.ex ? ' (the short gap after the probe load: allowed)' : out ? ' (out of tolerance)' : '';
    const capped = q.g > ycap;
    p.push(capped
      ? `<path d="M${X(q.x) - 4},${Y(q.g) + 6} L${X(q.x) + 4},${Y(q.g) + 6} L${X(q.x)},${Y(q.g)} Z" fill="${colour}"><title>session ${q.s}: gap ${fmt(q.g)} ms, off the scale${note}</title></path>`
      : `<circle cx="${X(q.x).toFixed(1)}" cy="${Y(q.g).toFixed(1)}" r="${out ? 3.5 : 2.5}" fill="${colour}"><title>session ${q.s}: gap ${fmt(q.g)} ms${note}</title></circle>`);
  }
  p.push(`<line x1="${left}" x2="${W - right}" y1="${top + ph}" y2="${top + ph}" class="axis"/>`);
  p.push(`<text x="${left + pw / 2}" y="${H - 6}" class="muted" text-anchor="middle">band = tolerance · amber = short gap after the probe load · red = out of tolerance · ▲ off scale</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img">${p.join('')}</svg>`;
}

/** Records per session: wire and record-file bars side by side. */
export function segmentsSvg(segs: NonNullable<ReportFigures['segments']>): string {
  const W = 540, H = 240, left = 56, bottom = 42, top = 16, right = 8;
  const pw = W - left - right, ph = H - top - bottom;
  const keys = (['wire', 'record'] as const).filter((k) => segs.some((s) => s[k] !== undefined));
  const series = keys.length ? keys : (['intake'] as const);
  const max = Math.max(1, ...segs.flatMap((s) => series.map((k) => (s as unknown as Record<string, number | undefined>)[k] ?? 0)));
  const step = niceStep(max, 4);
  const ymax = Math.ceil(max / step) * step;
  const gw = pw / segs.length;
  const bw = (gw * 0.7) / series.length;
  const colours: Record<string, string> = { wire: '#0969da', record: '#bf8700', intake: '#0969da' };
  const p: string[] = [];
  for (let v = 0; v <= ymax + 1e-9; v += step) {
    const y = top + ph - (v / ymax) * ph;
    p.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" class="grid"/><text x="${left - 6}" y="${y + 4}" class="tick" text-anchor="end">${v.toLocaleString('en-US')}</text>`);
  }
  segs.forEach((s, i) => {
    series.forEach((k, j) => {
      const v = (s as unknown as Record<string, number | undefined>)[k] ?? 0;
      const h = (v / ymax) * ph;
      const x = left + i * gw + gw * 0.15 + j * bw;
      p.push(`<rect x="${x.toFixed(1)}" y="${(top + ph - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" rx="2" fill="${colours[k]}"><title>session ${s.segment} ${k}: ${v} records</title></rect>`);
      p.push(`<text x="${(x + bw / 2 - 1).toFixed(1)}" y="${(top + ph - h - 4).toFixed(1)}" class="num" text-anchor="middle">${v.toLocaleString('en-US')}</text>`);
    });
    p.push(`<text x="${left + i * gw + gw / 2}" y="${top + ph + 14}" class="tick" text-anchor="middle">session ${s.segment}</text>`);
  });
  p.push(`<line x1="${left}" x2="${W - right}" y1="${top + ph}" y2="${top + ph}" class="axis"/>`);
  const legend = series.map((k, j) => `<rect x="${left + j * 110}" y="${H - 16}" width="10" height="10" rx="2" fill="${colours[k]}"/><text x="${left + j * 110 + 14}" y="${H - 7}" class="muted">${k === 'record' ? 'record file' : k === 'wire' ? 'wire capture' : 'intake'}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img">${p.join('')}${legend}</svg>`;
}
