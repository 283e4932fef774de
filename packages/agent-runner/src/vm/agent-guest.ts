/**
 * The guest side of a recording in a VM: one shell script, run as root in the guest's root, that starts the agent
 * (the simulated agent through the host's node, or a real binary shared read-only), waits for its readiness line,
 * runs the crafted workload (agent-runner's bundle, under the same node), lets the agent catch up, stops it with
 * SIGTERM and exits with a status that says which part failed. The agent's and the workload's output go to the
 * console prefixed with `agent| ` and `workload| `; their exits are marked for the host.
 */
import { buildAgentCommand } from '../real/command.js';
import { AGENT_EXIT, DEFAULT_KEY_ID } from '../real/exit-status.js';
import type { Era } from '../sim/encoding.js';
import { GUEST_MARK, HOST_ALIAS, sq } from './guest-init.js';

/** The agent's readiness line (docs/agent-protocol.md §5.3); the simulated agent says the same. */
export const GUEST_READY_TEXT = 'Telemetry is flowing!';
/** Console prefixes of the agent's and the workload's lines. */
export const AGENT_PREFIX = 'agent| ';
export const WORKLOAD_PREFIX = 'workload| ';
/** Where the guest finds the CA certificate (carried in the initramfs; /etc is the host's, read-only). */
export const GUEST_CA_FILE = '/run/flowmill/ca.pem';
export const GUEST_PROFILE_FILE = '/run/flowmill/profile.json';

/** Exit statuses of the guest script (the init writes it into the run share). */
export const GUEST_EXIT = {
  ok: 0,
  /** The agent ended before its readiness line, or never said it within readyTimeout. */
  agentNotReady: 3,
  /** The workload failed. */
  workload: 4,
  /** The agent did not end the agent's way on SIGTERM (AGENT_EXIT.sigterm) or after it. */
  agentExit: 5,
} as const;

export interface GuestAgentSetup {
  era: Era;
  runDir: string;
  /** Intake port (host port = guest port at HOST_ALIAS). */
  intakePort: number;
  tls: boolean;
  /** TLS name the agent verifies (the certificate's); the guest's /etc/hosts maps it to HOST_ALIAS. */
  intakeName?: string;
  authzUrl?: string;
  keyId?: string;
  secret?: string;
  /** Whether a CA file is carried (GUEST_CA_FILE). */
  ca: boolean;
}

export type GuestAgent =
  | {
    kind: 'simulated'; node: string; bundle: string; timeScale?: number; faults?: unknown; /** default 0: connect once the token is there */ connectDelayMs?: number;
    /** A real kernel's samples instead of the simulated ones: bpf-recorder's dump in the guest and its render file (sim --bpf-follow). */
    bpfFollow?: { dump: string; render: string };
  }
  | { kind: 'binary'; path: string; extraArgs?: string[]; extraEnv?: Record<string, string> };

export interface GuestWorkload {
  node: string;
  bundle: string;
  /** Whether a profile file is carried (GUEST_PROFILE_FILE). */
  profile: boolean;
  /** DNS responder on port 53 (the only port the real agent's DNS probe sees; root in the guest). */
  dnsPort53?: boolean;
}

export interface GuestRecordingOptions {
  setup: GuestAgentSetup;
  agent: GuestAgent;
  workload: GuestWorkload;
  readyTimeoutMs: number;
  /** After the workload, before SIGTERM. */
  catchUpMs: number;
  /** At least this long from readiness to SIGTERM. */
  durationMs: number;
  /** Shell lines run once the agent is ready, before the workload (e.g. start bpf-recorder: bpf-real/guest.ts). */
  afterReady?: string[];
  /** Shell lines run after the catch-up, right before the agent's SIGTERM (e.g. stop bpf-recorder). */
  beforeStop?: string[];
}

