/** Base class of every error @flowmill/certs throws; `code` maps to an exit code in the CLI (packages/cli). */
export class CertsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A name that is neither a DNS name nor an IP address (or that the CA's name constraints do not permit). */
export class BadNameError extends CertsError {
  constructor(readonly nameValue: string, why: string, options?: { cause?: unknown }) {
    super('ERR_USAGE', `bad certificate name: ${JSON.stringify(nameValue)}: ${why}`, options);
  }
}

/** A file that would be overwritten (or a leaf whose names differ from the ones asked for) without --force. */
export class WouldOverwriteError extends CertsError {
  constructor(readonly path: string, why: string, options?: { cause?: unknown }) {
    super('ERR_WOULD_OVERWRITE', `refusing to overwrite: ${path}: ${why}`, options);
  }
}

/** Half of a pair is missing: a CA certificate without its key (or the reverse), or a leaf cert without its key. */
export class HalfPairError extends CertsError {
  constructor(readonly present: string, readonly missing: string) {
    super('ERR_MISSING_INPUT', `incomplete key pair: ${present}: exists but ${missing} does not (move both away, or restore the missing one)`);
  }
}

/** A key that cannot be read or parsed, or that does not belong to its certificate. */
export class BadKeyError extends CertsError {
  constructor(readonly keyPath: string, readonly certPath: string | undefined, why: string, options?: { cause?: unknown }) {
    super('ERR_BAD_KEY', `bad key: ${certPath ? `${keyPath} and ${certPath}` : keyPath}: ${why}`, options);
  }
}

/** A certificate that cannot be read or parsed, or is not what it must be (not a CA, not signed by the CA). */
export class BadCertError extends CertsError {
  constructor(readonly path: string, why: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT', `bad certificate: ${path}: ${why}`, options);
  }
}

/** Another process holds the directory's lock for too long. */
export class LockTimeoutError extends CertsError {
  constructor(readonly path: string) {
    super('ERR_TIMEOUT', `timed out waiting for a lock: ${path}: another certs run holds it (remove it if no certs process is running)`);
  }
}

/** The key directory cannot be made: a file stands where it should be (73), or its parent is no directory (66). */
export class KeyDirError extends CertsError {
  constructor(readonly path: string, why: string, options?: { cause?: unknown }) {
    const sys = (options?.cause as { code?: unknown } | undefined)?.code;
    super(sys === 'EEXIST' ? 'ERR_WOULD_OVERWRITE' : 'ERR_MISSING_INPUT', `cannot create the key directory: ${path}: ${why}`, options);
  }
}
