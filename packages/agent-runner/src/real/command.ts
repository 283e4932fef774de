import { isAbsolute, join } from 'node:path';
import { UsageError } from '../errors.js';
import { RUN_FILES, runLayout } from '../run-layout.js';
import type { Era } from '../sim/encoding.js';

/** Where the run directory is mounted inside the container (the recorder README used /trace, docs/eras.md §2.5). */
export const CONTAINER_RUN_DIR = '/trace';
/** Where the CA file is mounted inside the container; SSL_CERT_FILE points at it. */
export const CONTAINER_CA_FILE = '/var/run/agent-runner/ca.pem';
/** What masked values print as. */
export const MASK = '********';

export interface RealAgentOptions {
  era: Era;
  /** Kernel collector binary (binary mode). Exactly one of `agent` and `docker`. */
  agent?: string;
  /** Docker image (docker mode), e.g. `kernel-collector` or `otel/opentelemetry-ebpf-kernel-collector:v0.11.0`. */
  docker?: string;
  /** Absolute run directory: the BPF dump, the record file and the agent's log go there (run-layout.ts). */
  runDir: string;
  /** Binary mode: run through `sudo -n env K=V … agent` (we are not root; sudo would reset the environment). */
  sudo?: boolean;
  intake: { host: string; port: number; /** TLS name (FLOWMILL_INTAKE_NAME); Flowmill only */ name?: string; /** Flowmill only; default true */ tls?: boolean };
  /**
   * Flowmill era: authz URL, key id (KFII…) and secret. Plain `http://` is the default the CLIs and the recipe give
   * a real agent: the agent keeps a scheme it is given (util/url.cc@3598385a:19-25, called from
   * util/authz_fetcher.cc@3598385a:103-106) and hands the URL to libcurl as is (util/curl_engine.cc@3598385a:138,
   * no protocol restriction), while `https://` depends on a CA trust its libcurl may not take from SSL_CERT_FILE
   * (see authzTrustSteps).
   */
  authz?: { server: string; keyId: string; secret: string };
  /** CA certificate file the agent must trust for intake TLS and https authz (SSL_CERT_FILE: docs/agent-protocol.md §2.3). */
  caFile?: string;
  /** PATH for the agent's environment (binary mode) or for the docker CLI. */
  path?: string;
  /** docker mode: the docker CLI (default `docker`) and a container name. */
  dockerCli?: string;
  containerName?: string;
  /** Flowmill only: pass --disable-crash-report (default true: no minidump upload offline, docs/agent-protocol.md §4.1). */
  disableCrashReport?: boolean;
  /** docker mode: the docker CLI's own variables (HOME, DOCKER_HOST, DOCKER_CONFIG, DOCKER_CONTEXT); they are not
   * passed into the container (only the `--env NAME` ones are). */
  dockerClientEnv?: Record<string, string>;
  /** Extra agent flags and environment (appended; they can override ours). */
  extraArgs?: string[];
  extraEnv?: Record<string, string>;
}

export interface AgentCommand {
  /** argv[0] is the program: the agent binary or the docker CLI. */
  argv: string[];
  /** The complete environment to spawn with (nothing inherited). */
  env: Record<string, string>;
  /** `env` with secrets replaced by MASK (what --dry-run prints). */
  masked: Record<string, string>;
  era: Era;
  mode: 'binary' | 'docker';
  /** docker mode: the container's name (for `docker inspect`, `exec`, `kill`, `rm`). */
  containerName?: string;
  /** Host paths of the recordings the agent will write. */
  files: { bpf: string; record: string; log: string };
}

const SECRET_VARS = new Set(['FLOWMILL_AUTH_SECRET']);
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The exact command line and environment for the real agent (issue #4; docs/eras.md §2.1 and §2.5; docs/agent-protocol.md
 * §4). The environment is built from scratch — no FLOWMILL_ or EBPF_NET_ or proxy variables leak in from ours —
 * and proxies are disabled (`no_proxy=*`, docs/agent-protocol.md §1.2).
 */