/** The agent's argv and environment inside the guest. */
export function guestAgentCommand(s: GuestAgentSetup, a: GuestAgent): { argv: string[]; env: Record<string, string> } {
  if (a.kind === 'simulated') {
    const argv = [a.node, a.bundle, 'sim', '--era', s.era, '--run-dir', s.runDir, '--intake-host', HOST_ALIAS, '--intake-port', String(s.intakePort), '--force'];
    if (!s.tls) argv.push('--plain');
    if (s.tls && s.intakeName) argv.push('--intake-name', s.intakeName);
    if (s.ca) argv.push('--ca', GUEST_CA_FILE);
    if (s.era === 'flowmill' && s.authzUrl) argv.push('--authz-server', s.authzUrl, '--key-id', s.keyId ?? DEFAULT_KEY_ID);
    if (a.timeScale !== undefined) argv.push('--time-scale', String(a.timeScale));
    // the agent connects as soon as it has its token; its 5 s + jitter is the reconnect delay (docs/agent-protocol.md §2.8)
    argv.push('--connect-delay', `${a.connectDelayMs ?? 0}ms`);
    if (a.faults !== undefined) argv.push('--faults', JSON.stringify(a.faults));
    if (a.bpfFollow) argv.push('--bpf-follow', a.bpfFollow.dump, '--bpf-render', a.bpfFollow.render);
    return { argv, env: s.secret ? { FLOWMILL_AUTH_SECRET: s.secret } : {} };
  }
  const c = buildAgentCommand({
    era: s.era, agent: a.path, runDir: s.runDir,
    intake: { host: HOST_ALIAS, port: s.intakePort, tls: s.era === 'flowmill' ? s.tls : undefined, name: s.era === 'flowmill' && s.tls ? s.intakeName : undefined },
    authz: s.era === 'flowmill' && s.authzUrl ? { server: s.authzUrl, keyId: s.keyId ?? DEFAULT_KEY_ID, secret: s.secret ?? s.keyId ?? DEFAULT_KEY_ID } : undefined,
    caFile: s.ca ? GUEST_CA_FILE : undefined, extraArgs: a.extraArgs, extraEnv: a.extraEnv,
  });
  return { argv: c.argv, env: c.env };
}

const mark = (s: string) => `echo "${GUEST_MARK} [$(cut -d' ' -f1 /proc/uptime)] ${s}"`;
const secs = (ms: number) => (ms / 1000).toFixed(3);

export function guestRecordingScript(o: GuestRecordingOptions): string {
  const s = o.setup;
  const agent = guestAgentCommand(s, o.agent);
  const envWords = Object.entries(agent.env).map(([k, v]) => sq(`${k}=${v}`)).join(' ');
  const wl = [o.workload.node, o.workload.bundle, 'workload', '--run-dir', s.runDir, '--agent-kind', o.agent.kind === 'simulated' ? 'sim' : 'real', '--era', s.era];
  if (o.workload.profile) wl.push('--profile', GUEST_PROFILE_FILE);
  if (o.workload.dnsPort53) wl.push('--dns-port', '53');
  const L = [
    '# generated by @flowmill/agent-runner (vm/agent-guest.ts): agent, readiness, workload, catch-up, SIGTERM',
    `cd ${sq(s.runDir)} || exit 70`,
    'T=$(mktemp -d) && mkfifo $T/agent.out $T/workload.out || exit 70',
    `( tee $T/agent.log < $T/agent.out | sed -u 's/^/${AGENT_PREFIX}/' ) &`,
    `env ${envWords} ${agent.argv.map(sq).join(' ')} > $T/agent.out 2>&1 < /dev/null & AGENT=$!`,
    mark('agent started pid $AGENT'),
    // readiness: the agent's own line, as on the host
    `n=0; until grep -q ${sq(GUEST_READY_TEXT)} $T/agent.log 2>/dev/null; do`,
    `  kill -0 $AGENT 2>/dev/null || { wait $AGENT; ${mark('agent exit $? before ready')}; exit ${GUEST_EXIT.agentNotReady}; }`,
    `  n=$((n+1)); [ $n -gt ${Math.ceil(o.readyTimeoutMs / 100)} ] && { ${mark('agent not ready')}; kill -TERM $AGENT; exit ${GUEST_EXIT.agentNotReady}; }`,
    '  sleep 0.1',
    'done',
    "READY=$(cut -d' ' -f1 /proc/uptime)",
    mark('agent ready'),
    ...(o.afterReady ?? []),
    // the workload's reader starts only now: a reader blocked on a fifo nobody opens would outlive the script
    `( sed -u 's/^/${WORKLOAD_PREFIX}/' < $T/workload.out ) &`,
    `${wl.map(sq).join(' ')} > $T/workload.out 2>&1 < /dev/null; WL=$?`,
    mark('workload exit $WL'),
    `sleep ${secs(o.catchUpMs)}`,
    `while [ "$(awk -v r=$READY -v d=${secs(o.durationMs)} '{ print ($1 < r + d) }' /proc/uptime)" = 1 ]; do sleep 0.1; done`,
    ...(o.beforeStop ?? []),
    'kill -TERM $AGENT; wait $AGENT; RC=$?',
    mark('agent exit $RC'),
    'sleep 0.2',
    `[ $WL = 0 ] || exit ${GUEST_EXIT.workload}`,
    // exit(-SIGTERM), the agent's clean stop (real/exit-status.ts)
    `[ $RC = ${AGENT_EXIT.sigterm} ] || exit ${GUEST_EXIT.agentExit}`,
    'exit 0',
  ];
  return `${L.join('\n')}\n`;
}
