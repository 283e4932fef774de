/**
 * The simulated kernel side: turns workload items into the BPF messages (render app `agent_internal`) the agent's
 * probes would emit, with plausible timestamps inside each item's [startNs, endNs] (docs/checker-facts.md §3).
 * Field values follow the agent's conventions: IPv4 `dest/src` as raw u32 in network byte order, ports host order,
 * UDP addresses v4-mapped (::ffff:a.b.c.d), comm 16 bytes NUL-padded.
 */
import type { DnsItem, HttpItem, ProcessItem, TcpItem, UdpItem, WorkloadManifest } from '../manifest.js';
import { encodeQuery, encodeResponse } from '../workload/dns-wire.js';
import { comm16, ipv4Raw, name256, swap16, v4Mapped } from './values.js';

export { comm16, ipv4Raw, swap16, v4Mapped };

import { PerfRing, type BpfMsg } from './ring.js';

export type { BpfMsg };

/** AF_INET on Linux: the `changed_af` value of an IPv4 address change (docs/checker-facts.md §3.2). */
const AF_INET = 2;
/** tx_rx values of set_state_* (docs/checker-facts.md §1): 0 unknown/existing, 1 connect, 2 listen/accept. */
export const TX_RX = { existing: 0, connect: 1, accept: 2 } as const;
/** IPv4 + UDP header bytes counted at udp_send_skb for TX (docs/checker-facts.md §3.2, inferred). */
const UDP_TX_OVERHEAD = 28;
/** Loopback MSS-ish segment size used to make packet counts believable. */
const SEG = 32768;

interface UdpSock { sk: bigint; pid: number; laddr: string; lport: number; dirs: { count: number; bytes: number; raddr?: string; rport?: number; changed: boolean }[] }

export class SimKernel extends PerfRing {
  private udp = new Map<string, UdpSock>();
  private dnsClient?: { sock: UdpSock; lastEnd: bigint; key: string };
  private listeners: { sk: bigint; pid: number; port: number; kind: 'tcp' | 'udp'; key?: string }[] = [];
  /** Pids seen in a pid_info, so a new workload process gets one. */
  readonly knownPids = new Set<number>();
  /** Cgroup id the simulated processes live in (a kernel-pointer-looking constant). */
  cgroup = 0xffff88810a5c1000n;
  /** Converts a workload timestamp to the agent's clock. */
  toAgentNs: (ns: bigint) => bigint = (ns) => ns;
  /** DNS lookups the workload's profile makes: its client socket closes right after the last one. */
  private dnsLookups = 0;
  /** The agent's own intake connection (found by the socket scan) and the counters last reported for it. */
  private intake?: { sk: bigint; sent: number; received: number };


  // --- initial scan (docs/checker-facts.md §2 6b, 6f)
  /**
   * OpenTelemetry era: the existing cgroup v2 directories, one `existing_cgroup_probe` each, parents first
   * (cgroup_prober.cc in main walks the tree and triggers the probe per directory; buffered_poller.cc:111 turns each
   * into cgroup_create). The processes are placed in the last directory scanned. Returns the ids by path.
   */
  scanCgroups(ts: bigint, dirs: { path: string; name: string; parent?: string }[]): void {
    const ids = new Map<string, bigint>();
    dirs.forEach((d, i) => {
      const id = 0xffff888109000000n + BigInt(i) * 0x1000n;
      ids.set(d.path, id);
      this.emit('existing_cgroup_probe', ts + BigInt(i), { cgroup: id, cgroup_parent: d.parent ? ids.get(d.parent) ?? 0n : 0n, name: name256(d.name) });
    });
    if (dirs.length) this.cgroup = ids.get(dirs[dirs.length - 1].path)!;
  }

