import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { cmdline } from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import { RecipeError, StateError } from './errors.js';
import { alive, readState, type CloudState } from './state.js';

// Every fake cloud `recipe up` started under a runs directory, found by its cloud.json (written once it listens,
// removed when it stops), so `up`, `status` and `down` know all of them, not only the one `current` points at.

/** The live clouds under `runsDir` (one per run directory holding a cloud.json whose process is alive). */
export function liveClouds(runsDir: string): CloudState[] {
  const base = resolve(runsDir);
  if (!existsSync(base)) return [];
  const out: CloudState[] = [];
  for (const n of readdirSync(base).sort()) {
    if (n === 'current') continue;
    const dir = join(base, n);
    if (!existsSync(runLayout(dir).path('state'))) continue;
    try {
      const s = readState(dir);
      if (alive(s.pid)) out.push(s);
    } catch {
      /* unreadable or removed meanwhile: not a live cloud */
    }
  }
  return out;
}

/** One cloud in a line: pid, directory (relative to the cwd), listeners, and how to stop it. */
export function describeCloud(s: CloudState, cwd = process.cwd()): string {
  const dir = relative(cwd, s.dir) || '.';
  return `pid ${s.pid} in ${dir} (intake ${s.intake.url}${s.authz ? `, authz ${s.authz.url}` : ''}; stop it: recipe down --dir ${dir})`;
}

/** `recipe up` while one already runs (exit 69): two clouds would both claim `current`. */
export class CloudRunningError extends RecipeError {
  constructor(readonly clouds: CloudState[]) {
    super('ERR_UNREACHABLE', `cannot start a second fake cloud: already running: ${clouds.map((c) => describeCloud(c)).join('; ')} (or pass --dir DIR to run another beside it)`);
  }
}

/**
 * Every live `recipe serve` on this machine, wherever its --dir is (found in /proc by its command line, confirmed by
 * the cloud.json it wrote): the one holding a busy port is named even when it was started with --dir elsewhere.
 */
export function runningServes(proc = '/proc'): CloudState[] {
  const out: CloudState[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const p of pids) {
    const argv = cmdline(Number(p), proc);
    const i = argv.indexOf('serve');
    if (i < 0 || argv[i + 1] !== '--dir' || !argv[i + 2]) continue;
    try {
      const s = readState(argv[i + 2]);
      if (s.pid === Number(p)) out.push(s);
    } catch {
      /* not ours, or not listening yet */
    }
  }
  return out;
}

/** The running cloud listening on `port`, if one of ours holds it. */
export function cloudOnPort(port: number): CloudState | undefined {
  return runningServes().find((s) => s.intake.port === port || s.authz?.port === port);
}

/**
 * `recipe down` without --dir stops the cloud `current` points at; when that one is gone but others run under the
 * runs directory, it says which instead of reporting a stale state and leaving them running unnoticed.
 */
export function checkDownTarget(dir: string, runsDir: string): void {
  const live = liveClouds(runsDir);
  if (live.length && !live.some((c) => resolve(c.dir) === resolve(dir))) {
    throw new StateError(dir, `no fake cloud runs there, but ${live.length === 1 ? 'one runs' : `${live.length} run`} elsewhere: ${live.map((c) => describeCloud(c)).join('; ')}`);
  }
}
