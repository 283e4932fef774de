import type { AgentClock } from '../clock.js';
import { nsToIso } from '../clock.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type DnsItem, type HttpItem, type ProcessItem, type ProcessRef, type TcpItem, type UdpItem, type WorkloadEvent, type WorkloadProfile } from '../manifest.js';
import type { Scheduler } from '../sim/scheduler.js';
import { VERSION } from '../version.js';
import { answerFor, DNS_TTL } from '../workload/dns-responder.js';
import { encodeQuery, encodeResponse } from '../workload/dns-wire.js';
import { between } from './prng.js';

const IP = '127.0.0.1';
const US = 1000n;

export interface SyntheticWorkload {
  sched: Scheduler; clock: AgentClock; rand: () => number; profile: WorkloadProfile; era: 'flowmill' | 'otel';
  /** When the workload starts and how long its items are spread over (agent ms on the scheduler). */
  startMs: number; spanMs: number;
  workload: ProcessRef;
  hostname: string; kernel: string;
  /** Every event, when it happens (the manifest is made from them). */
  onEvent(e: WorkloadEvent): void;
  /** Items of a busy host that no manifest lists (fed to the agent only). */
  background?: { tcpPerS: number; processesPerS: number };
  onBackground?(e: WorkloadEvent): void;
}

/**
 * The crafted workload of `runWorkload`, items in the same order and shape, but made up on the scheduler's clock
 * from a seeded PRNG instead of done on sockets: the DNS responder is on port 53, where the agent's DNS probe looks.
 */
