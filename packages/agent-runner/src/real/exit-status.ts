/** The agent's exit statuses (agent-protocol.md §5.2), for reports in the agent's own terms. */
export function describeAgentExit(code: number | null, signal: string | null): string {
  if (signal) return signal === 'SIGABRT' ? 'killed by SIGABRT: missing/empty key env, or an uncaught error with --disable-crash-report' : `killed by ${signal}`;
  switch (code) {
    case 0: return 'exited 0 (--help)';
    case 241: return 'stopped by SIGTERM (exit(-15)), the normal stop';
    case 254: return 'stopped by SIGINT (exit(-2))';
    case 247: return 'bad command line (exit(-9))';
    case 255: return 'fatal (exit(-1)): bad key prefix, blacklisted kernel, authz failed 10 times, BPF compile failure or entrypoint error (see agent.log)';
    case 134: return 'aborted (SIGABRT): missing/empty FLOWMILL_AUTH_KEY_ID/SECRET, getaddrinfo failure, or an uncaught error';
    case 125: return 'docker could not start the container';
    default: return `exited ${code}`;
  }
}
