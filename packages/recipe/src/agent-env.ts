import { buildAgentCommand, type AgentCommand } from '@flowmill/agent-runner';
import type { Era } from './types.js';

/**
 * A fabricated agent key: the agent checks only the 4-character prefix `KFII` (agent-protocol.md §1.1); this is the
 * recipe's own example value (recorder-recipe.md, "Running the agent"). The secret must be non-empty and is never
 * checked by mock-authz, so the recipe uses the key id again, as the original did.
 */
export const DEFAULT_KEY_ID = 'KFIIVU75RGHY7EC7JABW';

/** Default ports, the recipe's agent command line (recorder-recipe.md) and eras.md §2.2. */
export const DEFAULT_PORTS = {
  /** `--authz-server=https://localhost:8001` in the recipe's agent command. */
  authz: 8001,
  /** `FLOWMILL_INTAKE_PORT=7001` (stunnel TLS in front of nc) in the recipe. */
  intakeTls: 7001,
  /** OpenTelemetry era: the reducer's default plain intake port 8000 (eras.md §2.2); also --plain's default. */
  intakePlain: 8000,
} as const;

/** Everything the agent needs to find the fake cloud and where to write its recordings. */
export interface AgentTarget {
  era: Era;
  /**
   * Address the agent connects to: the servers' listen address, not `localhost`. The agent uses the FIRST
   * getaddrinfo result (agent-protocol.md §2.1), which is ::1 for localhost on many hosts, where nothing listens.
   */
  intakeHost: string;
  /** Name the agent verifies the intake certificate with (FLOWMILL_INTAKE_NAME, §2.1); default `intakeHost`. */
  intakeName?: string;
  intakePort: number;
  /** TLS to the intake (Flowmill era only; OTel is always plain TCP, eras.md §2.2). */
  tls: boolean;
  /** Base URL for --authz-server (Flowmill era only). */
  authzUrl?: string;
  /** CA the agent must trust (SSL_CERT_FILE, read by its OpenSSL and libcurl: agent-protocol.md §1.3, §2.3). */
  caFile?: string;
  /** Absolute run directory: the agent writes intake.record and bpf.raw there. */
  runDir: string;
  keyId?: string;
  secret?: string;
}

/** How to run a real agent. */
export type AgentHow = { binary: string; sudo?: boolean } | { image: string; name?: string };

/**
 * The real agent's command line and environment, built by agent-runner's `buildAgentCommand` (one source of truth
 * for eras.md §2.1/§2.5 and agent-protocol.md §4). The environment is complete (nothing inherited). When we are not
 * root, a binary runs through `sudo -n env K=V …` (the agent loads eBPF programs; sudo would reset the environment).
 */
export function realAgentCommand(t: AgentTarget, how: AgentHow): AgentCommand {
  const cmd = buildAgentCommand({
    era: t.era,
    ...('binary' in how ? { agent: how.binary } : { docker: how.image, containerName: how.name }),
    runDir: t.runDir,
    intake: { host: t.intakeHost, port: t.intakePort, tls: t.era === 'flowmill' ? t.tls : undefined, name: t.era === 'flowmill' && t.tls ? (t.intakeName ?? t.intakeHost) : undefined },
    authz: t.era === 'flowmill' ? { server: t.authzUrl ?? `https://${t.intakeName ?? t.intakeHost}:${DEFAULT_PORTS.authz}`, keyId: t.keyId ?? DEFAULT_KEY_ID, secret: t.secret ?? t.keyId ?? DEFAULT_KEY_ID } : undefined,
    caFile: t.caFile,
  });
  if ('binary' in how && how.sudo) {
    return { ...cmd, argv: ['sudo', '-n', 'env', ...Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`), ...cmd.argv] };
  }
  return cmd;
}

/** The agent's variables and flags alone (what `recipe env` exports), without PATH. */
export function agentEnvironment(t: AgentTarget): { env: Record<string, string>; args: string[] } {
  const cmd = realAgentCommand(t, { binary: 'agent' });
  const { PATH: _path, ...env } = cmd.env;
  return { env, args: cmd.argv.slice(1) };
}

/** POSIX shell quoting: `'…'` with embedded quotes escaped. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
