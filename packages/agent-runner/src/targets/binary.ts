import { startAgentProcess } from './agent-process.js';
import { agentCommandFor } from './command-for.js';
import type { BinaryTarget, RunningAgent, StartAgentOptions } from './types.js';

/** The kernel collector binary, directly or through `sudo -n`; stopped with SIGTERM to its process group. */
export function startBinary(t: BinaryTarget, o: StartAgentOptions): Promise<RunningAgent> {
  return startAgentProcess('binary', agentCommandFor(t, o), o);
}
