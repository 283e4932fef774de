import type { AgentClock } from '../clock.js';
import type { SimFaults } from '../manifest.js';
import type { IntakeConn } from './conn.js';
import type { Era, SimCodec } from './encoding.js';
import type { FaultLog } from './fault-log.js';
import type { HostView } from './host.js';
import type { BpfMsg, SimKernel } from './kernel.js';
import type { SessionIO } from './session-io.js';
import type { SimUserspace } from './userspace.js';

/** Flowmill: nic_stats at most every 5 s (NIC_POLL_INTERVAL_SEC, nic_poller.cc@3598385a:26). */
const NIC_INTERVAL_MS = 5000;

/** What the poller keeps across sessions: occurrence counts for loseBpf and the latency samples. */
export interface PollState {
  bpfSeen: Map<string, number>;
  /** BPF sample ts → the poll that sent its intake record (ms), every sample translated. */
  latencyMs: number[];
  /** The run's stats (lostBpf counts every sample lost). */
  stats: { lostBpf: number };
}

/**
 * One session's BufferedPoller (buffered_poller.cc process_samples): read the ring up to now, dump each sample,
 * translate it, send the slot's stats when the slot turns, flush at the end of every poll (:225@3598385a). The
 * slow poll adds DNS timeouts, nic_stats (Flowmill) and agent_resource_usage (kernel_collector.cc@3598385a:233-243).
 */
export class Poller {
  private lastNic?: number;
  private nicTotals = new Map<string, { tx: bigint; rx: bigint }>();
  constructor(
    private readonly era: Era, private readonly codec: SimCodec, private readonly clock: AgentClock, private readonly kernel: SimKernel,
    private readonly user: SimUserspace, private readonly io: SessionIO, private readonly conn: IntakeConn, private readonly host: HostView,
    private readonly faults: SimFaults, private readonly faultLog: FaultLog, private readonly state: PollState,
    private readonly agentMs: () => number,
  ) {}

  /**
   * One poll. Returns true when a sample was lost in the OpenTelemetry era: the agent then sends bpf_lost_samples at
   * once, warns and restarts the connection (buffered_poller.cc:159-163,197-202 and kernel_collector.cc:483-493 in
   * main). The Flowmill agent only counts it and reports at the next slot (buffered_poller.cc@3598385a:208-222).
   */
  poll(): boolean {
    const t = this.clock.now();
    this.kernel.intakeProgress(t, this.conn.bytesWritten(), this.conn.bytesRead());
    const due = this.kernel.takeDue(t);
    const kept: BpfMsg[] = [];
    let lost = false;
    for (let i = 0; i < due.length; i++) {
      const m = due[i];
      const nth = (this.state.bpfSeen.get(m.name) ?? 0) + 1;
      this.state.bpfSeen.set(m.name, nth);
      if (this.faults.loseBpf?.some((s) => s.name === m.name && (!s.nth || s.nth.includes(nth)))) {
        // lost in the perf ring: neither dumped nor dispatched, counted for bpf_lost_samples
        this.user.lostSamples++;
        this.state.stats.lostBpf++;
        this.faultLog.add('loseBpf', m.name, nth, 'bpf', m.ts);
        if (this.era === 'otel') { lost = true; this.kernel.putBack(due.slice(i + 1)); break; }
        continue;
      }
      if (this.codec.hasBpf(m.name)) kept.push(m);
    }
    this.io.dump(kept);
    for (const r of this.user.poll(kept, t, !lost)) this.io.w(r.name, r.data, r.ts);
    for (const m of kept) this.state.latencyMs.push(Number(t - m.ts) / 1e6);
    if (lost) for (const r of this.user.reportLost(t)) this.io.w(r.name, r.data, r.ts);
    this.io.flush();
    return lost;
  }

  slowPoll(): void {
    const t = this.clock.now();
    for (const r of this.user.slowPoll(t)) this.io.w(r.name, r.data, r.ts);
    if (this.codec.hasIngest('nic_stats') && (this.lastNic === undefined || this.agentMs() - this.lastNic >= NIC_INTERVAL_MS)) this.nicStats(t);
    const ru = this.host.resourceUsage();
    this.io.w('agent_resource_usage', {
      user_mode_time_us: BigInt(ru.userCPUTime), kernel_mode_time_us: BigInt(ru.systemCPUTime), max_resident_set_size: BigInt(ru.maxRSS),
      minor_page_faults: ru.minorPageFault, major_page_faults: ru.majorPageFault, block_input_count: ru.fsRead, block_output_count: ru.fsWrite,
      voluntary_context_switch_count: ru.voluntaryContextSwitches, involuntary_context_switch_count: ru.involuntaryContextSwitches, cpu_usage_by_agent: 0, cpu_idle: 0,
    }, t);
    this.io.flush();
  }

  /** nic_stats from the interface counters; rates over the time since the last report (nic_poller.cc@3598385a:33-105). */
  private nicStats(t: bigint): void {
    const now = this.agentMs();
    const durNs = BigInt(Math.round((this.lastNic === undefined ? NIC_INTERVAL_MS : now - this.lastNic) * 1e6));
    this.lastNic = now;
    const perS = (d: bigint) => (durNs > 0n ? (d * 1_000_000_000n) / durNs : 0n);
    for (const n of this.host.nics()) {
      const prev = this.nicTotals.get(n.name) ?? { tx: 0n, rx: 0n };
      this.nicTotals.set(n.name, { tx: n.txBytes, rx: n.rxBytes });
      this.io.w('nic_stats', {
        if_name: n.name, tx_bytes_total: n.txBytes, rx_bytes_total: n.rxBytes, tx_bytes_rate: perS(n.txBytes - prev.tx), rx_bytes_rate: perS(n.rxBytes - prev.rx),
        tx_errors: n.txErrors, rx_errors: n.rxErrors, time_busy_ns: 0n, time_free_ns: durNs,
      }, t);
    }
  }
}

/** BPF sample → the poll that sent it, over every sample translated (agent ms, 3 decimals). */
export function latencySummary(ms: number[]): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } | undefined {
  const l = [...ms].sort((a, b) => a - b);
  if (!l.length) return undefined;
  const q = (f: number) => Math.round(l[Math.min(l.length - 1, Math.floor(f * l.length))] * 1000) / 1000;
  return { samples: l.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Math.round(l[l.length - 1] * 1000) / 1000 };
}
