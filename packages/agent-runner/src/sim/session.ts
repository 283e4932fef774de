import { Lz4FrameEncoder } from '@flowmill/raw-codec';
import type { WorkloadEvent } from '../manifest.js';
import type { AuthzToken } from './authz-client.js';
import type { ConnEvents, IntakeConn } from './conn.js';
import { CommandDecoder, DISABLE_SEND } from './downlink.js';
import { SimCodec, type Era } from './encoding.js';
import { FaultLog } from './fault-log.js';
import { FaultStream } from './faults.js';
import { Heartbeats } from './heartbeat.js';
import { IntakeWriter } from './intake-writer.js';
import { SimKernel } from './kernel.js';
import { sendMetadata } from './metadata.js';
import { latencySummary, Poller, type PollState } from './poller.js';
import { loadSteps } from './probe-load.js';
import type { Timer } from './scheduler.js';
import { SessionIO } from './session-io.js';
import { reconnectDelayMs, RING_WATERMARK_BYTES, TIMERS } from './timing.js';
import type { AgentEnv, CoreOptions, Later, SimStats } from './types.js';
import { SimUserspace } from './userspace.js';
import { WorkloadFeed } from './workload-feed.js';
import { AGENT_EXIT, AGENT_READY } from '../real/exit-status.js';


function later<T>(v: Later<T>, ok: (v: T) => void, fail: (e: unknown) => void): void {
  if (v instanceof Promise) v.then(ok, fail); else ok(v);
}

interface Session { conn: IntakeConn; io: SessionIO; kernel: SimKernel; user: SimUserspace; poller: Poller; gen: number }

/**
 * The simulated agent's session state machine (kernel_collector.cc): token, connect, metadata, hold-off and probe
 * load, heartbeats, polls, DISABLE_SEND, loss of the connection and the timed reconnect, SIGTERM.
 */
export class SimCore {
  readonly stats: SimStats;
  ready: Promise<void>;
  exited: Promise<number>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private resolveExit!: (n: number) => void;
  private readonly codec: SimCodec;
  private readonly faultLog: FaultLog;
  private readonly intakeFaults: FaultStream;
  private readonly bpfFaults: FaultStream;
  /** One LZ4 context for the process, across reconnects (channel/upstream_connection.h, lz4_channel.cc). */
  private readonly lz4Frames = new Lz4FrameEncoder();
  private readonly downlink = new CommandDecoder();
  private readonly feed: WorkloadFeed;
  private readonly poll: PollState;
  private readonly editNth = new Map<string, number>();
  private timers = new Set<Timer>();
  private state: 'idle' | 'connecting' | 'authenticated' | 'loading' | 'flowing' | 'disconnected' | 'stopped' = 'idle';
  private s?: Session;
  private gen = 0;
  private token?: AuthzToken;
  private lastProbeLoadMs?: number;
  private heartbeatCount = 0;
  private readonly heartbeats = new Heartbeats({ after: (ms, fn) => this.after(ms, fn), nowMs: () => this.nowMs(), loading: () => this.state === 'loading', send: () => this.sendHeartbeat() });
  private restartRequested = false;
  private disabled = false;
  private stopping = false;
  private finished = false;

  constructor(readonly era: Era, agentId: string, private readonly o: CoreOptions, private readonly env: AgentEnv) {
    this.codec = new SimCodec(era);
    const stats: SimStats = this.stats = { era, simulated: true, agentId, sessions: 0, intake: {}, bpf: {}, records: 0, frames: 0, plainBytes: 0, wireBytes: 0, heartbeats: 0, lostBpf: 0, faults: [], workloadItems: 0, disabled: false };
    this.poll = { bpfSeen: new Map(), latencyMs: [], stats };
    this.faultLog = new FaultLog(this.stats.faults, o.sink, () => this.stats.sessions - 1);
    this.intakeFaults = new FaultStream('intake', o.faults, this.faultLog);
    this.bpfFaults = new FaultStream('bpf', o.faults, this.faultLog);
    this.feed = new WorkloadFeed(env.clock.adjustmentNs, (pid) => env.host.ppidOf(pid), (m) => o.log('info', m));
    this.ready = new Promise((res, rej) => { this.resolveReady = res; this.rejectReady = rej; });
    this.ready.catch(() => {});
    this.exited = new Promise((res) => { this.resolveExit = res; });
  }

