#!/usr/bin/env node
// agent-runner: the bin. Thin wiring of flags onto the library; the one place that reads argv/env and exits.
import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath, join } from 'node:path';
import { array, command, flag, multioption, number, oneOf, option, optional, string, subcommands } from 'cmd-ts';
import { Count, Duration, Port, onStopSignal, runMain, writeOutput } from '@flowmill/cli';
import {
  AGENT_EXIT, DEFAULT_KEY_ID, DEFAULT_PORTS, MANIFEST_EVENTS_FILE, MANIFEST_FILE, MissingInputError, UsageError, authzTrustSteps, buildAgentCommand, detectEra, loadProfile,
  preflight, renderCommand, runRealAgent, runSimAgent, runWorkload, checkFaults, type Era, type ProfileInput,
} from './index.js';
import { vmCommand } from './vm/commands.js';
import { bpfRealCommand } from './bpf-real/command.js';
import { ensureRunDir, RUN_FILES } from './run-layout.js';
import { waitForAgentReady } from './workload/wait-agent.js';
import { scaledCadence } from './sim-tolerances.js';
import { loadSchema } from '@flowmill/raw-codec';

const BIN = 'agent-runner';
const log = (s: string) => process.stderr.write(`${BIN}: ${s}\n`);
const Era_ = oneOf(['flowmill', 'otel'] as const);

function jsonArg(v: string | undefined, what: string): unknown {
  if (v === undefined) return undefined;
  let text = v;
  if (v.startsWith('@')) {
    try { text = readFileSync(v.slice(1), 'utf8'); } catch (e) { throw new MissingInputError(`${what} file ${v.slice(1)}`, (e as Error).message, { cause: e }); }
  }
  try { return JSON.parse(text); } catch (e) { throw new UsageError(`bad ${what}: not JSON: ${(e as Error).message}`); }
}

/** Scaled timers, scaled checks: the cadence tolerances beside the recording, unless the user put their own there. */
function writeScaledTolerances(runDir: string, scale: number): void {
  const f = join(runDir, RUN_FILES.checkConfig);
  if (existsSync(f)) {
    log(`kept ${f} (your tolerances; --time-scale ${scale} would scale the cadence ones)`);
    return;
  }
  writeOutput(f, `${JSON.stringify(scaledCadence(scale), null, 2)}\n`);
  log(`wrote ${f}: cadence tolerances for --time-scale ${scale} (checker --run-dir reads it)`);
}

const intakeArgs = {
  intakeHost: option({ long: 'intake-host', type: string, defaultValue: () => '127.0.0.1', description: 'intake (tls-sink) host' }),
  intakePort: option({ long: 'intake-port', type: optional(Port), description: 'intake port (default 7001 Flowmill TLS, 7000 --plain, 8000 OpenTelemetry)' }),
  intakeName: option({ long: 'intake-name', type: optional(string), description: 'TLS name for SNI and verification (FLOWMILL_INTAKE_NAME); default: the token\'s intake' }),
  plain: flag({ long: 'plain', description: 'plain TCP to the intake (--disable-tls); always so for --era otel' }),
  ca: option({ long: 'ca', type: optional(string), description: 'CA certificate the agent trusts for the intake and https authz (certs\' ca.pem)' }),
  authzServer: option({ long: 'authz-server', type: optional(string), description: `Flowmill: authz base URL (default http://localhost:${DEFAULT_PORTS.authz} for run and preflight, https://localhost:${DEFAULT_PORTS.authz} for sim)` }),
  keyId: option({ long: 'key-id', type: optional(string), description: `Flowmill: agent key id (default $FLOWMILL_AUTH_KEY_ID or ${DEFAULT_KEY_ID})` }),
  secret: option({ long: 'secret', type: optional(string), description: 'Flowmill: secret (default $FLOWMILL_AUTH_SECRET or the key id); prefer the env variable' }),
};
type IntakeArgs = { intakeHost: string; intakePort?: number; intakeName?: string; plain: boolean; ca?: string; authzServer?: string; keyId?: string; secret?: string };

