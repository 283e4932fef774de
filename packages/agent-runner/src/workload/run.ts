import { spawn as nodeSpawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, symlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClock, nsToIso } from '../clock.js';
import { UsageError, WorkloadError, WouldOverwriteError } from '../errors.js';
import {
  MANIFEST_FORMAT, MANIFEST_VERSION, type AgentInfo, type DnsItem, type HttpItem, type ProcessItem, type ProcessRef,
  type TcpItem, type UdpItem, type WorkloadEvent, type WorkloadManifest,
} from '../manifest.js';
import { VERSION } from '../version.js';
import { encodeQuery, parseResponse } from './dns-wire.js';
import { startDnsResponder, type DnsQueryLog, type DnsResponder } from './dns-responder.js';
import { resolveProfile, type ProfileInput } from './profile.js';
import { ownComm, runtimeName, runtimeVersion, withTimeout } from './runtime.js';
import { startHttpServer, startTcpServer, startUdpServer, type HttpServerExchange, type TcpServerConn, type UdpServerLog } from './servers.js';

export interface WorkloadOptions {
  /** Profile overrides (merged over the defaults, in order). */
  profile?: ProfileInput | ProfileInput[];
  /** Write the final manifest here (refused if it exists, unless `force`). */
  manifestPath?: string;
  /** Append one WorkloadEvent per line here while running (refused if it exists, unless `force`). */
  eventsPath?: string;
  force?: boolean;
  /** Which agent observes the run (recorded; `simulated` = agent.kind === 'sim'). */
  agent?: AgentInfo;
  /** Called with every event as it happens (in-process consumers such as the simulated agent). */
  onEvent?: (e: WorkloadEvent) => void;
  log?: (line: string) => void;
  host?: string;
  /** Single-threaded binary the children exec under the profile's command name (default /bin/true). */
  childBinary?: string;
  /** Per-step timeout (ms) for local peers, default 10 s. */
  stepTimeoutMs?: number;
  clock?: AgentClock;
  signal?: AbortSignal;
  /** Receives what the local servers observed (for tests and logs), once the items are done. */
  onObserved?: (o: WorkloadObservations) => void;
}

/** The local servers' own view of the run. */
export interface WorkloadObservations { tcp: TcpServerConn[]; udp: UdpServerLog[]; dns: DnsQueryLog[]; http: HttpServerExchange[] }

const IP = '127.0.0.1';

/**
 * Runs the crafted workload (issue #4): N TCP connections, M UDP datagrams, K DNS lookups against a bundled
 * responder, P children with a known command name, H HTTP exchanges; everything local, sequential, measured.
 * Returns the manifest (and writes it when `manifestPath` is given).
 */
