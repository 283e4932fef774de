import type { Evidence, Rec } from '../framework.js';
import { big, isoOfNs, num, sig } from '../values.js';

/**
 * TCP conservation (docs/checker-facts.md §8.5, §3.1): per sk lifetime, Σ intake socket_stats equals Σ of the clamped
 * rtt_estimator deltas from the baseline (0 for a new socket, reset_tcp_counters' values for an existing one). The
 * two sides meet by `sk|close ts` (close_sock_info carries the BPF ts). Bytes are exact; delivered counts are a bound,
 * because a slot with no bytes and no retransmits sends nothing for that direction.
 */
type Tot = { tx: bigint; rx: bigint; txDelivered: bigint; rxDelivered: bigint };
const zero = (): Tot => ({ tx: 0n, rx: 0n, txDelivered: 0n, rxDelivered: 0n });
/** rtt_estimator / reset_tcp_counters cumulative counters (agent_internal fields). */
const COUNTERS = ['bytes_acked', 'packets_delivered', 'packets_retrans', 'bytes_received', 'rcv_holes', 'rcv_delivered'] as const;
export type Counters = Record<string, bigint>;

/** A sample's cumulative counters (a reset_tcp_counters baseline or an rtt_estimator). */
export function countersOf(r: Rec): Counters {
  return Object.fromEntries(COUNTERS.map((c) => [c, big(r.data[c])]));
}

/** What userspace adds for one counter: the increase since the last sample, clamped at 0 (buffered_poller.cc@3598385a:708-774). */
export function clampedDelta(cur: Counters, last: Counters, c: (typeof COUNTERS)[number]): bigint {
  const x = cur[c] - (last[c] ?? 0n);
  return x > 0n ? x : 0n;
}

export class TcpConservation {
  conserved = 0;
  notConserved = 0;
  private readonly bpfLife = new Map<string, { last: Counters; sum: Tot }>();
  private readonly intakeLife = new Map<string, Tot>();
  private readonly totBpf = new Map<string, Tot & { offset: number }>();
  private readonly totIntake = new Map<string, Tot & { offset: number; segment: number }>();
  private intakeSeg = -1;

  constructor(private readonly ev: Evidence) {}

  /** A tracked lifetime starts in the dump: new_sock_created (baseline 0) or reset_tcp_counters (its counters). */
  bpfStart(sk: string, reset?: Rec): void {
    this.bpfLife.set(sk, { last: reset ? countersOf(reset) : {}, sum: zero() });
  }

  bpfRtt(r: Rec): void {
    const l = this.bpfLife.get(sig(r.data.sk));
    if (!l) return; // untracked: userspace drops it too (§1)
    const cur = countersOf(r);
    const d = (c: (typeof COUNTERS)[number]) => clampedDelta(cur, l.last, c);
    l.sum.tx += d('bytes_acked'); l.sum.rx += d('bytes_received'); l.sum.txDelivered += d('packets_delivered'); l.sum.rxDelivered += d('rcv_delivered');
    l.last = cur;
  }

  /** A new session: userspace's socket table starts empty. */
  resetBpf(): void {
    this.bpfLife.clear();
  }

  /** A tracked close in the dump. */
  bpfClose(sk: string, r: Rec): void {
    const l = this.bpfLife.get(sk);
    this.bpfLife.delete(sk);
    if (!l) return;
    const k = `${sk}|${r.timestamp}`;
    this.totBpf.set(k, { ...l.sum, offset: r.offset });
    this.settle(k);
  }

  intake(r: Rec): void {
    if (r.name === 'socket_stats') {
      const t = this.intakeLife.get(sig(r.data.sk));
      if (!t) return;
      if (num(r.data.is_rx)) { t.rx += big(r.data.diff_bytes); t.rxDelivered += big(r.data.diff_delivered); }
      else { t.tx += big(r.data.diff_bytes); t.txDelivered += big(r.data.diff_delivered); }
    } else if (r.name === 'new_sock_info') {
      if (r.segment !== this.intakeSeg) { this.intakeSeg = r.segment; this.intakeLife.clear(); } // a reconnect re-scans
      if (!this.intakeLife.has(sig(r.data.sk))) this.intakeLife.set(sig(r.data.sk), zero());
    } else if (r.name === 'close_sock_info') {
      const sk = sig(r.data.sk);
      const t = this.intakeLife.get(sk);
      this.intakeLife.delete(sk);
      if (!t) return;
      const k = `${sk}|${r.timestamp}`;
      this.totIntake.set(k, { ...t, offset: r.offset, segment: r.segment });
      this.settle(k);
    }
  }

  private settle(k: string): void {
    const b = this.totBpf.get(k), i = this.totIntake.get(k);
    if (!b || !i) return;
    this.totBpf.delete(k);
    this.totIntake.delete(k);
    if (b.tx === i.tx && b.rx === i.rx && i.txDelivered <= b.txDelivered && i.rxDelivered <= b.rxDelivered) { this.conserved++; return; }
    this.notConserved++;
    const [sk, ts] = k.split('|');
    this.ev.add({
      note: 'socket_stats totals differ from the rtt_estimator deltas (TCP conservation)', stream: 'intake', segment: i.segment, offset: i.offset, name: 'close_sock_info', sk, timestamp: ts, time: isoOfNs(BigInt(ts)),
      intake: { txBytes: String(i.tx), rxBytes: String(i.rx), txDelivered: String(i.txDelivered), rxDelivered: String(i.rxDelivered) },
      bpf: { txBytes: String(b.tx), rxBytes: String(b.rx), txDelivered: String(b.txDelivered), rxDelivered: String(b.rxDelivered), closeOffset: b.offset },
    });
  }
}
