import { Evidence, plural, recEvidence, verdict, type CheckDef, type Rec } from '../framework.js';
import { sig } from '../values.js';

/**
 * Span lifecycles (docs/checker-facts.md §5 L1-L4 in the intake, B2/B4 in the dump): each start has at most one end, no
 * use before start or after end, no double close; a key (sk, sk_id, pid, _ref, cgroup) may be reused after its end.
 * Each intake session starts from empty tables (a reconnect re-scans). Spans still open at the end are counted,
 * not failed (the agent's own socket, listeners, the workload itself).
 */
interface Kind {
  start: string[];
  end: string[];
  uses: string[];
  key: (r: Rec) => string;
  allowDupStart?: boolean;
  allowEndWithoutStart?: boolean;
  /**
   * Records stamped in BPF on different CPUs: a use or end may reach the intake before its start when the start's
   * sample, though earlier, was read from another CPU's ring in a later poll (perf_reader.cc@3598385a:111-114,172-194
   * merges rings by head timestamp; a sample still being written is read next time). Allowed when the start follows
   * within `windowNs` with a timestamp ≤ the early record's.
   */
  reorderable?: boolean;
}

/** A record that came before its start, waiting for it. */
interface Early { key: string; ts: bigint; end: boolean; rec: Rec; note: string }

/** Ended keys remembered to tell "closed twice" from "never started"; the oldest are forgotten past this (memory). */
const MAX_REMEMBERED_ENDS = 50_000;

class Tracker {
  open = new Set<string>();
  closed = new Set<string>();
  /** While true, a use before the start is counted, not failed (the initial scan races the probes). */
  lenient = false;
  stillOpenAtEnd = 0;
  private early: Early[] = [];
  constructor(readonly label: string, readonly k: Kind, readonly stream: string, readonly ev: Evidence, readonly counts: Record<string, number>, readonly windowNs = 0n) {}
  reset(): void {
    for (const e of this.early.splice(0)) this.fail(e.rec, e.note);
    this.stillOpenAtEnd += this.open.size;
    this.open.clear();
    this.closed.clear();
  }
  see(r: Rec): void {
    const k = this.k;
    const isStart = k.start.includes(r.name), isEnd = k.end.includes(r.name), isUse = k.uses.includes(r.name);
    if (!isStart && !isEnd && !isUse) return;
    const key = k.key(r);
    // Early records whose start did not come in time are what they looked like.
    while (this.early.length && this.early[0].ts + this.windowNs < r.timestamp) { const e = this.early.shift()!; this.fail(e.rec, e.note); }
    if (isStart && this.early.length) this.startAfterEarly(key, r.timestamp);
    if (isStart) {
      if (this.open.has(key) && !k.allowDupStart) this.fail(r, `${r.name}: ${this.label} ${key} started twice without an end`);
      else if (this.open.has(key)) this.counts[`${this.label}DuplicateStarts`] = (this.counts[`${this.label}DuplicateStarts`] ?? 0) + 1;
      this.open.add(key);
      this.closed.delete(key);
      this.counts[`${this.label}Starts`] = (this.counts[`${this.label}Starts`] ?? 0) + 1;
      this.settle(key);
    } else if (isEnd) {
      if (!this.open.has(key)) {
        const note = this.closed.has(key) ? `${r.name}: ${this.label} ${key} closed twice` : `${r.name}: ${this.label} ${key} ends but never started`;
        if (k.reorderable) this.early.push({ key, ts: r.timestamp, end: true, rec: r, note });
        else if (this.closed.has(key) || !k.allowEndWithoutStart) this.fail(r, note);
      } else {
        this.open.delete(key);
        this.closed.add(key);
        if (this.closed.size > MAX_REMEMBERED_ENDS) this.closed.delete(this.closed.values().next().value as string);
        this.counts[`${this.label}Ends`] = (this.counts[`${this.label}Ends`] ?? 0) + 1;
      }
    } else if (!this.open.has(key)) {
      const note = `${r.name}: ${this.label} ${key} used ${this.closed.has(key) ? 'after its end' : 'before its start'}`;
      if (this.lenient && !this.closed.has(key)) this.counts[`${this.label}UsesDuringScan`] = (this.counts[`${this.label}UsesDuringScan`] ?? 0) + 1;
      else if (k.reorderable) this.early.push({ key, ts: r.timestamp, end: false, rec: r, note });
      else this.fail(r, note);
    }
  }
  /** A start arrived: the early records of its key stamped at or after it were only read out of order. */
  private startAfterEarly(key: string, ts: bigint): void {
    const mine = this.early.filter((e) => e.key === key && e.ts >= ts);
    if (!mine.length) return;
    this.early = this.early.filter((e) => !mine.includes(e));
    this.counts[`${this.label}ReadOutOfOrder`] = (this.counts[`${this.label}ReadOutOfOrder`] ?? 0) + mine.length;
    // An early end closes the lifetime the start opens: replay it after the start.
    if (mine.some((e) => e.end)) this.pendingEnd.add(key);
  }
  private readonly pendingEnd = new Set<string>();
  /** After a start: an end that came early ends it now. */
  settle(key: string): void {
    if (!this.pendingEnd.delete(key)) return;
    this.open.delete(key);
    this.closed.add(key);
    this.counts[`${this.label}Ends`] = (this.counts[`${this.label}Ends`] ?? 0) + 1;
  }
  private fail(r: Rec, note: string): void {
    this.ev.add(recEvidence(this.stream, r, note));
  }
}

