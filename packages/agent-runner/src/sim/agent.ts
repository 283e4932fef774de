import { closeSync, openSync } from 'node:fs';
import { release } from 'node:os';
import { AgentClock } from '../clock.js';
import { UsageError, WouldOverwriteError } from '../errors.js';
import { fetchToken, makeAgentId } from './authz-client.js';
import { socketConn } from './conn.js';
import { connectIntake } from './connect.js';
import type { Era } from './encoding.js';
import { tailEvents } from './events-tail.js';
import { liveHost } from './host.js';
import { defaultVersion } from './metadata.js';
import { RealScheduler } from './scheduler.js';
import { SimCore } from './session.js';
import { OTEL_SOCKET_STATS_INTERVAL_S, TIMERS } from './timing.js';
import type { CoreOptions, SimAgent, SimOptions } from './types.js';
import { FollowedKernel } from '../bpf-real/followed-kernel.js';

export { DISABLE_SEND } from './downlink.js';
/** The agent's constants live in real/exit-status.ts; these two public names stay as aliases of them. */
export { eventsOfManifest } from './events-tail.js';
export { TIMERS };
export type { SimAgent, SimOptions, SimStats } from './types.js';

type Level = 'info' | 'warning' | 'error' | 'critical';

/** The agent's log format: YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ <level> [p:PID t:TID] <msg> (docs/agent-protocol.md §5.3). */
export function agentLogLine(level: Level, msg: string, d = new Date(), pid = process.pid): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000+0000`;
  return `${ts} ${level} [p:${pid} t:${pid}] ${msg}`;
}

/** The Flowmill era's key material, checked as the agent checks it before anything else (docs/agent-protocol.md §1.1). */
export function checkAuthzKeys(era: Era, authz: SimOptions['authz']): void {
  if (era !== 'flowmill') return;
  if (!authz) throw new UsageError('sim: the Flowmill era needs authz (server, keyId, secret)');
  if (!authz.keyId || !authz.secret) throw new UsageError('sim: FLOWMILL_AUTH_KEY_ID and FLOWMILL_AUTH_SECRET must be non-empty (the agent aborts)');
  if (!authz.keyId.startsWith('KFII')) throw new UsageError(`sim: Authentication key error: key id ${JSON.stringify(authz.keyId)} doesn't look like a valid agent key (KFII prefix)`);
}

/** Opens the recordings exclusively (0600) unless `force`; a refusal closes what was already opened. */
export function openRecordings(paths: (string | undefined)[], force = false): { fds: (number | undefined)[]; close(): void } {
  const opened: number[] = [];
  const close = () => { for (const fd of opened.splice(0)) { try { closeSync(fd); } catch { /* closed */ } } };
  const fds = paths.map((path) => {
    if (!path) return undefined;
    try {
      const fd = openSync(path, force ? 'w' : 'wx', 0o600);
      opened.push(fd);
      return fd;
    } catch (err) {
      close();
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new WouldOverwriteError(path, { cause: err });
      throw err;
    }
  });
  return { fds, close };
}

/** The core options both the live sim and a deterministic run derive from SimOptions. */
export function coreOptions(era: Era, opts: Omit<SimOptions, 'intake'> & { intake?: SimOptions['intake'] }, where: string, log: (level: Level, msg: string) => void, sink: (line: string) => void): CoreOptions {
  return {
    era, version: opts.version ?? defaultVersion(era), labels: { simulated: 'agent-runner', ...(opts.labels ?? {}) }, intakeName: opts.intake?.name,
    tls: era === 'flowmill' ? opts.intake?.tls !== false : false, where, faults: opts.faults ?? {}, connectDelayMs: opts.connectDelayMs,
    jitter: opts.jitter !== false, maxSessions: opts.maxSessions, compileMs: opts.compileMs ?? TIMERS.compileMs, probeLoadMs: opts.probeLoadMs ?? TIMERS.probeLoadMs,
    socketStatsIntervalS: era === 'otel' ? opts.socketStatsIntervalS ?? OTEL_SOCKET_STATS_INTERVAL_S : 1, edit: opts.edit, log, sink,
  };
}

/**
 * Starts the simulated agent against real peers (authz over HTTP(S), the intake over TCP or TLS), its timers on
 * Node's clock × `timeScale`. Returns at once: the token fetch and the connect run in the background, like the
 * agent's startup; `ready` and `exited` tell how it went, and stop() works at any point.
 */
export async function runSimAgent(opts: SimOptions): Promise<SimAgent> {
  const era: Era = opts.era ?? 'flowmill';
  checkAuthzKeys(era, opts.authz);
  const files = openRecordings([opts.recordFile, opts.bpfDumpFile], opts.force);
  const scale = opts.timeScale ?? 1;
  const sink = opts.log ?? (() => {});
  const log = (level: Level, msg: string) => sink(agentLogLine(level, msg));
  const host = liveHost();
  if (opts.hostname) host.hostname = opts.hostname;
  const agentId = makeAgentId();
  let stopTail = () => {};
  const clock = opts.clock ?? new AgentClock();
  // --bpf-follow: the samples a real kernel recorded (bpf-recorder's dump as it grows) instead of the simulator's
  const kernel = opts.bpfFollow && new FollowedKernel(opts.bpfFollow.dump, opts.bpfFollow.schema);
  const core: SimCore = new SimCore(era, agentId, coreOptions(era, opts, `${opts.intake.host}:${opts.intake.port}`, log, sink), {
    scheduler: new RealScheduler(scale), clock, host, random: Math.random, nowS: () => Math.floor(Date.now() / 1000),
    recordFd: files.fds[0], bpfFd: files.fds[1], kernel, closeFiles: () => { stopTail(); kernel?.close(); files.close(); },
    fetchToken: () => {
      const a = opts.authz!;
      return fetchToken({ server: a.server, keyId: a.keyId, secret: a.secret, agentId, ca: a.ca, timeScale: scale, log: (lvl, m) => log(lvl, m) });
    },
    connect: async (name, tls, ev) => socketConn(await connectIntake({ host: opts.intake.host, port: opts.intake.port, tls, name, ca: opts.intake.ca }), ev),
  });
  const v = opts.version ?? defaultVersion(era);
  log('info', `Starting ${era === 'flowmill' ? 'Flowmill Agent' : 'OpenTelemetry eBPF Kernel Collector'} version ${v.major}.${v.minor}.${v.build} (SIMULATED by @flowmill/agent-runner: no kernel is observed, telemetry is generated from the workload manifest)`);
  log('info', `Kernel Collector agent ID is ${agentId}`);
  log('info', `Running on: ${release()} (simulated)`);
  if (opts.bpfFollow) log('info', `BPF samples: a real kernel's, followed in ${opts.bpfFollow.dump} (no simulated kernel samples, no BPF dump written)`);
  if (opts.manifest) stopTail = tailEvents(opts.manifest, (e) => core.addEvent(e), (m) => log('error', m));
  core.start();
  return core;
}
