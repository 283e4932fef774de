import { existsSync, readFileSync, statSync } from 'node:fs';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import { loadSchema } from '@flowmill/raw-codec';
import { MissingInputError } from '../errors.js';
import { configFromRunDir, inputsFromRunDir, resolveInputs } from '../inputs.js';
import { runChecks } from '../run.js';
import { loadManifest, type Manifest } from '../side-inputs.js';
import type { CheckInputs, CheckReport } from '../types.js';
import { frameSizes, StreamTally, tallyFiles } from './collect.js';
import type { RunProfile } from './types.js';

export interface ProfileOptions {
  /** `auto` (default), `flowmill`, `ebpf_net` or a .render path, as for `checker --schema`. */
  schema?: string;
  /** Compute the checks even when the run holds a `check.json` (default: reuse it). */
  recheck?: boolean;
  /** Leave the checks out (no verdicts in the comparison). */
  noChecks?: boolean;
}

const WORKLOAD_KINDS = ['tcp', 'udp', 'dns', 'processes', 'http'] as const;

/** The manifest's items per kind: the workload's size, what counts of workload-driven messages scale with. */
export function workloadSize(m: Manifest): { items: Record<string, number>; total: number } {
  const items: Record<string, number> = {};
  for (const k of WORKLOAD_KINDS) items[k] = Array.isArray(m[k]) ? m[k]!.length : 0;
  return { items, total: Object.values(items).reduce((a, b) => a + b, 0) };
}

/**
 * One run reduced to what `diffRuns` compares: a run directory (its files by the run-layout names) or a single
 * recording (intake capture, record file or BPF dump, told apart by raw-codec). Throws MissingInputError for a path
 * that does not exist; a recording that does not decode is kept as an error in the profile.
 */
export async function profileRun(target: string, opts: ProfileOptions = {}): Promise<RunProfile> {
  if (!existsSync(target)) throw new MissingInputError('run', target, 'no such file or directory');
  const isDir = statSync(target).isDirectory();
  const schema = !opts.schema || opts.schema === 'auto' ? 'auto' as const : await loadSchema(opts.schema);
  const intake = new StreamTally('intake'), bpf = new StreamTally('bpf');
  const errors: string[] = [];
  let inputs: CheckInputs;
  let frames: RunProfile['frames'];
  let kind: RunProfile['kind'] = 'run';
  if (isDir) {
    inputs = inputsFromRunDir(target);
    const res = resolveInputs(inputs);
    if (res.wire.length) {
      errors.push(...(await tallyFiles(intake, res.wire.map((w) => w.path), 'intake', schema)).errors);
      frames = await frameSizes(res.wire.map((w) => w.path));
    } else if (res.record) errors.push(...(await tallyFiles(intake, [res.record], 'record', schema)).errors);
    // the dump is read with the intake's era when it is known (its own detection has less to go on)
    if (res.bpf) errors.push(...(await tallyFiles(bpf, [res.bpf], 'bpf', schema === 'auto' && intake.era ? await loadSchema(intake.era) : schema)).errors);
  } else {
    const { errors: e, info } = await tallyFiles(intake, [target], 'auto', schema);
    errors.push(...e);
    kind = info?.kind ?? 'intake';
    if (kind === 'bpf') intake.stream = 'bpf';
    inputs = kind === 'bpf' ? { bpf: target } : kind === 'record' ? { record: target } : { wire: target };
    if (kind === 'intake') frames = await frameSizes([target]);
  }
  const manifest = inputs.manifest ? (await loadManifest(inputs.manifest)).manifest : undefined;
  const main = intake.counts.size ? intake : bpf;
  const { report, from } = opts.noChecks ? { report: undefined, from: undefined } : await checksOf(target, isDir, inputs, opts);
  return {
    source: target,
    kind,
    era: intake.era ?? bpf.era,
    seconds: main.seconds(),
    workload: manifest ? workloadSize(manifest) : undefined,
    messages: [...intake.messages(), ...bpf.messages()],
    startup: intake.startup.length ? intake.startup : bpf.startup,
    fields: [...intake.summaries(), ...bpf.summaries()],
    frames,
    report,
    reportFrom: from,
    errors,
  };
}

/** The run's own check.json when it has one (what the run was judged by), else the checks run now. */
async function checksOf(target: string, isDir: boolean, inputs: CheckInputs, opts: ProfileOptions): Promise<{ report?: CheckReport; from?: 'check.json' | 'computed' }> {
  const saved = isDir ? runLayout(target).path('checkJson') : undefined;
  if (saved && !opts.recheck && existsSync(saved)) {
    try {
      return { report: JSON.parse(readFileSync(saved, 'utf8')) as CheckReport, from: 'check.json' };
    } catch { /* unreadable: compute instead */ }
  }
  const config = isDir ? configFromRunDir(target) : undefined;
  return { report: await runChecks({ ...inputs, schema: opts.schema }, { config }), from: 'computed' };
}
