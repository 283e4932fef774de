import type { CheckReport, CheckResult } from '../types.js';

const LABEL: Record<CheckResult['status'], string> = { pass: 'pass   ', fail: 'FAIL   ', 'not-run': 'not run' };

/** One evidence item as one short line. */
export function evidenceLine(e: unknown): string {
  if (!e || typeof e !== 'object') return String(e);
  const o = e as Record<string, unknown>;
  const where = [o.stream ?? o.input ?? o.kind, o.segment !== undefined ? `session ${o.segment}` : undefined, o.offset !== undefined ? `@${o.offset}` : undefined, o.index !== undefined ? `#${o.index}` : undefined, o.time]
    .filter((x) => x !== undefined && x !== null).join(' ');
  const what = o.note ?? o.message ?? (o.name ? `${o.name}${o.need ? ` need ${o.need}, have ${o.have}` : ''}` : JSON.stringify(o));
  return where ? `${where}: ${what}` : String(what);
}

/**
 * The terminal report: one line per check (status, id, reason or title), up to `evidenceLines` evidence lines under
 * each failed check, then a summary line. Plain text; no colour.
 */
export function renderText(r: CheckReport, opts: { evidenceLines?: number } = {}): string {
  const n = opts.evidenceLines ?? 3;
  const w = Math.max(...r.checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${LABEL[c.status]}  ${c.id.padEnd(w)}  ${c.status === 'pass' ? c.title + (c.reason ? ` (${c.reason})` : '') : c.reason ?? c.title}`);
    if (c.status === 'fail') {
      for (const e of (c.evidence ?? []).slice(0, n)) lines.push(`${' '.repeat(w + 11)}- ${evidenceLine(e)}`);
      const more = (c.evidence?.length ?? 0) > n ? `${Number((c.figures as { findings?: number } | undefined)?.findings ?? c.evidence!.length) - n} more in --json / --html` : '';
      if (more) lines.push(`${' '.repeat(w + 11)}  … ${more}`);
    }
  }
  const s = r.summary;
  const verdict = s.fail ? 'FAIL' : 'ok';
  const notRun = s.notRun ? `, ${s.notRun} not run (not a failure; see the reasons above)` : '';
  lines.push(`${verdict}: ${s.pass} passed, ${s.fail} failed${notRun}; ${s.total} checks in ${(s.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

/** The JSON report (bigints as decimal strings). */
export function renderJson(r: CheckReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}
