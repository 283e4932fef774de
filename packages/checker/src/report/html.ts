import type { CheckReport, CheckResult } from '../types.js';
import { evidenceLine } from './text.js';
import { esc, heartbeatSvg, latencyNote, latencySvg, segmentsSvg, timelineSvg } from './plots.js';

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--skip:#6e7781}
*{box-sizing:border-box}body{margin:0;background:var(--soft);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header{display:flex;align-items:center;gap:16px;margin-bottom:18px}
h1{font-size:22px;margin:0;font-weight:600}h2{font-size:16px;margin:0 0 10px;font-weight:600}
.badge{font-weight:700;font-size:13px;letter-spacing:.04em;padding:4px 12px;border-radius:999px;color:#fff}
.badge.ok{background:var(--pass)}.badge.bad{background:var(--fail)}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:18px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .n{font-size:26px;font-weight:650}.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card.pass .n{color:var(--pass)}.card.fail .n{color:var(--fail)}.card.skip .n{color:var(--skip)}
section{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:18px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
tr:last-child td{border-bottom:0}
td.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;white-space:nowrap}
.pill{display:inline-block;white-space:nowrap;min-width:62px;text-align:center;font-size:12px;font-weight:650;padding:2px 8px;border-radius:999px}
.pill.pass{background:#dafbe1;color:var(--pass)}.pill.fail{background:#ffebe9;color:var(--fail)}.pill.not-run{background:#eaeef2;color:var(--skip)}
.reason{color:var(--fg);font-weight:550}.title{color:var(--muted);font-size:12.5px}
details{margin-top:6px}summary{cursor:pointer;color:#0969da;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;font-size:12px;overflow:auto;max-height:320px;margin:6px 0 0}
.figs{display:flex;flex-wrap:wrap;gap:4px 14px;margin-top:4px;font-size:12px;color:var(--muted)}.figs b{color:var(--fg);font-weight:600}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}.grid2 section{margin-bottom:0}
.inputs td{font-size:12.5px}.inputs td.path{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.ev{margin:4px 0 4px;padding-left:18px;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#8c1d18}.ev li{word-break:break-word}
.muted{color:var(--muted)}.note{color:var(--muted);font-size:12px;margin:6px 0 0}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .lane{font-size:13px;font-weight:650;fill:#1f2328}svg .row{font-size:11px;fill:#1f2328;font-family:ui-monospace,Menlo,Consolas,monospace}
svg .num{font-size:10.5px;fill:#57606a}svg .tick{font-size:10.5px;fill:#57606a}svg .muted{font-size:11px;fill:#656d76}
svg .axis{stroke:#8c959f;stroke-width:1}svg .grid{stroke:#eaeef2;stroke-width:1}
`;

function figuresLine(f: Record<string, unknown> | undefined): string {
  if (!f) return '';
  const items = Object.entries(f).filter(([, v]) => v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v) && v.length <= 8));
  if (!items.length) return '';
  return `<div class="figs">${items.map(([k, v]) => `<span>${esc(k)} <b>${esc(Array.isArray(v) ? v.join(', ') : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v)}</b></span>`).join('')}</div>`;
}

function checkRow(c: CheckResult): string {
  const ev = c.evidence?.length
    ? `<details><summary>evidence (${c.evidence.length}${(c.figures?.findings as number | undefined) && (c.figures!.findings as number) > c.evidence.length ? ` of ${c.figures!.findings}` : ''})</summary><pre>${esc(JSON.stringify(c.evidence, null, 2))}</pre></details>`
    : '';
  const nested = c.figures && Object.values(c.figures).some((v) => v && typeof v === 'object') ? `<details><summary>figures</summary><pre>${esc(JSON.stringify(c.figures, null, 2))}</pre></details>` : '';
  const top = c.status === 'fail' && c.evidence?.length ? `<ul class="ev">${c.evidence.slice(0, 3).map((e) => `<li>${esc(evidenceLine(e))}</li>`).join('')}</ul>` : '';
  return `<tr data-check="${esc(c.id)}" data-status="${c.status}"><td><span class="pill ${c.status}">${c.status === 'not-run' ? 'not run' : c.status}</span></td><td class="id">${esc(c.id)}</td><td>${c.reason ? `<div class="reason">${esc(c.reason)}</div>` : ''}${top}<div class="title">${esc(c.title)}</div>${figuresLine(c.figures)}${ev}${nested}</td></tr>`;
}

/** One self-contained page: inline CSS and inline SVG, no scripts, no network. */
export function renderHtml(r: CheckReport, opts: { title?: string } = {}): string {
  const title = opts.title ?? 'Flowmill checker report';
  const s = r.summary;
  const f = r.figures;
  const t0ms = f.timeline ? Date.parse(f.timeline.t0) : Math.min(...(f.heartbeatGaps ?? []).flatMap((x) => x.points.map((p) => p[0])), Infinity);
  const plots: string[] = [];
  if (f.timeline) plots.push(`<section id="timeline"><h2>Message rates over time</h2>${timelineSvg(f.timeline)}</section>`);
  const small: string[] = [];
  if (f.latency && f.latency.samples) small.push(`<section id="latency"><h2>BPF → intake latency</h2>${latencySvg(f.latency)}<p class="note">${f.latency.samples.toLocaleString('en-US')} matched samples · ${latencyNote(f.latency)}</p></section>`);
  if (f.heartbeatGaps?.some((x) => x.points.length)) small.push(`<section id="heartbeats"><h2>Heartbeat gaps</h2>${heartbeatSvg(f.heartbeatGaps, f.heartbeatBand ?? { minMs: 1800, maxMs: 2500 }, Number.isFinite(t0ms) ? t0ms : 0)}</section>`);
  if (f.segments?.length) small.push(`<section id="segments"><h2>Records per session</h2>${segmentsSvg(f.segments)}<p class="note">${f.segments.length === 1 ? 'one session (no reconnect)' : `${f.segments.length} sessions: the agent reconnected ${f.segments.length - 1} time(s)`}</p></section>`);
  if (small.length) plots.push(`<div class="grid2">${small.join('')}</div>`);
  const inputs = r.inputs.map((i) => `<tr><td>${esc(i.kind)}</td><td class="path">${esc(i.path)}</td><td>${i.bytes !== undefined ? `${i.bytes.toLocaleString('en-US')} B` : ''}</td><td>${i.records !== undefined ? `${i.records.toLocaleString('en-US')} records` : ''}${i.segments !== undefined ? ` · ${i.segments} session(s)` : ''}${i.schema ? ` · schema ${esc(i.schema)}${i.schemaConfidence === 'low' ? ' (guessed)' : ''}` : ''}</td><td>${i.error ? `<span class="pill fail">error</span> ${esc(i.error)}` : ''}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>${esc(title)}</h1><span class="badge ${r.ok ? 'ok' : 'bad'}" id="verdict">${r.ok ? 'PASS' : 'FAIL'}</span><span class="muted">preset ${esc(r.preset)} · ${s.total} checks in ${(s.durationMs / 1000).toFixed(1)} s</span></header>
<div class="cards"><div class="card pass"><div class="n">${s.pass}</div><div class="l">passed</div></div><div class="card fail"><div class="n">${s.fail}</div><div class="l">failed</div></div><div class="card skip"><div class="n">${s.notRun}</div><div class="l">not run</div></div><div class="card"><div class="n">${r.inputs.length}</div><div class="l">inputs</div></div></div>
<section id="checks"><h2>Checks</h2><table><thead><tr><th>status</th><th>check</th><th>result</th></tr></thead><tbody>${r.checks.map(checkRow).join('')}</tbody></table>
${s.notRun ? '<p class="note">“not run” is not a pass: the check lacked an input or was not selected; the reason says which.</p>' : ''}</section>
${plots.join('\n')}
<section id="inputs"><h2>Inputs</h2><table class="inputs"><tbody>${inputs || '<tr><td class="muted">none</td></tr>'}</tbody></table></section>
</main></body></html>
`;
}
