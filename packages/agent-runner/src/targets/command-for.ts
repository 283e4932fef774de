import { buildAgentCommand, type AgentCommand } from '../real/command.js';
import { DEFAULT_KEY_ID } from '../real/exit-status.js';
import type { AgentSetup, BinaryTarget, DockerTarget } from './types.js';

/** The authz part of a real agent's command: key id and secret default to DEFAULT_KEY_ID. */
export function authzOf(s: AgentSetup): { server: string; keyId: string; secret: string } | undefined {
  if (!s.authz) return undefined;
  const keyId = s.authz.keyId ?? DEFAULT_KEY_ID;
  return { server: s.authz.server, keyId, secret: s.authz.secret ?? keyId };
}

/**
 * The real agent's command line and environment for a binary or docker target (buildAgentCommand): what
 * startAgent runs, and what `recipe env` exports for a person to run.
 */
export function agentCommandFor(t: BinaryTarget | DockerTarget, s: AgentSetup): AgentCommand {
  const common = {
    era: s.era, runDir: s.runDir, authz: authzOf(s), caFile: s.caFile, path: t.envPath, extraArgs: t.extraArgs, extraEnv: t.extraEnv,
    // the OpenTelemetry era has no TLS and no intake name (docs/eras.md §2.2)
    intake: { host: s.intake.host, port: s.intake.port, ...(s.era === 'flowmill' ? { tls: s.intake.tls, name: s.intake.name } : {}) },
  };
  return t.kind === 'binary'
    ? buildAgentCommand({ ...common, agent: t.path, sudo: t.sudo })
    : buildAgentCommand({ ...common, docker: t.image, containerName: t.containerName, dockerCli: t.dockerCli, dockerClientEnv: t.dockerClientEnv });
}