  /** Telemetry is flowing (probes loaded, connection up). */
  get flowing(): boolean { return this.state === 'flowing'; }

  // --- timers: every callback runs guarded; a session's timers die with it
  private after(ms: number, fn: () => void): void {
    if (this.finished) return; // a failed agent schedules nothing (no reconnect loop outliving its exit)
    const t = this.env.scheduler.after(ms, () => { this.timers.delete(t); this.guard(fn); });
    this.timers.add(t);
  }
  private every(ms: number, fn: () => void): void {
    const gen = this.gen;
    const tick = () => { fn(); if (this.gen === gen && !this.finished) this.after(ms, tick); };
    this.after(ms, tick);
  }
  private clearTimers(): void { for (const t of this.timers) this.env.scheduler.cancel(t); this.timers.clear(); }
  private guard(fn: () => void): void { try { fn(); } catch (e) { this.fatal(e); } }
  private jitter(ms: number): number { return this.o.jitter ? this.env.random() * ms : 0; }
  private nowMs(): number { return this.env.scheduler.nowMs(); }

  start(): void {
    if (this.era !== 'flowmill') { this.started(); return; }
    later(this.env.fetchToken(), (t) => { this.token = t; this.stats.token = t.token; this.started(); }, (err) => {
      this.o.log('error', (err as Error).message);
      this.finish(255, err as Error); // uncaught in the agent: breakpad then exit(-1) (docs/agent-protocol.md §1.5)
    });
  }
  private started(): void {
    if (this.finished || this.stopping) return;
    const v = this.o.version;
    this.o.log('info', `Kernel Collector version ${v.major}.${v.minor}.${v.build} started on host ${this.env.host.hostname}`);
    this.after((this.o.connectDelayMs ?? TIMERS.connectDelayMs) + this.jitter(TIMERS.connectJitterMs), () => this.connect());
  }

  private connect(): void {
    if (this.stopping) return;
    if (this.o.maxSessions !== undefined && this.stats.sessions >= this.o.maxSessions) { this.finish(AGENT_EXIT.sigterm); return; }
    this.state = 'connecting';
    const name = this.o.intakeName ?? this.token?.intake ?? ''; // FLOWMILL_INTAKE_NAME wins, else the token's (docs/agent-protocol.md §2.1)
    this.o.log('info', `connecting to ${name} @ ${this.o.where} (${this.o.tls ? 'tls' : 'tcp'} binary)...`);
    const missed = this.feed.dropItems();
    if (missed) this.o.log('info', `${missed} workload items happened while no probes were loaded`);
    this.feed.settled(true);
    const go = () => {
      const attempt = ++this.gen;
      const ev: ConnEvents = { data: (d) => this.onDownlink(d), lost: (why) => { if (this.s?.gen === attempt) this.guard(() => this.sessionEnded(why)); } };
      later(this.env.connect(name, this.o.tls, ev), (c) => this.guard(() => this.connected(c, attempt)), (err) => {
        this.o.log('error', (err as Error).message);
        this.state = 'disconnected';
        this.after(reconnectDelayMs(this.nowMs(), this.lastProbeLoadMs, this.jitter(TIMERS.connectJitterMs)), () => this.connect());
      });
    };
    if (this.era === 'flowmill' && this.token && this.token.expirationS < this.env.nowS()) {
      later(this.env.fetchToken(), (t) => { this.token = t; this.stats.token = t.token; go(); }, (e) => this.fatal(e));
    } else go();
  }

