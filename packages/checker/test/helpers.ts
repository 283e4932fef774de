import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateRun, type SimEdit, type SimulateRunOptions } from '@flowmill/agent-runner';
import { runChecks, type CheckReport, type CheckResult } from '../src/index.js';

const dirs: string[] = [];
export function tmp(prefix = 'checker-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A run's files as the checker takes them. */
export interface RunFiles { dir: string; wire: string; record: string; bpf: string; manifest: string; authzLog: string }

/**
 * A deterministic run of agent-runner's simulated agent (fake clock, seeded) in a fresh temp dir: 12 s of telemetry
 * with the default workload; the wire capture as tls-sink --out-dir writes it unless `wire: 'file'`.
 */
export async function simRun(o: Omit<SimulateRunOptions, 'dir'> = {}): Promise<RunFiles> {
  const r = await simulateRun({ durationMs: 12_000, ...o, dir: join(tmp(), 'run') });
  return { dir: r.dir, wire: r.files.wire, record: r.files.record, bpf: r.files.bpf, manifest: r.files.manifest, authzLog: r.files.authzLog ?? '' };
}

export async function checkAll(f: RunFiles, opts: Parameters<typeof runChecks>[1] = {}): Promise<CheckReport> {
  return runChecks({ wire: f.wire, record: f.record, bpf: f.bpf, manifest: f.manifest, authzLog: f.authzLog || undefined }, opts);
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

type Rec = Parameters<SimEdit>[0];
/** An edit that drops the nth (1-based) `name` record of `stream`. */
export const drop = (stream: 'bpf' | 'intake', name: string, nth = 1): SimEdit => (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [] : [r]);
/** An edit that writes the nth `name` record of `stream` twice. */
export const dup = (stream: 'bpf' | 'intake', name: string, nth = 1): SimEdit => (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [r, r] : [r]);
/** An edit that changes the nth `name` record of `stream`. */
export const change = (stream: 'bpf' | 'intake', name: string, nth: number, f: (r: Rec) => Rec): SimEdit =>
  (r, w) => (w.stream === stream && r.name === name && w.nth === nth ? [f(r)] : [r]);
/** Several edits in turn. */
export const all = (...edits: SimEdit[]): SimEdit => (r, w) => edits.reduce<Rec[]>((rs, e) => rs.flatMap((x) => e(x, w)), [r]);

export function evidenceText(c: CheckResult): string {
  return JSON.stringify(c.evidence ?? []);
}
