/** Errors of the VM runner, under agent-runner's base class (codes map onto packages/cli's exit table). */
import { AgentRunnerError } from '../errors.js';

/** A helper program (apt-get, dpkg-deb, busybox, qemu) failed. */
export class VmToolError extends AgentRunnerError {
  constructor(readonly what: string, readonly tool: string, why: string, options?: { cause?: unknown }) {
    super('ERR_UNREACHABLE', `${what} failed: ${tool}: ${why}`, options);
  }
}

/** No such kernel: not in the table, not cached, not a file. */
export class KernelNotFoundError extends AgentRunnerError {
  constructor(readonly kernel: string, why: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_INPUT', `no kernel: ${kernel}: ${why}`, options);
  }
}

/** The guest ended without its exit status, or with a non-zero one; the console's last lines say why. */
export class GuestFailedError extends AgentRunnerError {
  constructor(readonly why: string, readonly consoleTail: string[], readonly consoleLog?: string) {
    super('ERR_UNREACHABLE', `guest failed: ${consoleLog ?? 'console'}: ${why}${consoleTail.length ? `\n  ${consoleTail.join('\n  ')}` : ''}`);
  }
}

/** The guest did not finish within the outer timeout: qemu was killed. */
export class GuestTimeoutError extends AgentRunnerError {
  constructor(readonly what: string, readonly ms: number, readonly consoleTail: string[]) {
    super('ERR_TIMEOUT', `timed out: ${what}: nothing after ${ms} ms (qemu killed)${consoleTail.length ? `\n  ${consoleTail.join('\n  ')}` : ''}`);
  }
}
