import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSchema, lz4EncodeFrame, RecordEncoder, type AppSchema } from '@flowmill/raw-codec';
import type { AuthzLogEntry, Manifest } from './side-inputs.js';

/**
 * A synthetic, internally consistent run built from the protocol facts (checker-facts.md §1-§4): a BPF dump, the
 * intake (wire capture + record file), a workload manifest and a mock-authz log that agree with each other. For
 * demos, tests (which then break one thing on purpose through `edit`) and the bench (long runs, streamed to disk).
 * Everything is deterministic for a given seed.
 */
export interface SynthRecord { name: string; ts: bigint; data: Record<string, unknown> }

export interface SynthOptions {
  /** Simulated length of the telemetry phase, seconds. */
  durationS?: number;
  /** Sessions (connections); >1 = the agent reconnected. */
  sessions?: number;
  /** Workload items per simulated second (each kind). */
  workloadPerS?: number;
  /** Extra TCP connections and processes per second that the manifest does not list (a busy host). */
  backgroundPerS?: number;
  seed?: number;
  /** Clock start (ns). */
  startNs?: bigint;
  token?: string;
}

/** Per-record hook when writing: return the records to write instead (`[]` drops, `[r, r]` duplicates). */
export type Edit = (r: SynthRecord, where: { stream: 'bpf' | 'intake'; session: number; nth: number }) => SynthRecord[];

export interface SynthFiles { dir: string; wire: string; record: string; bpf: string; manifest: string; authzLog: string }

const NS = 1_000_000_000n;
const MS = 1_000_000n;

/** Minimal deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const comm = (s: string) => { const a = new Array<number>(16).fill(0); for (let i = 0; i < Math.min(15, s.length); i++) a[i] = s.charCodeAt(i); return a; };
const ipRaw = (ip: string) => { const p = ip.split('.').map(Number); return (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0; };
const v4mapped = (ip: string) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...ip.split('.').map(Number)];

/** Fills the fields a test did not give with zeros (ints), zero arrays, or empty strings, so the encoder accepts it. */
function filler(app: AppSchema): (name: string, data: Record<string, unknown>) => Record<string, unknown> {
  return (name, data) => {
    const m = app.byName.get(name);
    if (!m) throw new Error(`synth: no message ${name} in ${app.name}`);
    const out: Record<string, unknown> = {};
    for (const f of m.fields) {
      if (f.name in data) out[f.name] = data[f.name];
      else if (f.type === 'string') out[f.name] = '';
      else if (f.arrayLength !== null && f.arrayLength !== undefined) out[f.name] = new Array<number>(f.arrayLength).fill(0);
      else out[f.name] = 0;
    }
    return out;
  };
}

interface Poll { t: bigint; bpf: SynthRecord[]; intake: SynthRecord[] }

/**
 * The whole run as a stream of 100 ms polls per session (what the agent does: drain BPF, write the derived intake
 * records, flush), plus the manifest and authz log. `sessionStart` marks a new connection.
 */
