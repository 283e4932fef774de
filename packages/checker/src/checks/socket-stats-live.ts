import { Evidence, plural, recEvidence, type CheckDef, type Rec } from '../framework.js';
import { isoOfNs, num, sig, big } from '../values.js';
import { clampedDelta, countersOf, type Counters } from './tcp-conservation.js';

/**
 * socket_stats for live sockets, every slot, not only at close: userspace sums each tracked socket's rtt_estimator
 * deltas into the current time slot and sends them at the first fast poll after the slot ends (buffered_poller.cc@
 * 3598385a:216-222, 692-775, 854-880). Slots are 1 s in Flowmill (:75) and `--socket-stats-interval-sec` (default
 * 10 s) in OpenTelemetry main (buffered_poller.cc@main:77, entrypoint.cc@main:284). So at any intake time C, the
 * intake must already carry every byte the dump saw on that socket before C − lag (lag = one slot + the poll + slack):
 * a long-lived socket whose stats come only at its close fails here, though its totals conserve.
 */
interface Live { last: Counters; tx: bigint; rx: bigint; queue: { ts: bigint; tx: bigint; rx: bigint }[]; dueTx: bigint; dueRx: bigint; startTs: bigint }

export const socketStatsLive: CheckDef = {
  id: 'socket-stats-live',
  title: 'live TCP sockets get socket_stats every slot: no byte the dump saw waits longer than one slot (+ poll) to reach the intake',
  needs: ['bpf', 'intake'],
  create(ctx) {
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const tol = ctx.tol.bpfIntake;
    const lagNs = () => BigInt(Math.round((tol.statsSlotMs ?? (ctx.era === 'ebpf_net' ? 10_000 : 1_000)) * 1e6 + tol.statsLagSlackMs * 1e6));
    const bpf = new Map<string, Live>();
    const intake = new Map<string, { tx: bigint; rx: bigint; failed?: boolean }>();
    const sessionStarts: bigint[] = [];
    let sessionIdx = 0, seg = -1, lastCheck = 0n;
    const fig = { socketsChecked: 0, checks: 0, lateSockets: 0, longestLifetimeMs: 0 };
    const checked = new Set<string>();

    const evaluate = (now: bigint, r: Rec) => {
      const cut = now - lagNs();
      for (const [sk, l] of bpf) {
        while (l.queue.length && l.queue[0].ts <= cut) { const q = l.queue.shift()!; l.dueTx = q.tx; l.dueRx = q.rx; }
        const i = intake.get(sk);
        if (!i || i.failed || (l.dueTx === 0n && l.dueRx === 0n)) continue;
        fig.checks++;
        if (!checked.has(sk)) { checked.add(sk); fig.socketsChecked++; }
        if (i.tx >= l.dueTx && i.rx >= l.dueRx) continue;
        i.failed = true;
        fig.lateSockets++;
        ev.add({ ...recEvidence('intake', r, `sk ${sk}: by ${isoOfNs(now)} the dump had ${l.dueTx} bytes acked / ${l.dueRx} received before ${isoOfNs(cut)}, the intake's socket_stats only ${i.tx} / ${i.rx}`), sk, bpf: { tx: String(l.dueTx), rx: String(l.dueRx) }, intake: { tx: String(i.tx), rx: String(i.rx) }, lagMs: Number(lagNs()) / 1e6 });
      }
    };

    return {
      bpf(r) {
        while (sessionIdx < sessionStarts.length && r.timestamp >= sessionStarts[sessionIdx]) { bpf.clear(); sessionIdx++; }
        const sk = sig(r.data.sk);
        if (r.name === 'new_sock_created') { if (!bpf.has(sk)) bpf.set(sk, { last: {}, tx: 0n, rx: 0n, queue: [], dueTx: 0n, dueRx: 0n, startTs: r.timestamp }); }
        else if (r.name === 'reset_tcp_counters') bpf.set(sk, { last: countersOf(r), tx: 0n, rx: 0n, queue: [], dueTx: 0n, dueRx: 0n, startTs: r.timestamp });
        else if (r.name === 'rtt_estimator') {
          const l = bpf.get(sk);
          if (!l) return;
          const cur = countersOf(r);
          l.tx += clampedDelta(cur, l.last, 'bytes_acked');
          l.rx += clampedDelta(cur, l.last, 'bytes_received');
          l.last = cur;
          l.queue.push({ ts: r.timestamp, tx: l.tx, rx: l.rx });
        } else if (r.name === 'close_sock_info') {
          const l = bpf.get(sk);
          if (l) fig.longestLifetimeMs = Math.max(fig.longestLifetimeMs, Number(r.timestamp - l.startTs) / 1e6);
          bpf.delete(sk);
        }
      },
      intake(r) {
        if (r.segment !== seg) { seg = r.segment; intake.clear(); }
        if (r.name === 'bpf_compiled') sessionStarts.push(r.timestamp);
        const sk = sig(r.data.sk);
        if (r.name === 'new_sock_info') { if (!intake.has(sk)) intake.set(sk, { tx: 0n, rx: 0n }); }
        else if (r.name === 'socket_stats') {
          const i = intake.get(sk);
          if (i) { if (num(r.data.is_rx)) i.rx += big(r.data.diff_bytes); else i.tx += big(r.data.diff_bytes); }
        } else if (r.name === 'close_sock_info') intake.delete(sk);
        // Judge at most every 100 ms of intake time (the fast poll), only with records stamped at write time.
        if ((r.name === 'heartbeat' || r.name === 'agent_resource_usage') && r.timestamp - lastCheck >= 100_000_000n) { lastCheck = r.timestamp; evaluate(r.timestamp, r); }
      },
      finish() {
        const figures = { ...fig, lagMs: Number(lagNs()) / 1e6 };
        if (fig.checks === 0) return { status: 'not-run', reason: 'no live TCP socket had bytes older than one slot to check', figures };
        if (ev.empty) return { status: 'pass', figures };
        return { status: 'fail', reason: `${plural(fig.lateSockets, 'live socket')} whose bytes reached the intake more than one slot late`, evidence: ev.items, figures: { ...figures, findings: ev.total } };
      },
    };
  },
};