/** `authzScheme`: the real agent's default is plain http (its libcurl may not trust our CA: authzTrustSteps). */
function intakeOf(a: IntakeArgs, era: Era, authzScheme: 'http' | 'https') {
  const tls = era === 'flowmill' && !a.plain;
  const port = a.intakePort ?? (era === 'otel' ? DEFAULT_PORTS.intakePlain : tls ? DEFAULT_PORTS.intakeTls : 7000);
  const keyId = a.keyId ?? process.env.FLOWMILL_AUTH_KEY_ID ?? DEFAULT_KEY_ID;
  const secret = a.secret ?? process.env.FLOWMILL_AUTH_SECRET ?? keyId;
  const authz = era === 'flowmill' ? { server: a.authzServer ?? `${authzScheme}://localhost:${DEFAULT_PORTS.authz}`, keyId, secret } : undefined;
  return { intake: { host: a.intakeHost, port, tls, name: a.intakeName }, authz };
}

// ------------------------------------------------------------------------------------------------ workload
const workload = command({
  name: 'workload',
  description: 'Run the crafted, offline workload (TCP, UDP, DNS against a bundled responder, child processes, HTTP) and write its manifest, the checker\'s oracle.',
  args: {
    runDir: option({ long: 'run-dir', type: optional(string), description: `write ${MANIFEST_FILE} and ${MANIFEST_EVENTS_FILE} into DIR` }),
    manifest: option({ long: 'manifest', type: optional(string), description: 'write the manifest to FILE (default: stdout, or DIR/manifest.json with --run-dir)' }),
    events: option({ long: 'events', type: optional(string), description: 'append NDJSON events to FILE while running (what `sim --manifest` follows)' }),
    profile: option({ long: 'profile', type: optional(string), description: 'profile: a JSON or YAML file (sections tcp, udp, dns, processes, http, pauseMs)' }),
    tcp: option({ long: 'tcp', type: optional(Count), description: 'N TCP connections' }),
    tcpClientBytes: option({ long: 'tcp-client-bytes', type: optional(Count), description: 'C bytes sent per connection (multiple of 4)' }),
    tcpServerBytes: option({ long: 'tcp-server-bytes', type: optional(Count), description: 'S bytes replied per connection (multiple of 4)' }),
    udp: option({ long: 'udp', type: optional(Count), description: 'M UDP datagrams' }),
    udpBytes: option({ long: 'udp-bytes', type: optional(Count), description: 'B bytes per datagram' }),
    dns: option({ long: 'dns', type: optional(Count), description: 'K DNS lookups' }),
    dnsPort: option({ long: 'dns-port', type: optional(Port), description: 'DNS responder port (53 to be seen by a real agent; needs root; default any)' }),
    processes: option({ long: 'processes', type: optional(Count), description: 'P child processes' }),
    command: option({ long: 'command', type: optional(string), description: 'children\'s command name (≤ 15 chars)' }),
    http: option({ long: 'http', type: optional(Count), description: 'H HTTP requests' }),
    statuses: option({ long: 'http-statuses', type: optional(string), description: 'status codes, round-robin, e.g. 200,404,500' }),
    pause: option({ long: 'pause', type: optional(Duration), description: 'pause between items (e.g. 50ms)' }),
    agent: option({ long: 'agent-kind', type: optional(oneOf(['sim', 'real', 'none'] as const)), description: 'which agent records this run (written into the manifest; sim sets simulated: true)' }),
    era: option({ long: 'era', type: optional(Era_), description: 'the recording agent\'s era (manifest only)' }),
    force: flag({ long: 'force', description: 'replace existing manifest/events files' }),
    waitReady: option({ long: 'wait-ready', type: optional(string), description: `start only once FILE (the agent's log, e.g. DIR/${RUN_FILES.agentLog}) says "Telemetry is flowing!": what happens before is never recorded` }),
    readyTimeout: option({ long: 'ready-timeout', type: Duration, defaultValue: () => 120_000, description: 'give up waiting for the agent after this long (exit 75)' }),
  },
  handler: async (a) => {
    const file: ProfileInput | undefined = a.profile ? await loadProfile(a.profile) : undefined;
    const flags: ProfileInput = {
      tcp: { connections: a.tcp, clientBytes: a.tcpClientBytes, serverBytes: a.tcpServerBytes }, udp: { datagrams: a.udp, bytes: a.udpBytes },
      dns: { lookups: a.dns, port: a.dnsPort }, processes: { count: a.processes, command: a.command },
      http: { requests: a.http, statuses: a.statuses ? a.statuses.split(',').map((s) => Number(s.trim())) : undefined },
      pauseMs: a.pause,
    };
    if (a.runDir) ensureRunDir(a.runDir); // a new run directory is made, as tls-sink --out-dir makes its own
    const manifestPath = a.manifest ?? (a.runDir ? join(a.runDir, MANIFEST_FILE) : undefined);
    const eventsPath = a.events ?? (a.runDir ? join(a.runDir, MANIFEST_EVENTS_FILE) : undefined);
    if (a.waitReady) {
      log(`waiting for the agent's readiness line in ${a.waitReady}`);
      await waitForAgentReady(a.waitReady, { timeoutMs: a.readyTimeout });
    }
    const m = await runWorkload({ profile: [file ?? {}, flags], manifestPath, eventsPath, force: a.force, agent: { kind: a.agent ?? 'none', era: a.era }, log });
    if (!manifestPath) process.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
    else log(`manifest: ${manifestPath}`);
    return 0;
  },
});

