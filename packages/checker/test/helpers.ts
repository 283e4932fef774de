import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecks, writeSynthRun, type CheckReport, type CheckResult, type SynthFiles, type SynthOptions, type Edit } from '../src/index.js';

const dirs: string[] = [];
export function tmp(prefix = 'checker-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A synthetic run (default 12 simulated seconds) written to a fresh temp dir. */
export function synthRun(o: SynthOptions & { edit?: Edit; editRecordOnly?: Edit; wireDir?: boolean } = {}): SynthFiles {
  return writeSynthRun(tmp(), { durationS: 12, ...o });
}

export async function checkAll(f: SynthFiles, opts: Parameters<typeof runChecks>[1] = {}): Promise<CheckReport> {
  return runChecks({ wire: f.wire, record: f.record, bpf: f.bpf, manifest: f.manifest, authzLog: f.authzLog }, opts);
}

export function check(r: CheckReport, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

/** Every check's status, for a readable assertion message. */
export function statuses(r: CheckReport): Record<string, string> {
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
}

/** An edit that drops the nth (1-based) `name` record of `stream`. */
export const drop = (stream: 'bpf' | 'intake', name: string, nth = 1): Edit => (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [] : [r]);
/** An edit that writes the nth `name` record of `stream` twice. */
export const dup = (stream: 'bpf' | 'intake', name: string, nth = 1): Edit => (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [r, r] : [r]);
/** An edit that changes the nth `name` record of `stream`. */
export const change = (stream: 'bpf' | 'intake', name: string, nth: number, f: (r: { name: string; ts: bigint; data: Record<string, unknown> }) => { name: string; ts: bigint; data: Record<string, unknown> }): Edit =>
  (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [f(r)] : [r]);
/** Several edits in turn. */
export const all = (...edits: Edit[]): Edit => (r, w) => edits.reduce<typeof r[]>((rs, e) => rs.flatMap((x) => e(x, w)), [r]);

export function evidenceText(c: CheckResult): string {
  return JSON.stringify(c.evidence ?? []);
}
