import { agentCommandFor, shellQuote, type AgentSetup } from '@flowmill/agent-runner';

/**
 * The agent's variables and flags alone (what `recipe env` exports), without PATH: agent-runner's command for a
 * binary (one source of truth for the agent's environment, docs/eras.md §2.1 and docs/agent-protocol.md §4).
 */
export function agentEnvironment(s: AgentSetup): { env: Record<string, string>; args: string[] } {
  const cmd = agentCommandFor({ kind: 'binary', path: 'agent' }, s);
  const { PATH: _path, ...env } = cmd.env;
  return { env, args: cmd.argv.slice(1) };
}

/** `export K='v'` lines, for `eval "$(recipe env)"`. */
export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
}

/** The address to connect to for a listen address: a wildcard listener is reached on loopback. */
export function connectHost(listen: string): string {
  return listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
}
