import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Writing the ready file failed; `code` is the cause's (ENOENT, EACCES → 66) or ERR_WOULD_OVERWRITE (73). */
export class ReadyFileError extends Error {
  readonly code: string;
  constructor(readonly path: string, why: string, code: string, options?: { cause?: unknown }) {
    super(`cannot write the ready file: ${path}: ${why}`, options);
    this.name = 'ReadyFileError';
    this.code = code;
  }
}

/** A file that is there and is not an earlier ready file (`{"pid","url",...}`) is someone's data: refuse it. */
function refuseForeign(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ReadyFileError(path, (err as Error).message, String((err as NodeJS.ErrnoException).code ?? 'ERR_MISSING_INPUT'), { cause: err });
  }
  let old: unknown;
  try {
    old = JSON.parse(text);
  } catch {
    old = null;
  }
  const earlier = !!old && typeof old === 'object' && 'pid' in old && 'url' in old;
  if (!earlier) throw new ReadyFileError(path, 'exists and is not an earlier ready file (pick another path)', 'ERR_WOULD_OVERWRITE');
}

/**
 * The readiness contract of every @flowmill server: once bound, one stderr line
 *   `<bin>: ready: listening on <url>`
 * (with the real port when asked for port 0), and optionally a ready file (written before the line) holding
 * `{"pid","url","port",...}`. The file replaces an earlier ready file atomically (a watcher never reads half of it) and
 * refuses any other file. On failure it throws ReadyFileError and prints no line: the caller closes its server.
 */
export function announceReady(bin: string, url: string, info: Record<string, unknown>, opts: { readyFile?: string; stderr?: { write(s: string): unknown } } = {}): void {
  // The file first: whoever sees the line may look for the file at once.
  if (opts.readyFile) {
    const path = opts.readyFile;
    refuseForeign(path);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, url, ...info })}\n`, { flag: 'wx', mode: 0o644 });
      renameSync(tmp, path);
    } catch (err) {
      try { unlinkSync(tmp); } catch { /* never created */ }
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'its directory does not exist' : e.code === 'ENOTDIR' ? 'a file is on its path' : e.message;
      throw new ReadyFileError(path, why, e.code ?? 'ERR_MISSING_INPUT', { cause: err });
    }
  }
  (opts.stderr ?? process.stderr).write(`${bin}: ready: listening on ${url}\n`);
}

/** The regular expression a waiting process matches against a server's stderr. */
export const READY_LINE = /^([a-z-]+): ready: listening on (\S+)$/m;