  scanProcess(ts: bigint, pid: number, comm: string, parentPid: number): void {
    this.knownPids.add(pid);
    this.emit('pid_info', ts, { pid, comm: comm16(comm), cgroup: this.cgroup, parent_pid: parentPid });
  }
  /** An existing TCP socket (e.g. the agent's own intake connection): reset_tcp_counters + set_state_ipv4(tx_rx=0). */
  scanTcpSocket(ts: bigint, pid: number, local: { ip: string; port: number }, remote: { ip: string; port: number }, sent: number, received: number): bigint {
    const sk = this.allocSk();
    this.emit('reset_tcp_counters', ts, { sk, bytes_acked: BigInt(sent), packets_delivered: Math.ceil(sent / SEG), packets_retrans: 0, bytes_received: BigInt(received), pid });
    this.emit('set_state_ipv4', ts, { dest: ipv4Raw(remote.ip), src: ipv4Raw(local.ip), dport: remote.port, sport: local.port, sk, tx_rx: TX_RX.existing });
    return sk;
  }
  /** The scanned socket is the agent's own intake connection: its later traffic is reported like any socket's. */
  scanIntakeSocket(ts: bigint, pid: number, local: { ip: string; port: number }, remote: { ip: string; port: number }, sent: number, received: number): void {
    this.intake = { sk: this.scanTcpSocket(ts, pid, local, remote, sent, received), sent, received };
  }
  /**
   * The intake connection's counters moved: the rtt probe reports them (tcp_rtt_estimator runs on every ACK, rate
   * limited by the 10 ms --filter-ns: render_bpf.c), so userspace sends its socket_stats in the next slot.
   */
  intakeProgress(ts: bigint, sent: number, received: number): void {
    const i = this.intake;
    if (!i || (sent === i.sent && received === i.received)) return;
    i.sent = sent; i.received = received;
    this.rtt(ts, i.sk, sent, received, false);
  }

  // --- UDP model: first packet per direction announces the address (packets=0, changed_af), the rest is held and
  //     flushed at destroy (all within FILTER_NS of each other in a quick workload): docs/checker-facts.md §3.2
  udpOpen(ts: bigint, pid: number, laddr: string, lport: number): UdpSock {
    const s: UdpSock = { sk: this.allocSk('udp', ts), pid, laddr, lport, dirs: [{ count: 0, bytes: 0, changed: false }, { count: 0, bytes: 0, changed: false }] };
    this.emit('udp_new_socket', ts, { pid, sk: s.sk, laddr: v4Mapped(laddr), lport });
    return s;
  }
  udpPacket(ts: bigint, s: UdpSock, isRx: 0 | 1, raddr: string, rport: number, bytes: number): void {
    const d = s.dirs[isRx];
    if (d.raddr !== raddr || d.rport !== rport) {
      if (d.count > 0) this.udpFlushDir(ts, s, isRx);
      d.raddr = raddr; d.rport = rport;
      this.emit('udp_stats', ts, this.udpStats(s, isRx, 0, 0, AF_INET));
    }
    d.count++; d.bytes += bytes;
  }
  private udpStats(s: UdpSock, isRx: 0 | 1, packets: number, bytes: number, changedAf: number) {
    const d = s.dirs[isRx];
    // udp_stats carries both ports in network byte order; userspace turns them around (ntohs,
    // buffered_poller.cc@3598385a:1003-1021), unlike udp_new_socket's host-order lport (inet_num)
    return { sk: s.sk, raddr: v4Mapped(d.raddr ?? '0.0.0.0'), packets, bytes, changed_af: changedAf, rport: swap16(d.rport ?? 0), is_rx: isRx, laddr: v4Mapped(s.laddr), lport: swap16(s.lport), drops: 0 };
  }
  private udpFlushDir(ts: bigint, s: UdpSock, isRx: 0 | 1): void {
    const d = s.dirs[isRx];
    if (d.count === 0) return;
    this.emit('udp_stats', ts, this.udpStats(s, isRx, d.count, d.bytes, 0));
    d.count = 0; d.bytes = 0;
  }
  udpClose(ts: bigint, s: UdpSock): void {
    this.udpFlushDir(ts, s, 0);
    this.udpFlushDir(ts, s, 1);
    this.emit('udp_destroy_socket', ts, { sk: s.sk });
    this.freeSk('udp', s.sk, ts);
  }