// ------------------------------------------------------------------------------------------------ sim
const sim = command({
  name: 'sim',
  description: 'Run the SIMULATED agent: speaks the agent\'s protocol byte for byte (authz, TLS, version_info + LZ4 frames, timers) and derives BPF dump and intake telemetry from a workload manifest. No root, BPF or agent binary needed. Stop with SIGTERM (exits 241 like the agent).',
  args: {
    era: option({ long: 'era', type: Era_, defaultValue: () => 'flowmill' as const, description: 'flowmill (TLS, authz) or otel (plain TCP, connect)' }),
    ...intakeArgs,
    runDir: option({ long: 'run-dir', type: optional(string), description: `write ${RUN_FILES.record} and ${RUN_FILES.bpf} into DIR and follow DIR/${MANIFEST_EVENTS_FILE}` }),
    record: option({ long: 'record', type: optional(string), description: 'record file (the agent\'s *_RECORD_INTAKE_OUTPUT_PATH)' }),
    bpfDump: option({ long: 'bpf-dump-file', type: optional(string), description: 'BPF dump file' }),
    bpfFollow: option({ long: 'bpf-follow', type: optional(string), description: 'a real kernel instead of the simulated one: follow this dump (bpf-recorder --out) as it grows and translate its samples; writes no BPF dump. Needs --bpf-render' }),
    bpfRender: option({ long: 'bpf-render', type: optional(string), description: 'with --bpf-follow: the render file the BPF programs were built from' }),
    manifest: option({ long: 'manifest', type: optional(string), description: 'workload events (*.jsonl, followed as it grows) or manifest.json to derive telemetry from' }),
    timeScale: option({ long: 'time-scale', type: number, defaultValue: () => 1, description: 'multiply the agent\'s timers (heartbeat 2 s, hold-off 2 s, polls, reconnect) by this' }),
    connectDelay: option({ long: 'connect-delay', type: optional(Duration), description: 'first connect delay before scaling (agent: 5 s + 0-10 s jitter)' }),
    noJitter: flag({ long: 'no-jitter', description: 'leave out the agent\'s random jitters' }),
    faults: option({ long: 'faults', type: optional(string), description: 'fault switches: JSON or @file (drop, duplicate, reorder, corrupt, loseBpf, skipHeartbeat, wrongToken)' }),
    maxSessions: option({ long: 'max-sessions', type: optional(Count), description: 'exit after this many intake connections have ended' }),
    force: flag({ long: 'force', description: 'replace existing record/dump files' }),
  },
  handler: async (a) => {
    const { intake, authz } = intakeOf(a, a.era, 'https');
    const ca = a.ca ? readFileSync(a.ca) : undefined;
    const faults = a.faults === undefined ? undefined : checkFaults(jsonArg(a.faults, '--faults'), (why) => { throw new UsageError(`bad --faults: ${why}`); });
    if (a.runDir) ensureRunDir(a.runDir);
    const recordFile = a.record ?? (a.runDir ? join(a.runDir, RUN_FILES.record) : undefined);
    if (!a.bpfFollow !== !a.bpfRender || (a.bpfFollow && a.bpfDump)) throw new UsageError('--bpf-follow and --bpf-render go together, without --bpf-dump-file');
    const bpfFollow = a.bpfFollow && a.bpfRender ? { dump: a.bpfFollow, schema: await loadSchema(a.bpfRender) } : undefined;
    const bpfDumpFile = bpfFollow ? undefined : a.bpfDump ?? (a.runDir ? join(a.runDir, RUN_FILES.bpf) : undefined);
    const manifest = a.manifest ?? (a.runDir ? join(a.runDir, MANIFEST_EVENTS_FILE) : undefined);
    if (a.runDir && a.timeScale !== 1) writeScaledTolerances(a.runDir, a.timeScale);
    const agent = await runSimAgent({
      era: a.era, intake: { ...intake, ca }, authz: authz && { ...authz, ca }, recordFile, bpfDumpFile, bpfFollow, manifest, force: a.force,
      timeScale: a.timeScale, connectDelayMs: a.connectDelay, jitter: !a.noJitter, faults, maxSessions: a.maxSessions,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    let signalCode: number | undefined;
    const remove = onStopSignal(async (sig) => { signalCode = sig === 'SIGINT' ? AGENT_EXIT.sigint : AGENT_EXIT.sigterm; await agent.stop(); }, log);
    agent.ready.then(() => log(`ready: telemetry flowing (SIMULATED ${a.era} agent) to ${intake.tls ? 'tls' : 'tcp'}://${intake.host}:${intake.port}`), () => {});
    const code = await agent.exited;
    remove();
    process.stdout.write(`${JSON.stringify(agent.stats)}\n`);
    return code === AGENT_EXIT.sigterm && signalCode !== undefined ? signalCode : code;
  },
});

// ------------------------------------------------------------------------------------------------ run / preflight
const realArgs = {
  era: option({ long: 'era', type: optional(Era_), description: 'flowmill or otel (default: detected from the binary or image name)' }),
  agent: option({ long: 'agent', type: optional(string), description: 'kernel collector binary' }),
  docker: option({ long: 'docker', type: optional(string), description: 'kernel collector docker image' }),
  ...intakeArgs,
};

async function eraOf(a: { era?: Era; agent?: string; docker?: string }): Promise<Era> {
  if (!!a.agent === !!a.docker) throw new UsageError('bad flags: give exactly one of --agent PATH or --docker IMAGE');
  if (a.era) return a.era;
  const e = a.agent && !existsSync(a.agent) ? undefined : await detectEra(a);
  if (!e) throw new UsageError(`cannot tell the era of ${a.agent ?? a.docker}: pass --era flowmill|otel`);
  return e;
}

const run = command({
  name: 'run',
  description: 'Run the REAL kernel collector (binary or docker) with the era\'s environment, recording into a run directory; wait for "Telemetry is flowing!"; stop on SIGTERM/SIGINT or after --duration. --dry-run prints the exact command and environment (secrets masked).',
  args: {
    ...realArgs,
    runDir: option({ long: 'run-dir', type: string, defaultValue: () => '.', description: `where ${RUN_FILES.bpf}, ${RUN_FILES.record} and ${RUN_FILES.agentLog} go` }),
    dryRun: flag({ long: 'dry-run', description: 'print the command line and environment, run nothing' }),
    json: flag({ long: 'json', description: 'with --dry-run: print {argv, env, era, mode, files} as JSON' }),
    agentArg: multioption({ long: 'agent-arg', type: array(string), description: 'extra agent flag (repeatable)' }),
    readyTimeout: option({ long: 'ready-timeout', type: Duration, defaultValue: () => 120_000, description: 'give up waiting for readiness' }),
    grace: option({ long: 'grace', type: Duration, defaultValue: () => 15_000, description: 'SIGKILL this long after SIGTERM' }),
    duration: option({ long: 'duration', type: optional(Duration), description: 'stop this long after readiness (default: on a signal)' }),
    skipPreflight: flag({ long: 'skip-preflight', description: 'do not check root, kernel, docker, CA and fake cloud first' }),
    force: flag({ long: 'force', description: `replace an existing ${RUN_FILES.agentLog}` }),
  },
  handler: async (a) => {
    const era = await eraOf(a);
    const { intake, authz } = intakeOf(a, era, 'http');
    const opts = { era, agent: a.agent, docker: a.docker, runDir: resolvePath(a.runDir), intake, authz, caFile: a.ca && resolvePath(a.ca), extraArgs: a.agentArg, path: process.env.PATH,
      dockerClientEnv: Object.fromEntries(['HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])) };
    if (authz?.server.startsWith('https:')) for (const l of authzTrustSteps(opts.caFile ?? 'ca.pem', authz.server)) log(l);
    if (a.dryRun) {
      const c = buildAgentCommand(opts);
      if (a.json) process.stdout.write(`${JSON.stringify({ era: c.era, mode: c.mode, argv: c.argv, env: c.masked, files: c.files }, null, 2)}\n`);
      else process.stdout.write(`# ${BIN} run --dry-run: ${c.era} era, ${c.mode} mode (secrets masked)\n${renderCommand(c)}\n`);
      return 0;
    }
    if (!a.skipPreflight) {
      const r = await preflight({ era, agent: a.agent, docker: a.docker, caFile: opts.caFile, intake, authz });
      for (const c of r.checks) log(`preflight: ${c.ok ? 'ok  ' : c.warning ? 'warn' : 'FAIL'} ${c.id}: ${c.detail}`);
      if (!r.ok) return 69;
    }
    const agent = await runRealAgent({ ...opts, readyTimeoutMs: a.readyTimeout, graceMs: a.grace, force: a.force, onLine: (l) => process.stderr.write(`${l}\n`) });
    const remove = onStopSignal(async () => { await agent.stop(); }, log);
    try {
      await agent.ready;
      log(`ready: telemetry flowing (real ${era} agent, pid ${agent.pid})`);
      if (a.duration !== undefined) setTimeout(() => void agent.stop(), a.duration);
    } catch (e) {
      await agent.stop();
      throw e;
    }
    const x = await agent.exited;
    remove();
    log(`agent exited: ${x.meaning}`);
    process.stdout.write(`${JSON.stringify({ code: x.code, signal: x.signal, meaning: x.meaning })}\n`);
    return x.code === AGENT_EXIT.sigterm || x.code === AGENT_EXIT.sigint ? 0 : 1;
  },
});

const pre = command({
  name: 'preflight',
  description: 'Check that this machine can run the real agent: root, debugfs/headers (Flowmill) or BTF (OTel), binary or docker socket, CA trust, fake cloud reachable.',
  args: { ...realArgs, json: flag({ long: 'json', description: 'print the report as JSON' }) },
  handler: async (a) => {
    const era = await eraOf(a);
    const { intake, authz } = intakeOf(a, era, 'http');
    const r = await preflight({ era, agent: a.agent, docker: a.docker, caFile: a.ca, intake, authz });
    if (a.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else for (const c of r.checks) process.stdout.write(`${c.ok ? 'ok  ' : c.warning ? 'warn' : 'FAIL'} ${c.id}: ${c.detail}\n`);
    return r.ok ? 0 : 69;
  },
});

const cmd = subcommands({ name: BIN, description: 'Run the Flowmill/OpenTelemetry kernel collector, a protocol-exact simulated agent, or the crafted workload.', cmds: { run, sim, workload, preflight: pre, vm: vmCommand, 'bpf-real': bpfRealCommand } });
await runMain(cmd, { bin: BIN });