  private connected(conn: IntakeConn, gen: number): void {
    if (this.stopping || gen !== this.gen) { conn.destroy(); return; }
    if (this.o.tls) this.o.log('info', 'TCP connected');
    this.stats.sessions++;
    const kernel = this.env.kernel ?? new SimKernel();
    const user = new SimUserspace((n) => this.codec.hasIngest(n), (pid) => this.env.host.cmdlineOf(pid), BigInt(this.o.socketStatsIntervalS) * 1_000_000_000n);
    const writer = new IntakeWriter(conn, this.env.recordFd, true, this.intakeFaults, this.stats, this.lz4Frames);
    const io = new SessionIO(this.codec, this.env.clock, writer, this.env.bpfFd, this.bpfFaults, this.stats, this.stats.sessions - 1, this.o.edit, this.editNth);
    const poller = new Poller(this.era, this.codec, this.env.clock, kernel, user, io, conn, this.env.host, this.o.faults, this.faultLog, this.poll, () => this.nowMs());
    this.s = { conn, io, kernel, user, poller, gen };
    sendMetadata(io, {
      era: this.era, version: this.o.version, token: this.token, wrongToken: this.o.faults.wrongToken, session: this.stats.sessions - 1,
      host: this.env.host, labels: this.o.labels, faultLog: this.faultLog, log: (m) => this.o.log('info', m), nowS: this.env.nowS(),
    }, conn.ipv4);
    this.state = 'authenticated';
    // the hold-off timer is started before the heartbeat timer, both 2 s (kernel_collector.cc@3598385a:271-277)
    this.after(TIMERS.holdOffMs, () => this.loadProbes(gen));
    this.heartbeats.start();
  }

  private sendHeartbeat(): void {
    if (!this.s) return;
    this.heartbeatCount++;
    if (this.o.faults.skipHeartbeat?.includes(this.heartbeatCount)) {
      this.faultLog.add('skipHeartbeat', 'heartbeat', this.heartbeatCount, 'intake', this.env.clock.now());
      return;
    }
    this.s.io.w('heartbeat', {});
    this.s.io.flush();
    this.stats.heartbeats++;
  }

  /** The hold-off callback: compile, load the probes (polling and flushing as it goes), then telemetry flows. */
  private loadProbes(gen: number): void {
    const s = this.s;
    if (!s || s.gen !== gen || this.stopping) return;
    this.lastProbeLoadMs = this.nowMs(); // taken before compiling (kernel_collector.cc@3598385a:287)
    this.state = 'loading';
    this.after(this.o.compileMs, () => {
      if (this.s !== s) return;
      this.o.log('info', 'eBPF program successfully compiled (simulated)');
      s.io.w('bpf_compiled', {});
      // ProcessHandler's constructor (process_handler.cc:39 in main), when load_buffered_poller makes it
      s.io.w('system_wide_process_settings', { clock_ticks_per_second: 100n, memory_page_bytes: 4096n });
      const steps = loadSteps(this.era, s.kernel, s.io, this.env.host, s.conn, () => this.env.clock.now());
      const gap = this.o.probeLoadMs / steps.length;
      const run = (i: number) => {
        if (this.s !== s) return;
        steps[i]();
        if (s.poller.poll()) this.restartRequested = true; // honoured once startup completes (kernel_collector_restarter.cc)
        if (i + 1 < steps.length) this.after(gap, () => run(i + 1));
        else this.probesLoaded(s);
      };
      this.after(gap, () => run(0));
    });
  }

  private probesLoaded(s: Session): void {
    // begin_telemetry and collector_health are not flushed here: they leave with heartbeat 1
    // (kernel_collector.cc@3598385a:314-321; the heartbeat sender flushes, :581-585)
    s.io.w('begin_telemetry', {});
    s.io.w('collector_health', { status: 0, detail: 0 });
    this.o.log('info', AGENT_READY);
    this.state = 'flowing';
    this.resolveReady();
    this.heartbeats.loadDone();
    this.feed.feed(s.kernel);
    this.every(TIMERS.fastPollMs, () => this.fastPoll(s));
    this.every(TIMERS.slowPollMs, () => { if (!this.disabled && this.s === s) s.poller.slowPoll(); });
    if (this.restartRequested) this.restart(s);
  }

