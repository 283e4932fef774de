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
  /** Intake host name the agent connects to and verifies (the leaf certificate's name). */
  intakeHost: string;
  intakePort: number;
  /** TLS to the intake (Flowmill era only; OTel is always plain TCP, eras.md §2.2). */
  tls: boolean;
  /** Base URL for --authz-server (Flowmill era only). */
  authzUrl?: string;
  /** CA the agent must trust (SSL_CERT_FILE, read by its OpenSSL and libcurl: agent-protocol.md §1.3, §2.3). */
  caFile?: string;
  recordPath?: string;
  bpfDumpPath?: string;
  keyId?: string;
  secret?: string;
}

/**
 * The agent's environment and flags for one era (eras.md §2.1; agent-protocol.md §4, §5.4):
 * console logging without a log file, no crash reporter (it would try to upload a minidump), no proxy for
 * localhost (libcurl honours http_proxy, agent-protocol.md §1.2).
 */
export function agentEnvironment(t: AgentTarget): { env: Record<string, string>; args: string[] } {
  const env: Record<string, string> = { no_proxy: 'localhost,127.0.0.1', NO_PROXY: 'localhost,127.0.0.1' };
  const args = ['--log-console', '--no-log-file'];
  if (t.era === 'flowmill') {
    env.FLOWMILL_INTAKE_HOST = t.intakeHost;
    env.FLOWMILL_INTAKE_PORT = String(t.intakePort);
    // TLS verify name; overrides the token's `intake` (agent-protocol.md §2.1)
    env.FLOWMILL_INTAKE_NAME = t.intakeHost;
    env.FLOWMILL_AUTH_KEY_ID = t.keyId ?? DEFAULT_KEY_ID;
    env.FLOWMILL_AUTH_SECRET = t.secret ?? t.keyId ?? DEFAULT_KEY_ID;
    if (!t.tls) env.FLOWMILL_INTAKE_DISABLE_TLS = 'true';
    if (t.recordPath) env.FLOWMILL_RECORD_INTAKE_OUTPUT_PATH = t.recordPath;
    // breakpad would fork an uploader to app.flowmill.com on a crash (agent-protocol.md §1.5); OTel has no such flag
    args.push('--disable-crash-report');
    if (t.authzUrl) args.push(`--authz-server=${t.authzUrl}`);
  } else {
    env.EBPF_NET_INTAKE_HOST = t.intakeHost;
    env.EBPF_NET_INTAKE_PORT = String(t.intakePort);
    if (t.recordPath) env.EBPF_NET_RECORD_INTAKE_OUTPUT_PATH = t.recordPath;
  }
  if (t.caFile) env.SSL_CERT_FILE = t.caFile;
  if (t.bpfDumpPath) args.push(`--bpf-dump-file=${t.bpfDumpPath}`);
  return { env, args };
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

/**
 * The command line that starts a real agent: the binary directly when we are root, through `sudo env K=V …`
 * otherwise (the agent loads eBPF programs), or `docker run` with the documented minimal set of mounts (eras.md
 * §2.5) plus the run directory and the CA mounted at the same paths.
 */
export function agentCommand(
  how: { binary: string; sudo: boolean } | { image: string; name: string; mounts: string[] },
  era: Era,
  env: Record<string, string>,
  args: string[],
): string[] {
  if ('binary' in how) {
    if (!how.sudo) return [how.binary, ...args];
    return ['sudo', '-n', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), how.binary, ...args];
  }
  const host = era === 'flowmill' ? '/var/run/flowmill/host' : '/hostfs';
  const docker = ['docker', 'run', '--rm', '--name', how.name, '--privileged', '--pid', 'host', '--network', 'host'];
  docker.push('-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', '/sys/fs/cgroup:/hostfs/sys/fs/cgroup');
  docker.push('-v', `/etc:${host}/etc`, '-v', `/var/cache:${host}/cache`, '-v', `/usr/src:${host}/usr/src`, '-v', `/lib/modules:${host}/lib/modules`);
  if (era === 'otel') docker.push('--env', 'EBPF_NET_HOST_DIR=/hostfs');
  for (const m of how.mounts) docker.push('-v', `${m}:${m}`);
  for (const [k, v] of Object.entries(env)) docker.push('--env', `${k}=${v}`);
  return [...docker, how.image, ...args];
}
