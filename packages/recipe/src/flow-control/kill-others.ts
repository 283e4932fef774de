import { ChildExitedError } from '../errors.js';
import type { ExitInfo } from '@flowmill/agent-runner';

/**
 * concurrently's `--kill-others`: when a process we depend on ends on its own (the agent crashed, the sink died),
 * abort the whole flow, so the teardown stops the others and the run fails with one clear line.
 * `expected()` says whether we asked it to stop (then its exit is not an error).
 */
export function killOthers(
  abort: (reason: Error) => void,
  role: string,
  exited: Promise<ExitInfo>,
  opts: { expected: () => boolean; logFile?: string },
): void {
  exited.then(
    (e) => {
      if (!opts.expected()) abort(new ChildExitedError(role, e.code, e.signal, opts.logFile));
    },
    (err) => {
      if (!opts.expected()) abort(err instanceof Error ? err : new Error(String(err)));
    },
  );
}