export function synthesize(o: SynthOptions = {}) {
  const durationS = o.durationS ?? 20;
  const sessions = o.sessions ?? 1;
  const perS = o.workloadPerS ?? 2;
  const bgPerS = o.backgroundPerS ?? 0;
  const rand = rng(o.seed ?? 1);
  const start = o.startNs ?? BigInt(Date.UTC(2026, 10, 25, 8, 0, 0)) * MS;
  const token = o.token ?? 'tok-synth-0001';
  const wl = { pid: 4242, comm: 'node' };
  const servers = { tcp: { ip: '127.0.0.1', port: 7100 }, udp: { ip: '127.0.0.1', port: 7200 }, dns: { ip: '127.0.0.1', port: 53 }, http: { ip: '127.0.0.1', port: 7300 } };
  const manifest: Required<Pick<Manifest, 'tcp' | 'udp' | 'dns' | 'processes' | 'http'>> & Manifest = {
    format: 'flowmill-workload-manifest', version: 1, simulated: true, workload: wl, servers, tcp: [], udp: [], dns: [], processes: [], http: [],
  };
  const authz: AuthzLogEntry[] = [];
  let nextSk = 0xffff8880_00001000n;
  let nextPid = 10_000;
  let nextPort = 40_000;
  let nextRef = 1;
  let udpPort = 0;
  let skIdFree: number[] = [];
  let skIdNext = 0;
  /** userspace's UDP sk_id pool: fresh ids 0,1,2,…, freed ones reused last-in first-out (checker-facts.md §3). */
  const takeId = () => (skIdFree.length ? skIdFree.pop()! : skIdNext++);
  const sessionLen = (BigInt(durationS) * NS) / BigInt(sessions);
  const preamble = 6n * NS; // metadata + 2 s hold-off + compile/probe load before telemetry

  function* run(): Generator<{ session: number; versionTs: bigint; polls: Generator<Poll> }> {
    for (let s = 0; s < sessions; s++) {
      const s0 = start + BigInt(s) * (sessionLen + preamble + 5n * NS);
      authz.push({ time: new Date(Number((s0 - 500n * MS) / MS)).toISOString(), method: 'GET', path: '/api/v1/auth/keys/KFIISYNTH', keyId: 'KFIISYNTH', agentId: 'FAIDSYNTH', status: 200, latencyMs: 1, token, issuedAtS: String((s0 - NS) / NS), expirationS: String((s0 + 3600n * NS) / NS), intake: 'localhost' });
      skIdFree = [];
      skIdNext = 0;
      yield { session: s, versionTs: s0, polls: sessionPolls(s, s0) };
    }
  }

  function* sessionPolls(session: number, s0: bigint): Generator<Poll> {
    // Metadata flushes (agent-protocol.md §2.4).
    yield { t: s0, bpf: [], intake: [{ name: 'authz_authenticate', ts: s0 + 1n * MS, data: { token, collector_type: 1, hostname: 'synth-host' } }] };
    yield { t: s0, bpf: [], intake: [
      { name: 'os_info', ts: s0 + 2n * MS, data: { os: 1, flavor: 1, os_version: '12', kernel_version: '6.1.0' } },
      { name: 'report_cpu_cores', ts: s0 + 2n * MS, data: { cpu_core_count: 2 } },
      { name: 'kernel_headers_source', ts: s0 + 2n * MS, data: { source: 1 } },
      { name: 'set_config_label', ts: s0 + 2n * MS, data: { key: '__kernel_version', value: '6.1.0' } },
    ] };
    yield { t: s0, bpf: [], intake: [
      { name: 'cloud_platform', ts: s0 + 3n * MS, data: { cloud_platform: 0 } },
      { name: 'set_node_info', ts: s0 + 3n * MS, data: { az: '', role: '', instance_id: 'synth-host', instance_type: '' } },
      { name: 'metadata_complete', ts: s0 + 3n * MS, data: { time: 0 } },
    ] };
    // Heartbeats every 2 s from authentication (with ±30 ms jitter); the probe load blocks the loop once.
    let hb = s0 + 2n * NS;
    const tCompile = s0 + 2n * NS + 10n * MS;
    const tTelemetry = s0 + preamble;
    yield { t: hb, bpf: [], intake: [{ name: 'heartbeat', ts: hb, data: {} }] };
    yield { t: tCompile, bpf: [], intake: [
      { name: 'bpf_compiled', ts: tCompile, data: {} },
      { name: 'system_wide_process_settings', ts: tCompile + 1n * MS, data: { clock_ticks_per_second: 100, memory_page_bytes: 4096 } },
      { name: 'process_steady_state', ts: tCompile + 2n * NS, data: { time: 0 } },
      { name: 'socket_steady_state', ts: tCompile + 3n * NS, data: { time: 0 } },
      { name: 'begin_telemetry', ts: tTelemetry, data: {} },
      { name: 'collector_health', ts: tTelemetry, data: { status: 0, detail: 0 } },
    ] };
    hb = tTelemetry + 1n * MS;
    yield { t: hb, bpf: [], intake: [{ name: 'heartbeat', ts: hb, data: {} }] };
    hb += 2n * NS;

    const end = tTelemetry + sessionLen;
    let nextUsage = tTelemetry + NS;
    // Events scheduled by BPF time; each poll drains those with ts ≤ t (checker-facts.md §0 "Dump order").
    const queue: { ts: bigint; bpf: SynthRecord; intake: (pollT: bigint) => SynthRecord[] }[] = [];
    const add = (ts: bigint, bpf: SynthRecord, intake: (pollT: bigint) => SynthRecord[]) => queue.push({ ts, bpf, intake });
    const pass = (r: SynthRecord, name = r.name, data = r.data): SynthRecord[] => [{ name, ts: r.ts, data }];

    function tcp(at: bigint, listed: boolean, http?: { status: number }) {
      const cliPid = wl.pid, srvPid = wl.pid;
      if (nextPort > 60_000) nextPort = 40_000;
      const cport = nextPort++;
      const sport = http ? servers.http.port : servers.tcp.port;
      const cSk = (nextSk += 0x100n), sSk = (nextSk += 0x100n);
      const C = listed && !http ? 4096 : 400, S = listed && !http ? 8192 : 800;
      const tConn = at + 50_000n, tAcc = at + 90_000n;
      const ss = (sk: bigint, d: Record<string, unknown>) => ({ sk, ...d });
      const mk = (name: string, ts: bigint, data: Record<string, unknown>): SynthRecord => ({ name, ts, data });
      const ns1 = mk('new_sock_created', at, { pid: cliPid, sk: cSk });
      add(at, ns1, () => pass(ns1, 'new_sock_info'));
      const st1 = mk('set_state_ipv4', tConn, ss(cSk, { dest: ipRaw('127.0.0.1'), src: ipRaw('127.0.0.1'), dport: sport, sport: cport, tx_rx: 1 }));
      add(tConn, st1, () => pass(st1));
      const ns2 = mk('new_sock_created', tAcc, { pid: srvPid, sk: sSk });
      add(tAcc, ns2, () => pass(ns2, 'new_sock_info'));
      const st2 = mk('set_state_ipv4', tAcc, ss(sSk, { dest: ipRaw('127.0.0.1'), src: ipRaw('127.0.0.1'), dport: cport, sport, tx_rx: 2 }));
      add(tAcc, st2, () => pass(st2));
      const tHttp = at + 3n * MS;
      if (http) {
        const srvLat = 400_000n + BigInt(Math.floor(rand() * 100_000)), cliLat = srvLat + 300_000n;
        const h1 = mk('http_response', tHttp, { sk: sSk, pid: srvPid, code: http.status, latency_ns: srvLat, client_server: 1 });
        const h2 = mk('http_response', tHttp + 200_000n, { sk: cSk, pid: cliPid, code: http.status, latency_ns: cliLat, client_server: 0 });
        add(h1.ts, h1, () => pass(h1));
        add(h2.ts, h2, () => pass(h2));
      }
      // Final rtt_estimator + close (B3: same ts); the intake gets the close-time socket_stats with the close's ts.
      const tClose = at + 6n * MS;
      for (const [sk, tx, rx, dt] of [[cSk, C, S, 0n], [sSk, S, C, 1000n]] as const) {
        const tc = tClose + dt;
        add(tc, mk('rtt_estimator', tc, { sk, srtt: 50, bytes_acked: tx, bytes_received: rx, packets_delivered: 3, rcv_delivered: 3 }), () => []);
        const cl = mk('close_sock_info', tc, { sk });
        add(tc, cl, () => [
          { name: 'socket_stats', ts: tc, data: { sk, diff_bytes: tx, diff_delivered: 3, diff_retrans: 0, max_srtt: 50, is_rx: 0 } },
          { name: 'socket_stats', ts: tc, data: { sk, diff_bytes: rx, diff_delivered: 3, diff_retrans: 0, max_srtt: 0, is_rx: 1 } },
          ...pass(cl),
        ]);
      }
      if (!listed) return;
      const side = (pid: number, lport: number, rport: number) => ({ pid, comm: wl.comm, tuple: { local: { ip: '127.0.0.1', port: lport }, remote: { ip: '127.0.0.1', port: rport } } });
      const item = { index: 0, startNs: String(at - MS), endNs: String(tClose + 2n * MS), client: side(cliPid, cport, sport), server: side(srvPid, sport, cport) };
      if (http) manifest.http.push({ ...item, index: manifest.http.length, status: http.status });
      else manifest.tcp.push({ ...item, index: manifest.tcp.length, clientSentBytes: C, clientReceivedBytes: S, serverSentBytes: S, serverReceivedBytes: C });
    }

    function proc(at: bigint, listed: boolean) {
      const pid = nextPid++;
      const ref = nextRef++;
      const X = listed ? 'synth-child' : 'bg-task';
      const info: SynthRecord = { name: 'pid_info', ts: at, data: { pid, comm: comm(wl.comm), cgroup: 1234n, parent_pid: wl.pid } };
      add(at, info, (t) => [
        { name: 'tracked_process_start', ts: t + 20_000n, data: { _ref: ref } },
        { name: 'set_tgid', ts: t + 20_000n, data: { tgid: pid, _ref: ref } },
        { name: 'set_command', ts: t + 21_000n, data: { command: wl.comm, _ref: ref } },
        { name: 'set_cgroup', ts: t + 21_000n, data: { cgroup: 1234n, _ref: ref } },
        { name: 'pid_info_create', ts: at, data: { pid, comm: comm(wl.comm), cgroup: 1234n, parent_pid: wl.pid, cmdline: `${X} --synth` } },
      ]);
      const sc: SynthRecord = { name: 'pid_set_comm', ts: at + 2n * MS, data: { pid, comm: comm(X) } };
      add(sc.ts, sc, (t) => [{ name: 'set_command', ts: t + 22_000n, data: { command: X, _ref: ref } }, ...pass(sc)]);
      const cl: SynthRecord = { name: 'pid_close', ts: at + 5n * MS, data: { pid, comm: comm(X) } };
      add(cl.ts, cl, (t) => [{ name: 'tracked_process_end', ts: t + 23_000n, data: { _ref: ref } }, { ...cl, name: 'pid_close_info' }]);
      if (listed) manifest.processes.push({ index: manifest.processes.length, startNs: String(at - MS), endNs: String(cl.ts + MS), pid, comm: X, parent: { pid: wl.pid, comm: wl.comm } });
    }

    function udp(at: bigint) {
      const sk = (nextSk += 0x100n);
      let skId = -1; // taken from the LIFO pool when userspace inserts the socket (at poll time, in dump order)
      const lport = 50_000 + (udpPort++ % 10_000);
      const M = 5, B = 100;
      const un: SynthRecord = { name: 'udp_new_socket', ts: at, data: { pid: wl.pid, sk, laddr: v4mapped('127.0.0.1'), lport } };
      add(at, un, () => { skId = takeId(); return [{ name: 'udp_new_socket', ts: at, data: { pid: wl.pid, sk_id: skId, laddr: v4mapped('127.0.0.1'), lport } }]; });
      const us: SynthRecord = { name: 'udp_stats', ts: at + MS, data: { sk, raddr: v4mapped('127.0.0.1'), packets: M, bytes: M * (B + 28), changed_af: 2, rport: servers.udp.port, is_rx: 0, laddr: v4mapped('127.0.0.1'), lport } };
      add(us.ts, us, () => [{ name: 'udp_stats_addr_changed_v4', ts: us.ts, data: { sk_id: skId, is_rx: 0, packets: M, bytes: M * (B + 28), raddr: ipRaw('127.0.0.1'), rport: servers.udp.port } }]);
      const ud: SynthRecord = { name: 'udp_destroy_socket', ts: at + 3n * MS, data: { sk } };
      add(ud.ts, ud, () => { skIdFree.push(skId); return [{ name: 'udp_destroy_socket', ts: ud.ts, data: { sk_id: skId } }]; });
      const side = (lport2: number, rport: number) => ({ pid: wl.pid, comm: wl.comm, tuple: { local: { ip: '127.0.0.1', port: lport2 }, remote: { ip: '127.0.0.1', port: rport } } });
      manifest.udp.push({ index: manifest.udp.length, startNs: String(at - MS), endNs: String(ud.ts + MS), client: side(lport, servers.udp.port), server: side(servers.udp.port, lport), sentDatagrams: M, bytesPerDatagram: B, receivedDatagrams: M, receivedBytes: M * B });
    }

    function dns(at: bigint) {
      // A lookup against an on-host responder: four dns_packets (client send, server receive, server send, client
      // receive); the matcher ignores direction (Q1), so the server's response send answers both pending requests:
      // two dns_response with client_server=1 on the server's sk_id, none on the client's (checker-facts §3.3).
      const i = manifest.dns.length;
      const name = `q${i}.flowmill.test`;
      const addr = `10.0.${(i >> 8) & 255}.${i & 255}`;
      const qid = (i * 7919 + 1) & 0xffff;
      const cSk = (nextSk += 0x100n), sSk = (nextSk += 0x100n);
      const cport = 45_000 + (i % 10_000);
      let cId = -1, sId = -1;
      const labels = name.split('.').flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]);
      const query = Uint8Array.from([qid >> 8, qid & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
      const resp = Uint8Array.from([qid >> 8, qid & 255, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addr.split('.').map(Number)]);
      const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      const sock = (sk: bigint, lport: number, set: (id: number) => void): SynthRecord => {
        const r: SynthRecord = { name: 'udp_new_socket', ts: at, data: { pid: wl.pid, sk, laddr: v4mapped('127.0.0.1'), lport } };
        add(at, r, () => { const id = takeId(); set(id); return [{ name: 'udp_new_socket', ts: at, data: { pid: wl.pid, sk_id: id, laddr: v4mapped('127.0.0.1'), lport } }]; });
        return r;
      };
      sock(cSk, cport, (id) => (cId = id));
      sock(sSk, 53, (id) => (sId = id));
      const pkt = (ts: bigint, sk: bigint, b: Uint8Array, isRx: number, intake: () => SynthRecord[] = () => []) =>
        add(ts, { name: 'dns_packet', ts, data: { sk, pkt: { hex: hex(b) }, total_len: b.length, is_rx: isRx } }, intake);
      const t1 = at + 1000n, t2 = at + 60_000n, t3 = at + 300_000n, t4 = at + 350_000n;
      pkt(t1, cSk, query, 0);
      pkt(t2, sSk, query, 1);
      pkt(t3, sSk, resp, 0, () => [t1, t2].map((tq) => ({ name: 'dns_response', ts: t3, data: { sk_id: sId, total_dn_len: name.length, domain_name: name, ipv4_addrs: { hex: hex(Uint8Array.from(addr.split('.').map(Number))) }, ipv6_addrs: '', latency_ns: t3 - tq, client_server: 1 } })));
      pkt(t4, cSk, resp, 1);
      for (const [sk, get] of [[cSk, () => cId], [sSk, () => sId]] as const) {
        const ud: SynthRecord = { name: 'udp_destroy_socket', ts: at + 2n * MS, data: { sk } };
        add(ud.ts, ud, () => { skIdFree.push(get()); return [{ name: 'udp_destroy_socket', ts: ud.ts, data: { sk_id: get() } }]; });
      }
      const side = (lport: number, rport: number) => ({ pid: wl.pid, comm: wl.comm, tuple: { local: { ip: '127.0.0.1', port: lport }, remote: { ip: '127.0.0.1', port: rport } } });
      manifest.dns.push({ index: i, startNs: String(at), endNs: String(at + 2n * MS), queryId: qid, name, answers: [{ type: 'A', address: addr }], client: side(cport, 53), server: side(53, cport), visibleToAgent: true });
    }

    // Schedule the workload: `perS` of each kind per second, spread out; plus background traffic.
    for (let sec = 0n; sec * NS < sessionLen - NS; sec++) {
      const base = tTelemetry + sec * NS + 100n * MS;
      const step = 800n * MS / BigInt(Math.max(1, perS));
      for (let k = 0; k < perS; k++) {
        const at = base + BigInt(k) * step + BigInt(Math.floor(rand() * 1000)) * 1000n;
        tcp(at, true);
        proc(at + 7n * MS, true);
        tcp(at + 15n * MS, true, { status: [200, 404, 500][(manifest.http.length) % 3] });
        udp(at + 25n * MS);
        dns(at + 31n * MS);
      }
      const bstep = 900n * MS / BigInt(Math.max(1, bgPerS));
      for (let k = 0; k < bgPerS; k++) {
        const at = base + BigInt(k) * bstep + 3n * MS;
        tcp(at, false);
        proc(at + 1n * MS, false);
      }
    }
    queue.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));

    // Polls every 100 ms: drain BPF up to t, write derived records; heartbeats every 2 s; resource usage every 1 s.
    let qi = 0;
    for (let t = tTelemetry + 100n * MS; t <= end; t += 100n * MS) {
      const p: Poll = { t, bpf: [], intake: [] };
      while (qi < queue.length && queue[qi].ts <= t) {
        const e = queue[qi++];
        p.bpf.push(e.bpf);
        p.intake.push(...e.intake(t));
      }
      if (t >= nextUsage) { p.intake.push({ name: 'agent_resource_usage', ts: t + 100_000n, data: { user_mode_time_us: 1000, cpu_usage_by_agent: 3 } }); nextUsage += NS; }
      if (t >= hb) { const j = BigInt(Math.floor((rand() - 0.5) * 60)) * MS; p.intake.push({ name: 'heartbeat', ts: t + 200_000n + j, data: {} }); hb += 2n * NS; }
      yield p;
    }
  }

  return { run, manifest, authz, start, token };
}

