/**
 * The one exit-code table of every @flowmill bin (sysexits.h numbers, so shells and CI can tell failures apart).
 * Libraries never exit: they throw errors with a string `code`, and `exitCodeFor` maps them here.
 */
export const ExitCode = {
  ok: 0, // also a clean stop on SIGINT/SIGTERM
  checksFailed: 1,
  usage: 64, // EX_USAGE: bad flags or arguments
  dataErr: 65, // EX_DATAERR: corrupt or truncated input
  noInput: 66, // EX_NOINPUT: a file that must exist does not, or cannot be read
  unavailable: 69, // EX_UNAVAILABLE: port busy, peer unreachable
  software: 70, // EX_SOFTWARE: a bug of ours
  cantCreate: 73, // EX_CANTCREAT: would overwrite an existing key or recording
  tempFail: 75, // EX_TEMPFAIL: timed out waiting
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error codes shared by the libraries (and Node's system error codes) mapped to exit codes. */
const byCode: Record<string, ExitCode> = {
  ERR_USAGE: ExitCode.usage,
  ERR_CORRUPT: ExitCode.dataErr,
  ERR_TRUNCATED: ExitCode.dataErr,
  ERR_BAD_INPUT: ExitCode.dataErr,
  ERR_MISSING_INPUT: ExitCode.noInput,
  ERR_BAD_KEY: ExitCode.noInput,
  ERR_PORT_BUSY: ExitCode.unavailable,
  ERR_UNREACHABLE: ExitCode.unavailable,
  ERR_WOULD_OVERWRITE: ExitCode.cantCreate,
  ERR_TIMEOUT: ExitCode.tempFail,
  ERR_CHECKS_FAILED: ExitCode.checksFailed,
  ENOENT: ExitCode.noInput,
  EACCES: ExitCode.noInput,
  EISDIR: ExitCode.noInput,
  ENOTDIR: ExitCode.noInput,
  EADDRINUSE: ExitCode.unavailable,
  EADDRNOTAVAIL: ExitCode.unavailable,
  ECONNREFUSED: ExitCode.unavailable,
  EEXIST: ExitCode.cantCreate,
  ETIMEDOUT: ExitCode.tempFail,
};

/** The exit code for a thrown error: its `exitCode` if it has one, else its `code`, else 70 (a bug). */
export function exitCodeFor(err: unknown, extra: Record<string, number> = {}): number {
  if (err && typeof err === 'object') {
    const e = err as { exitCode?: unknown; code?: unknown };
    if (typeof e.exitCode === 'number') return e.exitCode;
    if (typeof e.code === 'string') {
      const c = extra[e.code] ?? byCode[e.code];
      if (c !== undefined) return c;
    }
  }
  return ExitCode.software;
}
