import { accessSync, constants, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { extendType, number, string } from 'cmd-ts';
import { ExitCode } from './exit-codes.js';

/** A TCP port, 0 (pick a free one) to 65535. */
export const Port = extendType(number, {
  displayName: 'port',
  async from(n) {
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port (0-65535): ${n}`);
    return n;
  },
});

/** A whole number >= 0. */
export const Count = extendType(number, {
  displayName: 'n',
  async from(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number >= 0: ${n}`);
    return n;
  },
});

/** An address to listen on: an IP literal or a host name (`localhost`). */
export const ListenHost = extendType(string, {
  displayName: 'host',
  async from(s) {
    if (s === '' || /\s/.test(s) || (!isIP(s) && !/^[A-Za-z0-9.-]+$/.test(s))) throw new Error(`not a host or IP address: ${JSON.stringify(s)}`);
    return s;
  },
});

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `250ms`, `2s`, `1.5m`, `1h`, or bare seconds (`30`). Returns milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration (e.g. 500ms, 2s, 1m): ${JSON.stringify(s)}`);
  return Math.round(Number(m[1]) * units[m[2] ?? 's']);
}

/** A duration flag; the value is in milliseconds. */
export const Duration = extendType(string, { displayName: 'duration', async from(s) { return parseDuration(s); } });

/**
 * A file argument its decoder refused, with the exit code the refusal deserves (66: missing input, or an output
 * whose directory is missing). cmd-ts keeps only a refusal's message, so the decoders also note the error here and `runMain` looks it up
 * to exit with that code and the one-line message instead of a usage error (64).
 */
export class FileArgumentError extends Error {
  constructor(readonly path: string, message: string, readonly code: string, readonly exitCode: number) {
    super(message);
    this.name = 'FileArgumentError';
  }
}
const refusals: FileArgumentError[] = [];
function refuse(path: string, message: string, code: string, exitCode: number): never {
  const err = new FileArgumentError(path, message, code, exitCode);
  refusals.push(err);
  throw err;
}
/** The file refusals noted since the last call (used by runMain after a parse error). */
export function takeFileRefusals(): FileArgumentError[] {
  return refusals.splice(0);
}

function errnoWhy(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a file, not a directory, is on its path' : (err as Error).message;
}

/** A path that must exist and be a readable file; otherwise exit 66 `cannot read: <path>: <why>`. */
export const ExistingFile = extendType(string, {
  displayName: 'file',
  async from(p) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
      if (!isDir) accessSync(p, constants.R_OK);
    } catch (err) {
      return refuse(p, `cannot read: ${p}: ${errnoWhy(err)}`, String((err as NodeJS.ErrnoException).code ?? 'ERR_MISSING_INPUT'), ExitCode.noInput);
    }
    if (isDir) refuse(p, `cannot read: ${p}: a directory, not a file`, 'EISDIR', ExitCode.noInput);
    return p;
  },
});

/** A readable PEM file (certificate or key); otherwise exit 66. */
export const PemFile = extendType(ExistingFile, {
  displayName: 'pem',
  async from(p) {
    if (!readFileSync(p, 'utf8').includes('-----BEGIN ')) refuse(p, `not a PEM file: ${p}: no '-----BEGIN' line`, 'ERR_BAD_KEY', ExitCode.noInput);
    return p;
  },
});

/**
 * A path for an output file: its directory must exist and the path must not be a directory (else exit 66
 * `cannot create: <path>: <why>`, as for a ready file). Whether an existing file may be replaced is the command's --force, decided when it
 * opens the file with `openOutput`/`writeOutput`.
 */
export const NewFile = extendType(string, {
  displayName: 'file',
  async from(p) {
    let dirOk = false;
    try {
      dirOk = statSync(dirname(p)).isDirectory();
    } catch { /* reported below */ }
    if (!dirOk) refuse(p, `cannot create: ${p}: its directory does not exist`, 'ENOENT', ExitCode.noInput);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch { /* absent: fine */ }
    if (isDir) refuse(p, `cannot create: ${p}: a directory has that name`, 'EISDIR', ExitCode.noInput);
    return p;
  },
});
