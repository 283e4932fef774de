/**
 * The real agent's constants and exit statuses, defined once for every package (the recipe, the CLIs, the runner's
 * targets). Each carries the place in the agent's source it comes from.
 */

/**
 * The readiness line, logged once the first intake connection is up and the probes are loaded
 * (collector/kernel/kernel_collector.cc@3598385a:318, main:299). The simulated agent logs the same line.
 */
export const AGENT_READY = 'Agent connected successfully. Telemetry is flowing!';

/**
 * Exit statuses. On SIGINT/SIGTERM the agent runs its `on_close` (collector/kernel/main.cc@3598385a:673-676) and then
 * `exit(-signum)` (util/signal_handler.cc@3598385a:441-451), which the shell sees as 256 − signum: 241 after SIGTERM
 * is the clean stop, 254 after SIGINT. Startup failures call `exit(-1)` = 255 (main.cc@3598385a:259, 280, 420;
 * signal_handler.cc@3598385a:139, 154 after a crash).
 */
export const AGENT_EXIT = {
  sigterm: 241,
  sigint: 254,
  fatal: 255,
} as const;

/** What SIGTERM makes the agent exit with: exit(-15) = 241 (see AGENT_EXIT). */
export const AGENT_SIGTERM_EXIT = AGENT_EXIT.sigterm;

/**
 * The recipe's example agent key: the agent only checks the 4-character `KFII` prefix (docs/agent-protocol.md §1.1);
 * mock-authz never checks the secret, so the secret defaults to the key id too.
 */
export const DEFAULT_KEY_ID = 'KFIIVU75RGHY7EC7JABW';

/** The fake cloud's conventional ports: the recipe's agent command line, and the reducer's plain intake (docs/eras.md §2.2). */
export const DEFAULT_PORTS = {
  /** mock-authz (`--authz-server=http://localhost:8001`). */
  authz: 8001,
  /** tls-sink with TLS (`FLOWMILL_INTAKE_PORT=7001`). */
  intakeTls: 7001,
  /** Plain intake: the OpenTelemetry reducer's default 8000. */
  intakePlain: 8000,
} as const;

/** The agent's exit statuses in its own terms, for reports. */
export function describeAgentExit(code: number | null, signal: string | null): string {
  if (signal) return signal === 'SIGABRT' ? 'killed by SIGABRT: missing/empty key env, or an uncaught error with --disable-crash-report' : `killed by ${signal}`;
  switch (code) {
    case 0: return 'exited 0 (--help)';
    case AGENT_EXIT.sigterm: return 'stopped by SIGTERM (exit(-15)), the normal stop';
    case AGENT_EXIT.sigint: return 'stopped by SIGINT (exit(-2))';
    case 247: return 'bad command line (exit(-9))';
    case AGENT_EXIT.fatal: return 'fatal (exit(-1)): bad key prefix, blacklisted kernel, authz failed 10 times, BPF compile failure or entrypoint error (see agent.log)';
    case 134: return 'aborted (SIGABRT): missing/empty FLOWMILL_AUTH_KEY_ID/SECRET, getaddrinfo failure, or an uncaught error';
    case 137: return 'killed by SIGKILL (128 + 9, as docker reports it)';
    case 125: return 'docker could not start the container';
    default: return `exited ${code}`;
  }
}

/**
 * Whether an exit after we asked the agent to stop is the clean one: 241 (or 254 for SIGINT), or SIGKILL when it
 * outlived the grace period (reported, but not a failure of the recording up to then).
 */
export function isCleanStop(code: number | null, signal: string | null): boolean {
  return code === AGENT_EXIT.sigterm || code === AGENT_EXIT.sigint || signal === 'SIGKILL';
}