  private fastPoll(s: Session): void {
    if (this.disabled || this.s !== s) return; // DISABLE_SEND stops the timer polls only (kernel_collector.cc@3598385a:212-216)
    if (s.poller.poll() && this.era === 'otel') this.restart(s);
    else this.feed.settled(s.kernel.out.length === 0);
  }

  /** OpenTelemetry: a lost sample restarts the connection (KernelCollector::restart, kernel_collector.cc:483-493 in main). */
  private restart(s: Session): void {
    this.restartRequested = false;
    this.o.log('warning', `Lost ${this.stats.lostBpf} bpf samples - restarting kernel collector.`);
    s.io.flush();
    void s.conn.close();
    this.sessionEnded('connection closed for a restart', true);
  }

  private sessionEnded(why: string, closing = false): void {
    const s = this.s;
    if (!s || this.stopping) return;
    const wasFlowing = this.state === 'flowing';
    this.clearTimers();
    s.io.writer.discard();
    if (!closing) s.conn.destroy();
    this.s = undefined;
    this.gen++;
    this.state = 'disconnected';
    this.feed.release(); // what was not polled before the disconnect never will be (docs/agent-protocol.md §2.8)
    this.o.log('error', why);
    if (wasFlowing) this.o.log('info', 'disconnected from upstream, attempting to reconnect...');
    if (this.o.maxSessions !== undefined && this.stats.sessions >= this.o.maxSessions) { this.finish(AGENT_EXIT.sigterm); return; }
    this.after(reconnectDelayMs(this.nowMs(), this.lastProbeLoadMs, this.jitter(TIMERS.connectJitterMs)), () => this.connect());
  }

  private onDownlink(d: Uint8Array): void {
    this.downlink.push(d, (w) => {
      if (w !== DISABLE_SEND || this.disabled) return;
      this.disabled = true;
      this.stats.disabled = true;
      const k = this.s?.kernel;
      if (k) {
        k.sizeOf = (m) => (this.codec.hasBpf(m.name) ? this.codec.encodeBpf(m.name, m.ts, m.data).length : 0);
        k.ringBytes = k.out.reduce((n, m) => n + k.sizeOf!(m), 0);
      }
      this.o.log('info', 'Stop sending data, instructed by the server.');
      this.feed.release();
    });
  }

  addEvent(e: WorkloadEvent): void {
    const s = this.state === 'flowing' ? this.s : undefined;
    this.feed.add(e, s?.kernel);
    this.stats.workloadItems = this.feed.items;
    if (s && this.disabled) {
      // no timer polls any more, but a ring that reaches its watermark still wakes the poller (handle_event)
      if (s.kernel.ringBytes >= RING_WATERMARK_BYTES) s.poller.poll();
      this.feed.release();
    }
  }

  drained(): Promise<void> {
    return this.feed.drained(this.disabled || (this.s?.kernel.out.length ?? 0) === 0);
  }

  fatal(err: unknown): void {
    this.o.log('critical', `simulated agent failed: ${(err as Error)?.stack ?? String(err)}`);
    this.finish(255, err as Error);
  }

  private finish(code: number, err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    this.s?.conn.destroy();
    this.stats.latency = latencySummary(this.poll.latencyMs);
    this.env.closeFiles();
    this.rejectReady(err ?? new Error(`simulated agent ended with status ${code} before telemetry was flowing`));
    this.feed.release();
    this.resolveExit(code);
  }

  /** SIGTERM: probes detached, the unflushed buffer discarded, close_notify then TCP close (docs/agent-protocol.md §5.1). */
  async stop(): Promise<number> {
    if (this.finished) return this.exited;
    this.stopping = true;
    this.o.log('info', 'Caught signal 15');
    this.clearTimers();
    const s = this.s;
    this.s = undefined;
    if (s) { s.io.writer.discard(); await s.conn.close(); }
    this.state = 'stopped';
    this.finish(AGENT_EXIT.sigterm);
    return this.exited;
  }
}

