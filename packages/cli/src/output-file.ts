import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** How an output file may meet an existing one. Neither flag: refused (exit 73). */
export interface OutputOptions {
  /** Replace an existing file (the bin's --force). */
  force?: boolean;
  /** Continue an existing file (only for `openOutput`; never together with `force`). */
  append?: boolean;
  /** Mode of a created file; default 0600 (recordings, logs with tokens, keys: docs/development.md §8). */
  mode?: number;
  /** What the refusal suggests, default `--force replaces it`. */
  hint?: string;
}

/**
 * An output file that could not be created or written. `code` is ERR_WOULD_OVERWRITE (exit 73) when it exists and
 * neither --force nor --append was given; otherwise the system code: ENOENT, ENOTDIR, EISDIR, EACCES (exit 66, like a
 * ready file whose directory is missing) when it cannot be created, ENOSPC, EDQUOT, EFBIG, EIO (exit 74) when a write
 * failed.
 */
export class OutputFileError extends Error {
  constructor(readonly path: string, message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputFileError';
  }
}

const WRITE_FAILED: Record<string, string> = { ENOSPC: 'disk full', EDQUOT: 'disk quota exceeded', EFBIG: 'file too large', EIO: 'I/O error' };

/** Wraps a system error from creating or writing `path` into an OutputFileError with a one-line message. */
export function outputError(path: string, err: unknown, hint = '--force replaces it'): OutputFileError {
  if (err instanceof OutputFileError) return err;
  const code = String((err as NodeJS.ErrnoException).code ?? '');
  if (code === 'EEXIST') return new OutputFileError(path, `refusing to overwrite: ${path}: exists (${hint})`, 'ERR_WOULD_OVERWRITE', { cause: err });
  if (code in WRITE_FAILED) return new OutputFileError(path, `cannot write: ${path}: ${WRITE_FAILED[code]} (${code})`, code, { cause: err });
  const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'ENOTDIR' ? 'a file, not a directory, is on its path' : code === 'EISDIR' ? 'a directory has that name' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new OutputFileError(path, `cannot create: ${path}: ${why}`, code || 'ERR_MISSING_INPUT', { cause: err });
}

/**
 * Opens an output file for writing and returns its descriptor: created exclusively ('wx') unless `force` (truncate,
 * 'w') or `append` ('a'). Every failure is an OutputFileError.
 */
export function openOutput(path: string, opts: OutputOptions = {}): number {
  if (opts.force && opts.append) throw new OutputFileError(path, `bad flags: ${path}: append or replace, not both`, 'ERR_USAGE');
  try {
    return openSync(path, opts.append ? 'a' : opts.force ? 'w' : 'wx', opts.mode ?? 0o600);
  } catch (err) {
    throw outputError(path, err, opts.hint);
  }
}

/**
 * Writes a whole file so that no reader ever sees half of it: the data goes to a temporary file beside it, which then
 * takes the name with link(2) (fails if the name exists: nothing is overwritten) or, with `force`, rename(2) (the old
 * file stays whole until the new one is complete). A failure leaves no temporary file behind.
 */
export function writeOutput(path: string, data: string | Uint8Array, opts: OutputOptions = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
    try {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.force) renameSync(tmp, path);
    else linkSync(tmp, path);
  } catch (err) {
    throw outputError(path, err, opts.hint);
  } finally {
    try { unlinkSync(tmp); } catch { /* renamed, or never created */ }
  }
}
