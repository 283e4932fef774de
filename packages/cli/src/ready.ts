import { writeFileSync } from 'node:fs';

/**
 * The readiness contract of every @flowmill server: once bound, one stderr line
 *   `<bin>: ready: listening on <url>`
 * (with the real port when asked for port 0), and optionally a ready file (written before the line) holding `{"pid","url","port",...}`.
 */
export function announceReady(bin: string, url: string, info: Record<string, unknown>, opts: { readyFile?: string; stderr?: { write(s: string): unknown } } = {}): void {
  // The file first: whoever sees the line may look for the file at once.
  if (opts.readyFile) writeFileSync(opts.readyFile, `${JSON.stringify({ pid: process.pid, url, ...info })}\n`);
  (opts.stderr ?? process.stderr).write(`${bin}: ready: listening on ${url}\n`);
}

/** The regular expression a waiting process matches against a server's stderr. */
export const READY_LINE = /^([a-z-]+): ready: listening on (\S+)$/m;
