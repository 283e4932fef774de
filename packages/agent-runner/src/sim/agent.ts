import { Lz4FrameEncoder } from '@flowmill/raw-codec';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { cpus, hostname as osHostname, networkInterfaces, release } from 'node:os';
import { AgentClock } from '../clock.js';
import { UsageError, WouldOverwriteError } from '../errors.js';
import type { SimFaultRecord, SimFaults, WorkloadEvent, WorkloadManifest } from '../manifest.js';
import { fetchToken, makeAgentId, type AuthzToken } from './authz-client.js';
import { connectIntake } from './connect.js';
import { SimCodec, type Era } from './encoding.js';
import { FaultStream, type Rec } from './faults.js';
import { IntakeWriter } from './intake-writer.js';
import { SimKernel, type BpfMsg } from './kernel.js';
import { SimUserspace, type IntakeMsg } from './userspace.js';

/** DISABLE_SEND command word, big-endian on the wire (wire-format.md (f), collector/server_command.h). */
export const DISABLE_SEND = 0xe5c94272c6a3028fn;
/** The agent's readiness log line (agent-protocol.md §5.3). */
export const READY_MESSAGE = 'Agent connected successfully. Telemetry is flowing!';
/** Exit status on SIGTERM: exit(-15) (agent-protocol.md §5.1). */
export const EXIT_SIGTERM = 241;

/** The agent's timers (agent-protocol.md §2.4, §2.8; checker-facts.md §4), all multiplied by `timeScale`. */
export const TIMERS = {
  heartbeatMs: 2000, holdOffMs: 2000, fastPollMs: 100, slowPollMs: 1000, nicStatsMs: 5000,
  connectDelayMs: 5000, connectJitterMs: 10_000, minSinceProbeLoadMs: 120_000, compileMs: 300,
} as const;

export interface SimOptions {
  era?: Era;
  /** Intake endpoint. `tls` defaults to true for Flowmill, and is always false for the OTel era. */
  intake: { host: string; port: number; tls?: boolean; name?: string; ca?: string | Uint8Array };
  /** Flowmill era: authz server and key material (FLOWMILL_AUTH_KEY_ID must start with KFII: agent-protocol.md §1.1). */
  authz?: { server: string; keyId: string; secret: string; ca?: string | Uint8Array };
  recordFile?: string;
  bpfDumpFile?: string;
  /** Replace existing record/dump files (default: refuse). */
  force?: boolean;
  /** Workload manifest to follow: an NDJSON events file (*.jsonl) tailed as it grows, or a manifest.json. */
  manifest?: string;
  /** Multiplies every agent timer (tests: e.g. 0.02). Default 1 = the agent's real timing. */
  timeScale?: number;
  /** Initial connect delay in ms before scaling; default the agent's 5 s + 0-10 s jitter. */
  connectDelayMs?: number;
  /** Apply the agent's random jitters (default true). */
  jitter?: boolean;
  faults?: SimFaults;
  /** Agent-style log lines (the CLI prints them to stdout like --log-console). */
  log?: (line: string) => void;
  hostname?: string;
  version?: { major: number; minor: number; build: number };
  /** Extra set_config_label pairs; `simulated=agent-runner` is always sent so a recording says what made it. */
  labels?: Record<string, string>;
  /** Give up reconnecting after this many sessions (default unlimited). */
  maxSessions?: number;
  clock?: AgentClock;
}

export interface SimStats {
  era: Era;
  simulated: true;
  agentId: string;
  sessions: number;
  /** Intake records actually sent, per message name (after faults), all sessions. */
  intake: Record<string, number>;
  /** BPF dump records written, per message name (after faults). */
  bpf: Record<string, number>;
  /** Intake records sent (all names), LZ4 frames, plaintext bytes and bytes on the wire (before TLS). */
  records: number;
  frames: number;
  plainBytes: number;
  wireBytes: number;
  heartbeats: number;
  lostBpf: number;
  faults: SimFaultRecord[];
  workloadItems: number;
  disabled: boolean;
  token?: string;
}