export function scheduleWorkload(w: SyntheticWorkload): void {
  const p = w.profile;
  const me = w.workload;
  const servers = {
    tcp: { ip: IP, port: p.tcp.port || between(w.rand, 33000, 39999) }, udp: { ip: IP, port: p.udp.port || between(w.rand, 40000, 44999) },
    dns: { ip: IP, port: 53 }, http: { ip: IP, port: p.http.port || between(w.rand, 45000, 49999) },
  };
  let port = between(w.rand, 50000, 52000);
  const nextPort = () => (port >= 60999 ? (port = 50000) : ++port);
  let pid = me.pid + 100;
  const ns = () => w.clock.now();
  const side = (lport: number, remote: { ip: string; port: number }) => ({ ...me, tuple: { local: { ip: IP, port: lport }, remote } });
  const at = (ms: number, e: () => WorkloadEvent) => w.sched.after(ms - w.sched.nowMs(), () => w.onEvent(e()));
  const items: ((t0: bigint) => { end: bigint; ev: WorkloadEvent })[] = [];
  for (let i = 0; i < p.tcp.connections; i++) items.push((t0) => { const it = tcp(i, t0, servers.tcp, false); return { end: BigInt(it.endNs), ev: { type: 'tcp', item: it } }; });
  if (p.udp.datagrams > 0) items.push((t0) => {
    const lport = nextPort(), d = BigInt(p.udp.datagrams);
    const it: UdpItem = { index: 0, startNs: String(t0), endNs: String(t0 + d * 40n * US + 500n * US), client: side(lport, servers.udp), server: { ...me, tuple: { local: servers.udp, remote: { ip: IP, port: lport } } }, sentDatagrams: p.udp.datagrams, bytesPerDatagram: p.udp.bytes, receivedDatagrams: p.udp.datagrams, receivedBytes: p.udp.datagrams * p.udp.bytes };
    return { end: BigInt(it.endNs), ev: { type: 'udp', item: it } };
  });
  const dnsPort = nextPort();
  for (let i = 0; i < p.dns.lookups; i++) items.push((t0) => {
    const id = (0x4000 + i) & 0xffff, name = `q${i}.${p.dns.domain}`;
    const a = answerFor(name, p.dns.domain);
    const q = encodeQuery(id, name, 1), r = encodeResponse(q, a.rcode, a.addresses, DNS_TTL);
    const it: DnsItem = {
      index: i, startNs: String(t0), endNs: String(t0 + BigInt(between(w.rand, 150, 400)) * US), queryId: id, name, qtype: 1, rcode: a.rcode,
      answers: a.addresses.map((address) => ({ type: 'A' as const, address, ttl: DNS_TTL })), client: side(dnsPort, servers.dns),
      server: { ...me, tuple: { local: servers.dns, remote: { ip: IP, port: dnsPort } } }, queryBytes: q.length, responseBytes: r.length, visibleToAgent: true,
    };
    return { end: BigInt(it.endNs), ev: { type: 'dns', item: it } };
  });
  for (let i = 0; i < p.processes.count; i++) items.push((t0) => {
    const it = proc(i, t0, p.processes.command.slice(0, 15), me);
    // spawn returns once the child has exec'd: the workload reports it then, the exit with the item
    const spawned = t0 + BigInt(between(w.rand, 150, 400)) * US;
    const sp: WorkloadEvent = { type: 'spawn', index: i, pid: it.pid, comm: it.comm, parent: me, startNs: it.startNs, spawnedNs: String(spawned) };
    w.sched.after(Number(spawned - ns()) / 1e6, () => w.onEvent(sp));
    return { end: BigInt(it.endNs), ev: { type: 'process', item: it } };
  });
  for (let i = 0; i < p.http.requests; i++) items.push((t0) => { const it = http(i, t0, p.http.statuses[i % p.http.statuses.length], servers.http); return { end: BigInt(it.endNs), ev: { type: 'http', item: it } }; });

  function tcp(i: number, t0: bigint, srv: { ip: string; port: number }, bg: boolean): TcpItem {
    const lport = nextPort();
    const c = bg ? 400 : p.tcp.clientBytes, s = bg ? 800 : p.tcp.serverBytes;
    const conn = t0 + BigInt(between(w.rand, 60, 150)) * US;
    return {
      index: i, startNs: String(t0), endNs: String(conn + BigInt(between(w.rand, 800, 2500)) * US), connectedNs: String(conn),
      client: side(lport, srv), server: { ...me, tuple: { local: srv, remote: { ip: IP, port: lport } } },
      clientSentBytes: c, clientReceivedBytes: s, serverSentBytes: s, serverReceivedBytes: c,
    };
  }
  function proc(i: number, t0: bigint, comm: string, parent: ProcessRef): ProcessItem {
    const path = `/tmp/agent-runner-wl-sim/${comm}`;
    return { index: i, startNs: String(t0), endNs: String(t0 + BigInt(between(w.rand, 900, 2500)) * US), pid: pid++, comm, path, argv: [path], parent, exitCode: 0, signal: null };
  }
  function http(i: number, t0: bigint, status: number, srv: { ip: string; port: number }): HttpItem {
    const lport = nextPort();
    const path = `${p.http.path.replace(/\/$/, '')}/${status}`;
    const recv = t0 + BigInt(between(w.rand, 120, 250)) * US, resp = recv + BigInt(between(w.rand, 50, 200)) * US, first = resp + BigInt(between(w.rand, 30, 90)) * US;
    return {
      index: i, startNs: String(t0), endNs: String(first + 200n * US), method: p.http.method, path, status,
      client: side(lport, srv), server: { ...me, tuple: { local: srv, remote: { ip: IP, port: lport } } },
      requestBytes: `${p.http.method} ${path} HTTP/1.1\r\nHost: ${IP}:${srv.port}\r\nConnection: close\r\n\r\n`.length, responseBytes: 120 + String(status).length,
      serverReceivedNs: String(recv), serverRespondedNs: String(resp), clientResponseNs: String(first),
    };
  }

  // the start, then one item after another, spread evenly over the span (the profile's pause), then the end
  const gapMs = Math.max(p.pauseMs, w.spanMs / (items.length + 1));
  at(w.startMs, () => {
    const startedNs = ns();
    const info = w.clock.info();
    return {
      type: 'start', format: MANIFEST_FORMAT, version: MANIFEST_VERSION, simulated: true, agent: { kind: 'sim', era: w.era },
      tools: { agentRunner: VERSION, runtime: 'simulated', runtimeName: 'unknown', kernel: w.kernel, hostname: w.hostname }, profile: p, clock: info,
      started: nsToIso(startedNs), startedNs: String(startedNs), workload: me, servers,
    };
  });
  items.forEach((make, k) => {
    let made: { end: bigint; ev: WorkloadEvent } | undefined;
    const startMs = w.startMs + gapMs * (k + 1);
    w.sched.after(startMs - w.sched.nowMs(), () => { made = make(ns()); w.sched.after(Number(made.end - ns()) / 1e6, () => w.onEvent(made!.ev)); });
  });
  const endMs = w.startMs + gapMs * (items.length + 1) + 5;
  at(endMs, () => { const e = ns(); return { type: 'end', ended: nsToIso(e), endedNs: String(e) }; });
  if (w.background && w.onBackground) {
    const bg = w.background;
    // one timer at a time (the next one set when this one runs), so a long busy run keeps the queue short
    const every = (perS: number, f: (t0: bigint) => WorkloadEvent) => {
      if (perS <= 0) return;
      const tick = (t: number) => {
        if (t >= endMs - 50) return;
        w.sched.after(t - w.sched.nowMs(), () => {
          const e = f(ns());
          w.sched.after(Number(BigInt((e as { item: { endNs: string } }).item.endNs) - ns()) / 1e6, () => w.onBackground!(e));
          tick(t + 1000 / perS);
        });
      };
      tick(w.startMs + 50);
    };
    every(bg.tcpPerS, (t0) => ({ type: 'tcp', item: tcp(0, t0, servers.tcp, true) }));
    every(bg.processesPerS, (t0) => ({ type: 'process', item: proc(0, t0, 'bg-task', { pid: 1, comm: 'systemd' }) }));
  }
}
