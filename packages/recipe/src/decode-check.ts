import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckReportLike, RecipeDeps } from './deps.js';
import { fileLog } from './file-log.js';
import type { Flow } from './flow-control/flow.js';
import { runStep } from './flow-control/start.js';
import { INTAKE_CAPTURE, intakeCaptureName, PARTIAL, RUN_FILES, type RunFile } from '@flowmill/agent-runner/run-layout';
import { hashRunFiles, readJson, runDir, writeJsonAtomic } from './run-dir.js';
import type { Era } from './types.js';
import type { RunJson } from './run-json.js';

export interface DecodeCheckOptions {
  deps: Pick<RecipeDeps, 'decodeToNdjson' | 'runChecks' | 'renderHtml'>;
  /** A run directory with the contract's file names (a `recipe run` or a stopped `recipe up`). */
  dir: string;
  era: Era;
  /** Decode every recording even when one fails, and check anyway. */
  keepGoing?: boolean;
  /** Something already failed before (run with --keep-going): check even after a decode error. */
  keepGoingAfter?: boolean;
  checkPreset?: string;
  checkConfig?: string | object;
}

export interface DecodeCheckResult {
  records: Record<string, number>;
  report?: CheckReportLike;
  error?: unknown;
}

/**
 * The steps after a recording: decode the wire captures, the record file and the BPF dump to NDJSON (each written
 * as `<name>.partial` and renamed when whole), then the checker over the contract's files, its JSON and HTML reports
 * written the same way. Errors are returned, not thrown; a decode error skips the checker unless `keepGoing`.
 */
export async function decodeAndCheck(flow: Flow, o: DecodeCheckOptions): Promise<DecodeCheckResult> {
  const rd = runDir(o.dir);
  const schema = o.era === 'flowmill' ? 'flowmill' : 'ebpf_net';
  const wire = wireFiles(rd.dir);
  const files = { record: rd.path('record'), bpf: rd.path('bpf'), manifest: rd.path('manifest'), authzLog: rd.path('authzLog') };
  const records: Record<string, number> = {};
  let error: unknown;
  try {
    await runStep(flow, { id: 'decode', title: 'decode the recordings', detail: () => Object.entries(records).map(([k, n]) => `${k} ${n}`).join(', ') }, async (signal) => {
      const jobs: [string, 'intake' | 'record' | 'bpf', string[], RunFile][] = [
        ['intake', 'intake', wire, 'intakeNdjson'],
        ['record', 'record', existsSync(files.record) ? [files.record] : [], 'recordNdjson'],
        ['bpf', 'bpf', existsSync(files.bpf) ? [files.bpf] : [], 'bpfNdjson'],
      ];
      const errors: unknown[] = [];
      for (const [label, kind, inputs, outName] of jobs) {
        if (inputs.length === 0) continue;
        try {
          records[label] = await decodeTo(o.deps, kind, inputs, schema, rd.path(outName), signal);
        } catch (err) {
          if (!o.keepGoing || signal.aborted) throw err;
          errors.push(err);
        }
      }
      if (errors.length) error ??= errors[0];
    });
  } catch (err) {
    error ??= err;
  }
  let report: CheckReportLike | undefined;
  if (!error || (o.keepGoing && !flow.signal.aborted) || (o.keepGoingAfter && !flow.signal.aborted)) {
    try {
      report = await runStep<CheckReportLike>(flow, { id: 'check', title: 'run the checker', detail: (r) => summarizeChecks(r) }, async (signal) => {
        const r = await o.deps.runChecks(
          {
            wire,
            record: existsSync(files.record) ? files.record : undefined,
            bpf: existsSync(files.bpf) ? files.bpf : undefined,
            manifest: existsSync(files.manifest) ? files.manifest : undefined,
            authzLog: o.era === 'flowmill' && existsSync(files.authzLog) ? files.authzLog : undefined,
            schema,
          },
          { preset: o.checkPreset, config: o.checkConfig },
        );
        if (signal.aborted) throw signal.reason;
        writeDone(rd.path('checkJson'), `${JSON.stringify(r, null, 2)}\n`, signal);
        writeDone(rd.path('checkHtml'), o.deps.renderHtml(r), signal);
        return r;
      });
    } catch (err) {
      error ??= err;
    }
  }
  return { records, report, error };
}

