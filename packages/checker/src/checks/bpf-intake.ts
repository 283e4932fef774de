import { Evidence, plural, recEvidence, type CheckDef, type Rec } from '../framework.js';
import { parseDns, type DnsMessage } from '../dns.js';
import { BYTE_FIELDS, DERIVED, DNS_TIMEOUT_NS, PASS, STAMPED, TRACKED_BLOCK, type Mapping } from './bpf-intake-map.js';
import { LatencyHistogram, latencyBracket, latencyFigure } from './latency.js';
import { TcpConservation } from './tcp-conservation.js';
import { UdpPool } from './udp-pool.js';
import { bytes, cstr, isoOfNs, num, sig } from '../values.js';

/**
 * BPF dump ↔ intake (docs/checker-facts.md §1, §8.3-4, §4 "Timestamp relations"):
 * - passthrough: each BPF sample below reaches the intake as the mapped message with the *same* timestamp and the
 *   listed fields equal; table-conditioned ones (TCP) only when the simulated tracked set says so;
 * - orphans both ways: an intake passthrough record with no BPF source, a BPF sample with no intake record (unless
 *   it fell outside every session's telemetry window: samples consumed while disconnected are dropped, §3.6);
 * - derived userspace-stamped records (the tracked_process_* block written just before its pid_info_create) do not
 *   precede their source;
 * - latency, bracketed (latency.ts): on a wire capture, BPF event -> the latest timestamp in its own LZ4 frame (a
 *   lower bound: a frame is one flush, sent after every record in it was written, buffered_poller.cc@3598385a:225),
 *   led with; and BPF event -> the next userspace-stamped intake record (an upper bound of when it was written).
 */
/** A record waiting for its counterpart from the other stream: small on purpose (no decoded object). */
interface Pending { ts: bigint; fields: string; offset: number; name: string; segment: number; via: string; optional?: boolean }

