/** Errors of the checker library: one class per failure kind, each with a string `code` and the fields saying where. */
export class CheckerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A named input file does not exist or cannot be read (exit 66). */
export class MissingInputError extends CheckerError {
  readonly path: string;
  readonly input: string;
  constructor(input: string, path: string, why: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_INPUT', `cannot read the ${input} input: ${path}: ${why}`, options);
    this.path = path;
    this.input = input;
  }
}

/** Bad options: unknown preset, unknown check id, a config file that is not JSON or names unknown keys (exit 64). */
export class UsageError extends CheckerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_USAGE', message, options);
  }
}

/** An input that exists but cannot be used: a `.render` schema that does not parse (exit 65, as from raw-codec). */
export class BadInputError extends CheckerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BAD_INPUT', message, options);
  }
}

/** An output file (the --html page) exists and no --force was given (exit 73). */
export class WouldOverwriteError extends CheckerError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super('ERR_WOULD_OVERWRITE', `refusing to overwrite: ${path}: exists (use --force to replace it)`, options);
    this.path = path;
  }
}
