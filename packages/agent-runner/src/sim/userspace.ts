/**
 * The simulated agent's userspace: translates BPF messages into intake messages exactly as the agent's
 * BufferedPoller does (docs/checker-facts.md §1 table): socket table, rtt aggregation into socket_stats, the UDP sk_id
 * pool (LIFO reuse), the DNS matcher (key = qid,type,name; direction ignored: §7 Q1), the process table with
 * tracked_process refs, and slot flushes.
 */
import { parseQuestion, parseResponse, readName } from '../workload/dns-wire.js';
import { swap16, type BpfMsg } from './kernel.js';

export interface IntakeMsg { name: string; ts: bigint; data: Record<string, unknown> }

/** DNS requests time out after 10 s (docs/checker-facts.md §3.3, BP:49). */
const DNS_TIMEOUT_NS = 10_000_000_000n;
/**
 * Stats slots: Flowmill ≈ 1 s, slot k starts at k·2^48/281474 ns (tslot_(1e9, 16): buffered_poller.cc@3598385a:75,
 * util/fast_div.h); OpenTelemetry --socket-stats-interval-sec, default 10 s (entrypoint.cc:284,
 * buffered_poller.cc:77 in main), taken here as exact multiples of the interval.
 */
function slotFn(slotNs: bigint): (ts: bigint) => bigint {
  return slotNs === 1_000_000_000n ? (ts) => (ts * 281474n) >> 48n : (ts) => ts / slotNs;
}

interface TcpStats { bytes: bigint; delivered: number; retrans: number; maxRtt: number }
interface TcpEntry { pid: number; last: { acked: bigint; delivered: number; retrans: number; received: bigint; rcvDelivered: number; holes: number }; tx: TcpStats; rx: TcpStats }
interface UdpEntry { skId: number; pid: number; reported: boolean; dirs: { packets: number; bytes: number }[] }
interface PendingDns { qid: number; qtype: number; name: string; ts: bigint; sk: bigint }

function zeroStats(): TcpStats { return { bytes: 0n, delivered: 0, retrans: 0, maxRtt: 0 }; }
function decodeComm(a: Uint8Array): string {
  const end = a.indexOf(0);
  return new TextDecoder().decode(a.subarray(0, end < 0 ? a.length : end));
}
function rawToIpv4U32(raddr: Uint8Array): number {
  return (raddr[12] | (raddr[13] << 8) | (raddr[14] << 16) | (raddr[15] << 24)) >>> 0;
}

export class SimUserspace {
  private tcp = new Map<bigint, TcpEntry>();
  private udp = new Map<bigint, UdpEntry>();
  private freeIds: number[] = [];
  private nextId = 0;
  private refs = new Map<number, number>(); // tgid → _ref
  private freeRefs: number[] = [];
  private nextRef = 0;
  private dns: PendingDns[] = [];
  private lastSlot = -1n;
  lostSamples = 0;
  private reportedLost = 0;
  private readonly slotOf: (ts: bigint) => bigint;
  /** Names the schema knows (messages missing in an era are skipped). */
  constructor(private readonly has: (name: string) => boolean, private readonly readCmdline: (pid: number) => string, slotNs = 1_000_000_000n) {
    this.slotOf = slotFn(slotNs);
  }

  private out: IntakeMsg[] = [];
  private w(name: string, ts: bigint, data: Record<string, unknown>): void {
    if (this.has(name)) this.out.push({ name, ts, data });
  }

  /** Translate one poll: the BPF messages consumed (ts ≤ t), then the slot rollover work at poll time t. */
  poll(msgs: BpfMsg[], t: bigint, slots = true): IntakeMsg[] {
    for (const m of msgs) this.handle(m, t);
    const slot = this.slotOf(t);
    if (slots && slot !== this.lastSlot) {
      this.lastSlot = slot;
      this.flushSlot(t);
      this.queueLost(t);
    }
    return this.out.splice(0);
  }

  /** bpf_lost_samples for the samples lost since the last report (send_report_if_recent_loss, buffered_poller.cc). */
  reportLost(t: bigint): IntakeMsg[] {
    this.queueLost(t);
    return this.out.splice(0);
  }
  private queueLost(t: bigint): void {
    if (this.lostSamples > this.reportedLost) {
      this.w('bpf_lost_samples', t, { count: BigInt(this.lostSamples - this.reportedLost) });
      this.reportedLost = this.lostSamples;
    }
  }

