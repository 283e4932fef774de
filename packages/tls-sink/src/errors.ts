/**
 * Every failure of the sink is a TlsSinkError with a string `code` (the shared codes of packages/cli's exit table,
 * so the bin maps them to distinct exit codes), the fields that say where, and the original error as `cause`.
 * Messages read `what failed: where: why`.
 */
export class TlsSinkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Options that cannot work together or values out of range. */
export class SinkUsageError extends TlsSinkError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** The port is taken (EADDRINUSE) or the address is not ours to bind (EADDRNOTAVAIL, EACCES on a low port). */
export class PortBusyError extends TlsSinkError {
  constructor(readonly host: string, readonly port: number, cause: unknown) {
    super('ERR_PORT_BUSY', `cannot listen: ${host}:${port}: ${reason(cause)}`, { cause });
  }
}

/** The certificate or key cannot be read, or is not a usable PEM pair. */
export class BadKeyError extends TlsSinkError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('ERR_BAD_KEY', `cannot load TLS key material: ${path}: ${why}`, { cause });
  }
}

/** An output file (or an --out-dir capture) exists and neither append nor force was asked for. */
export class WouldOverwriteError extends TlsSinkError {
  constructor(readonly path: string) {
    super('ERR_WOULD_OVERWRITE', `refusing to overwrite: ${path}: exists (use --append or --force)`);
  }
}

/** The --keylog file cannot be opened; checked before the capture is created, so a retry finds no stray file. */
export class KeylogError extends TlsSinkError {
  constructor(readonly path: string, cause: unknown) {
    super(outputCode(cause), `cannot open the TLS key log: ${path}: ${reason(cause)}`, { cause });
  }
}

/** Writing the capture failed (disk full, closed pipe, ...); what was written before stays written. */
export class OutputError extends TlsSinkError {
  constructor(readonly path: string, cause: unknown) {
    super(outputCode(cause), `cannot write the capture: ${path}: ${reason(cause)}`, { cause });
  }
}

/** The cause's system code (ENOSPC → 74, EPIPE → 69, ENOENT → 66 in the exit table), else ERR_IO (74): a failed write. */
function outputCode(cause: unknown): string {
  const c = (cause as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^E[A-Z]+$/.test(c) ? c : 'ERR_IO';
}

export function reason(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const msg = typeof e.message === 'string' ? e.message.split('\n')[0] : String(err);
    return typeof e.code === 'string' && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
  }
  return String(err);
}
