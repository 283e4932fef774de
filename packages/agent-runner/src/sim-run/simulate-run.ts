import { mkdirSync, writeFileSync } from 'node:fs';
import { AgentClock, nsToIso } from '../clock.js';
import type { SimFaults, WorkloadEvent, WorkloadManifest } from '../manifest.js';
import { runLayout } from '../run-layout.js';
import { coreOptions, agentLogLine, openRecordings } from '../sim/agent.js';
import { DISABLE_SEND } from '../sim/downlink.js';
import type { AuthzToken } from '../sim/authz-client.js';
import type { Era } from '../sim/encoding.js';
import { fixedHost } from '../sim/host.js';
import { VirtualScheduler } from '../sim/scheduler.js';
import { SimCore } from '../sim/session.js';
import type { SimEdit } from '../sim/session-io.js';
import type { SimStats } from '../sim/types.js';
import { manifestFromEvents } from '../workload/run.js';
import { resolveProfile, type ProfileInput } from '../workload/profile.js';
import { CaptureSink } from './capture.js';
import { between, prng } from './prng.js';
import { scheduleWorkload } from './synthetic-workload.js';

export interface SimulateRunOptions {
  /** The run directory (created); its files are named by run-layout and created exclusively. */
  dir: string;
  era?: Era;
  /** Same seed, same options: the same files, byte for byte. */
  seed?: number;
  /** How long telemetry flows, agent ms (default 20 s); the workload runs inside the first session's share. */
  durationMs?: number;
  /** The workload profile (counts and sizes as for `agent-runner workload`). */
  profile?: ProfileInput | ProfileInput[];
  faults?: SimFaults;
  /** Changes records on their way into the recordings (tests break one thing on purpose). */
  edit?: SimEdit;
  /** Intake connections: the fake intake hangs up after each share of `durationMs`; the agent reconnects. */
  sessions?: number;
  /** The wire capture as `tls-sink --out-dir intake/` (default) or `--out intake.raw`. */
  wire?: 'dir' | 'file';
  /** Wall-clock time when the agent starts, ns (default 2026-11-25T08:00:00Z). */
  startNs?: bigint;
  /** A busy host: TCP connections and processes per second that the manifest does not list. */
  background?: { tcpPerS: number; processesPerS: number };
  /** The agent's model parameters (see SimOptions). */
  compileMs?: number;
  probeLoadMs?: number;
  socketStatsIntervalS?: number;
  /** The fake intake sends DISABLE_SEND this long (agent ms) after telemetry starts flowing. */
  disableSendAtMs?: number;
  /** The agent's log lines (with simulated timestamps). */
  log?: (line: string) => void;
}

export interface SimulatedRun {
  dir: string;
  /** What the checker reads: `wire` is the capture directory or file. `authzLog` only in the Flowmill era. */
  files: { wire: string; record: string; bpf: string; manifest: string; authzLog?: string };
  stats: SimStats;
  manifest: WorkloadManifest;
  exitCode: number;
}

const KEY_ID = 'KFIISIMULATEDRUN0001';
const MONO_AT_START_NS = 1_000_000_000_000n; // a host up for 1000 s

/**
 * A whole run of the simulated agent on a fake clock, with no sockets and no timers: the same agent logic as
 * `runSimAgent`, writing what a real recording would hold (the intake capture as tls-sink writes it, the record
 * file, the BPF dump, the workload manifest, and in the Flowmill era the mock-authz log), faster than real time.
 */