  /** Slow poll (1 s): DNS timeouts of requests older than 10 s. */
  slowPoll(t: bigint): IntakeMsg[] {
    const keep: PendingDns[] = [];
    for (const p of this.dns) {
      if (t - p.ts >= DNS_TIMEOUT_NS) this.dnsTimeout(p, t);
      else keep.push(p);
    }
    this.dns = keep;
    return this.out.splice(0);
  }

  private dnsTimeout(p: PendingDns, ts: bigint): void {
    const u = this.udp.get(p.sk);
    if (!u) return;
    const name = p.name.slice(-80);
    this.w('dns_timeout', ts, { sk_id: u.skId, total_dn_len: p.name.length, domain_name: name, timeout_ns: ts - p.ts });
  }

  private flushSlot(t: bigint): void {
    for (const [sk, e] of this.tcp) this.flushTcp(sk, e, t);
    for (const [, u] of this.udp) this.flushUdp(u, t);
  }

  private flushTcp(sk: bigint, e: TcpEntry, ts: bigint): void {
    // a direction is sent only if its bytes or its retrans/holes field is > 0 (BP:837-852)
    for (const [isRx, s] of [[0, e.tx], [1, e.rx]] as const) {
      if (s.bytes > 0n || s.retrans > 0) this.w('socket_stats', ts, { sk, diff_bytes: s.bytes, diff_delivered: s.delivered, diff_retrans: s.retrans, max_srtt: s.maxRtt, is_rx: isRx });
    }
    e.tx = zeroStats(); e.rx = zeroStats();
  }

  private flushUdp(u: UdpEntry, ts: bigint): void {
    if (!u.reported) return;
    for (const isRx of [0, 1] as const) {
      const d = u.dirs[isRx];
      if (d.packets > 0) this.w('udp_stats_addr_unchanged', ts, { sk_id: u.skId, is_rx: isRx, packets: d.packets, bytes: d.bytes });
      d.packets = 0; d.bytes = 0;
    }
  }