/** Decodes to `<out>.partial`, renamed to `<out>` only when complete: an interrupted decode stays marked. */
async function decodeTo(deps: DecodeCheckOptions['deps'], kind: 'intake' | 'record' | 'bpf', inputs: string[], schema: 'flowmill' | 'ebpf_net', out: string, signal: AbortSignal): Promise<number> {
  const partial = `${out}${PARTIAL}`;
  const f = fileLog(partial);
  try {
    const n = await deps.decodeToNdjson({ kind, files: inputs, schema, out: f });
    f.close();
    if (signal.aborted) throw signal.reason;
    renameSync(partial, out);
    return n;
  } finally {
    f.close();
  }
}

function writeDone(path: string, text: string, signal: AbortSignal): void {
  writeFileSync(`${path}${PARTIAL}`, text, { mode: 0o600 });
  if (signal.aborted) throw signal.reason;
  renameSync(`${path}${PARTIAL}`, path);
}

export function summarizeChecks(r: CheckReportLike): string {
  const c = countChecks(r);
  return `${c.passed} passed, ${c.failed} failed${c.failedIds.length ? ` (${c.failedIds.join(', ')})` : ''}${c.notRun ? `, ${c.notRun} not run (${c.notRunIds?.join(', ')})` : ''}`;
}

/** The wire captures in connection order (tls-sink's --out-dir names sort that way). */
export function wireFiles(dir: string): string[] {
  const d = join(dir, RUN_FILES.intakeDir);
  if (!existsSync(d)) return [];
  return readdirSorted(d)
    .filter((n) => INTAKE_CAPTURE.test(n))
    .map((n) => join(d, n))
    .filter((p) => statSync(p).size > 0);
}

function readdirSorted(d: string): string[] {
  return readdirSync(d).sort();
}

export function countChecks(r: CheckReportLike): NonNullable<RunJson['checks']> {
  const by = (s: string) => r.checks.filter((c) => c.status === s);
  return { ok: r.ok, passed: by('pass').length, failed: by('fail').length, notRun: by('not-run').length, failedIds: by('fail').map((c) => c.id), notRunIds: by('not-run').map((c) => c.id) };
}

/**
 * `recipe down --check`: decode and check what a stopped `recipe up` recorded, and record the verdict in its
 * run.json (status `passed`/`failed`, checks, records, file hashes). Returns 0 when every check passed, else 1.
 */
export async function checkStoppedRun(flow: Flow, o: Omit<DecodeCheckOptions, 'era'>): Promise<{ exitCode: number; result: DecodeCheckResult }> {
  const rd = runDir(o.dir);
  const runJson = readJson<Record<string, unknown>>(rd.path('runJson'));
  const era = (runJson.era as Era | undefined) ?? 'flowmill';
  const result = await decodeAndCheck(flow, { ...o, era });
  const missing = missingRecordings(rd.dir);
  const passed = !result.error && verdictPassed(result.report, missing);
  runJson.missing = missing;
  runJson.status = result.error ? 'error' : passed ? 'passed' : 'failed';
  if (result.report) runJson.checks = countChecks(result.report);
  runJson.records = result.records;
  runJson.files = await hashRunFiles(rd.dir);
  writeJsonAtomic(rd.path('runJson'), runJson);
  if (result.error) throw result.error;
  return { exitCode: passed ? 0 : 1, result };
}

/**
 * The recordings every run must produce (run-layout names): at least one non-empty wire capture, the record file
 * and the BPF dump. Returns what is missing or empty, in words; the checker alone cannot tell (it skips checks
 * whose inputs are absent and reports them as not run).
 */
export function missingRecordings(dir: string): string[] {
  const rd = runDir(dir);
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  const out: string[] = [];
  if (wireFiles(rd.dir).length === 0) out.push(`wire capture (${RUN_FILES.intakeDir}/${intakeCaptureName(1)}, …): the agent never sent anything`);
  if (size(rd.path('record')) === 0) out.push('record file (intake.record)');
  if (size(rd.path('bpf')) === 0) out.push(`BPF dump (${RUN_FILES.bpf})`);
  return out;
}

/** A run passes when every recording is there, the checker says ok, and it checked something. */
export function verdictPassed(report: CheckReportLike | undefined, missing: string[]): boolean {
  return missing.length === 0 && !!report?.ok && report.checks.some((c) => c.status === 'pass');
}