  // --- TCP lifetimes
  private tcpOpen(ts: bigint, pid: number): bigint {
    const sk = this.allocSk('tcp', ts);
    this.emit('new_sock_created', ts, { pid, sk });
    return sk;
  }
  private rtt(ts: bigint, sk: bigint, acked: number, received: number, final: boolean): void {
    // the final report clears the low 2 bits of both byte counters (docs/checker-facts.md §7 Q3, render_bpf.c:722-728)
    const a = final ? acked & ~3 : acked, r = final ? received & ~3 : received;
    this.emit('rtt_estimator', ts, {
      srtt: 80 << 3, snd_cwnd: 10, bytes_acked: BigInt(a), ca_state: 0, sk, packets_in_flight: 0,
      packets_delivered: Math.ceil(a / SEG) + 1, packets_retrans: 0, rcv_holes: 0, bytes_received: BigInt(r),
      rcv_delivered: Math.ceil(r / SEG) + 1, rcv_rtt: 100,
    });
  }
  private tcpClose(ts: bigint, sk: bigint, acked: number, received: number): void {
    this.rtt(ts, sk, acked, received, true); // B3: final rtt_estimator immediately before close, same ts
    this.emit('close_sock_info', ts, { sk });
    this.freeSk('tcp', sk, ts);
  }

  /** One client connection + its accepted socket (docs/checker-facts.md §3.1). Returns both sks. */
  tcpExchange(it: { startNs: string; endNs: string; client: TcpItem['client']; server: TcpItem['server'] }, connectedNs: bigint, cBytes: number, sBytes: number, extra?: (kc: bigint, ks: bigint) => void, closes?: { server: bigint; client: bigint }): { kc: bigint; ks: bigint } {
    const s = this.toAgentNs(BigInt(it.startNs)), e = this.toAgentNs(BigInt(it.endNs));
    const c = connectedNs > s ? connectedNs : s + 2000n;
    const cli = it.client.tuple, srv = it.server.tuple;
    const kc = this.tcpOpen(s, it.client.pid);
    this.emit('set_state_ipv4', s + (c - s) / 2n, { dest: ipv4Raw(cli.remote.ip), src: ipv4Raw(cli.local.ip), dport: cli.remote.port, sport: cli.local.port, sk: kc, tx_rx: TX_RX.connect });
    // accept return: new_sock_created and set_state_ipv4(tx_rx=2) share the ts (B5)
    const ks = this.allocSk('tcp', c);
    this.emit('new_sock_created', c, { pid: it.server.pid, sk: ks });
    this.emit('set_state_ipv4', c, { dest: ipv4Raw(srv.remote.ip), src: ipv4Raw(srv.local.ip), dport: srv.remote.port, sport: srv.local.port, sk: ks, tx_rx: TX_RX.accept });
    const span = e - c;
    const mid = c + span / 2n;
    // an unadjusted report once the data is acknowledged (so Σ = exact bytes even when not a multiple of 4)
    this.rtt(mid, kc, cBytes, sBytes, false);
    this.rtt(mid + 1n, ks, sBytes, cBytes, false);
    extra?.(kc, ks);
    this.tcpClose(closes?.server ?? e - span / 8n, ks, sBytes, cBytes);
    this.tcpClose(closes?.client ?? e - span / 16n, kc, cBytes, sBytes);
    return { kc, ks };
  }

  // --- items
  onStart(m: Pick<WorkloadManifest, 'startedNs' | 'servers' | 'workload'> & { profile?: { dns?: { lookups?: number } } }, parentPid: number): void {
    const t = this.toAgentNs(BigInt(m.startedNs));
    this.dnsLookups = m.profile?.dns?.lookups ?? 0;
    const pid = m.workload.pid;
    if (!this.knownPids.has(pid)) this.scanProcess(t - 4000n, pid, m.workload.comm, parentPid);
    // listeners opened after steady state: new_sock_created + set_state(tx_rx=2, dport=0) (docs/checker-facts.md §3.1)
    for (const [kind, ep] of [['tcp', m.servers.tcp], ['http', m.servers.http]] as const) {
      const sk = this.tcpOpen(t - 3000n, pid);
      this.emit('set_state_ipv4', t - 3000n, { dest: 0, src: ipv4Raw(ep.ip), dport: 0, sport: ep.port, sk, tx_rx: TX_RX.accept });
      this.listeners.push({ sk, pid, port: ep.port, kind: 'tcp', key: kind });
    }
    for (const [key, ep] of [['udp', m.servers.udp], ['dns', m.servers.dns]] as const) {
      const s = this.udpOpen(t - 2000n, pid, ep.ip, ep.port);
      this.udp.set(key, s);
    }
  }

