import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ensureRunDir, PARTIAL, RUN_FILES, runLayout, type RunLayout } from '@flowmill/agent-runner/run-layout';
import { RunDirExistsError } from './errors.js';

/** A run directory: agent-runner's run layout (the one place its file names are spelled). */
export type RunDir = RunLayout;
export const runDir = runLayout;

/** `runs/2026-11-25T08-30-12Z` (a second run in the same second gets `-2`, …). */
export function timestampName(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/**
 * Creates a run directory: `out` if given (refused when it already holds a run.json or cloud.json, unless `force`),
 * else a fresh `<base>/<timestamp>/`, and then points `<base>/current` at it (best effort) so `recipe env`, `down`,
 * `status` and people find the latest run.
 */
export function createRunDir(opts: { out?: string; base?: string; force?: boolean; now?: Date; link?: boolean }): RunDir {
  let dir: string;
  if (opts.out) {
    dir = resolve(opts.out);
    const l = runLayout(dir);
    const held = existsSync(l.path('runJson')) || existsSync(l.path('state'));
    if (held && !opts.force) throw new RunDirExistsError(dir);
    if (held && existsSync(l.path('state'))) throw new RunDirExistsError(dir, true); // a live `recipe up`: never
    ensureRunDir(dir);
    if (held) clearRunFiles(dir);
  } else {
    const base = resolve(opts.base ?? 'runs');
    ensureRunDir(base);
    const name = timestampName(opts.now ?? new Date());
    dir = join(base, name);
    for (let i = 2; ; i++) {
      try {
        mkdirSync(dir, { mode: 0o700 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        dir = join(base, `${name}-${i}`);
      }
    }
  }
  // only the timestamped directories under <runs>/ move `current` (an --out elsewhere must not plant a link there)
  if (opts.link !== false && !opts.out) linkCurrent(dir);
  return runDir(dir);
}

/**
 * `--force`: removes what a previous run left under the contract's names (and their `.partial`s), nothing else, so
 * the new run's files are all its own and every writer can create its file exclusively again.
 */
export function clearRunFiles(dir: string): void {
  const names = new Set<string>(Object.values(RUN_FILES));
  for (const n of readdirSync(dir)) {
    const base = n.endsWith(PARTIAL) ? n.slice(0, -PARTIAL.length) : n;
    if (names.has(base) && base !== RUN_FILES.state) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** Points `<parent>/current` at `dir` (a relative symlink, replaced atomically). */
export function linkCurrent(dir: string): void {
  const link = join(dirname(dir), 'current');
  const tmp = `${link}.${process.pid}.tmp`;
  try {
    if (existsSync(link) && !lstatSync(link).isSymbolicLink()) return; // someone's real directory: leave it
    rmSync(tmp, { force: true });
    symlinkSync(relative(dirname(dir), dir), tmp);
    renameSync(tmp, link);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* best effort */
    }
  }
}

/** Writes JSON atomically (temp file + rename): a reader never sees half a run.json or state file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export interface FileEntry {
  bytes: number;
  sha256: string;
  /** false: its writer was interrupted (Ctrl-C, a crash), so it may end mid-record. */
  complete: boolean;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Hashes every file of the run directory (recursively, except run.json itself and temp files). Files named in
 * `incomplete`, and every `*.partial`, are marked `complete: false`.
 */
export async function hashRunFiles(dir: string, incomplete: Set<string> = new Set()): Promise<Record<string, FileEntry>> {
  const out: Record<string, FileEntry> = {};
  const walk = async (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (ent.isFile()) {
        const rel = relative(dir, p);
        if (rel === RUN_FILES.runJson || rel === RUN_FILES.state || /\.\d+\.tmp$/.test(ent.name)) continue;
        const complete = !ent.name.endsWith(PARTIAL) && !incomplete.has(rel) && !incomplete.has(dirname(rel));
        out[rel] = { bytes: statSync(p).size, sha256: await sha256File(p), complete };
      }
    }
  };
  await walk(dir);
  return out;
}

