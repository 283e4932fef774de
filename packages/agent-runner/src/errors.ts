/** Errors of @flowmill/agent-runner: one class per failure kind, each with a string `code` (packages/cli exit codes). */
export class AgentRunnerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad options or profile values. */
export class UsageError extends AgentRunnerError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_USAGE', message, options); }
}

/** An input file (workload profile, manifest) that is not there or cannot be read. */
export class MissingInputError extends AgentRunnerError {
  constructor(readonly path: string, why: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_INPUT', `cannot read ${path}: ${why}`, options);
  }
}

/** A file that would be overwritten without --force. */
export class WouldOverwriteError extends AgentRunnerError {
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super('ERR_WOULD_OVERWRITE', `refusing to overwrite: ${path}: exists (--force, or force: true, replaces it)`, options);
  }
}

/** Something did not happen in time (workload peer, agent readiness). */
export class TimeoutError extends AgentRunnerError {
  constructor(readonly what: string, readonly ms: number, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', `timed out: ${what}: nothing after ${ms} ms`, options);
  }
}

/** A peer (authz, intake, local server) could not be reached or refused us. */
export class UnreachableError extends AgentRunnerError {
  constructor(readonly where: string, why: string, options?: { cause?: unknown }) {
    super('ERR_UNREACHABLE', `cannot reach: ${where}: ${why}`, options);
  }
}

/** The authz server's answer is not one the agent accepts (docs/agent-protocol.md §1.4). */
export class AuthzRejectedError extends AgentRunnerError {
  constructor(readonly url: string, why: string, options?: { cause?: unknown }) {
    super('ERR_UNREACHABLE', `authz token rejected: ${url}: ${why}`, options);
  }
}

/** Preflight found the machine unable to run the real agent. */
export class PreflightError extends AgentRunnerError {
  constructor(readonly failed: string[], options?: { cause?: unknown }) {
    super('ERR_UNREACHABLE', `preflight failed: ${failed.length} check(s): ${failed.join('; ')}`, options);
  }
}

/** The workload's own measurement disagrees with itself (e.g. a short read): the manifest would lie. */
export class WorkloadError extends AgentRunnerError {
  constructor(readonly item: string, why: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT', `workload item failed: ${item}: ${why}`, options);
  }
}