  onTcp(it: TcpItem): void {
    this.closeDnsClient();
    this.tcpExchange(it, this.toAgentNs(BigInt(it.connectedNs)), it.clientSentBytes, it.serverSentBytes);
  }

  onUdp(it: UdpItem): void {
    this.closeDnsClient();
    const s = this.toAgentNs(BigInt(it.startNs)), e = this.toAgentNs(BigInt(it.endNs));
    const cs = this.udpOpen(s, it.client.pid, it.client.tuple.local.ip, it.client.tuple.local.port);
    const rs = this.udp.get('udp');
    const n = it.sentDatagrams;
    const step = n > 0 ? (e - s) / BigInt(n + 2) : 0n;
    for (let i = 0; i < n; i++) {
      const t = s + step * BigInt(i + 1);
      this.udpPacket(t, cs, 0, it.client.tuple.remote.ip, it.client.tuple.remote.port, it.bytesPerDatagram + UDP_TX_OVERHEAD);
      if (rs && i < it.receivedDatagrams) this.udpPacket(t + 1n, rs, 1, it.client.tuple.local.ip, it.client.tuple.local.port, it.bytesPerDatagram);
    }
    this.udpClose(e - 1000n, cs);
  }

  onDns(it: DnsItem): void {
    const s = this.toAgentNs(BigInt(it.startNs)), e = this.toAgentNs(BigInt(it.endNs));
    const key = `${it.client.tuple.local.ip}:${it.client.tuple.local.port}`;
    if (this.dnsClient && this.dnsClient.key !== key) this.closeDnsClient();
    if (!this.dnsClient) this.dnsClient = { sock: this.udpOpen(s, it.client.pid, it.client.tuple.local.ip, it.client.tuple.local.port), lastEnd: e, key };
    const cs = this.dnsClient.sock;
    this.dnsClient.lastEnd = e;
    const ss = this.udp.get('dns');
    // the datagrams exactly as they were on the wire (same encoder as the workload's client and responder)
    const q = encodeQuery(it.queryId, it.name, it.qtype);
    const r = encodeResponse(q, it.rcode, it.answers.map((a) => a.address), it.answers[0]?.ttl ?? 60);
    const d = (e - s) / 4n;
    const srv = it.client.tuple.remote, cli = it.client.tuple.local;
    // the probe submits a dns_packet only for UDP with source or destination port 53
    // (render_bpf.c@3598385a:2453-2456, main:2266); the datagrams themselves are counted either way
    const dns = srv.port === 53 || cli.port === 53;
    const pkt = (ts: bigint, sk: bigint, b: Uint8Array, isRx: 0 | 1) => { if (dns) this.emit('dns_packet', ts, { sk, pkt: b, total_len: b.length, is_rx: isRx }); };
    pkt(s, cs.sk, q, 0);
    this.udpPacket(s, cs, 0, srv.ip, srv.port, q.length + UDP_TX_OVERHEAD);
    if (ss) {
      pkt(s + d, ss.sk, q, 1);
      this.udpPacket(s + d, ss, 1, cli.ip, cli.port, q.length);
      pkt(s + 2n * d, ss.sk, r, 0);
      this.udpPacket(s + 2n * d, ss, 0, cli.ip, cli.port, r.length + UDP_TX_OVERHEAD);
    }
    pkt(e, cs.sk, r, 1);
    this.udpPacket(e, cs, 1, srv.ip, srv.port, r.length);
    // the workload closes its DNS socket right after the last lookup (workload/run.ts dnsLookups)
    if (it.index === this.dnsLookups - 1) this.closeDnsClient();
  }

