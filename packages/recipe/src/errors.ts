/**
 * One error class per way a recipe can fail. Each has a string `code` (the shared table in packages/cli maps it to
 * an exit code), the fields that say where, and the original error as `cause`. Messages read `what: where: why`.
 */
export class RecipeError extends Error {
  readonly code: string;
  /** The step that was running when it failed ('keys', 'servers', 'agent', 'workload', 'decode', 'check', ...). */
  step?: string;
  constructor(code: string, message: string, opts: { cause?: unknown; step?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.step = opts.step;
  }
}

/** A port we must listen on is taken (exit 69). */
export class PortBusyError extends RecipeError {
  constructor(readonly host: string, readonly port: number, readonly role: string, cause?: unknown) {
    super('ERR_PORT_BUSY', `cannot listen: ${role} on ${host}:${port}: port busy (pick another with --${role}-port, or 0 for any)`, { cause });
  }
}

/** Keys missing and we were told not to create them, or they are broken (exit 66). */
export class KeysError extends RecipeError {
  constructor(readonly dir: string, why: string, cause?: unknown) {
    super('ERR_BAD_KEY', `keys unusable: ${dir}: ${why}`, { cause });
  }
}

/** The agent binary or docker is missing (exit 66). */
export class AgentNotFoundError extends RecipeError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('ERR_MISSING_INPUT', `cannot start the agent: ${path}: ${why}`, { cause });
  }
}

/** The agent (or another child) ended before it was asked to (exit 69: the peer went away). */
export class ChildExitedError extends RecipeError {
  constructor(readonly role: string, readonly exit: number | null, readonly signal: string | null, readonly logFile?: string) {
    super('ERR_UNREACHABLE', `${role} ended early: ${signal ? `signal ${signal}` : `exit ${exit}`}${logFile ? `: see ${logFile}` : ''}`);
  }
}

/** A step did not become ready in time (exit 75). */
export class StepTimeoutError extends RecipeError {
  constructor(readonly what: string, readonly ms: number, readonly hint?: string) {
    super('ERR_TIMEOUT', `timed out: ${what}: nothing after ${(ms / 1000).toFixed(1)}s${hint ? ` (${hint})` : ''}`);
  }
}

/**
 * Ctrl-C / SIGTERM during `recipe run`: not every check passed, so not 0; the conventional 130/143 instead (a
 * daemon such as `recipe serve` exits 0 on SIGTERM, docs/development.md §6).
 */
export class InterruptedError extends RecipeError {
  /** The shell's status for death by that signal (128 + signo): 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  constructor(readonly signal: string, step?: string) {
    super('ERR_INTERRUPTED', `stopped: ${signal}${step ? `: during ${step}` : ''}`, { step });
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}

/** `recipe env/down/status` found no running fake cloud, or a state file we cannot read (exit 66). */
export class StateError extends RecipeError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('ERR_MISSING_INPUT', `no fake cloud: ${path}: ${why}`, { cause });
  }
}

/** A run directory that already holds a run (exit 73). */
export class RunDirExistsError extends RecipeError {
  constructor(readonly path: string, live = false) {
    super('ERR_WOULD_OVERWRITE', live ? `run directory in use: ${path}: a fake cloud runs there (recipe down --dir ${path} first)` : `run directory in use: ${path}: it already holds a run (choose another --out, or --force)`);
  }
}

/** Bad combination of options that the flag parser could not see (exit 64). */
export class UsageError extends RecipeError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}