/**
 * Writes a synthetic run: `intake.raw` (or `intake/conn-*.raw` with `wireDir`), `intake.record`, `bpf.raw`,
 * `manifest.json`, `authz.jsonl` in `dir`, streaming (one poll at a time). `edit` changes records on the way out:
 * what the intake edit returns goes to both taps unless `editWireOnly`.
 */
export function writeSynthRun(dir: string, o: SynthOptions & { edit?: Edit; editRecordOnly?: Edit; wireDir?: boolean } = {}): SynthFiles {
  mkdirSync(dir, { recursive: true });
  const schema = builtinSchema('flowmill');
  const ingest = schema.apps.ingest, internal = schema.apps.agent_internal;
  const encI = new RecordEncoder(ingest), encB = new RecordEncoder(internal);
  const fillI = filler(ingest), fillB = filler(internal);
  const syn = synthesize(o);
  const files: SynthFiles = { dir, wire: join(dir, o.wireDir ? 'intake' : 'intake.raw'), record: join(dir, 'intake.record'), bpf: join(dir, 'bpf.raw'), manifest: join(dir, 'manifest.json'), authzLog: join(dir, 'authz.jsonl') };
  if (o.wireDir) mkdirSync(files.wire, { recursive: true });
  const fdRec = openSync(files.record, 'w');
  const fdBpf = openSync(files.bpf, 'w');
  let fdWire = o.wireDir ? -1 : openSync(files.wire, 'w');
  const nth = new Map<string, number>();
  const count = (k: string) => { const n = (nth.get(k) ?? 0) + 1; nth.set(k, n); return n; };
  const edit = o.edit ?? ((r) => [r]);
  const conns: string[] = [];
  for (const { session, versionTs, polls } of syn.run()) {
    if (o.wireDir) { fdWire = openSync(join(files.wire, `conn-${String(session + 1).padStart(4, '0')}.raw`), 'w'); }
    const vi: SynthRecord[] = edit({ name: 'version_info', ts: versionTs, data: { major: 0, minor: 9, build: 4242 } }, { stream: 'intake', session, nth: count('intake:version_info') });
    for (const r of vi) {
      const b = encI.encode(r.name, r.ts, fillI(r.name, r.data));
      writeSync(fdWire, b); writeSync(fdRec, b);
    }
    let wireBytes = 0;
    for (const p of polls) {
      for (const r0 of p.bpf) for (const r of edit(r0, { stream: 'bpf', session, nth: count(`bpf:${r0.name}`) })) writeSync(fdBpf, encB.encode(r.name, r.ts, fillB(r.name, r.data)));
      const recs: Uint8Array[] = [];
      const recsFile: Uint8Array[] = [];
      for (const r0 of p.intake) {
        const n = count(`intake:${r0.name}`);
        for (const r of edit(r0, { stream: 'intake', session, nth: n })) {
          const b = encI.encode(r.name, r.ts, fillI(r.name, r.data));
          recs.push(b);
          if (!o.editRecordOnly) recsFile.push(b);
        }
        if (o.editRecordOnly) for (const r of o.editRecordOnly(r0, { stream: 'intake', session, nth: n })) recsFile.push(encI.encode(r.name, r.ts, fillI(r.name, r.data)));
      }
      // One flush per poll (≤ 16 KiB each, like the BufferedWriter: agent-protocol.md §2.6).
      for (const [list, fd, lz] of [[recs, fdWire, true], [recsFile, fdRec, false]] as const) {
        let cur: Uint8Array[] = [], n = 0;
        const flush = () => {
          if (!n) return;
          const plain = new Uint8Array(n);
          let at = 0;
          for (const b of cur) { plain.set(b, at); at += b.length; }
          const out = lz ? lz4EncodeFrame(plain) : plain;
          writeSync(fd, out);
          if (lz) wireBytes += out.length;
          cur = []; n = 0;
        };
        for (const b of list) { if (n + b.length > 16384) flush(); cur.push(b); n += b.length; }
        flush();
      }
    }
    if (o.wireDir) {
      closeSync(fdWire);
      conns.push(JSON.stringify({ id: session + 1, file: `conn-${String(session + 1).padStart(4, '0')}.raw`, peer: '127.0.0.1:1', start: new Date(Number(versionTs / MS)).toISOString(), bytes: wireBytes + 24, ended: 'eof' }));
    }
  }
  if (!o.wireDir) closeSync(fdWire);
  else writeFileSync(join(files.wire, 'connections.jsonl'), conns.join('\n') + '\n');
  closeSync(fdRec);
  closeSync(fdBpf);
  const m = { ...syn.manifest, started: new Date(Number(syn.start / MS)).toISOString(), startedNs: String(syn.start) };
  writeFileSync(files.manifest, JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
  writeFileSync(files.authzLog, syn.authz.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return files;
}
