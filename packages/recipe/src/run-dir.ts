import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RunDirExistsError } from './errors.js';

/**
 * The files of one run directory. The recording names are the contract between agent-runner, recipe and checker
 * (CONTRACTS.md, "Recording file names inside a run directory"); the rest are the recipe's own.
 */
export const RUN_FILES = {
  /** tls-sink --out-dir: conn-0001.raw, … and connections.jsonl (one wire capture per agent connection). */
  intakeDir: 'intake',
  /** The agent's record file (FLOWMILL_RECORD_INTAKE_OUTPUT_PATH): the plaintext record stream. */
  record: 'intake.record',
  /** The agent's --bpf-dump-file. */
  bpf: 'bpf.raw',
  /** The workload manifest (agent-runner). */
  manifest: 'manifest.json',
  /** mock-authz's request log, NDJSON (the checker's authz check reads it). */
  authzLog: 'authz.jsonl',
  agentLog: 'agent.log',
  sinkLog: 'sink.log',
  workloadLog: 'workload.log',
  recipeLog: 'recipe.log',
  /** Decoded recordings, one JSON record per line (raw-codec's toJsonLine). */
  intakeNdjson: 'intake.ndjson',
  recordNdjson: 'record.ndjson',
  bpfNdjson: 'bpf.ndjson',
  /** The tolerances the run was checked with when they differ from the checker's defaults (the simulated agent's
   * scaled timers): `checker --run-dir` picks it up, so a re-check judges the run as the recipe did. */
  checkConfig: 'check-config.json',
  /** The checker's reports. */
  checkJson: 'check.json',
  checkHtml: 'check.html',
  /** What ran: versions, era, flags, timings, file hashes, status. */
  runJson: 'run.json',
  /** `recipe up`'s state: pid, ports, urls, paths (present while the fake cloud runs). */
  state: 'cloud.json',
} as const;

/** Suffix of a file still being written; renamed away when complete, so an interrupted run never leaves one unmarked. */
export const PARTIAL = '.partial';

export interface RunDir {
  dir: string;
  path(name: keyof typeof RUN_FILES): string;
}

export function runDir(dir: string): RunDir {
  const abs = resolve(dir);
  return { dir: abs, path: (name) => join(abs, RUN_FILES[name]) };
}

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
    const held = existsSync(join(dir, RUN_FILES.runJson)) || existsSync(join(dir, RUN_FILES.state));
    if (held && !opts.force) throw new RunDirExistsError(dir);
    if (held && existsSync(join(dir, RUN_FILES.state))) throw new RunDirExistsError(dir, true); // a live `recipe up`: never
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (held) clearRunFiles(dir);
  } else {
    const base = resolve(opts.base ?? 'runs');
    mkdirSync(base, { recursive: true });
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
  const names = new Set<string>([...Object.values(RUN_FILES), 'serve.log', 'manifest.events.jsonl']);
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

void basename;