  /** The workload closes its DNS client socket after the last lookup. */
  closeDnsClient(): void {
    if (!this.dnsClient) return;
    this.udpClose(this.dnsClient.lastEnd + 1000n, this.dnsClient.sock);
    this.dnsClient = undefined;
  }

  /** Children whose fork and exec were reported at spawn time (their exit comes with the item). */
  private spawned = new Map<number, bigint>();
  /** A child has been forked and has exec'd: pid_info with the parent's comm, then pid_set_comm, as they happen. */
  onSpawn(sp: { pid: number; comm: string; parent: { pid: number; comm: string }; startNs: string; spawnedNs: string }): void {
    this.closeDnsClient();
    const s = this.toAgentNs(BigInt(sp.startNs)), x = this.toAgentNs(BigInt(sp.spawnedNs));
    this.knownPids.add(sp.pid);
    this.spawned.set(sp.pid, x);
    this.emit('pid_info', s + (x - s) / 3n, { pid: sp.pid, comm: comm16(sp.parent.comm), cgroup: this.cgroup, parent_pid: sp.parent.pid });
    this.emit('pid_set_comm', s + (2n * (x - s)) / 3n, { pid: sp.pid, comm: comm16(sp.comm) });
  }

  onProcess(it: ProcessItem): void {
    this.closeDnsClient();
    const s = this.toAgentNs(BigInt(it.startNs)), e = this.toAgentNs(BigInt(it.endNs));
    const x = this.spawned.get(it.pid);
    if (x !== undefined) {
      // the exit: after the exec, shortly before the workload saw it
      this.spawned.delete(it.pid);
      const t = e - (e - s) / 16n;
      this.emit('pid_close', t > x ? t : x + 1n, { pid: it.pid, comm: comm16(it.comm) });
      return;
    }
    const q = (e - s) / 4n;
    this.knownPids.add(it.pid);
    // fork: the child's comm is still the parent's (docs/checker-facts.md §7 Q8); exec sets X; exit closes with X
    this.emit('pid_info', s + q, { pid: it.pid, comm: comm16(it.parent.comm), cgroup: this.cgroup, parent_pid: it.parent.pid });
    this.emit('pid_set_comm', s + 2n * q, { pid: it.pid, comm: comm16(it.comm) });
    this.emit('pid_close', e - q, { pid: it.pid, comm: comm16(it.comm) });
  }

  onHttp(it: HttpItem): void {
    this.closeDnsClient();
    const start = this.toAgentNs(BigInt(it.startNs));
    const recv = this.toAgentNs(BigInt(it.serverReceivedNs)), resp = this.toAgentNs(BigInt(it.serverRespondedNs)), cresp = this.toAgentNs(BigInt(it.clientResponseNs));
    const connected = start + (recv - start) / 2n;
    const end = this.toAgentNs(BigInt(it.endNs));
    // each side closes after its http_response (the sk must still be open: docs/checker-facts.md §3.5, L1)
    const after = (t: bigint) => (end > t + 1n ? t + (end - t) / 2n : t + 1n);
    const closes = { server: after(resp), client: after(cresp) };
    this.tcpExchange(it, connected, it.requestBytes, it.responseBytes, (kc, ks) => {
      // server side: request received then response sent (cs=1); client side: round trip (cs=0) (docs/checker-facts.md §3.5)
      this.emit('http_response', resp, { sk: ks, pid: it.server.pid, code: it.status, latency_ns: resp - recv, client_server: 1 });
      this.emit('http_response', cresp, { sk: kc, pid: it.client.pid, code: it.status, latency_ns: cresp - start, client_server: 0 });
    }, closes);
  }

  onEnd(endedNs: string): void {
    this.closeDnsClient();
    const t = this.toAgentNs(BigInt(endedNs));
    for (const l of this.listeners.splice(0)) this.tcpClose(t + 1000n, l.sk, 0, 0);
    for (const [k, s] of [...this.udp]) { this.udpClose(t + 2000n, s); this.udp.delete(k); }
  }
}