export interface SimAgent {
  /** Resolves at the first "Telemetry is flowing!"; rejects if the agent dies first. */
  ready: Promise<void>;
  /** Orderly stop like SIGTERM: discard the unflushed buffer, close, resolve 241. */
  stop(): Promise<number>;
  /** Resolves with the exit status when the agent ends by itself (fatal error) or is stopped. */
  exited: Promise<number>;
  /** Feed a workload event in-process (instead of, or besides, `manifest`). */
  addEvent(e: WorkloadEvent): void;
  /** Resolves once every item fed so far has been polled into the recordings. */
  drained(): Promise<void>;
  stats: SimStats;
}

function logLine(level: string, msg: string): string {
  // the agent's format: YYYY-MM-DD HH:MM:SS.ffffff+ZZZZ <level> [p:PID t:TID] <msg> (agent-protocol.md §5.3)
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000+0000`;
  return `${ts} ${level} [p:${process.pid} t:${process.pid}] ${msg}`;
}

function ppidOf(pid: number): number {
  try { return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) || 0; } catch { return 0; }
}
function commOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return 'node'; }
}

export async function runSimAgent(opts: SimOptions): Promise<SimAgent> {
  const era: Era = opts.era ?? 'flowmill';
  if (era === 'flowmill') {
    if (!opts.authz) throw new UsageError('sim: the Flowmill era needs authz (server, keyId, secret)');
    // agent-protocol.md §1.1: both variables must be non-empty, and the key id must start with KFII
    if (!opts.authz.keyId || !opts.authz.secret) throw new UsageError('sim: FLOWMILL_AUTH_KEY_ID and FLOWMILL_AUTH_SECRET must be non-empty (the agent aborts)');
    if (!opts.authz.keyId.startsWith('KFII')) throw new UsageError(`sim: Authentication key error: key id ${JSON.stringify(opts.authz.keyId)} doesn't look like a valid agent key (KFII prefix)`);
  }
  const files: number[] = [];
  const openOut = (path: string) => {
    try {
      const fd = openSync(path, opts.force ? 'w' : 'wx', 0o600);
      files.push(fd);
      return fd;
    } catch (err) {
      for (const fd of files) closeSync(fd); // the record file opened before a refused dump file
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new WouldOverwriteError(path, { cause: err });
      throw err;
    }
  };
  const recordFd = opts.recordFile ? openOut(opts.recordFile) : undefined;
  const bpfFd = opts.bpfDumpFile ? openOut(opts.bpfDumpFile) : undefined;
  const sim = new Sim(era, opts, recordFd, bpfFd, files);
  // returns at once: the token fetch (up to 10 attempts) and the connect run in the background, like the agent's
  // startup; `ready` and `exited` tell how it went, and stop() works at any point
  void sim.start().catch((e) => sim.fail(e));
  return sim;
}

class Sim implements SimAgent {
  ready: Promise<void>;
  exited: Promise<number>;
  stats: SimStats;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private resolveExit!: (n: number) => void;
  private readonly codec: SimCodec;
  private readonly clock: AgentClock;
  private readonly scale: number;
  private readonly log: (level: 'info' | 'warning' | 'error' | 'critical', msg: string) => void;
  private readonly host: string;
  private readonly agentId = makeAgentId();
  private token?: AuthzToken;
  private kernel = new SimKernel();
  private user!: SimUserspace;
  private sock?: Socket;
  private writer?: IntakeWriter;
  /** One LZ4 context for the process, across reconnects, as the agent's (see IntakeWriter). */
  private readonly lz4Frames = new Lz4FrameEncoder();
  private readonly intakeFaults: FaultStream;
  private readonly bpfFaults: FaultStream;
  private timers = new Set<NodeJS.Timeout>();
  private state: 'idle' | 'connecting' | 'authenticated' | 'flowing' | 'disconnected' | 'stopped' = 'idle';
  private disabled = false;
  private cmd = 0n;
  private cmdBytes = 0;
  private heartbeatCount = 0;
  private bpfSeen = new Map<string, number>();
  private lastProbeLoad = 0;
  private lastNic = 0;
  private stopping = false;
  private pendingEvents: WorkloadEvent[] = [];
  private fed = 0;
  private polledFed = 0;
  private drainWaiters: (() => void)[] = [];
  private wlAdj?: bigint;
  private tail?: { timer: NodeJS.Timeout };

