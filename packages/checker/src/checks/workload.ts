import { Evidence, plural, type CheckDef, type Rec } from '../framework.js';
import { big, bytes, cstr, ipv4FromRaw, num, sig } from '../values.js';
import { kernelViewOutcome } from './kernel-view.js';

/**
 * Workload oracle (docs/checker-facts.md §3.1-3.5, §8.9-8.13): what the manifest says the workload did must show in the
 * intake with the right keys, counts and byte totals. Exact where the facts say exact (process count and comms,
 * HTTP codes per exchange), bounds where they say bounds (TCP bytes ∈ {X, X+1}; UDP packets ≥, = on first use).
 */
interface Lifetime {
  segment: number;
  sk: string;
  pid: number;
  startTs: bigint;
  txRx?: number;
  src?: string; dst?: string; sport?: number; dport?: number;
  tx: bigint; rx: bigint;
  http: { code: number; cs: number; latency: bigint }[];
  closed: boolean;
}
interface UdpLife { segment: number; startTs: bigint; skId: string; pid: number; lport: number; firstUse: boolean; txPackets: number; txBytes: number; rxPackets: number; rxBytes: number }

export const workload: CheckDef = {
  id: 'workload',
  title: "the manifest's TCP connections, UDP datagrams, DNS lookups, child processes and HTTP exchanges appear with the right keys, counts and bytes",
  needs: ['intake', 'manifest'],
  create(ctx) {
    const tol = ctx.tol.workload;
    const m = ctx.manifest!;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const watchPids = new Set<number>((m.processes ?? []).map((p) => p.pid));
    const procs = new Map<number, { create: Rec[]; setComm: string[]; close: string[] }>();
    const byTuple = new Map<string, Lifetime[]>(); // tx_rx|sport|dport -> lifetimes, for the manifest's lookups
    let kept = 0;
    // tx_rx|sport|dport of every socket the manifest can ask about: client (1) and accepted (2) sides.
    const tcpTuples = new Set<string>([...(m.tcp ?? []), ...(m.http ?? [])].flatMap((t) => [`1|${t.client.tuple.local.port}|${t.client.tuple.remote.port}`, `2|${t.server.tuple.local.port}|${t.server.tuple.remote.port}`]));
    const openTcp = new Map<string, Lifetime>();
    const udpLives: UdpLife[] = [];
    const udpPorts = new Set<number>((m.udp ?? []).map((u) => u.client.tuple.local.port));
    const openUdp = new Map<string, UdpLife>();
    const usedSkIds = new Set<string>();
    const dnsByName = new Map<string, { addrs: string[]; cs: number }[]>();
    let seg = -1;
    const udpOf = (r: Rec) => openUdp.get(sig(r.data.sk_id));
    return {
      intake(r) {
        if (r.segment !== seg) { seg = r.segment; openTcp.clear(); openUdp.clear(); usedSkIds.clear(); }
        const d = r.data;
        switch (r.name) {
          case 'pid_info_create': case 'pid_set_comm': case 'pid_close_info': {
            const pid = num(d.pid);
            if (!watchPids.has(pid)) break;
            const p = procs.get(pid) ?? { create: [], setComm: [], close: [] };
            procs.set(pid, p);
            if (r.name === 'pid_info_create') p.create.push(r);
            else (r.name === 'pid_set_comm' ? p.setComm : p.close).push(cstr(d.comm));
            break;
          }
          case 'new_sock_info': {
            const l: Lifetime = { segment: seg, sk: sig(d.sk), pid: num(d.pid), startTs: r.timestamp, tx: 0n, rx: 0n, http: [], closed: false };
            openTcp.set(l.sk, l);
            break;
          }
          case 'set_state_ipv4': {
            const l = openTcp.get(sig(d.sk));
            if (!l || l.txRx !== undefined) break;
            Object.assign(l, { txRx: num(d.tx_rx), src: ipv4FromRaw(d.src), dst: ipv4FromRaw(d.dest), sport: num(d.sport), dport: num(d.dport) });
            // Keep only the lifetimes the manifest can ask about (memory stays proportional to the workload).
            const k = `${l.txRx}|${l.sport}|${l.dport}`;
            if (tcpTuples.has(k)) {
              const list = byTuple.get(k);
              if (list) list.push(l); else byTuple.set(k, [l]);
              kept++;
            }
            break;
          }
          case 'socket_stats': {
            const l = openTcp.get(sig(d.sk));
            if (!l) break;
            if (num(d.is_rx)) l.rx += big(d.diff_bytes); else l.tx += big(d.diff_bytes);
            break;
          }
          case 'http_response': {
            const l = openTcp.get(sig(d.sk));
            if (l) l.http.push({ code: num(d.code), cs: num(d.client_server), latency: big(d.latency_ns) });
            break;
          }
          case 'close_sock_info': {
            const l = openTcp.get(sig(d.sk));
            if (l) { l.closed = true; openTcp.delete(l.sk); }
            break;
          }
          case 'udp_new_socket': {
            const id = sig(d.sk_id);
            const u: UdpLife = { segment: seg, startTs: r.timestamp, skId: id, pid: num(d.pid), lport: num(d.lport), firstUse: !usedSkIds.has(id), txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0 };
            usedSkIds.add(id);
            openUdp.set(id, u);
            if (udpPorts.has(u.lport)) udpLives.push(u);
            break;
          }
          case 'udp_stats_addr_unchanged': case 'udp_stats_addr_changed_v4': case 'udp_stats_addr_changed_v6': {
            const u = udpOf(r);
            if (!u) break;
            if (num(d.is_rx)) { u.rxPackets += num(d.packets); u.rxBytes += num(d.bytes); } else { u.txPackets += num(d.packets); u.txBytes += num(d.bytes); }
            break;
          }
          case 'udp_destroy_socket': openUdp.delete(sig(d.sk_id)); break;
          case 'dns_response': {
            const name = cstr(d.domain_name);
            const b = bytes(d.ipv4_addrs);
            const addrs: string[] = [];
            for (let i = 0; i + 4 <= b.length; i += 4) addrs.push(`${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`);
            dnsByName.set(name, [...(dnsByName.get(name) ?? []), { addrs, cs: num(d.client_server) }]);
            break;
          }
        }
      },
      finish() {
        const fig: Record<string, unknown> = {};
        // An item that happened while no session had its probes loaded (before bpf_compiled, between sessions, after the
        // last record) is invisible to any agent (docs/checker-facts.md §2): say so as the cause, not only the symptom.
        const windows = ctx.segments.map((s) => [s.telemetryTs ?? s.firstTs, s.lastTs] as const);
        const items = new Map<string, { startNs: string; endNs: string }>();
        for (const [kind, list] of [['process', m.processes], ['tcp', m.tcp], ['http', m.http], ['udp', m.udp], ['dns', m.dns]] as const) {
          for (const it of (list ?? []) as { index: number; startNs?: string; endNs?: string }[]) if (it.startNs && it.endNs) items.set(`${kind}:${it.index}`, { startNs: it.startNs, endNs: it.endNs });
        }
        let unrecorded = 0;
        const fail = (kind: string, index: number, note: string, extra: Record<string, unknown> = {}) => {
          const it = items.get(`${kind}:${index}`);
          const seen = !it || windows.some(([a, b]) => big(it.startNs) >= a && big(it.endNs) <= b);
          if (!seen) unrecorded++;
          ev.add({ kind, index, note, ...(seen ? {} : { cause: 'it happened while the agent was not recording (before its probes were loaded, or between sessions)' }), ...extra });
        };

        // Processes (§3.4, §8.9): one pid_info_create with parent_pid = parent, comm = parent's (Q8); one pid_set_comm and one pid_close_info with X[:15].
        const ps = m.processes ?? [];
        let procOk = 0;
        for (const p of ps) {
          const seen = procs.get(p.pid);
          const want = p.comm.slice(0, 15);
          const before = ev.total;
          if (!seen || seen.create.length === 0) fail('process', p.index, `no pid_info_create for pid ${p.pid}`);
          else {
            if (tol.exactProcesses && seen.create.length !== 1) fail('process', p.index, `${seen.create.length} pid_info_create for pid ${p.pid}, want 1`);
            const c = seen.create[0];
            if (num(c.data.parent_pid) !== p.parent.pid) fail('process', p.index, `pid_info_create parent_pid ${num(c.data.parent_pid)}, want ${p.parent.pid}`);
          }
          if (!seen || !seen.setComm.includes(want)) fail('process', p.index, `no pid_set_comm(${p.pid}, ${JSON.stringify(want)})`, { seen: seen?.setComm });
          if (!seen || seen.close.length !== 1 || seen.close[0] !== want) fail('process', p.index, `want one pid_close_info(${p.pid}, ${JSON.stringify(want)})`, { seen: seen?.close });
          if (ev.total === before) procOk++;
        }
        fig.processes = { expected: ps.length, ok: procOk };

        // TCP (§3.1, §8.10): client (tx_rx=1) and accepted (tx_rx=2) lifetimes paired by 4-tuple, right pids, byte totals ∈ {X, X+slack}.
        const win = BigInt(Math.round(tol.matchWindowMs * 1e6));
        const inItem = (ts: bigint, it: { startNs: string; endNs: string }) => ts >= big(it.startNs) - win && ts <= big(it.endNs) + win;
        const find = (txRx: number, sport: number, dport: number, it: { startNs: string; endNs: string }) => (byTuple.get(`${txRx}|${sport}|${dport}`) ?? []).filter((l) => inItem(l.startTs, it));
        const within = (have: bigint, want: number) => have >= BigInt(want) && have <= BigInt(want + tol.tcpBytesSlack);
        let tcpOk = 0;
        for (const t of m.tcp ?? []) {
          const before = ev.total;
          const cl = find(1, t.client.tuple.local.port, t.client.tuple.remote.port, t);
          const sv = find(2, t.server.tuple.local.port, t.server.tuple.remote.port, t);
          if (cl.length !== 1) fail('tcp', t.index, `${cl.length} client lifetimes (tx_rx=1, sport ${t.client.tuple.local.port}, dport ${t.client.tuple.remote.port}), want 1`);
          if (sv.length !== 1) fail('tcp', t.index, `${sv.length} accepted lifetimes (tx_rx=2, sport ${t.server.tuple.local.port}, dport ${t.server.tuple.remote.port}), want 1`);
          for (const [side, l, pid, tx, rx] of [['client', cl[0], t.client.pid, t.clientSentBytes, t.clientReceivedBytes], ['server', sv[0], t.server.pid, t.serverSentBytes, t.serverReceivedBytes]] as const) {
            if (!l) continue;
            if (l.pid !== pid) fail('tcp', t.index, `${side} new_sock_info pid ${l.pid}, want ${pid}`);
            if (!l.closed) fail('tcp', t.index, `${side} socket never closed`);
            if (!within(l.tx, tx)) fail('tcp', t.index, `${side} tx bytes ${l.tx}, want ${tx}${tol.tcpBytesSlack ? `..${tx + tol.tcpBytesSlack}` : ''}`);
            if (!within(l.rx, rx)) fail('tcp', t.index, `${side} rx bytes ${l.rx}, want ${rx}${tol.tcpBytesSlack ? `..${rx + tol.tcpBytesSlack}` : ''}`);
          }
          if (ev.total === before) tcpOk++;
        }
        fig.tcp = { expected: m.tcp?.length ?? 0, ok: tcpOk, lifetimesOnWorkloadPorts: kept };

        // HTTP (§3.5, §8.11): one cs=0 on the client sk and one cs=1 on the server sk, code = status; server latency ≤ client latency.
        let httpOk = 0;
        for (const h of m.http ?? []) {
          const before = ev.total;
          const cl = find(1, h.client.tuple.local.port, h.client.tuple.remote.port, h)[0];
          const sv = find(2, h.server.tuple.local.port, h.server.tuple.remote.port, h)[0];
          const c = cl?.http.filter((x) => x.cs === 0) ?? [];
          const s = sv?.http.filter((x) => x.cs === 1) ?? [];
          if (!cl || !sv) fail('http', h.index, `no ${!cl ? 'client' : 'server'} TCP lifetime for the exchange`);
          if (c.length !== 1 || c[0].code !== h.status) fail('http', h.index, `client side: ${c.length} http_response cs=0${c[0] ? ` code ${c[0].code}` : ''}, want 1 with code ${h.status}`);
          if (s.length !== 1 || s[0].code !== h.status) fail('http', h.index, `server side: ${s.length} http_response cs=1${s[0] ? ` code ${s[0].code}` : ''}, want 1 with code ${h.status}`);
          if (c.length === 1 && s.length === 1 && s[0].latency > c[0].latency) fail('http', h.index, `server latency ${s[0].latency} ns > client latency ${c[0].latency} ns`);
          if (ev.total === before) httpOk++;
        }
        fig.http = { expected: m.http?.length ?? 0, ok: httpOk };

        // UDP (§3.2, §8.13): the client socket by lport and pid; Σ tx packets ≥ M (= on first use of the sk_id); constant bytes per datagram.
        let udpOk = 0;
        for (const u of m.udp ?? []) {
          const before = ev.total;
          const cands = udpLives.filter((x) => x.lport === u.client.tuple.local.port && x.pid === u.client.pid && inItem(x.startTs, u));
          if (cands.length !== 1) { fail('udp', u.index, `${cands.length} udp_new_socket with lport ${u.client.tuple.local.port} pid ${u.client.pid}, want 1`); continue; }
          const l = cands[0];
          if (l.firstUse ? l.txPackets !== u.sentDatagrams : l.txPackets < u.sentDatagrams) fail('udp', u.index, `tx packets ${l.txPackets}, want ${l.firstUse ? '' : '>= '}${u.sentDatagrams}`);
          if (l.txPackets > 0) {
            const per = l.txBytes / l.txPackets;
            const want = tol.udpTxHeaderBytes === null ? undefined : u.bytesPerDatagram + tol.udpTxHeaderBytes;
            if (!Number.isInteger(per) || per < u.bytesPerDatagram || (want !== undefined && per !== want)) fail('udp', u.index, `tx bytes per datagram ${per}, want ${want ?? `a constant >= ${u.bytesPerDatagram}`}`);
          }
          if (ev.total === before) udpOk++;
        }
        fig.udp = { expected: m.udp?.length ?? 0, ok: udpOk };

        // DNS (§3.3): each lookup visible to the agent gives a dns_response for its name carrying its A answers.
        let dnsOk = 0, dnsVisible = 0;
        for (const q of m.dns ?? []) {
          if (!q.visibleToAgent) continue;
          dnsVisible++;
          const name = q.name.length > 80 ? q.name.slice(-80) : q.name;
          const seen = dnsByName.get(name) ?? [];
          const want = q.answers.filter((a) => a.type === 'A').map((a) => a.address).sort().join(',');
          if (want && !seen.some((s) => [...s.addrs].sort().join(',') === want)) fail('dns', q.index, `no dns_response for ${q.name} with addresses ${want}`, { seen: seen.slice(0, 3) });
          else dnsOk++;
        }
        fig.dns = { expected: m.dns?.length ?? 0, visibleToAgent: dnsVisible, ok: dnsOk };

        // VM runs: the guest kernel's own tcp_connect count per port holds the manifest itself against a real peer.
        const kv = kernelViewOutcome(m, ctx.kernelView);
        fig.kernelView = kv.status === 'not-run' ? { notRun: kv.reason } : { status: kv.status, ...kv.figures };
        if (kv.status === 'fail') for (const e of kv.evidence ?? []) fail('kernel-view', -1, String((e as { note: string }).note), e as Record<string, unknown>);
        if (ev.empty) return { status: 'pass', figures: fig };
        const cause = unrecorded ? `; ${unrecorded} of them while the agent was not recording: start the workload after "Telemetry is flowing!"` : '';
        return { status: 'fail', reason: `${plural(ev.total, 'workload item problem')}${cause}`, evidence: ev.items, figures: { ...fig, findings: ev.total, whileNotRecording: unrecorded } };
      },
    };
  },
};