export async function simulateRun(o: SimulateRunOptions): Promise<SimulatedRun> {
  const era = o.era ?? 'flowmill';
  const rand = prng(o.seed ?? 1);
  const layout = runLayout(o.dir);
  mkdirSync(layout.dir, { recursive: true });
  const sched = new VirtualScheduler();
  const startNs = o.startNs ?? BigInt(Date.UTC(2026, 10, 25, 8, 0, 0)) * 1_000_000n;
  const clock = new AgentClock(() => MONO_AT_START_NS + BigInt(Math.round(sched.nowMs() * 1e6)), () => startNs);
  const iso = () => nsToIso(clock.now());
  const agentPid = between(rand, 2000, 30000);
  const host = fixedHost({ pid: agentPid, ppid: agentPid - 1, comm: era === 'flowmill' ? 'kernel-collect' : 'kernel-collect' });
  const agentId = 'FAID' + Array.from({ length: 32 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[between(rand, 0, 35)]).join('');
  const recordings = openRecordings([layout.path('record'), layout.path('bpf')]);
  const capture = new CaptureSink(layout.dir, o.wire ?? 'dir', iso, era === 'flowmill' ? 7000 : 8000);
  const authzLog: string[] = [];
  const fetchToken = (): AuthzToken => {
    const token = 'mock-' + Array.from({ length: 24 }, () => between(rand, 0, 15).toString(16)).join('');
    const iat = Number(clock.now() / 1_000_000_000n), exp = iat + 3600;
    // the line mock-authz logs for the request it answered (its AuthzLogEntry)
    authzLog.push(JSON.stringify({ time: iso(), method: 'GET', path: `/api/v1/auth/keys/${KEY_ID}`, keyId: KEY_ID, agentId, status: 200, latencyMs: 1, token, issuedAtS: String(iat), expirationS: String(exp), intake: 'localhost' }));
    return { token, issuedAtS: iat, expirationS: exp, intake: 'localhost', raw: '' };
  };
  const sink = o.log ?? (() => {});
  const log = (level: 'info' | 'warning' | 'error' | 'critical', msg: string) => sink(agentLogLine(level, msg, new Date(Number(clock.now() / 1_000_000n)), agentPid));
  const opts = coreOptions(era, { faults: o.faults, edit: o.edit, compileMs: o.compileMs, probeLoadMs: o.probeLoadMs, socketStatsIntervalS: o.socketStatsIntervalS, intake: { host: '127.0.0.1', port: 0, tls: false } }, `127.0.0.1:${era === 'flowmill' ? 7000 : 8000}`, log, sink);
  const core = new SimCore(era, agentId, opts, {
    scheduler: sched, clock, host, random: rand, nowS: () => Number(clock.now() / 1_000_000_000n),
    recordFd: recordings.fds[0], bpfFd: recordings.fds[1], closeFiles: () => recordings.close(),
    fetchToken, connect: (_name, _tls, ev) => capture.accept({ ip: '127.0.0.1', port: between(rand, 40000, 60000) }, ev),
  });

  const events: WorkloadEvent[] = [];
  const sessions = Math.max(1, o.sessions ?? 1);
  const share = (o.durationMs ?? 20_000) / sessions;
  core.start();
  for (let k = 0; k < sessions; k++) {
    const limit = sched.nowMs() + 600_000;
    while (!core.flowing && sched.nowMs() < limit) sched.run(sched.nowMs() + 50);
    if (!core.flowing) throw new Error(`simulateRun: session ${k + 1} never started telemetry (see the agent log)`);
    const t0 = sched.nowMs();
    if (k === 0) {
      scheduleWorkload({
        sched, clock, rand, profile: resolveProfile(...(Array.isArray(o.profile) ? o.profile : [o.profile])), era, startMs: t0 + 200, spanMs: Math.max(100, share - 1500),
        workload: { pid: agentPid + 17, comm: 'node' }, hostname: host.hostname, kernel: host.kernelRelease,
        onEvent: (e) => { events.push(e); core.addEvent(e); }, background: o.background, onBackground: (e) => core.addEvent(e),
      });
    }
    if (k === 0 && o.disableSendAtMs !== undefined) {
      const word = new Uint8Array(8);
      new DataView(word.buffer).setBigUint64(0, DISABLE_SEND); // big-endian on the wire (docs/wire-format.md (f))
      sched.after(o.disableSendAtMs, () => capture.send(word));
    }
    sched.run(t0 + share);
    if (k + 1 < sessions) capture.hangUp();
  }
  const exitCode = await core.stop();
  capture.close();
  const manifest = manifestFromEvents(events) as WorkloadManifest;
  writeFileSync(layout.path('manifest'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  if (era === 'flowmill') writeFileSync(layout.path('authzLog'), authzLog.map((l) => `${l}\n`).join(''), { flag: 'wx', mode: 0o600 });
  return {
    dir: layout.dir, exitCode, stats: core.stats, manifest,
    files: { wire: capture.wirePath, record: layout.path('record'), bpf: layout.path('bpf'), manifest: layout.path('manifest'), ...(era === 'flowmill' ? { authzLog: layout.path('authzLog') } : {}) },
  };
}