  constructor(readonly era: Era, private readonly opts: SimOptions, private readonly recordFd: number | undefined, private readonly bpfFd: number | undefined, private readonly files: number[]) {
    this.codec = new SimCodec(era);
    this.clock = opts.clock ?? new AgentClock();
    this.scale = opts.timeScale ?? 1;
    this.host = opts.hostname ?? osHostname();
    const sink = opts.log ?? (() => {});
    this.log = (level, msg) => sink(logLine(level, msg));
    this.stats = { era, simulated: true, agentId: this.agentId, sessions: 0, intake: {}, bpf: {}, records: 0, frames: 0, plainBytes: 0, wireBytes: 0, heartbeats: 0, lostBpf: 0, faults: [], workloadItems: 0, disabled: false };
    const recordFault = (r: SimFaultRecord) => {
      this.stats.faults.push(r);
      sink(JSON.stringify({ simFault: r }));
    };
    this.intakeFaults = new FaultStream('intake', opts.faults ?? {}, recordFault, () => this.stats.sessions - 1);
    this.bpfFaults = new FaultStream('bpf', opts.faults ?? {}, recordFault, () => this.stats.sessions - 1);
    this.ready = new Promise((res, rej) => { this.resolveReady = res; this.rejectReady = rej; });
    this.ready.catch(() => {});
    this.exited = new Promise((res) => { this.resolveExit = res; });
  }

