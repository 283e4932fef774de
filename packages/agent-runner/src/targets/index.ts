/**
 * One way to run an agent: `startAgent(target, options)` for every kind of target. Each kind lives in its own file
 * here and is listed once in STARTERS; see README.md in this folder for adding one.
 */
import { startBinary } from './binary.js';
import { startDocker } from './docker.js';
import { startSimulated } from './simulated.js';
import { startVmAgent } from './vm.js';
import type { AgentKind, AgentTarget, RunningAgent, StartAgentOptions, Starter } from './types.js';

const STARTERS: { [K in AgentKind]: Starter<Extract<AgentTarget, { kind: K }>> } = {
  binary: startBinary,
  docker: startDocker,
  simulated: startSimulated,
  vm: startVmAgent,
};

/**
 * Starts the agent `target` describes, sending to and recording where `o` says. Resolves once it runs (a program
 * that cannot be executed rejects with StartError); `ready` then says when telemetry flows.
 */
export function startAgent(target: AgentTarget, o: StartAgentOptions): Promise<RunningAgent> {
  const start = STARTERS[target.kind] as Starter<AgentTarget> | undefined;
  if (!start) return Promise.reject(new TypeError(`startAgent: unknown target kind: ${String((target as { kind?: unknown }).kind)}`));
  return start(target, o);
}
