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

/** A synthetic run (default 12 simulated seconds) written to a fresh temp dir, its heartbeats timed as the agent's. */
export function synthRun(o: SynthOptions & { edit?: Edit; editRecordOnly?: Edit; wireDir?: boolean } = {}): SynthFiles {
  return writeSynthRun(tmp(), { durationS: 12, ...o, edit: o.edit ? all(agentHeartbeats(), o.edit) : agentHeartbeats() });
}

/**
 * synth.ts sends a heartbeat while the probes load, which the agent cannot: the hold-off callback blocks the loop,
 * heartbeat 1 runs right after collector_health and, the load having taken over 2 s, heartbeat 2 at once
 * (kernel_collector.cc@3598385a:271-322, scheduling/interval_scheduler.cc:74-82). Re-timed here, as the agent does it.
 */
function agentHeartbeats(): Edit {
  const phase = new Map<number, 'load' | 'health' | 'steady'>();
  return (r, w) => {
    if (w.stream !== 'intake') return [r];
    if (r.name === 'collector_health') phase.set(w.session, 'health');
    if (r.name !== 'heartbeat') return [r];
    const p = phase.get(w.session) ?? 'load';
    if (p === 'load') return [];
    if (p === 'health') { phase.set(w.session, 'steady'); return [r, { ...r, ts: r.ts + 1_000_000n }]; }
    return [r];
  };
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