  private after(ms: number, fn: () => void | Promise<void>): void {
    const t = setTimeout(() => { this.timers.delete(t); void Promise.resolve().then(fn).catch((e) => this.fatal(e)); }, Math.max(0, ms * this.scale));
    this.timers.add(t);
  }
  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(() => { try { fn(); } catch (e) { this.fatal(e); } }, Math.max(1, ms * this.scale));
    this.timers.add(t);
    return t;
  }
  private clearTimers(): void { for (const t of this.timers) { clearTimeout(t); clearInterval(t); } this.timers.clear(); }
  private jitter(ms: number): number { return this.opts.jitter === false ? 0 : Math.random() * ms; }

  async start(): Promise<this> {
    const v = this.version();
    this.log('info', `Starting ${this.era === 'flowmill' ? 'Flowmill Agent' : 'OpenTelemetry eBPF Kernel Collector'} version ${v.major}.${v.minor}.${v.build} (SIMULATED by @flowmill/agent-runner: no kernel is observed, telemetry is generated from the workload manifest)`);
    this.log('info', `Kernel Collector agent ID is ${this.agentId}`);
    this.log('info', `Running on: ${release()} (simulated)`);
    if (this.opts.manifest) this.startTail(this.opts.manifest);
    if (this.era === 'flowmill') {
      const a = this.opts.authz!;
      try {
        this.token = await fetchToken({ server: a.server, keyId: a.keyId, secret: a.secret, agentId: this.agentId, ca: a.ca, timeScale: this.scale, log: (lvl, m) => this.log(lvl, m) });
        this.stats.token = this.token.token;
      } catch (err) {
        this.log('error', (err as Error).message);
        this.finish(255, err as Error); // uncaught in the agent: breakpad then exit(-1) (agent-protocol.md §1.5)
        return this;
      }
    }
    if (this.finished || this.stopping) return this;
    this.log('info', `Kernel Collector version ${v.major}.${v.minor}.${v.build} started on host ${this.host}`);
    this.after((this.opts.connectDelayMs ?? TIMERS.connectDelayMs) + this.jitter(TIMERS.connectJitterMs), () => this.connect());
    return this;
  }

  private version() { return this.opts.version ?? (this.era === 'flowmill' ? { major: 0, minor: 9, build: 4999 } : { major: 0, minor: 11, build: 0 }); }

  private intakeName(): string {
    // FLOWMILL_INTAKE_NAME wins when set (even empty), else the token's intake (agent-protocol.md §2.1)
    return this.opts.intake.name ?? this.token?.intake ?? '';
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    if (this.opts.maxSessions !== undefined && this.stats.sessions >= this.opts.maxSessions) { this.finish(EXIT_SIGTERM); return; }
    this.state = 'connecting';
    const tls = this.era === 'flowmill' ? this.opts.intake.tls !== false : false;
    const name = this.intakeName();
    this.log('info', `connecting to ${name} @ ${this.opts.intake.host}:${this.opts.intake.port} (${tls ? 'tls' : 'tcp'} binary)...`);
    // the next attempt drops the old BPF handler: events not yet polled are lost (agent-protocol.md §2.8)
    const lost = this.kernel.drain().length;
    // workload items that happened while no probes were loaded are not seen by the agent either
    const missed = this.pendingEvents.filter((e) => e.type !== 'start' && e.type !== 'end').length;
    this.pendingEvents = this.pendingEvents.filter((e) => e.type === 'start' || e.type === 'end');
    if (lost || missed) this.log('info', `dropped ${lost} unpolled BPF events and ${missed} workload items while disconnected`);
    if (this.era === 'flowmill' && this.token && this.token.expirationS * 1000 < Date.now()) {
      const a = this.opts.authz!;
      this.token = await fetchToken({ server: a.server, keyId: a.keyId, secret: a.secret, agentId: this.agentId, ca: a.ca, timeScale: this.scale, log: (lvl, m) => this.log(lvl, m) });
    }
    let sock: Socket;
    try {
      sock = await connectIntake({ host: this.opts.intake.host, port: this.opts.intake.port, tls, name, ca: this.opts.intake.ca });
    } catch (err) {
      this.log('error', (err as Error).message);
      this.state = 'disconnected';
      this.after(TIMERS.connectDelayMs + this.jitter(TIMERS.connectJitterMs), () => this.connect());
      return;
    }
    if (this.stopping) { sock.destroy(); return; }
    if (tls) this.log('info', 'TCP connected');
    this.sock = sock;
    this.stats.sessions++;
    this.user = new SimUserspace((n) => this.codec.hasIngest(n));
    this.kernel = new SimKernel();
    this.kernel.toAgentNs = (ns) => (this.wlAdj === undefined ? ns : ns - this.wlAdj + this.clock.adjustmentNs);
    this.writer = new IntakeWriter(sock, this.recordFd, true, this.intakeFaults, this.stats, this.lz4Frames);
    sock.on('data', (d: Buffer) => this.onDownlink(d));
    sock.on('error', (e) => this.onLost(sock, `TCP error: ${e.message}`));
    sock.on('end', () => this.onLost(sock, 'connection closed by the server (EOF)'));
    sock.on('close', () => this.onLost(sock, 'connection closed'));
    this.sendMetadata(sock);
  }

  private rec(name: string, data: Record<string, unknown>, ts = this.clock.now()): Rec {
    return { name, ts, bytes: this.codec.encodeIngest(name, ts, data) };
  }
  private w(name: string, data: Record<string, unknown>, ts?: bigint): void {
    if (!this.codec.hasIngest(name)) return;
    this.writer?.write(this.rec(name, data, ts));
  }

  /** agent-protocol.md §2.4 rows 1-7; wire-format.md (c) for the flushes. */
  private sendMetadata(sock: Socket): void {
    const v = this.version();
    const w = this.writer!;
    w.writeRaw(this.rec('version_info', this.era === 'flowmill' ? { major: v.major, minor: v.minor, build: v.build } : { major: v.major, minor: v.minor, patch: v.build }));
    if (this.era === 'flowmill') {
      const t = this.token!;
      let token = t.token;
      if (this.opts.faults?.wrongToken !== undefined) {
        token = this.opts.faults.wrongToken;
        const r: SimFaultRecord = { fault: 'wrongToken', name: 'authz_authenticate', nth: this.stats.sessions, stream: 'intake', timestampNs: String(this.clock.now()), session: this.stats.sessions - 1 };
        this.stats.faults.push(r);
        this.opts.log?.(JSON.stringify({ simFault: r }));
      }
      this.w('authz_authenticate', { token, collector_type: 1 /* ClientType kernel */, hostname: this.host });
      this.log('info', `sending authz token with ${t.expirationS - Math.floor(Date.now() / 1000)}s left until expiration (iat=${t.issuedAtS}s exp=${t.expirationS}s)`);
    } else {
      this.w('connect', { collector_type: 1, hostname: this.host }); // eras.md §2.3 step 2
    }
    w.flush();
    // F2: os_info (Linux=1, flavor 0 unknown), cores, headers source, labels sorted by key, __kernel_version
    this.w('os_info', { os: 1, flavor: 0, os_version: '', kernel_version: release() });
    this.w('report_cpu_cores', { cpu_core_count: cpus().length });
    // KernelHeadersSource (common/kernel_headers_source.h@3598385a): 1 = pre_installed. The OTel era always sends
    // `libbpf` (eras.md §2.1), a value added after fetched = 4: 5 is inferred, not read in the source.
    this.w('kernel_headers_source', { source: this.era === 'flowmill' ? 1 : 5 });
    const labels = { simulated: 'agent-runner', ...(this.opts.labels ?? {}) };
    for (const k of Object.keys(labels).sort()) this.w('set_config_label', { key: k, value: labels[k as keyof typeof labels] });
    this.w('set_config_label', { key: '__kernel_version', value: release() });
    w.flush();
    // F3: no cloud
    this.w('cloud_platform', { cloud_platform: 0 });
    this.w('set_node_info', { az: '', role: '', instance_id: this.host, instance_type: '' });
    this.w('metadata_complete', { time: 0n });
    if (this.era === 'flowmill' && sock.remoteFamily === 'IPv4') {
      // the agent's ips blob holds 4 bytes of a pointer, not the address (wire-format.md (c)); any 4 bytes do
      this.w('dns_response_fake', { total_dn_len: 8, ips: new Uint8Array([0x10, 0x20, 0x30, 0x40]), domain_name: 'flowmill' });
    }
    w.flush();
    this.state = 'authenticated';
    // both 2 s; the hold-off timer is started first, so the first heartbeat follows collector_health
    // (checker-facts.md §2 step 8)
    this.after(TIMERS.holdOffMs, () => this.loadProbes(sock));
    this.every(TIMERS.heartbeatMs, () => this.heartbeat());
  }

  private heartbeat(): void {
    if (!this.writer) return;
    this.heartbeatCount++;
    if (this.opts.faults?.skipHeartbeat?.includes(this.heartbeatCount)) {
      const r: SimFaultRecord = { fault: 'skipHeartbeat', name: 'heartbeat', nth: this.heartbeatCount, stream: 'intake', timestampNs: String(this.clock.now()), session: this.stats.sessions - 1 };
      this.stats.faults.push(r);
      this.opts.log?.(JSON.stringify({ simFault: r }));
      return;
    }
    this.w('heartbeat', {});
    this.writer.flush();
    this.stats.heartbeats++;
  }

  /** agent-protocol.md §2.4 row 8, checker-facts.md §2 steps 5-7. */
  private loadProbes(sock: Socket): void {
    if (this.sock !== sock || this.stopping) return;
    this.log('info', 'eBPF program successfully compiled (simulated)');
    this.w('bpf_compiled', {});
    this.w('system_wide_process_settings', { clock_ticks_per_second: 100n, memory_page_bytes: 4096n });
    const now = this.clock.now();
    // ProcessProber scan: this process and its parent, existing processes use pid_info too (§2 6b)
    const ppid = ppidOf(process.pid);
    if (ppid > 0) this.kernel.scanProcess(now, ppid, commOf(ppid), ppidOf(ppid));
    this.kernel.scanProcess(now + 1n, process.pid, commOf(process.pid), ppid);
    this.poll(true);
    this.w('process_steady_state', { time: 0n });
    // SocketProber scan: the agent's own intake socket shows up as an existing TCP socket (§2 6f)
    if (sock.localAddress && sock.remoteAddress && sock.remoteFamily === 'IPv4') {
      this.kernel.scanTcpSocket(this.clock.now(), process.pid, { ip: sock.localAddress, port: sock.localPort ?? 0 }, { ip: sock.remoteAddress, port: sock.remotePort ?? 0 }, sock.bytesWritten, sock.bytesRead);
    }
    this.poll(true);
    this.w('socket_steady_state', { time: 0n });
    this.w('begin_telemetry', {});
    this.w('collector_health', { status: 0, detail: 0 });
    this.writer?.flush();
    this.lastProbeLoad = Date.now();
    this.state = 'flowing';
    this.log('info', READY_MESSAGE);
    this.resolveReady();
    this.every(TIMERS.fastPollMs, () => this.poll(false));
    this.every(TIMERS.slowPollMs, () => this.slowPoll());
  }

  /** One drain of the perf rings: samples with ts ≤ t, merged by ts; dump first, then translate (checker-facts.md §0). */
  private poll(inLoad: boolean): void {
    if (this.disabled && !inLoad) {
      // DISABLE_SEND: no more polls, so workload items are never recorded; nothing more to wait for
      this.pendingEvents = [];
      this.kernel.drain();
      this.releaseDrainWaiters();
      return;
    }
    if (!this.writer) return;
    this.feedPending();
    const t = this.clock.now();
    const all = this.kernel.drain();
    const due: BpfMsg[] = [];
    for (const m of all) (m.ts <= t ? due : this.kernel.out).push(m);
    due.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq));
    const kept: BpfMsg[] = [];
    for (const m of due) {
      const nth = (this.bpfSeen.get(m.name) ?? 0) + 1;
      this.bpfSeen.set(m.name, nth);
      if (this.opts.faults?.loseBpf?.some((s) => s.name === m.name && (!s.nth || s.nth.includes(nth)))) {
        // lost in the perf ring: neither dumped nor dispatched; counted for bpf_lost_samples (checker-facts.md §1)
        this.user.lostSamples++;
        this.stats.lostBpf++;
        const r: SimFaultRecord = { fault: 'loseBpf', name: m.name, nth, stream: 'bpf', timestampNs: String(m.ts), session: this.stats.sessions - 1 };
        this.stats.faults.push(r);
        this.opts.log?.(JSON.stringify({ simFault: r }));
        continue;
      }
      if (this.codec.hasBpf(m.name)) kept.push(m);
    }
    for (const m of kept) {
      const bytes = this.codec.encodeBpf(m.name, m.ts, m.data);
      for (const x of this.bpfFaults.apply({ name: m.name, ts: m.ts, bytes })) {
        if (this.bpfFd !== undefined) writeSync(this.bpfFd, x.bytes);
        this.stats.bpf[x.name] = (this.stats.bpf[x.name] ?? 0) + 1;
      }
    }
    for (const r of this.user.poll(kept, t)) this.writeIntake(r);
    if (!inLoad) this.writer.flush();
    if (this.kernel.out.length === 0 && this.pendingEvents.length === 0) this.releaseDrainWaiters();
  }

  private releaseDrainWaiters(): void {
    this.polledFed = this.fed;
    for (const f of this.drainWaiters.splice(0)) f();
  }

  private writeIntake(r: IntakeMsg): void { this.w(r.name, r.data, r.ts); }

  private slowPoll(): void {
    if (!this.writer || this.disabled) return;
    const t = this.clock.now();
    for (const r of this.user.slowPoll(t)) this.writeIntake(r);
    const ru = process.resourceUsage();
    this.w('agent_resource_usage', {
      user_mode_time_us: BigInt(ru.userCPUTime), kernel_mode_time_us: BigInt(ru.systemCPUTime), max_resident_set_size: BigInt(ru.maxRSS),
      minor_page_faults: ru.minorPageFault, major_page_faults: ru.majorPageFault, block_input_count: ru.fsRead, block_output_count: ru.fsWrite,
      voluntary_context_switch_count: ru.voluntaryContextSwitches, involuntary_context_switch_count: ru.involuntaryContextSwitches, cpu_usage_by_agent: 0, cpu_idle: 0,
    }, t);
    // nic_stats per interface every ≥5 s, skipping lo (checker-facts.md §4; Flowmill era only)
    if (this.codec.hasIngest('nic_stats') && Date.now() - this.lastNic >= TIMERS.nicStatsMs * this.scale) {
      this.lastNic = Date.now();
      for (const name of Object.keys(networkInterfaces()).filter((n) => n !== 'lo' && !n.startsWith('cali'))) {
        this.w('nic_stats', { if_name: name, tx_bytes_total: 0n, rx_bytes_total: 0n, tx_bytes_rate: 0n, rx_bytes_rate: 0n, tx_errors: 0n, rx_errors: 0n, time_busy_ns: 0n, time_free_ns: 0n }, t);
      }
    }
    this.writer.flush();
  }

  private onDownlink(d: Buffer): void {
    // 8-byte big-endian command words (wire-format.md (f)); the accumulator survives reconnects
    for (const b of d) {
      this.cmd = ((this.cmd << 8n) | BigInt(b)) & 0xffffffffffffffffn;
      if (++this.cmdBytes === 8) {
        this.cmdBytes = 0;
        if (this.cmd === DISABLE_SEND && !this.disabled) {
          this.disabled = true;
          this.stats.disabled = true;
          this.log('info', 'Stop sending data, instructed by the server.');
        }
        this.cmd = 0n;
      }
    }
  }

  private onLost(sock: Socket, why: string): void {
    if (this.sock !== sock || this.stopping) return;
    const wasFlowing = this.state === 'flowing';
    this.clearTimers();
    this.writer?.discard();
    this.writer = undefined;
    this.sock = undefined;
    sock.destroy();
    this.state = 'disconnected';
    this.releaseDrainWaiters(); // what was not polled before the disconnect never will be (agent-protocol.md §2.8)
    this.log('error', why);
    if (wasFlowing) this.log('info', 'disconnected from upstream, attempting to reconnect...');
    // retry after max(5 s, 120 s − time since the last probe load) + 0-10 s jitter (agent-protocol.md §2.8)
    const since = this.lastProbeLoad ? (Date.now() - this.lastProbeLoad) / this.scale : Infinity;
    const wait = Math.max(TIMERS.connectDelayMs, TIMERS.minSinceProbeLoadMs - since);
    this.after(wait + this.jitter(TIMERS.connectJitterMs), () => this.connect());
    if (this.stopping) return;
    if (this.opts.maxSessions !== undefined && this.stats.sessions >= this.opts.maxSessions) { this.clearTimers(); this.finish(EXIT_SIGTERM); }
  }

  // --- workload events
  addEvent(e: WorkloadEvent): void {
    this.pendingEvents.push(e);
    this.fed++;
    if (e.type !== 'start' && e.type !== 'end') this.stats.workloadItems++;
  }

  drained(): Promise<void> {
    if (this.polledFed === this.fed && this.pendingEvents.length === 0 && this.kernel.out.length === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private feedPending(): void {
    if (this.state !== 'flowing') return;
    for (const e of this.pendingEvents.splice(0)) {
      switch (e.type) {
        case 'start':
          this.wlAdj = BigInt(e.clock.adjustmentNs);
          this.kernel.toAgentNs = (ns) => ns - this.wlAdj! + this.clock.adjustmentNs;
          this.kernel.onStart(e, ppidOf(e.workload.pid));
          break;
        case 'tcp': this.kernel.onTcp(e.item); break;
        case 'udp': this.kernel.onUdp(e.item); break;
        case 'dns': this.kernel.onDns(e.item); break;
        case 'process': this.kernel.onProcess(e.item); break;
        case 'http': this.kernel.onHttp(e.item); break;
        case 'end':
          this.kernel.onEnd(e.endedNs);
          this.log('info', `workload ended: ${this.stats.workloadItems} items simulated`);
          break;
      }
    }
  }

  private startTail(path: string): void {
    const isJson = /\.json$/i.test(path) && !/\.jsonl$/i.test(path);
    const st = { off: 0, rest: '', done: false };
    const tick = () => {
      if (st.done || !existsSync(path)) return;
      if (isJson) {
        try {
          const m = JSON.parse(readFileSync(path, 'utf8')) as WorkloadManifest;
          st.done = true;
          for (const e of eventsOfManifest(m)) this.addEvent(e);
        } catch { /* not complete yet */ }
        return;
      }
      const size = statSync(path).size;
      if (size <= st.off) return;
      const fd = openSync(path, 'r');
      try {
        const b = Buffer.alloc(size - st.off);
        readSync(fd, b, 0, b.length, st.off);
        st.off = size;
        const text = st.rest + b.toString('utf8');
        const lines = text.split('\n');
        st.rest = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) this.addEvent(JSON.parse(l) as WorkloadEvent);
      } finally { closeSync(fd); }
    };
    const t = setInterval(tick, 50);
    this.tail = { timer: t };
  }

  fail(err: unknown): void { this.fatal(err); }

  private fatal(err: unknown): void {
    this.log('critical', `simulated agent failed: ${(err as Error)?.stack ?? String(err)}`);
    this.finish(255, err as Error);
  }

  private finished = false;
  private finish(code: number, err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    if (this.tail) clearInterval(this.tail.timer);
    for (const fd of this.files) { try { closeSync(fd); } catch { /* closed */ } }
    this.rejectReady(err ?? new Error(`simulated agent ended with status ${code} before telemetry was flowing`));
    for (const f of this.drainWaiters.splice(0)) f();
    this.resolveExit(code);
  }

  async stop(): Promise<number> {
    if (this.finished) return this.exited;
    this.stopping = true;
    this.log('info', 'Caught signal 15');
    this.clearTimers();
    const sock = this.sock;
    // on_close: probes detached, the unflushed buffer discarded, close_notify then TCP close (agent-protocol.md §5.1)
    this.writer?.discard();
    this.writer = undefined;
    this.sock = undefined;
    if (sock && !sock.destroyed) {
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.end();
      const t = setTimeout(() => sock.destroy(), 2000);
      await closed;
      clearTimeout(t);
    }
    this.state = 'stopped';
    this.finish(EXIT_SIGTERM);
    return this.exited;
  }
}

/** The events a complete manifest stands for (start, items in their kinds' order, end). */
export function eventsOfManifest(m: WorkloadManifest): WorkloadEvent[] {
  const { tcp, udp, dns, processes, http, ended, endedNs, ...head } = m;
  const ev: WorkloadEvent[] = [{ type: 'start', ...head }];
  for (const item of tcp) ev.push({ type: 'tcp', item });
  for (const item of udp) ev.push({ type: 'udp', item });
  for (const item of dns) ev.push({ type: 'dns', item });
  for (const item of processes) ev.push({ type: 'process', item });
  for (const item of http) ev.push({ type: 'http', item });
  ev.push({ type: 'end', ended, endedNs });
  return ev;
}