export function buildAgentCommand(o: RealAgentOptions): AgentCommand {
  if (!!o.agent === !!o.docker) throw new UsageError('agent command: give exactly one of an agent binary or a docker image');
  if (!isAbsolute(o.runDir)) throw new UsageError(`agent command: run directory must be absolute: ${o.runDir}`);
  if (!Number.isInteger(o.intake.port) || o.intake.port <= 0 || o.intake.port > 65535) throw new UsageError(`agent command: bad intake port: ${o.intake.port}`);
  const mode = o.agent ? 'binary' : 'docker';
  const docker = mode === 'docker';
  const P = o.era === 'flowmill' ? 'FLOWMILL_' : 'EBPF_NET_'; // docs/eras.md §2.1 env prefix
  const inDir = (f: string) => (docker ? `${CONTAINER_RUN_DIR}/${f}` : join(o.runDir, f));
  const layout = runLayout(o.runDir);
  const files = { bpf: layout.path('bpf'), record: layout.path('record'), log: layout.path('agentLog') };

  // the agent's own variables
  const agentEnv: Record<string, string> = {};
  agentEnv[`${P}INTAKE_HOST`] = o.intake.host; // required in the Flowmill era (docs/agent-protocol.md §2.1)
  agentEnv[`${P}INTAKE_PORT`] = String(o.intake.port);
  agentEnv[`${P}RECORD_INTAKE_OUTPUT_PATH`] = inDir(RUN_FILES.record); // the plaintext copy (docs/agent-protocol.md §2.9)
  const args = ['--log-console', '--no-log-file']; // docs/eras.md §2.1: always console, never the rotating file
  args.push(`--bpf-dump-file=${inDir(RUN_FILES.bpf)}`); // docs/agent-protocol.md §3 (the runner deletes it first: append mode)
  if (o.era === 'flowmill') {
    if (!o.authz) throw new UsageError('agent command: the Flowmill era needs --authz-server, a key id and a secret');
    if (!o.authz.keyId.startsWith('KFII')) throw new UsageError(`agent command: key id must start with KFII (docs/agent-protocol.md §1.1): ${o.authz.keyId}`);
    if (!o.authz.secret) throw new UsageError('agent command: the secret must be non-empty (the agent aborts otherwise, docs/agent-protocol.md §1.1)');
    const tls = o.intake.tls !== false;
    agentEnv.FLOWMILL_INTAKE_DISABLE_TLS = tls ? 'false' : 'true'; // docs/agent-protocol.md §4.2 bool spelling
    if (tls && o.intake.name !== undefined) agentEnv.FLOWMILL_INTAKE_NAME = o.intake.name; // SNI/verify name (§2.1)
    agentEnv.FLOWMILL_AUTH_KEY_ID = o.authz.keyId;
    agentEnv.FLOWMILL_AUTH_SECRET = o.authz.secret;
    agentEnv.FLOWMILL_AUTHZ_SERVER = o.authz.server;
    args.push(`--authz-server=${o.authz.server}`);
    if (o.disableCrashReport !== false) args.push('--disable-crash-report'); // Flowmill only: OTel has no breakpad (docs/eras.md §2.1)
  } else {
    if (o.authz) throw new UsageError('agent command: the OpenTelemetry era has no authz (docs/eras.md §2.1)');
    if (o.intake.tls) throw new UsageError('agent command: the OpenTelemetry era only speaks plain TCP (docs/eras.md §2.2)');
    if (docker) agentEnv.EBPF_NET_HOST_DIR = '/hostfs'; // docs/eras.md §2.5: CI's minimal working set
  }
  if (o.caFile) agentEnv.SSL_CERT_FILE = docker ? CONTAINER_CA_FILE : o.caFile; // OpenSSL default verify paths (§2.3)
  // libcurl honours proxy variables (docs/agent-protocol.md §1.2): make sure none applies to the local fake cloud
  agentEnv.no_proxy = '*';
  agentEnv.NO_PROXY = '*';
  Object.assign(agentEnv, o.extraEnv ?? {});
  args.push(...(o.extraArgs ?? []));

  const path = o.path ?? DEFAULT_PATH;
  let argv: string[];
  let env: Record<string, string>;
  let containerName: string | undefined;
  if (!docker) {
    argv = [o.agent!, ...args];
    env = { PATH: path, ...agentEnv };
    if (o.sudo) argv = ['sudo', '-n', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
  } else {
    if (o.sudo) throw new UsageError('agent command: sudo applies to a binary (docker runs through its daemon)');
    containerName = o.containerName ?? `agent-runner-${o.era}-${process.pid}`;
    const hostDir = o.era === 'flowmill' ? '/var/run/flowmill/host' : '/hostfs'; // docs/eras.md §2.1 host dir
    argv = [o.dockerCli ?? 'docker', 'run', '--rm', '--name', containerName,
      // docs/eras.md §2.5: the era's documented privileges
      '--privileged', '--pid', 'host', '--network', 'host'];
    // values travel in the docker CLI's environment, not on its command line (`--env NAME`: secrets stay out of ps)
    for (const k of Object.keys(agentEnv).sort()) argv.push('--env', k);
    argv.push('--volume', '/var/run/docker.sock:/var/run/docker.sock', '--volume', '/sys/fs/cgroup:/hostfs/sys/fs/cgroup',
      '--volume', `/etc:${hostDir}/etc`, '--volume', `/var/cache:${hostDir}/cache`, '--volume', `/usr/src:${hostDir}/usr/src`,
      '--volume', `/lib/modules:${hostDir}/lib/modules`, '--volume', `${o.runDir}:${CONTAINER_RUN_DIR}`);
    if (o.caFile) argv.push('--volume', `${o.caFile}:${CONTAINER_CA_FILE}:ro`);
    argv.push(o.docker!, ...args);
    const client = Object.fromEntries(Object.entries(o.dockerClientEnv ?? {}).filter(([k]) => /^(HOME|DOCKER_HOST|DOCKER_CONFIG|DOCKER_CONTEXT|DOCKER_CERT_PATH|DOCKER_TLS_VERIFY)$/.test(k)));
    env = { PATH: path, ...client, ...agentEnv };
  }
  const masked = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_VARS.has(k) ? MASK : v]));
  return { argv, env, masked, era: o.era, mode, ...(containerName ? { containerName } : {}), files };
}

