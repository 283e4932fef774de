import { Evidence, plural, type CheckDef, type Rec } from '../framework.js';
import { big, isoOfNs, num, sig } from '../values.js';
import { UdpPool } from './udp-pool.js';

/**
 * UDP conservation, per socket lifetime and direction: the packets and bytes of the dump's udp_stats samples against
 * the intake's udp_stats_* records of the same socket (sk → sk_id by the pool simulation; both lifetimes end with a
 * udp_destroy_socket of the same timestamp, buffered_poller.cc@3598385a:918-964).
 * - The intake never has less than the dump (every sample is summed into a slot and sent, :966-1058, 1216-1247).
 * - It can have more, legitimately: on an address change (changed_af) userspace sends the slot, then sends the
 *   slot's values again, which are not zeroed (udp_send_stats only marks them invalid, :1158-1214), and a reused
 *   index's slot can still hold its previous socket's values. So equality is asserted only for a direction with at
 *   most one changed_af sample, on an sk_id used for the first time in the session; the rest is a lower bound, and
 *   the figures count how often the agent's re-send showed.
 */
type Dir = { packets: bigint; bytes: bigint; changes: number };
const dir = (): Dir => ({ packets: 0n, bytes: 0n, changes: 0 });
interface Life { id: number; pid: number; firstUse: boolean; d: [Dir, Dir] }
interface Done { d: [Dir, Dir]; firstUse?: boolean; pid?: number; offset: number }

