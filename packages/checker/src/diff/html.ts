import { esc, heartbeatSvg, latencyNote, latencySvg, segmentsSvg } from '../report/plots.js';
import type { CheckReport } from '../types.js';
import { thresholdLine } from './text.js';
import type { MessageRow, RunDiff, RunProfile } from './types.js';

// The checker report's look (report/html.ts), with two run colours: A blue, B orange.
const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--skip:#6e7781;--a:#0969da;--b:#bc4c00}
*{box-sizing:border-box}body{margin:0;background:var(--soft);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header{display:flex;align-items:center;gap:16px;margin-bottom:18px;flex-wrap:wrap}
h1{font-size:22px;margin:0;font-weight:600}h2{font-size:16px;margin:0 0 10px;font-weight:600}h3{font-size:13px;margin:0 0 6px;font-weight:600}
.badge{font-weight:700;font-size:13px;letter-spacing:.04em;padding:4px 12px;border-radius:999px;color:#fff}
.badge.ok{background:var(--pass)}.badge.bad{background:var(--fail)}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:18px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .n{font-size:26px;font-weight:650}.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card.fail .n{color:var(--fail)}
section{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:18px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
tr:last-child td{border-bottom:0}td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.changed td{background:#fff5f5}
.pill{display:inline-block;white-space:nowrap;min-width:62px;text-align:center;font-size:12px;font-weight:650;padding:2px 8px;border-radius:999px}
.pill.pass{background:#dafbe1;color:var(--pass)}.pill.fail{background:#ffebe9;color:var(--fail)}.pill.not-run,.pill.absent{background:#eaeef2;color:var(--skip)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}.grid2>div{min-width:0}
details{margin-top:6px}summary{cursor:pointer;color:#0969da;font-size:12.5px}
.muted{color:var(--muted)}.note{color:var(--muted);font-size:12px;margin:6px 0 0}.a{color:var(--a);font-weight:650}.b{color:var(--b);font-weight:650}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .row{font-size:11px;fill:#1f2328;font-family:ui-monospace,Menlo,Consolas,monospace}svg .row.changed{fill:#cf222e;font-weight:700}
svg .num{font-size:10.5px;fill:#57606a}svg .tick{font-size:10.5px;fill:#57606a}svg .muted{font-size:11px;fill:#656d76}
svg .axis{stroke:#8c959f;stroke-width:1}svg .grid{stroke:#eaeef2;stroke-width:1}
`;

/** Per-second rate of every message, A and B as paired bars on a log scale; changed messages in red. */
export function ratesSvg(rows: MessageRow[]): string {
  if (!rows.length) return '<p class="muted">no messages</p>';
  const W = 1120, left = 300, right = 70, rowH = 18, top = 24, bottom = 30;
  const H = top + rows.length * rowH + bottom, pw = W - left - right;
  const rates = rows.flatMap((r) => r.perSecond).filter((x) => x > 0);
  const lo = Math.floor(Math.log10(Math.min(...rates, 1))), hi = Math.ceil(Math.log10(Math.max(...rates, 1)));
  const X = (v: number) => left + (v > 0 ? ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * pw : 0);
  const p: string[] = [];
  for (let e = lo; e <= hi; e++) p.push(`<line x1="${X(10 ** e)}" x2="${X(10 ** e)}" y1="${top - 4}" y2="${H - bottom}" class="grid"/><text x="${X(10 ** e)}" y="${top - 8}" class="tick" text-anchor="middle">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}/s</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    p.push(`<text x="${left - 8}" y="${y + 12}" class="row${r.changed ? ' changed' : ''}" text-anchor="end">${esc(`${r.stream} ${r.name}`)}</text>`);
    r.perSecond.forEach((v, j) => {
      const w = Math.max(v > 0 ? 1 : 0, X(v) - left);
      p.push(`<rect x="${left}" y="${y + 2 + j * 7}" width="${w.toFixed(1)}" height="6" fill="${j ? '#bc4c00' : '#0969da'}"><title>${j ? 'B' : 'A'}: ${[r.a, r.b][j]} (${v.toFixed(3)}/s)</title></rect>`);
    });
    p.push(`<text x="${W - right + 6}" y="${y + 12}" class="num">${r.ratio === null ? 'B only' : r.b === 0 ? 'A only' : `×${r.ratio.toFixed(2)}`}</text>`);
  });
  p.push(`<text x="${left + pw / 2}" y="${H - 8}" class="muted" text-anchor="middle">records per second of telemetry (log scale) · blue A · orange B · red name = changed past the threshold</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img">${p.join('')}</svg>`;
}

function pair(title: string, a: string, b: string): string {
  return `<section><h2>${esc(title)}</h2><div class="grid2"><div><h3 class="a">A</h3>${a}</div><div><h3 class="b">B</h3>${b}</div></div></section>`;
}

function latency(r?: CheckReport): string {
  const l = r?.figures?.latency;
  return l?.samples ? `${latencySvg(l)}<p class="note">${latencyNote(l)}</p>` : '<p class="muted">no latency figures</p>';
}

function heartbeats(r?: CheckReport): string {
  const g = r?.figures?.heartbeatGaps;
  if (!g?.some((x) => x.points.length)) return '<p class="muted">no heartbeat gaps</p>';
  const t0 = Math.min(...g.flatMap((x) => x.points.map((p) => p[0])));
  return heartbeatSvg(g, r!.figures.heartbeatBand ?? { minMs: 1800, maxMs: 2500 }, t0);
}

const pill = (s?: string) => `<span class="pill ${s ?? 'absent'}">${esc(s === 'not-run' ? 'not run' : s ?? 'absent')}</span>`;
const figs = (f?: Record<string, unknown>) => (f ? Object.entries(f).map(([k, v]) => `${esc(k)} <b>${esc(typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v)}</b>`).join(' · ') : '');
const who = (p: RunProfile) => `${esc(p.source)} · ${esc(p.era ?? '?')} · ${p.seconds.toFixed(1)} s${p.workload ? ` · ${p.workload.total} workload items` : ''}`;

/** One self-contained page: inline CSS and SVG, no scripts, no network (like the checker's report). */
export function renderRunDiffHtml(d: RunDiff, opts: { title?: string } = {}): string {
  const title = opts.title ?? 'Flowmill run comparison';
  const changedMsgs = d.messages.filter((m) => m.changed).length, changedChecks = d.checks.filter((c) => c.changed).length;
  const changes = d.changes.length
    ? `<table><thead><tr><th>area</th><th>what</th></tr></thead><tbody>${d.changes.map((c) => `<tr><td class="id">${esc(c.area)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">no change past the thresholds</p>';
  const msgTable = `<table><thead><tr><th>message</th><th>A</th><th>B</th><th>A /s</th><th>B /s</th><th>b/a</th><th>explained band</th></tr></thead><tbody>${d.messages.map((m) => `<tr${m.changed ? ' class="changed"' : ''}><td class="id">${esc(`${m.stream} ${m.name}`)}</td><td class="n">${m.a}</td><td class="n">${m.b}</td><td class="n">${m.perSecond[0].toFixed(2)}</td><td class="n">${m.perSecond[1].toFixed(2)}</td><td class="n">${m.ratio === null ? '-' : m.ratio.toFixed(2)}</td><td>${esc(m.note ?? `${m.band[0].toFixed(2)} – ${m.band[1].toFixed(2)}`)}</td></tr>`).join('')}</tbody></table>`;
  const keys = [...new Set([...d.a.fields, ...d.b.fields].map((f) => `${f.message}.${f.field}`))].sort();
  const val = (p: RunProfile, k: string) => { const f = p.fields.find((x) => `${x.message}.${x.field}` === k); return f ? esc(f.distinct.join(' | ') + (f.more ? ' | …' : '')) : '<span class="muted">-</span>'; };
  const fields = keys.map((k) => `<tr${val(d.a, k) !== val(d.b, k) ? ' class="changed"' : ''}><td class="id">${esc(k)}</td><td>${val(d.a, k)}</td><td>${val(d.b, k)}</td></tr>`).join('');
  const checks = d.checks.map((c) => `<tr${c.changed ? ' class="changed"' : ''}><td class="id">${esc(c.id)}</td><td>${pill(c.a)}<div class="note">${figs(c.figuresA)}</div></td><td>${pill(c.b)}<div class="note">${figs(c.figuresB)}</div></td></tr>`).join('');
  const segs = (p: RunProfile) => (p.report?.figures?.segments?.length ? segmentsSvg(p.report.figures.segments) : '<p class="muted">no sessions</p>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>${esc(title)}</h1><span class="badge ${d.changed ? 'bad' : 'ok'}" id="verdict">${d.changed ? 'CHANGED' : 'SAME'}</span><span class="muted">${esc(d.summary)}</span></header>
<p><span class="a">A</span> ${who(d.a)}<br><span class="b">B</span> ${who(d.b)}</p>
<div class="cards"><div class="card${d.changes.length ? ' fail' : ''}"><div class="n">${d.changes.length}</div><div class="l">changes</div></div><div class="card${changedMsgs ? ' fail' : ''}"><div class="n">${changedMsgs}/${d.messages.length}</div><div class="l">messages changed</div></div><div class="card${changedChecks ? ' fail' : ''}"><div class="n">${changedChecks}/${d.checks.length}</div><div class="l">verdicts changed</div></div><div class="card"><div class="n">${(d.b.seconds / (d.a.seconds || 1)).toFixed(2)}×</div><div class="l">run length B/A</div></div></div>
<section id="changes"><h2>Changes</h2>${changes}<p class="note">Thresholds: ${esc(thresholdLine(d.thresholds))}.</p></section>
<section id="rates"><h2>Message rates</h2>${ratesSvg(d.messages)}<details><summary>counts</summary>${msgTable}</details></section>
${pair('BPF → intake latency', latency(d.a.report), latency(d.b.report))}
${pair('Heartbeat gaps', heartbeats(d.a.report), heartbeats(d.b.report))}
${pair('Records per session', segs(d.a), segs(d.b))}
<section id="startup"><h2>Startup sequence</h2><table><tbody><tr><td class="a">A</td><td class="id">${esc(d.a.startup.slice(0, d.thresholds.startupLength).join(' → '))}</td></tr><tr><td class="b">B</td><td class="id">${esc(d.b.startup.slice(0, d.thresholds.startupLength).join(' → '))}</td></tr></tbody></table></section>
<section id="fields"><h2>Identity fields</h2><table><thead><tr><th>field</th><th>A</th><th>B</th></tr></thead><tbody>${fields || '<tr><td class="muted">none</td></tr>'}</tbody></table></section>
<section id="checks"><h2>Checks</h2><table><thead><tr><th>check</th><th>A</th><th>B</th></tr></thead><tbody>${checks || '<tr><td class="muted">no check reports</td></tr>'}</tbody></table></section>
</main></body></html>
`;
}