  private handle(m: BpfMsg, t: bigint): void {
    const d = m.data;
    switch (m.name) {
      case 'new_sock_created': {
        const sk = d.sk as bigint;
        if (this.tcp.has(sk)) return; // already tracked: log_message error in the agent, nothing else
        this.tcp.set(sk, { pid: d.pid as number, last: { acked: 0n, delivered: 0, retrans: 0, received: 0n, rcvDelivered: 0, holes: 0 }, tx: zeroStats(), rx: zeroStats() });
        this.w('new_sock_info', m.ts, { pid: d.pid, sk });
        return;
      }
      case 'reset_tcp_counters': {
        const sk = d.sk as bigint;
        this.w('new_sock_info', m.ts, { pid: d.pid, sk }); // always, before the table check (BP:777-809)
        if (!this.tcp.has(sk)) this.tcp.set(sk, { pid: d.pid as number, last: { acked: d.bytes_acked as bigint, delivered: d.packets_delivered as number, retrans: d.packets_retrans as number, received: d.bytes_received as bigint, rcvDelivered: 0, holes: 0 }, tx: zeroStats(), rx: zeroStats() });
        return;
      }
      case 'set_state_ipv4':
        if (this.tcp.has(d.sk as bigint)) this.w('set_state_ipv4', m.ts, { ...d });
        return;
      case 'rtt_estimator': {
        const e = this.tcp.get(d.sk as bigint);
        if (!e) return;
        const clampB = (a: bigint) => (a > 0n ? a : 0n);
        const clamp = (a: number) => (a > 0 ? a : 0);
        e.tx.bytes += clampB((d.bytes_acked as bigint) - e.last.acked);
        e.tx.delivered += clamp((d.packets_delivered as number) - e.last.delivered);
        e.tx.retrans += clamp((d.packets_retrans as number) - e.last.retrans);
        e.tx.maxRtt = Math.max(e.tx.maxRtt, d.srtt as number);
        e.rx.bytes += clampB((d.bytes_received as bigint) - e.last.received);
        e.rx.delivered += clamp((d.rcv_delivered as number) - e.last.rcvDelivered);
        e.rx.retrans += clamp((d.rcv_holes as number) - e.last.holes);
        e.rx.maxRtt = Math.max(e.rx.maxRtt, d.rcv_rtt as number);
        e.last = { acked: d.bytes_acked as bigint, delivered: d.packets_delivered as number, retrans: d.packets_retrans as number, received: d.bytes_received as bigint, rcvDelivered: d.rcv_delivered as number, holes: d.rcv_holes as number };
        return;
      }
      case 'close_sock_info': {
        const sk = d.sk as bigint;
        const e = this.tcp.get(sk);
        if (!e) return;
        this.flushTcp(sk, e, m.ts);
        this.w('close_sock_info', m.ts, { sk });
        this.tcp.delete(sk);
        return;
      }
      case 'tcp_syn_timeout': this.w('syn_timeout', m.ts, { sk: d.sk }); return;
      case 'tcp_reset': this.w('tcp_reset', m.ts, { ...d }); return;
      case 'http_response': this.w('http_response', m.ts, { ...d }); return;
      case 'udp_new_socket': {
        const sk = d.sk as bigint;
        if (this.udp.has(sk)) return;
        const skId = this.freeIds.length ? this.freeIds.pop()! : this.nextId++; // LIFO reuse (pool_allocator.h)
        const u: UdpEntry = { skId, pid: d.pid as number, reported: false, dirs: [{ packets: 0, bytes: 0 }, { packets: 0, bytes: 0 }] };
        this.udp.set(sk, u);
        if ((d.lport as number) !== 0) {
          u.reported = true;
          this.w('udp_new_socket', m.ts, { pid: d.pid, sk_id: skId, laddr: d.laddr, lport: d.lport });
        }
        return;
      }
      case 'udp_stats': {
        const u = this.udp.get(d.sk as bigint);
        if (!u) return;
        if (!u.reported) { u.reported = true; this.w('udp_new_socket', m.ts, { pid: u.pid, sk_id: u.skId, laddr: d.laddr, lport: swap16(d.lport as number) }); }
        const isRx = d.is_rx as 0 | 1;
        const dir = u.dirs[isRx];
        if ((d.changed_af as number) !== 0) {
          if (dir.packets > 0) this.w('udp_stats_addr_unchanged', m.ts, { sk_id: u.skId, is_rx: isRx, packets: dir.packets, bytes: dir.bytes });
          this.w('udp_stats_addr_changed_v4', m.ts, { sk_id: u.skId, is_rx: isRx, packets: d.packets, bytes: d.bytes, raddr: rawToIpv4U32(d.raddr as Uint8Array), rport: swap16(d.rport as number) });
          dir.packets = 0; dir.bytes = 0;
        } else {
          dir.packets += d.packets as number;
          dir.bytes += d.bytes as number;
        }
        return;
      }
      case 'udp_destroy_socket': {
        const sk = d.sk as bigint;
        const u = this.udp.get(sk);
        if (!u) return;
        const keep: PendingDns[] = [];
        for (const p of this.dns) (p.sk === sk ? this.dnsTimeout(p, m.ts) : keep.push(p));
        this.dns = keep;
        this.flushUdp(u, m.ts);
        if (u.reported) this.w('udp_destroy_socket', m.ts, { sk_id: u.skId });
        this.udp.delete(sk);
        this.freeIds.push(u.skId);
        return;
      }
      case 'dns_packet': this.dnsPacket(m); return;
      // the kernel's own diagnostics, without file/line since renderc's pre-processor went (buffered_poller.cc@68f0c23f:1281-1288)
      case 'bpf_log': this.w('bpf_log', m.ts, { filename: 'TODO', line: 0, code: d.code, arg0: d.arg0, arg1: d.arg1, arg2: d.arg2 }); return;
      case 'existing_cgroup_probe': // OpenTelemetry main: buffered_poller.cc:1246-1252
        this.w('cgroup_create', m.ts, { cgroup: d.cgroup, cgroup_parent: d.cgroup_parent, name: d.name });
        return;
      case 'pid_info': {
        const pid = d.pid as number;
        if (!this.refs.has(pid)) {
          const ref = this.freeRefs.length ? this.freeRefs.pop()! : this.nextRef++;
          this.refs.set(pid, ref);
          const r = BigInt(ref);
          this.w('tracked_process_start', t, { _ref: r });
          this.w('set_tgid', t, { tgid: pid, _ref: r });
          this.w('set_command', t, { command: decodeComm(d.comm as Uint8Array), _ref: r });
          this.w('set_cgroup', t, { cgroup: d.cgroup, _ref: r });
        }
        this.w('pid_info_create', m.ts, { pid, comm: d.comm, cgroup: d.cgroup, parent_pid: d.parent_pid, cmdline: this.readCmdline(pid) });
        return;
      }
      case 'pid_set_comm': {
        const ref = this.refs.get(d.pid as number);
        if (ref !== undefined) this.w('set_command', t, { command: decodeComm(d.comm as Uint8Array), _ref: BigInt(ref) });
        this.w('pid_set_comm', m.ts, { pid: d.pid, comm: d.comm });
        return;
      }
      case 'pid_close': {
        const ref = this.refs.get(d.pid as number);
        if (ref !== undefined) {
          this.w('tracked_process_end', t, { _ref: BigInt(ref) });
          this.refs.delete(d.pid as number);
          this.freeRefs.push(ref);
        }
        this.w('pid_close_info', m.ts, { pid: d.pid, comm: d.comm });
        return;
      }
      default:
        return; // state-only messages (conntrack, nic queue) and those this simulation never generates
    }
  }