export const udpConservation: CheckDef = {
  id: 'udp-conservation',
  title: 'every UDP socket lifetime: the intake carries at least the packets and bytes of the dump, exactly as many where the agent sends no stale slot',
  needs: ['bpf', 'intake'],
  create(ctx) {
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const m = ctx.manifest;
    const workloadPids = new Set<number>([m?.workload?.pid, ...(m?.udp ?? []).flatMap((u) => [u.client.pid, u.server.pid]), ...(m?.dns ?? []).flatMap((q) => [q.client.pid, q.server.pid])].filter((p): p is number => typeof p === 'number'));
    const pool = new UdpPool();
    const lives = new Map<string, Life>();
    let usedIds = new Set<number>();
    const sessionStarts: bigint[] = [];
    let sessionIdx = 0;
    const bpfDone = new Map<string, Done>(), intakeDone = new Map<string, Done>();
    const intakeLives = new Map<string, [Dir, Dir]>();
    let intakeSeg = -1;
    const fig = { compared: 0, exact: 0, lowerBoundOnly: 0, intakeAboveDump: 0, workloadSockets: 0, notConserved: 0, workloadUnmatched: 0, unmatched: 0 };

    const settle = (k: string) => {
      const b = bpfDone.get(k), i = intakeDone.get(k);
      if (!b || !i) return;
      bpfDone.delete(k); intakeDone.delete(k);
      fig.compared++;
      if (b.pid !== undefined && workloadPids.has(b.pid)) fig.workloadSockets++;
      let bad = false, above = false, exactAll = true;
      for (const x of [0, 1] as const) {
        const exact = b.firstUse! && b.d[x].changes <= 1;
        if (!exact) exactAll = false;
        const lo = i.d[x].packets < b.d[x].packets || i.d[x].bytes < b.d[x].bytes;
        const ne = i.d[x].packets !== b.d[x].packets || i.d[x].bytes !== b.d[x].bytes;
        if (lo || (exact && ne)) bad = true;
        else if (ne) above = true;
      }
      if (exactAll) fig.exact++; else fig.lowerBoundOnly++;
      if (above && !bad) fig.intakeAboveDump++;
      if (!bad) return;
      fig.notConserved++;
      const [id, ts] = k.split('|');
      const show = (d: [Dir, Dir]) => ({ tx: { packets: String(d[0].packets), bytes: String(d[0].bytes), changedAf: d[0].changes }, rx: { packets: String(d[1].packets), bytes: String(d[1].bytes), changedAf: d[1].changes } });
      ev.add({ note: `UDP sk_id ${id}: the intake's packets/bytes differ from the dump's udp_stats (${b.firstUse ? 'first use of the index' : 'a reused index'})`, stream: 'intake', offset: i.offset, name: 'udp_destroy_socket', sk_id: id, timestamp: ts, time: isoOfNs(BigInt(ts)), pid: b.pid, intake: show(i.d), bpf: show(b.d) });
    };
    const add = (d: Dir, r: Rec, changed: boolean) => { d.packets += big(r.data.packets); d.bytes += big(r.data.bytes); if (changed) d.changes++; };

    return {
      bpf(r) {
        while (sessionIdx < sessionStarts.length && r.timestamp >= sessionStarts[sessionIdx]) { pool.reset(); lives.clear(); usedIds = new Set(); sessionIdx++; }
        const sk = sig(r.data.sk);
        if (r.name === 'udp_new_socket') {
          const e = pool.insert(sk, num(r.data.lport) !== 0);
          if (!e) return;
          lives.set(sk, { id: e.id, pid: num(r.data.pid), firstUse: !usedIds.has(e.id), d: [dir(), dir()] });
          usedIds.add(e.id);
        } else if (r.name === 'udp_stats') {
          const l = lives.get(sk);
          if (l) add(l.d[num(r.data.is_rx) ? 1 : 0], r, num(r.data.changed_af) !== 0);
        } else if (r.name === 'udp_destroy_socket') {
          const l = lives.get(sk);
          pool.erase(sk);
          lives.delete(sk);
          if (!l) return;
          const k = `${l.id}|${r.timestamp}`;
          bpfDone.set(k, { d: l.d, firstUse: l.firstUse, pid: l.pid, offset: r.offset });
          settle(k);
        }
      },
      intake(r) {
        if (r.name === 'bpf_compiled') sessionStarts.push(r.timestamp);
        if (r.segment !== intakeSeg) { intakeSeg = r.segment; intakeLives.clear(); }
        const id = sig(r.data.sk_id);
        if (r.name === 'udp_new_socket') intakeLives.set(id, [dir(), dir()]);
        else if (r.name === 'udp_stats_addr_unchanged' || r.name === 'udp_stats_addr_changed_v4' || r.name === 'udp_stats_addr_changed_v6') {
          const l = intakeLives.get(id);
          if (l) add(l[num(r.data.is_rx) ? 1 : 0], r, false);
        } else if (r.name === 'udp_destroy_socket') {
          const l = intakeLives.get(id);
          intakeLives.delete(id);
          if (!l) return;
          const k = `${id}|${r.timestamp}`;
          intakeDone.set(k, { d: l, offset: r.offset });
          settle(k);
        }
      },
      finish() {
        // A dump lifetime with traffic and no intake counterpart: bpf-intake names the missing records; here it only
        // fails for the workload's own sockets, whose every datagram the manifest vouches for.
        for (const [k, b] of bpfDone) {
          if (b.d[0].packets + b.d[1].packets === 0n) continue;
          fig.unmatched++;
          if (b.pid !== undefined && workloadPids.has(b.pid)) {
            fig.workloadUnmatched++;
            const [id, ts] = k.split('|');
            ev.add({ note: `the workload's UDP socket (pid ${b.pid}, sk_id ${id}) was destroyed in the dump but its intake lifetime never ended there`, stream: 'bpf', offset: b.offset, name: 'udp_destroy_socket', timestamp: ts, time: isoOfNs(BigInt(ts)) });
          }
        }
        const figures = { ...fig, openAtEnd: lives.size };
        if (fig.compared === 0 && ev.empty) return { status: 'not-run', reason: 'no UDP socket lifetime ended in both the dump and the intake', figures };
        if (ev.empty) return { status: 'pass', figures };
        return { status: 'fail', reason: [fig.notConserved && `${plural(fig.notConserved, 'UDP lifetime')} not conserved`, fig.workloadUnmatched && `${plural(fig.workloadUnmatched, 'workload UDP socket')} missing from the intake`].filter(Boolean).join('; '), evidence: ev.items, figures: { ...figures, findings: ev.total } };
      },
    };
  },
};
