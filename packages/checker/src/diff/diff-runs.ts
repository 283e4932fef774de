import { UsageError } from '../errors.js';
import { diffRuns } from './compare.js';
import { profileRun, type ProfileOptions } from './profile.js';
import { defaultThresholds, type DiffThresholds, type RunDiff } from './types.js';

/**
 * `checker diff A B` as a library call: both profiled, then compared. Both must be run directories, or both
 * recordings of the same kind (UsageError otherwise).
 */
export async function diffRunPaths(a: string, b: string, opts: ProfileOptions & { thresholds?: Partial<DiffThresholds> } = {}): Promise<RunDiff> {
  const pa = await profileRun(a, opts);
  const pb = await profileRun(b, opts);
  if ((pa.kind === 'run') !== (pb.kind === 'run')) throw new UsageError(`cannot compare: ${pa.kind === 'run' ? b : a}: a recording beside a run directory (give two run directories or two recordings)`);
  if (pa.kind !== pb.kind) throw new UsageError(`cannot compare: ${a} is a ${pa.kind} recording, ${b} a ${pb.kind} one (give two of the same kind)`);
  return diffRuns(pa, pb, opts.thresholds);
}

/** `name=value` pairs over the default thresholds (UsageError for an unknown name or a value that is not a number ≥ 0). */
export function parseThresholds(pairs: string[]): Partial<DiffThresholds> {
  const out: Partial<DiffThresholds> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z]+)=([0-9.]+)$/.exec(p.trim());
    if (!m || !(m[1] in defaultThresholds) || !Number.isFinite(Number(m[2]))) {
      throw new UsageError(`bad flags: --threshold ${p}: NAME=NUMBER, NAME one of ${Object.keys(defaultThresholds).join(', ')}`);
    }
    (out as Record<string, number>)[m[1]] = Number(m[2]);
  }
  return out;
}