  private dnsPacket(m: BpfMsg): void {
    const pkt = m.data.pkt as Uint8Array;
    let q;
    try { q = parseQuestion(pkt); } catch { return; }
    const isResponse = (q.flags & 0x8000) !== 0;
    if (!isResponse) { this.dns.push({ qid: q.id, qtype: q.qtype, name: q.name, ts: m.ts, sk: m.data.sk as bigint }); return; }
    let r;
    try { r = parseResponse(pkt); } catch { return; }
    const same = (p: PendingDns) => p.qid === q.id && p.qtype === q.qtype && p.name === q.name; // is_rx ignored (§7 Q1)
    // the agent's A/AAAA reply parser walks the answers in order: an A/AAAA counts only when its owner is the current
    // name (the question's, then each CNAME's target replaces it), at most 16 of each
    // (dns/ares_parse_a_aaaa_reply.c@3598385a:113-155, called at buffered_poller.cc@3598385a:405)
    let cur = q.name.toLowerCase();
    const inChain: typeof r.answers = [];
    for (const a of r.answers) {
      if (a.type === 5) cur = cnameTarget(pkt, a) ?? cur;
      else if (a.name.toLowerCase() === cur) inChain.push(a);
    }
    const v4 = inChain.filter((a) => a.type === 1 && a.data.length === 4).slice(0, 16);
    const v6 = inChain.filter((a) => a.type === 28 && a.data.length === 16).slice(0, 16);
    const own = this.udp.get(m.data.sk as bigint);
    if ((v4.length || v6.length) && own) {
      for (const p of this.dns.filter(same)) {
        const cat = (l: { data: Uint8Array }[]) => { const b = new Uint8Array(l.reduce((n, a) => n + a.data.length, 0)); let o = 0; for (const a of l) { b.set(a.data, o); o += a.data.length; } return b; };
        this.w('dns_response', m.ts, {
          sk_id: own.skId, total_dn_len: q.name.length, domain_name: q.name.slice(-80), ipv4_addrs: cat(v4), ipv6_addrs: cat(v6),
          latency_ns: m.ts - p.ts, client_server: (m.data.is_rx as number) === 1 ? 0 : 1,
        });
      }
    }
    this.dns = this.dns.filter((p) => !same(p));
  }
}

/** A CNAME answer's target name (its rdata is a possibly compressed name inside the packet). */
function cnameTarget(pkt: Uint8Array, a: { dataOffset: number }): string | undefined {
  try { return readName(pkt, a.dataOffset).name.toLowerCase(); } catch { return undefined; }
}
