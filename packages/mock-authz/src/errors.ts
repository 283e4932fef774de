/** Base class of every error @flowmill/mock-authz throws; `code` maps to an exit code in the CLI. */
export class MockAuthzError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The address is taken (EADDRINUSE) or cannot be bound (EADDRNOTAVAIL, EACCES). */
export class ListenError extends MockAuthzError {
  constructor(readonly host: string, readonly port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is in use (another mock-authz or stunnel?)' : cause.code === 'EACCES' ? 'permission denied (ports below 1024 need root)' : cause.message;
    super('ERR_PORT_BUSY', `cannot listen: ${host.includes(':') ? `[${host}]` : host}:${port}: ${why}`, { cause });
  }
}

/** A TLS certificate or key that cannot be read, parsed, or does not match. */
export class TlsMaterialError extends MockAuthzError {
  constructor(code: 'ERR_MISSING_INPUT' | 'ERR_BAD_KEY', readonly path: string, why: string, options?: { cause?: unknown }) {
    super(code, `bad TLS material: ${path}: ${why}`, options);
  }
}

/** Options that contradict each other or are out of range. */
export class AuthzUsageError extends MockAuthzError {
  constructor(what: string, why: string) {
    super('ERR_USAGE', `bad option: ${what}: ${why}`);
  }
}
