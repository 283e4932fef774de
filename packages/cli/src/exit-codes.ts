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
  unavailable: 69, // EX_UNAVAILABLE: port busy, peer unreachable or gone (EPIPE)
  software: 70, // EX_SOFTWARE: a bug of ours
  cantCreate: 73, // EX_CANTCREAT: would overwrite an existing key, recording or report
  ioErr: 74, // EX_IOERR: writing failed part-way (disk full, quota, file too large, I/O error)
  tempFail: 75, // EX_TEMPFAIL: timed out waiting
  interrupted: 130, // 128 + SIGINT(2): forced out by a second Ctrl-C while stopping
  terminated: 143, // 128 + SIGTERM(15): forced out by a second SIGTERM while stopping
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The shell's code for a process ended by `signal` (128 + its number): 130 SIGINT, 143 SIGTERM, 137 SIGKILL. */
export function signalExitCode(signal: NodeJS.Signals): number {
  if (signal === 'SIGINT') return ExitCode.interrupted;
  if (signal === 'SIGTERM') return ExitCode.terminated;
  const n = (SIGNAL_NUMBERS as Record<string, number | undefined>)[signal];
  return n === undefined ? ExitCode.software : 128 + n;
}
/** POSIX numbers of the signals a bin may be stopped with (the same on Linux and macOS). */
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as const;

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
  ERR_IO: ExitCode.ioErr,
  ERR_TIMEOUT: ExitCode.tempFail,
  ERR_CHECKS_FAILED: ExitCode.checksFailed,
  ENOENT: ExitCode.noInput,
  EACCES: ExitCode.noInput,
  EISDIR: ExitCode.noInput,
  ENOTDIR: ExitCode.noInput,
  EADDRINUSE: ExitCode.unavailable,
  EADDRNOTAVAIL: ExitCode.unavailable,
  ECONNREFUSED: ExitCode.unavailable,
  EPIPE: ExitCode.unavailable, // the reader of our output went away
  EEXIST: ExitCode.cantCreate,
  ENOSPC: ExitCode.ioErr, // disk full: nothing would be overwritten, the write just did not fit
  EDQUOT: ExitCode.ioErr,
  EFBIG: ExitCode.ioErr,
  EIO: ExitCode.ioErr,
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