export async function runWorkload(opts: WorkloadOptions = {}): Promise<WorkloadManifest> {
  const profile = resolveProfile(...(Array.isArray(opts.profile) ? opts.profile : [opts.profile]));
  const clock = opts.clock ?? new AgentClock();
  const log = opts.log ?? (() => {});
  const host = opts.host ?? IP;
  const stepMs = opts.stepTimeoutMs ?? 10_000;
  const agent: AgentInfo = opts.agent ?? { kind: 'none' };
  const childBinary = opts.childBinary ?? ['/bin/true', '/usr/bin/true'].find((p) => existsSync(p));
  if (profile.processes.count > 0 && !childBinary) throw new UsageError('workload: no child binary: /bin/true not found (pass childBinary)');
  for (const p of [opts.manifestPath, opts.eventsPath]) if (p && !opts.force && existsSync(p)) throw new WouldOverwriteError(p);

  let eventsFile: Awaited<ReturnType<typeof open>> | undefined;
  if (opts.eventsPath) eventsFile = await open(opts.eventsPath, opts.force ? 'w' : 'wx', 0o600);
  const emit = async (e: WorkloadEvent) => {
    if (eventsFile) await eventsFile.write(`${JSON.stringify(e)}\n`);
    opts.onEvent?.(e);
  };

  const me: ProcessRef = { pid: process.pid, comm: ownComm() };
  const tcpSrv = await startTcpServer({ host, port: profile.tcp.port, clientBytes: profile.tcp.clientBytes, serverBytes: profile.tcp.serverBytes, clock });
  const closers: (() => Promise<void>)[] = [tcpSrv.close];
  let dir: string | undefined;
  try {
    const udpSrv = await startUdpServer({ host, port: profile.udp.port });
    closers.push(udpSrv.close);
    const dnsSrv: DnsResponder = await startDnsResponder({ host, port: profile.dns.port, domain: profile.dns.domain });
    closers.push(dnsSrv.close);
    const httpSrv = await startHttpServer({ host, port: profile.http.port, clock });
    closers.push(httpSrv.close);

    const startedNs = clock.now();
    const header = {
      format: MANIFEST_FORMAT, version: MANIFEST_VERSION, simulated: agent.kind === 'sim', agent,
      tools: { agentRunner: VERSION, runtime: runtimeVersion(), runtimeName: runtimeName(), kernel: release(), hostname: hostname() },
      profile, clock: clock.info(), started: nsToIso(startedNs), startedNs: String(startedNs), workload: me,
      servers: {
        tcp: { ip: host, port: tcpSrv.port }, udp: { ip: host, port: udpSrv.port },
        dns: { ip: host, port: dnsSrv.port }, http: { ip: host, port: httpSrv.port },
      },
    } satisfies Omit<WorkloadManifest, 'tcp' | 'udp' | 'dns' | 'processes' | 'http' | 'ended' | 'endedNs'>;
    await emit({ type: 'start', ...header });
    log(`workload: started (pid ${me.pid}); servers tcp:${tcpSrv.port} udp:${udpSrv.port} dns:${dnsSrv.port} http:${httpSrv.port}`);
    const m: WorkloadManifest = { ...header, tcp: [], udp: [], dns: [], processes: [], http: [], ended: '', endedNs: '' };
    const pause = async () => { if (profile.pauseMs > 0) await sleep(profile.pauseMs); opts.signal?.throwIfAborted(); };

    // --- TCP
    for (let i = 0; i < profile.tcp.connections; i++) {
      const item = await withTimeout(tcpConnection(i, host, tcpSrv, profile.tcp.clientBytes, profile.tcp.serverBytes, me, clock), stepMs, `workload tcp connection ${i}`);
      m.tcp.push(item);
      await emit({ type: 'tcp', item });
      await pause();
    }
    // --- UDP
    if (profile.udp.datagrams > 0) {
      const item = await withTimeout(udpFlow(0, host, udpSrv, profile.udp.datagrams, profile.udp.bytes, me, clock), stepMs, 'workload udp datagrams');
      m.udp.push(item);
      await emit({ type: 'udp', item });
      await pause();
    }
    // --- DNS
    if (profile.dns.lookups > 0) {
      const items = await withTimeout(dnsLookups(host, dnsSrv, profile.dns.lookups, profile.dns.domain, me, clock, async (it) => { m.dns.push(it); await emit({ type: 'dns', item: it }); }), stepMs * Math.max(1, profile.dns.lookups), 'workload dns lookups');
      void items;
      await pause();
    }
    // --- processes
    if (profile.processes.count > 0) {
      dir = await mkdtemp(join(tmpdir(), 'agent-runner-wl-'));
      const path = join(dir, profile.processes.command);
      // a symlink named X: the kernel's comm after exec is the base name of the path passed to execve
      await symlink(childBinary!, path);
      for (let i = 0; i < profile.processes.count; i++) {
        const item = await withTimeout(child(i, path, me, clock, (s) => emit({ type: 'spawn', ...s })), stepMs, `workload child ${i}`);
        m.processes.push(item);
        await emit({ type: 'process', item });
        await pause();
      }
    }
    // --- HTTP
    for (let i = 0; i < profile.http.requests; i++) {
      const status = profile.http.statuses[i % profile.http.statuses.length];
      const item = await withTimeout(httpExchange(i, host, httpSrv, profile.http.method, `${profile.http.path.replace(/\/$/, '')}/${status}`, status, me, clock), stepMs, `workload http request ${i}`);
      m.http.push(item);
      await emit({ type: 'http', item });
      await pause();
    }

    opts.onObserved?.({ tcp: tcpSrv.conns, udp: udpSrv.log, dns: dnsSrv.queries, http: httpSrv.exchanges });
    const endedNs = clock.now();
    m.ended = nsToIso(endedNs);
    m.endedNs = String(endedNs);
    await emit({ type: 'end', ended: m.ended, endedNs: m.endedNs });
    if (opts.manifestPath) {
      const f = await open(opts.manifestPath, opts.force ? 'w' : 'wx', 0o600);
      try { await f.writeFile(`${JSON.stringify(m, null, 2)}\n`); } finally { await f.close(); }
    }
    log(`workload: done: ${m.tcp.length} tcp, ${m.udp.length ? m.udp[0].sentDatagrams : 0} udp datagrams, ${m.dns.length} dns, ${m.processes.length} processes, ${m.http.length} http`);
    return m;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
    await eventsFile?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function tcpConnection(index: number, host: string, srv: Awaited<ReturnType<typeof startTcpServer>>, C: number, S: number, me: ProcessRef, clock: AgentClock): Promise<TcpItem> {
  const startNs = clock.now();
  const sock: Socket = connect({ host, port: srv.port, noDelay: true });
  const closed = once(sock, 'close');
  await Promise.race([once(sock, 'connect'), once(sock, 'error').then(([e]) => { throw e; })]);
  const connectedNs = clock.now();
  const localPort = sock.localPort ?? 0;
  let got = 0;
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (d) => { got += d.length; });
    sock.on('end', () => resolve());
    sock.on('error', reject);
  });
  sock.write(new Uint8Array(C).fill(0x43)); // 'C'
  await done; // the server ends after its S-byte reply
  sock.end();
  await closed;
  // wait for the server side to see its close too
  const sc = srv.conns.find((c) => c.remotePort === localPort);
  for (let i = 0; i < 200 && (!sc || sc.closedNs === undefined); i++) await sleep(5);
  const endNs = clock.now();
  if (!sc || sc.closedNs === undefined) throw new WorkloadError(`tcp connection ${index}`, `the server never saw port ${localPort} close`);
  if (got !== S || sc.received !== C) throw new WorkloadError(`tcp connection ${index}`, `short transfer: client got ${got}/${S}, server got ${sc.received}/${C}`);
  return {
    index, startNs: String(startNs), endNs: String(endNs), connectedNs: String(connectedNs),
    client: { ...me, tuple: { local: { ip: sock.localAddress ?? host, port: localPort }, remote: { ip: host, port: srv.port } } },
    server: { ...me, tuple: { local: { ip: host, port: srv.port }, remote: { ip: sock.localAddress ?? host, port: localPort } } },
    clientSentBytes: sock.bytesWritten, clientReceivedBytes: sock.bytesRead, serverSentBytes: sc.sent, serverReceivedBytes: sc.received,
  };
}

