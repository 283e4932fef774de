import type { SchemaDiff } from './types.js';

/** `--fail-on`: which changes make `raw-codec schema diff` exit 1. */
export type FailOn = 'breaking' | 'any' | 'never';

export function diffFails(d: SchemaDiff, failOn: FailOn): boolean {
  return failOn === 'any' ? d.summary.changes > 0 : failOn === 'breaking' ? d.summary.breaking > 0 : false;
}

/** One line: `flowmill → ebpf_net: 42 changes, 30 breaking (recording 25, reducer 28, json 7): 3 message-added, …`. */
export function schemaDiffSummary(d: SchemaDiff): string {
  const s = d.summary;
  if (s.changes === 0) return `${d.old.name} → ${d.new.name}: no changes`;
  const kinds = Object.entries(s.byKind).map(([k, n]) => `${n} ${k}`).join(', ');
  return `${d.old.name} → ${d.new.name}: ${s.changes} change${s.changes === 1 ? '' : 's'}, ${s.breaking} breaking `
    + `(old recording ${s.breaks.recording}, old reducer ${s.breaks.reducer}, JSON ${s.breaks.json}): ${kinds}`;
}

/**
 * The summary line and an aligned table, one row per change. The `breaks` column: R an old recording decoded with
 * the new schema, A a new agent talking to an old reducer, J JSON consumers; `-` for none.
 */
export function renderSchemaDiffTable(d: SchemaDiff): string {
  const rows = [['app', 'change', 'breaks', 'detail'], ...d.changes.map((c) => [
    c.app, c.kind, `${c.breaks.recording ? 'R' : ''}${c.breaks.reducer ? 'A' : ''}${c.breaks.json ? 'J' : ''}` || '-', c.detail,
  ])];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = [schemaDiffSummary(d)];
  if (d.changes.length) {
    lines.push('');
    for (const r of rows) lines.push(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`);
    lines.push('', 'breaks: R an old recording decoded with the new schema, A a new agent talking to an old reducer, J JSON consumers');
  }
  return `${lines.join('\n')}\n`;
}
