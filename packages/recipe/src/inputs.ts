import { readFileSync } from 'node:fs';
import { checkFaults, loadProfile, PROFILE_SHAPE, resolveProfile, shapeProblem, type ProfileInput, type SimFaults } from '@flowmill/agent-runner';
import { UsageError } from './errors.js';

// What the user hands `recipe run` (--faults, --profile), checked against agent-runner's shapes before anything
// starts: a typo is a usage error naming its key path, never a run without the fault it meant (issue 12 item 1).

/** --faults: inline JSON or @file, held against agent-runner's FAULTS_SHAPE before anything starts (exit 64). */
export function readFaults(s: string | undefined): SimFaults | undefined {
  if (s === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s.startsWith('@') ? readFileSync(s.slice(1), 'utf8') : s);
  } catch (err) {
    throw new UsageError(`bad --faults: ${s}: ${(err as Error).message}`);
  }
  return checkFaults(v, (why) => { throw new UsageError(`bad --faults: ${why}`); });
}

/** --profile: inline JSON or a YAML/JSON file, held against PROFILE_SHAPE, then resolved (value checks) up front. */
export async function readProfile(s: string | undefined): Promise<ProfileInput | undefined> {
  if (s === undefined) return undefined;
  let p: ProfileInput;
  if (s.trim().startsWith('{')) {
    try {
      p = JSON.parse(s);
    } catch (err) {
      throw new UsageError(`bad --profile: ${s}: ${(err as Error).message}`);
    }
    const bad = shapeProblem(p, PROFILE_SHAPE);
    if (bad) throw new UsageError(`bad --profile: ${bad}`);
  } else p = await loadProfile(s);
  resolveProfile(p);
  return p;
}

