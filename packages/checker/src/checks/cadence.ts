import { Evidence, plural, recEvidence, verdict, type CheckDef, type Rec } from '../framework.js';

/**
 * Heartbeats (collector/constants.h@3598385a:22: every 2 s), as the agent's timers make them:
 * - on authentication the agent starts the 2 s probe hold-off and then the 2 s heartbeat timer, from the same loop
 *   time L0 (kernel_collector.cc@3598385a:271-277, 41; main:252-258, 28). The hold-off timer was started first, so
 *   its callback runs first; it compiles the BPF code and loads the probes (T seconds, kernel_collector.cc@3598385a:
 *   279-322; main:260-316) and writes begin_telemetry + collector_health. No heartbeat can come before.
 * - heartbeat 1 is already due: it runs in the same timer pass, right after collector_health.
 * - its scheduler re-arms from the loop's cached time L' (the pass's start, L0 + 2 s ≤ L' ≤ bpf_compiled;
 *   scheduling/interval_scheduler.cc@3598385a:74-82, timer.cc:46-49), so heartbeat 2 follows max(0, 2 s − T)
 *   later: one SHORT gap after the load, not a long one.
 * - after that, gaps of about 2 s within [heartbeatMinGapMs, heartbeatMaxGapMs].
 * Bounds used for heartbeat 2: ≥ max(hb1, version_info + 2P) − (P − min) and ≤ max(hb1, bpf_compiled + P) + (max − P),
 * P = heartbeatMs (the hold-off equals the period in both eras).
 */
interface SessionState {
  segment: number;
  first?: bigint;
  compiled?: bigint;
  health?: bigint;
  beats: Rec[];
  points: [number, number, number?][];
  loadMs?: number;
}

const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

export const cadence: CheckDef = {
  id: 'cadence',
  title: 'heartbeats as the agent times them: none during the probe load, the first right after collector_health, the second max(0, 2 s − load) later, then every heartbeat period (2 s unscaled; the report gives the period used) within tolerance',
  needs: ['intake'],
  create(ctx) {
    const t = ctx.tol.cadence;
    const P = t.heartbeatMs, lowSlack = t.heartbeatMs - t.heartbeatMinGapMs, highSlack = t.heartbeatMaxGapMs - t.heartbeatMs;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const series: { segment: number; points: [number, number, number?][] }[] = [];
    const gaps: number[] = [], afterLoad: number[] = [], loads: number[] = [], hb1Delays: number[] = [];
    const usageGaps: number[] = [];
    let lastUsage: Rec | undefined;
    let beats = 0, duringLoad = 0;
    let s: SessionState | undefined;
    const ns = (x: number) => BigInt(Math.round(x * 1e6));
    const fail = (r: Rec, note: string, extra: Record<string, unknown> = {}) => ev.add({ ...recEvidence('intake', r, note), ...extra });

    const heartbeat = (r: Rec, st: SessionState) => {
      beats++;
      if (st.health === undefined) {
        duringLoad++;
        fail(r, 'heartbeat before collector_health: the hold-off callback (compile + probe load) runs first and blocks the loop');
        st.beats.push(r);
        return;
      }
      const n = st.beats.length; // heartbeats before this one in the session
      const prev = st.beats[n - 1];
      st.beats.push(r);
      if (n === 0) {
        const delay = ms(st.health, r.timestamp);
        hb1Delays.push(delay);
        if (delay < 0 || delay > highSlack) fail(r, `heartbeat 1 ${delay.toFixed(1)} ms after collector_health: it is due during the load and runs right after it (≤ ${highSlack} ms)`, { delayMs: delay });
        return;
      }
      const gap = ms(prev.timestamp, r.timestamp);
      gaps.push(gap);
      const point: [number, number, number?] = [Number(r.timestamp / 1_000_000n), Math.round(gap * 1000) / 1000];
      st.points.push(point);
      if (n === 1) {
        // Heartbeat 2: due at L' + P, where L0 + P ≤ L' ≤ bpf_compiled and L0 ≤ version_info.
        const hb1 = prev.timestamp;
        const lo = maxBig(hb1, st.first! + ns(2 * P)) - ns(lowSlack);
        const hi = maxBig(hb1, (st.compiled ?? st.health) + ns(P)) + ns(highSlack);
        afterLoad.push(gap);
        if (r.timestamp >= lo && r.timestamp <= hi) point[2] = 1;
        else fail(r, `heartbeat 2 ${gap.toFixed(1)} ms after heartbeat 1: the agent sends it ${ms(hb1, lo < hb1 ? hb1 : lo).toFixed(1)}..${ms(hb1, hi).toFixed(1)} ms after (max(0, ${P} ms − load) ± slack)`, { gapMs: gap, previous: hb1.toString() });
        return;
      }
      if (gap < t.heartbeatMinGapMs || gap > t.heartbeatMaxGapMs) fail(r, `heartbeat gap ${gap.toFixed(1)} ms outside [${t.heartbeatMinGapMs}, ${t.heartbeatMaxGapMs}]`, { gapMs: gap, previous: prev.timestamp.toString() });
    };

    return {
      intake(r) {
        if (!s || r.segment !== s.segment) {
          s = { segment: r.segment, beats: [], points: [] };
          series.push({ segment: r.segment, points: s.points });
        }
        if (s.first === undefined || (r.timestamp > 0n && r.timestamp < s.first)) s.first = r.timestamp;
        if (r.name === 'bpf_compiled' && s.compiled === undefined) s.compiled = r.timestamp;
        else if (r.name === 'collector_health' && s.health === undefined) {
          s.health = r.timestamp;
          const load = ms(s.first! + ns(P), r.timestamp); // from the earliest the hold-off can fire
          s.loadMs = load;
          loads.push(Math.round(load));
          if (load > t.probeLoadMaxGapMs) fail(r, `compile + probe load took ${load.toFixed(0)} ms (over ${t.probeLoadMaxGapMs})`, { loadMs: load });
        } else if (r.name === 'agent_resource_usage') {
          // About once a second (the slow poll, kernel_collector.cc@3598385a:233-243): a figure, not asserted.
          if (lastUsage && lastUsage.segment === r.segment) usageGaps.push(ms(lastUsage.timestamp, r.timestamp));
          lastUsage = r;
        } else if (r.name === 'heartbeat') heartbeat(r, s);
      },
      finish() {
        ctx.figures.heartbeatGaps = series;
        ctx.figures.heartbeatBand = { minMs: t.heartbeatMinGapMs, maxMs: t.heartbeatMaxGapMs };
        const sorted = [...gaps].sort((a, b) => a - b);
        const usage = [...usageGaps].sort((a, b) => a - b);
        const round = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
        const figures = {
          heartbeatPeriodMs: P, heartbeats: beats, gaps: gaps.length, minGapMs: round(sorted[0]), medianGapMs: round(sorted[Math.floor(sorted.length / 2)]), maxGapMs: round(sorted[sorted.length - 1]),
          // What the real agent does and this check allows (kernel_collector.cc@3598385a:271-322): per session.
          loadMs: loads, heartbeat1AfterHealthMs: hb1Delays.map(round), shortGapAfterLoadMs: afterLoad.map(round), heartbeatsDuringLoad: duringLoad,
          resourceUsageMedianGapMs: usage.length ? Math.round(usage[Math.floor(usage.length / 2)]) : undefined,
        };
        if (beats < 2) return { status: 'fail', reason: `only ${plural(beats, 'heartbeat')}: no cadence to check`, figures };
        return verdict(ev, (n) => `${plural(n, 'heartbeat gap')} out of tolerance`, figures);
      },
    };
  },
};

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