async function udpFlow(index: number, host: string, srv: Awaited<ReturnType<typeof startUdpServer>>, M: number, B: number, me: ProcessRef, clock: AgentClock): Promise<UdpItem> {
  const startNs = clock.now();
  const sock = createSocket('udp4');
  sock.bind(0, host);
  await once(sock, 'listening');
  const lport = sock.address().port;
  const payload = new Uint8Array(B).fill(0x55); // 'U'
  for (let i = 0; i < M; i++) await new Promise<void>((res, rej) => sock.send(payload, srv.port, host, (e) => (e ? rej(e) : res())));
  const mine = () => srv.log.filter((l) => l.from.port === lport);
  for (let i = 0; i < 400 && mine().length < M; i++) await sleep(5);
  await new Promise<void>((r) => sock.close(() => r()));
  const endNs = clock.now();
  const got = mine();
  return {
    index, startNs: String(startNs), endNs: String(endNs),
    client: { ...me, tuple: { local: { ip: host, port: lport }, remote: { ip: host, port: srv.port } } },
    server: { ...me, tuple: { local: { ip: host, port: srv.port }, remote: { ip: host, port: lport } } },
    sentDatagrams: M, bytesPerDatagram: B, receivedDatagrams: got.length, receivedBytes: got.reduce((a, l) => a + l.bytes, 0),
  };
}