/** `argv` for a log line: a secret passed as `NAME=value` (sudo's `env`) is masked. */
export function maskArgv(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const k = a.slice(0, a.indexOf('='));
    return a.includes('=') && SECRET_VARS.has(k) ? `${k}=${MASK}` : a;
  });
}

/**
 * What a person must do before a real agent can fetch its token over https from the fake cloud: the agent's libcurl
 * verifies the server against the system store, and Debian's libcurl (the agent's images and most hosts) does not
 * read SSL_CERT_FILE, so the CA must be installed system-wide (on the host for a binary, inside the image for docker).
 * `curl --cacert` proves the server side works but only for curl itself. Plain `http://` authz needs none of this.
 */
export function authzTrustSteps(caFile: string, authzUrl: string): string[] {
  return [
    `https authz: the agent's libcurl must trust ${caFile} system-wide (Debian's libcurl ignores SSL_CERT_FILE):`,
    `  sudo cp ${shellQuote(caFile)} /usr/local/share/ca-certificates/flowmill-recipe-ca.crt && sudo update-ca-certificates`,
    '  docker: build a derived image that does the same, or mount the file there and run update-ca-certificates in it',
    `  check it: curl -sS ${authzUrl}/ must get an HTTP answer, not a certificate error (curl --cacert ${shellQuote(caFile)} proves the server, for curl only)`,
    '  undo: sudo rm /usr/local/share/ca-certificates/flowmill-recipe-ca.crt && sudo update-ca-certificates --fresh',
    '  or leave out the https option: plain http authz, TLS intake unchanged',
  ];
}

/** POSIX shell quoting: a word of safe characters as is, anything else in `'…'` with embedded quotes escaped. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command as one shell line, `env -i` + masked environment + argv (what `run --dry-run` prints). */
export function renderCommand(c: AgentCommand): string {
  const env = Object.keys(c.masked).sort().map((k) => `  ${k}=${shellQuote(c.masked[k])} \\`);
  return ['env -i \\', ...env, `  ${c.argv.map(shellQuote).join(' ')}`].join('\n');
}