export const lifecycles: CheckDef = {
  id: 'lifecycles',
  title: 'every socket, UDP socket, process, tracked process and cgroup starts once, is used only while open, ends at most once',
  needs: ['intake'],
  create(ctx) {
    const t = ctx.tol.lifecycles;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const counts: Record<string, number> = {};
    const sk = (r: Rec) => sig(r.data.sk);
    // Processes are stamped in BPF on whichever CPU forks, execs or exits, so their records can be read out of order.
    const procs = new Tracker('process', { start: ['pid_info_create'], end: ['pid_close_info'], uses: ['pid_set_comm'], key: (r) => sig(r.data.pid), reorderable: true }, 'intake', ev, counts, BigInt(Math.round(t.reorderWindowMs * 1e6)));
    const intake = [
      // L1: set_state, socket_stats, nat_remapping only inside new_sock_info … close_sock_info (syn_timeout, tcp_reset
      // and http_response are not table-checked, §1). reset_tcp_counters can repeat new_sock_info.
      new Tracker('tcp', { start: ['new_sock_info'], end: ['close_sock_info'], uses: ['set_state_ipv4', 'set_state_ipv6', 'socket_stats', 'nat_remapping'], key: sk, allowDupStart: t.allowDuplicateTcpStart }, 'intake', ev, counts),
      // L2: UDP by sk_id.
      new Tracker('udp', { start: ['udp_new_socket'], end: ['udp_destroy_socket'], uses: ['udp_stats_addr_unchanged', 'udp_stats_addr_changed_v4', 'udp_stats_addr_changed_v6', 'udp_stats_drops_changed', 'dns_response', 'dns_timeout'], key: (r) => sig(r.data.sk_id) }, 'intake', ev, counts),
      // L3: processes by pid; pid_set_comm comes from exec of a group leader, so the pid was created first.
      procs,
      // L3: tracked processes by _ref (reused after the end).
      new Tracker('tracked', { start: ['tracked_process_start'], end: ['tracked_process_end'], uses: ['set_tgid', 'set_command', 'set_cgroup', 'pid_exit'], key: (r) => sig(r.data._ref ?? r.ref) }, 'intake', ev, counts),
      // L4: cgroups; duplicate creates happen during the scan, and v2 hosts have no scan (Q7).
      new Tracker('cgroup', { start: ['cgroup_create'], end: ['cgroup_close'], uses: [], key: (r) => sig(r.data.cgroup), allowDupStart: t.allowDuplicateCgroupCreate, allowEndWithoutStart: t.allowCgroupCloseWithoutCreate }, 'intake', ev, counts),
    ];
    // B4: sk ops in the dump only after new_sock_created / reset_tcp_counters; B2: one pid_info per tgid between closes.
    const bpf = [
      new Tracker('bpfTcp', { start: ['new_sock_created', 'reset_tcp_counters'], end: ['close_sock_info'], uses: ['set_state_ipv4', 'set_state_ipv6', 'rtt_estimator'], key: sk, allowDupStart: true, allowEndWithoutStart: false }, 'bpf', ev, counts),
      new Tracker('bpfProcess', { start: ['pid_info'], end: ['pid_close'], uses: [], key: (r) => sig(r.data.pid), allowEndWithoutStart: true }, 'bpf', ev, counts),
      // UDP in the dump: udp_stats only for a socket BPF saw created (its own table, like B4 for TCP).
      new Tracker('bpfUdp', { start: ['udp_new_socket'], end: ['udp_destroy_socket'], uses: ['udp_stats'], key: sk, allowDupStart: true, allowEndWithoutStart: true }, 'bpf', ev, counts),
    ];
    // Message name -> the trackers that care (most records concern none).
    const index = (trs: Tracker[]) => {
      const m = new Map<string, Tracker[]>();
      for (const tr of trs) for (const n of [...tr.k.start, ...tr.k.end, ...tr.k.uses]) m.set(n, [...(m.get(n) ?? []), tr]);
      return m;
    };
    const intakeBy = index(intake), bpfBy = index(bpf);
    let seg = -1;
    let intakeRecords = 0;
    return {
      bpf(r) {
        const trs = bpfBy.get(r.name);
        if (trs) for (const tr of trs) tr.see(r);
      },
      intake(r) {
        intakeRecords++;
        if (r.segment !== seg) {
          // A new session runs on a new BPF module (kernel_collector.cc@3598385a:245-247,536-539 drop the old one on
          // close, :290 builds one per connection): its tables start empty and its scan sends pid_info again for
          // every task (bpf_handler.cc@3598385a:80-83, process_prober.cc@3598385a:46-51, render_bpf.c@3598385a:594-622).
          // The dump file stays open across sessions (kernel_collector.cc@3598385a:137-147), so its trackers restart
          // here; at the first session too: samples before it are an earlier run's, in a dump opened for appending.
          for (const tr of bpf) tr.reset();
          if (seg >= 0) counts.bpfRestarts = (counts.bpfRestarts ?? 0) + 1;
          seg = r.segment;
          for (const tr of intake) tr.reset();
          // The exec/comm probes are attached before the process scan (§2.6b), so a process that execs while the
          // scan has not reached it sends pid_set_comm before its pid_info_create: tolerated until the scan is done.
          procs.lenient = t.allowScanRaces;
        }
        if (r.name === 'process_steady_state') procs.lenient = false;
        const trs = intakeBy.get(r.name);
        if (trs) for (const tr of trs) tr.see(r);
      },
      finish() {
        if (intakeRecords === 0) return { status: 'not-run', reason: 'the intake holds no records' };
        for (const tr of [...intake, ...bpf]) { tr.reset(); counts[`${tr.label}OpenAtEnd`] = tr.stillOpenAtEnd; }
        return verdict(ev, (n) => `${plural(n, 'lifecycle violation')}`, { ...counts });
      },
    };
  },
};