async function dnsLookups(host: string, srv: DnsResponder, K: number, domain: string, me: ProcessRef, clock: AgentClock, each: (it: DnsItem) => Promise<void>): Promise<void> {
  const sock = createSocket('udp4');
  sock.bind(0, host);
  await once(sock, 'listening');
  const lport = sock.address().port;
  const pending = new Map<number, (b: Uint8Array, ns: bigint) => void>();
  sock.on('message', (msg) => {
    const ns = clock.now();
    if (msg.length < 2) return;
    const id = msg.readUInt16BE(0);
    pending.get(id)?.(msg, ns);
  });
  try {
    // query ids: deterministic and distinct per run (0x4000 + i) so the checker can key on them
    for (let i = 0; i < K; i++) {
      const id = (0x4000 + i) & 0xffff;
      const name = `q${i}.${domain}`;
      const q = encodeQuery(id, name, 1);
      const startNs = clock.now();
      const got = new Promise<{ b: Uint8Array; ns: bigint }>((res) => pending.set(id, (b, ns) => res({ b, ns })));
      await new Promise<void>((res, rej) => sock.send(q, srv.port, host, (e) => (e ? rej(e) : res())));
      const { b, ns } = await got;
      pending.delete(id);
      const r = parseResponse(b);
      await each({
        index: i, startNs: String(startNs), endNs: String(ns), queryId: id, name, qtype: 1, rcode: r.rcode,
        answers: r.answers.filter((a) => a.type === 1 && a.data.length === 4).map((a) => ({ type: 'A' as const, address: Array.from(a.data).join('.'), ttl: a.ttl })),
        client: { ...me, tuple: { local: { ip: host, port: lport }, remote: { ip: host, port: srv.port } } },
        server: { ...me, tuple: { local: { ip: host, port: srv.port }, remote: { ip: host, port: lport } } },
        queryBytes: q.length, responseBytes: b.length, visibleToAgent: srv.port === 53,
      });
    }
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

type Spawned = { index: number; pid: number; comm: string; parent: ProcessRef; startNs: string; spawnedNs: string };
async function child(index: number, path: string, me: ProcessRef, clock: AgentClock, onSpawn: (s: Spawned) => Promise<void>): Promise<ProcessItem> {
  const startNs = clock.now();
  const argv = [path];
  const cp = nodeSpawn(path, [], { stdio: 'ignore', argv0: path });
  const exited = Promise.race([once(cp, 'exit'), once(cp, 'error').then(([e]) => { throw e; })]) as Promise<[number | null, string | null]>;
  const comm = path.replace(/^.*\//, '').slice(0, 15);
  if (cp.pid) await onSpawn({ index, pid: cp.pid, comm, parent: me, startNs: String(startNs), spawnedNs: String(clock.now()) });
  const [code, signal] = await exited;
  const endNs = clock.now();
  return { index, startNs: String(startNs), endNs: String(endNs), pid: cp.pid ?? 0, comm, path, argv, parent: me, exitCode: code, signal };
}

async function httpExchange(index: number, host: string, srv: Awaited<ReturnType<typeof startHttpServer>>, method: string, path: string, status: number, me: ProcessRef, clock: AgentClock): Promise<HttpItem> {
  const startNs = clock.now();
  const sock: Socket = connect({ host, port: srv.port, noDelay: true });
  const closed = once(sock, 'close');
  await Promise.race([once(sock, 'connect'), once(sock, 'error').then(([e]) => { throw e; })]);
  const localPort = sock.localPort ?? 0;
  const chunks: Buffer[] = [];
  let firstNs: bigint | undefined;
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', (d) => { firstNs ??= clock.now(); chunks.push(d); });
    sock.on('end', () => resolve());
    sock.on('error', reject);
  });
  // the first send starts with the verb: the agent's HTTP detection looks at the first chunk (docs/checker-facts.md §3.5)
  sock.write(`${method} ${path} HTTP/1.1\r\nHost: ${host}:${srv.port}\r\nConnection: close\r\n\r\n`);
  await done;
  sock.end();
  await closed;
  const ex = srv.exchanges.find((e) => e.remotePort === localPort);
  for (let i = 0; i < 200 && (!ex || ex.responseBytes === undefined); i++) await sleep(5);
  const endNs = clock.now();
  const text = Buffer.concat(chunks).toString('latin1');
  const got = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  if (!got || Number(got[1]) !== status || !ex) throw new WorkloadError(`http request ${index}`, `expected status ${status}, got ${got ? got[1] : JSON.stringify(text.slice(0, 40))}`);
  return {
    index, startNs: String(startNs), endNs: String(endNs), method, path, status,
    client: { ...me, tuple: { local: { ip: sock.localAddress ?? host, port: localPort }, remote: { ip: host, port: srv.port } } },
    server: { ...me, tuple: { local: { ip: host, port: srv.port }, remote: { ip: host, port: localPort } } },
    requestBytes: sock.bytesWritten, responseBytes: sock.bytesRead,
    serverReceivedNs: String(ex.receivedNs), serverRespondedNs: String(ex.respondedNs ?? ex.receivedNs), clientResponseNs: String(firstNs ?? endNs),
  };
}

export { manifestFromEvents } from '../manifest-build.js';
