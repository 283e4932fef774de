import { linkSync, openSync, closeSync, writeSync, unlinkSync, renameSync, statSync, mkdirSync, readFileSync, fsyncSync } from 'node:fs';
import { dirname, basename, join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyDirError, LockTimeoutError, WouldOverwriteError } from './errors.js';

/** Mode of every private key we write: readable by its owner only (docs/development.md §8, like minica and mkcert). */
export const KEY_MODE = 0o600;
/** Certificates are public. */
export const CERT_MODE = 0o644;

function writeTemp(path: string, data: string, mode: number): string {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/**
 * Writes a whole file that must not exist yet: the data goes to a temporary file first, then link(2) gives it its
 * name, which fails if the name exists (so a reader never sees half a key, and nothing is ever overwritten).
 */
export function writeNew(path: string, data: string, mode: number): void {
  const tmp = writeTemp(path, data, mode);
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new WouldOverwriteError(path, 'the file exists', { cause: err });
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Replaces a file atomically (--force on a leaf): the old one stays whole until the new one is complete. */
export function replaceFile(path: string, data: string, mode: number): void {
  renameSync(writeTemp(path, data, mode), path);
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * `mkdir -p`, one component at a time: Node's `recursive: true` loops forever where mkdir answers ENOENT under an
 * existing parent (`/proc/x`, seen with Node 20), and a mistyped `--dir` must not hang.
 */
export function makeDirs(dir: string, mode: number): void {
  const parts = dir.split(sep).filter(Boolean); // as given, so an error names the path the user typed
  for (let i = 1; i <= parts.length; i++) {
    const at = (dir.startsWith(sep) ? sep : '') + parts.slice(0, i).join(sep);
    try {
      mkdirSync(at, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${dir}'`), { code: 'EEXIST', syscall: 'mkdir', path: dir });
}

export function ensureDir(dir: string): void {
  try {
    makeDirs(dir, 0o755);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EEXIST' ? 'a file, not a directory, has that name' : e.code === 'ENOTDIR' ? 'a file, not a directory, is on its path' : e.message;
    throw new KeyDirError(dir, why, { cause: err });
  }
}

/** A lock older than this is left over from a killed run (creating a CA + leaf takes well under a second). */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 20_000;

/**
 * Serialises certs runs on one directory (mock-authz and tls-sink both call ensureCerts when a recipe starts them
 * together): an exclusive lock file `<dir>/.certs.lock`, polled while another process holds it.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T> | T, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  const lock = join(dir, '.certs.lock');
  const started = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let age = 0;
      try { age = Date.now() - statSync(lock).mtimeMs; } catch { continue; }
      if (age > STALE_LOCK_MS) { try { unlinkSync(lock); } catch {} continue; }
      if (Date.now() - started > LOCK_WAIT_MS) throw new LockTimeoutError(lock);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    try { unlinkSync(lock); } catch {}
  }
}

export const readText = (p: string) => readFileSync(p, 'utf8');
