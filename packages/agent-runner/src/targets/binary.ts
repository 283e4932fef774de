import { buildAgentCommand } from '../real/command.js';
import { DEFAULT_KEY_ID } from '../real/exit-status.js';
import { startAgentProcess } from './agent-process.js';
import type { AgentSetup, BinaryTarget, RunningAgent, StartAgentOptions } from './types.js';

/** The authz part of a real agent's command: key id and secret default to DEFAULT_KEY_ID. */
export function authzOf(s: AgentSetup): { server: string; keyId: string; secret: string } | undefined {
  if (!s.authz) return undefined;
  const keyId = s.authz.keyId ?? DEFAULT_KEY_ID;
  return { server: s.authz.server, keyId, secret: s.authz.secret ?? keyId };
}

/** The kernel collector binary, directly or through `sudo -n`; stopped with SIGTERM to its process group. */
export function startBinary(t: BinaryTarget, o: StartAgentOptions): Promise<RunningAgent> {
  const command = buildAgentCommand({
    era: o.era, agent: t.path, sudo: t.sudo, runDir: o.runDir, intake: o.intake, authz: authzOf(o), caFile: o.caFile,
    path: t.envPath, extraArgs: t.extraArgs, extraEnv: t.extraEnv,
  });
  return startAgentProcess('binary', command, o);
}