export const bpfIntake: CheckDef = {
  id: 'bpf-intake',
  title: 'BPF samples reach the intake with the same timestamp and fields; derived records follow their sources; TCP byte counts are conserved; no orphans',
  needs: ['bpf', 'intake'],
  create(ctx) {
    const tol = ctx.tol.bpfIntake;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    // The streams arrive merged by time (the runner keeps the dump at most ~1 s ahead), so whichever side of a pair
    // comes first waits here for the other; both maps hold only what is in flight.
    const waitingBpf = new Map<string, Pending[]>();
    const waitingIntake = new Map<string, Pending[]>();
    const tracked = new Set<string>();
    // UDP sk -> sk_id pool, simulated from the dump (util/pool_allocator.h via §3); reset when a new session's
    // bpf_compiled has been seen in the intake (the runner feeds the dump behind the intake, so it always is).
    const udpIds = new UdpPool();
    const sessionStarts: bigint[] = [];
    let sessionIdx = 0;
    // DNS matcher (§3.3): pending queries by (qid, qtype, name), direction ignored (Q1); answers and timeouts predicted.
    let dnsPending: { key: string; name: string; ts: bigint; sk: string }[] = [];
    const looseExpected = new Map<string, bigint[]>(); // sk_id|name -> request ts of slow-poll timeouts
    const looseIntake: { k: string; p: Pending; skName: string }[] = []; // intake dns_timeouts waiting for one
    let dnsResponses = 0, dnsTimeouts = 0, dnsUnparsed = 0, dnsRefused = 0, dnsOffChain = 0;
    const lateNs = BigInt(Math.round(tol.dnsTimeoutLateMs * 1e6));
    const expect = (name: string, ts: bigint, data: Record<string, unknown>, offset: number) => {
      const m = DERIVED[name];
      const k = keyOf(name, ts, sig(data[m.key]));
      const p: Pending = { ts, fields: fieldSig(m, data), offset, name, segment: -1, via: name };
      if (!meet(waitingIntake, k, p, false)) push(waitingBpf, k, p);
    };
    const expireDns = (now: bigint) => {
      if (!dnsPending.length || dnsPending[0].ts + DNS_TIMEOUT_NS > now) return;
      const keep: typeof dnsPending = [];
      for (const q of dnsPending) {
        if (q.ts + DNS_TIMEOUT_NS > now) { keep.push(q); continue; }
        const u = udpIds.get(q.sk);
        if (!u) continue;
        dnsTimeouts++;
        const skName = `${u.id}|${q.name.slice(-80)}`;
        const cand = looseIntake.findIndex((c) => c.skName === skName && c.p.ts >= q.ts + DNS_TIMEOUT_NS && c.p.ts <= q.ts + DNS_TIMEOUT_NS + lateNs);
        if (cand >= 0) {
          const c = looseIntake.splice(cand, 1)[0];
          const list = waitingIntake.get(c.k);
          const i = list?.indexOf(c.p) ?? -1;
          if (list && i >= 0) { list.splice(i, 1); if (!list.length) waitingIntake.delete(c.k); matched++; }
        } else looseExpected.set(skName, [...(looseExpected.get(skName) ?? []), q.ts]);
      }
      dnsPending = keep;
    };
    const dnsPacket = (r: Rec) => {
      const sk = sig(r.data.sk);
      if (!udpIds.has(sk)) return; // the socket must be tracked (§1 dns_packet row)
      let msg: DnsMessage;
      try { msg = parseDns(bytes(r.data.pkt)); } catch { dnsUnparsed++; return; }
      // The agent drops what its parsers refuse: several questions, a query carrying records, another class.
      if (!msg.usable) { dnsRefused++; return; }
      const key = `${msg.id}|${msg.qtype}|${msg.name}`;
      if (!msg.response) { dnsPending.push({ key, name: msg.name, ts: r.timestamp, sk }); return; }
      // Only the question's (or its CNAME chain's) A/AAAA records count, at most 16 of each (dns/dns.h@3598385a:12).
      dnsOffChain += msg.allAddresses - msg.a.length - msg.aaaa.length;
      const a = msg.a.slice(0, 16), aaaa = msg.aaaa.slice(0, 16);
      const own = udpIds.get(sk)!;
      if (a.length || aaaa.length) {
        const cat = (l: Uint8Array[]) => Uint8Array.from(l.flatMap((x) => Array.from(x)));
        for (const q of dnsPending.filter((q) => q.key === key)) {
          dnsResponses++;
          expect('dns_response', r.timestamp, { sk_id: own.id, total_dn_len: msg.name.length, domain_name: msg.name.slice(-80), ipv4_addrs: cat(a), ipv6_addrs: cat(aaaa), latency_ns: r.timestamp - q.ts, client_server: num(r.data.is_rx) === 1 ? 0 : 1 }, r.offset);
        }
      }
      dnsPending = dnsPending.filter((q) => q.key !== key);
    };
    let bpfPass = 0, bpfSkipped = 0, matched = 0, fieldMismatch = 0, derivedEarly = 0;
    let bpfLogDump = 0, bpfLogIntake = 0;
    const hexOf = (v: unknown) => Array.from(bytes(v), (x) => x.toString(16).padStart(2, '0')).join('');
    const fieldSig = (m: Mapping, d: Record<string, unknown>) => m.fields.map((f) => (BYTE_FIELDS.has(f) ? hexOf(d[f]) : sig(d[f]))).join('|');
    const keyOf = (name: string, ts: bigint, k: string) => `${name}|${ts}|${k}`;
    const byIntake = new Map([...Object.values(PASS), ...Object.values(DERIVED)].map((m) => [m.intake, m] as const));
    /** A waiting record's compared fields by name (values as compared), for evidence. */
    const named = (p: Pending) => { const parts = p.fields.split('|'); const m = PASS[p.via] ?? byIntake.get(p.via)!; return Object.fromEntries(m.fields.map((f, i) => [f, parts[i]])); };
    let peakWaiting = 0;
    const push = (map: Map<string, Pending[]>, k: string, p: Pending) => { const l = map.get(k); if (l) l.push(p); else map.set(k, [p]); if (map.size > peakWaiting) peakWaiting = map.size; };
    /** Takes the counterpart with equal fields (else the first, reported as a mismatch) from `map`; false if none. */
    const meet = (map: Map<string, Pending[]>, k: string, mine: Pending, mineIsIntake: boolean): boolean => {
      const list = map.get(k);
      if (!list?.length) return false;
      let idx = list.findIndex((p) => p.fields === mine.fields);
      if (idx < 0) {
        idx = 0;
        fieldMismatch++;
        const other = list[0];
        const [b, i] = mineIsIntake ? [other, mine] : [mine, other];
        ev.add({ note: `${i.name} fields differ from its BPF sample (${b.name})`, stream: 'intake', segment: i.segment, offset: i.offset, name: i.name, timestamp: i.ts.toString(), time: isoOfNs(i.ts), intake: named(i), bpf: { offset: b.offset, fields: named(b) } });
      }
      list.splice(idx, 1);
      if (!list.length) map.delete(k);
      matched++;
      return true;
    };

    const tcp = new TcpConservation(ev);
    // A socket bound with port 0 is reported only when its first stats are sent, with the lport its udp_stats carry
    // and the stats' timestamp (a sample's, a slot flush's or the destroy's: buffered_poller.cc@3598385a:1146-1168).
    let udpReportedLate = 0, tcpExisting = 0;
    const reportedLate = (r: Rec): boolean => {
      const u = udpIds.byId(num(r.data.sk_id));
      if (!u || u.reported || u.pid !== num(r.data.pid)) return false;
      u.reported = true;
      udpReportedLate++;
      matched++;
      return true;
    };

    const latency = new LatencyHistogram(tol.latencyBucketsMs);
    const frameLatency = new LatencyHistogram(tol.latencyBucketsMs);
    let frameKey = '', frameMax = 0n;
    const endFrame = () => { if (frameKey) frameLatency.stamped(frameMax); frameKey = ''; frameMax = 0n; };
    let block: Rec[] = [];
    return {
      bpf(r) {
        if (r.name === 'bpf_log') bpfLogDump++;
        if (r.name === 'rtt_estimator') { tcp.bpfRtt(r); return; }
        // Entering a session (its bpf_compiled): userspace starts with empty tables and a fresh sk_id pool, so
        // samples from before it (a reused, appended dump; the disconnected gap) leave no state behind.
        while (sessionIdx < sessionStarts.length && r.timestamp >= sessionStarts[sessionIdx]) {
          udpIds.reset(); dnsPending = []; tracked.clear(); tcp.resetBpf();
          sessionIdx++;
        }
        expireDns(r.timestamp);
        if (r.name === 'dns_packet') { dnsPacket(r); return; }
        const m = PASS[r.name];
        if (!m) return;
        const sk = sig(r.data.sk);
        let data = r.data;
        let optional = false;
        if (m.conditional === 'udp') {
          const reported = Number(r.data.lport) !== 0;
          const u = udpIds.insert(sk, reported);
          if (u) u.pid = num(r.data.pid);
          if (!u) { bpfSkipped++; return; } // a duplicate insert: not sent
          const id = u.id;
          if (!reported) { bpfSkipped++; return; } // sent later, before its first stats, with another ts
          data = { ...r.data, sk_id: id };
        } else if (m.conditional === 'udpDestroy') {
          const u = udpIds.get(sk);
          if (!u) { bpfSkipped++; return; }
          // Its pending DNS requests time out now, with the destroy's ts (§3.3, L2).
          for (const q of dnsPending.filter((q) => q.sk === sk)) {
            dnsTimeouts++;
            expect('dns_timeout', r.timestamp, { sk_id: u.id, total_dn_len: q.name.length, domain_name: q.name.slice(-80), timeout_ns: r.timestamp - q.ts }, r.offset);
          }
          dnsPending = dnsPending.filter((q) => q.sk !== sk);
          udpIds.erase(sk);
          data = { ...r.data, sk_id: u.id };
          optional = !u.reported; // reported later or never: either is fine
        }
        if (m.conditional === 'insert') {
          if (tracked.has(sk)) { bpfSkipped++; return; } // already tracked: userspace logs an error and sends nothing
          tracked.add(sk);
          tcp.bpfStart(sk);
        } else if (r.name === 'reset_tcp_counters') {
          tracked.add(sk);
          tcp.bpfStart(sk, r); // the existing socket's counters are the baseline, not sent (§1 reset_tcp_counters row)
          tcpExisting++; // a socket older than the agent (or than this session): found by the scan
        } else if (m.conditional === 'tracked') {
          if (!tracked.has(sk)) { bpfSkipped++; return; }
          if (r.name === 'close_sock_info') {
            tracked.delete(sk);
            tcp.bpfClose(sk, r);
          }
        }
        bpfPass++;
        const k = keyOf(m.intake, r.timestamp, sig(data[m.key]));
        const p: Pending = { ts: r.timestamp, fields: fieldSig(m, data), offset: r.offset, name: r.name, segment: -1, via: r.name, ...(optional ? { optional } : {}) };
        if (!meet(waitingIntake, k, p, false)) push(waitingBpf, k, p);
      },
      intake(r) {
        if (r.name === 'bpf_log') bpfLogIntake++;
        else if (r.name === 'bpf_compiled') sessionStarts.push(r.timestamp);
        if (STAMPED.has(r.name)) latency.stamped(r.timestamp);
        if (r.frame !== undefined) {
          const k = `${r.segment}|${r.frame}`;
          if (k !== frameKey) { endFrame(); frameKey = k; }
          if (r.timestamp > frameMax) frameMax = r.timestamp;
        }
        if (TRACKED_BLOCK.has(r.name)) block.push(r);
        else {
          if (r.name === 'pid_info_create') {
            for (const d of block) {
              if (d.timestamp + BigInt(Math.round(tol.derivedSkewMs * 1e6)) < r.timestamp) {
                derivedEarly++;
                ev.add({ ...recEvidence('intake', d, `${d.name} (userspace-stamped, derived from this pid_info) precedes its BPF source`), sourceTs: r.timestamp.toString() });
              }
            }
          }
          block = [];
        }
        tcp.intake(r);
        const m = byIntake.get(r.name);
        if (!m) return;
        latency.waiting(r.timestamp);
        if (r.frame !== undefined) frameLatency.waiting(r.timestamp);
        const k = keyOf(r.name, r.timestamp, sig(r.data[m.key]));
        const p: Pending = { ts: r.timestamp, fields: fieldSig(m, r.data), offset: r.offset, name: r.name, segment: r.segment, via: r.name };
        if (meet(waitingBpf, k, p, true)) return;
        if (r.name === 'udp_new_socket' && reportedLate(r)) return;
        if (r.name === 'dns_timeout') {
          // A slow-poll timeout: its ts is the poll's, 10 s to 10 s + late after the request (§3.3).
          const skName = `${sig(r.data.sk_id)}|${cstr(r.data.domain_name)}`;
          const reqs = looseExpected.get(skName);
          const i = reqs?.findIndex((t) => r.timestamp >= t + DNS_TIMEOUT_NS && r.timestamp <= t + DNS_TIMEOUT_NS + lateNs) ?? -1;
          if (reqs && i >= 0) { reqs.splice(i, 1); if (!reqs.length) looseExpected.delete(skName); matched++; return; }
          looseIntake.push({ k, p, skName });
        }
        push(waitingIntake, k, p);
      },
      finish() {
        // Requests that must have timed out before the end of their session.
        const lastTs = ctx.segments.reduce((a, x) => (x.lastTs > a ? x.lastTs : a), 0n);
        if (lastTs > lateNs + DNS_TIMEOUT_NS) expireDns(lastTs - lateNs);
        let dnsTimeoutsMissing = 0;
        for (const [skName, reqs] of looseExpected) for (const t of reqs) {
          if (t + DNS_TIMEOUT_NS + lateNs > lastTs) continue; // the run ended first
          dnsTimeoutsMissing++;
          const [skId, name] = skName.split('|');
          ev.add({ note: `no dns_timeout for the unanswered request for ${name}`, stream: 'bpf', sk_id: skId, name: 'dns_packet', timestamp: t.toString(), time: isoOfNs(t) });
        }
        // Intake passthrough records no sample explains.
        let intakeOrphans = 0;
        for (const list of waitingIntake.values()) for (const p of list) {
          intakeOrphans++;
          ev.add({ note: `${p.name} with no BPF sample of the same timestamp and ${byIntake.get(p.name)!.key}`, stream: 'intake', segment: p.segment, offset: p.offset, name: p.name, timestamp: p.ts.toString(), time: isoOfNs(p.ts), fields: named(p) });
        }
        // BPF samples never seen in the intake: orphans, unless outside every session's telemetry window.
        const windows = ctx.segments.map((s) => [s.telemetryTs ?? s.firstTs, s.lastTs + BigInt(Math.round(tol.tailGraceMs * 1e6))] as const);
        const inWindow = (ts: bigint) => windows.some(([a, b]) => ts >= a && ts <= b);
        let bpfOrphans = 0, outside = 0;
        for (const list of waitingBpf.values()) for (const p of list) {
          if (p.optional) continue;
          if (!inWindow(p.ts)) { outside++; continue; }
          bpfOrphans++;
          ev.add({ note: `${p.name} never reached the intake`, stream: 'bpf', offset: p.offset, name: p.name, timestamp: p.ts.toString(), time: isoOfNs(p.ts), fields: named(p) });
        }
        endFrame();
        ctx.figures.latency = latencyFigure(frameLatency, latency);
        const countMismatch = bpfLogDump !== bpfLogIntake && bpfLogDump > 0;
        if (countMismatch) ev.add({ note: `bpf_log count differs: ${bpfLogDump} in the dump, ${bpfLogIntake} in the intake` });
        const bracket = latencyBracket(frameLatency, latency);
        const figures = { ...bracket.figures, bpfPassthrough: bpfPass, bpfNotForwarded: bpfSkipped, matched, fieldMismatch, intakeOrphans, bpfOrphans, bpfOutsideSessions: outside, derivedEarly, dnsResponsesPredicted: dnsResponses, dnsTimeoutsPredicted: dnsTimeouts, dnsPacketsUnparsed: dnsUnparsed, dnsPacketsRefusedByTheAgent: dnsRefused, dnsAddressesOffTheChain: dnsOffChain, udpReportedLate, tcpExistingAtScan: tcpExisting, tcpLifetimesConserved: tcp.conserved, tcpLifetimesNotConserved: tcp.notConserved, peakWaiting, bpfLogDump, bpfLogIntake };
        if (ev.empty) return { status: 'pass', reason: bracket.text, figures };
        const parts = [
          intakeOrphans && `${plural(intakeOrphans, 'intake record')} without a BPF source`,
          bpfOrphans && `${plural(bpfOrphans, 'BPF sample')} missing from the intake`,
          fieldMismatch && `${plural(fieldMismatch, 'field mismatch', 'field mismatches')}`,
          derivedEarly && `${plural(derivedEarly, 'derived record')} before their source`,
          dnsTimeoutsMissing && `${plural(dnsTimeoutsMissing, 'DNS timeout')} missing`,
          tcp.notConserved && `${plural(tcp.notConserved, 'TCP lifetime')} whose socket_stats totals differ from the BPF deltas`,
          countMismatch && 'bpf_log counts differ',
          bracket.text,
        ].filter(Boolean);
        return { status: 'fail', reason: parts.join('; '), evidence: ev.items, figures };
      },
    };
  },
};
