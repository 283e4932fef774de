import { Evidence, plural, recEvidence, verdict, type CheckDef, type Rec } from '../framework.js';

/**
 * Heartbeats every 2 s within [min, max] per session (checker-facts.md §4, §8.14): the only longer gaps allowed are
 * up to `probeLoadGaps` per session before begin_telemetry (BPF compile + probe load block the loop, §2.6).
 */
export const cadence: CheckDef = {
  id: 'cadence',
  title: 'heartbeats every 2 s within tolerance (one longer gap per session for probe load)',
  needs: ['intake'],
  create(ctx) {
    const t = ctx.tol.cadence;
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    let seg = -1;
    let last: Rec | undefined;
    let telemetry = false;
    let telemetryAtPrev = false; // begin_telemetry had been seen when the previous heartbeat came
    let excused = 0;
    let beats = 0;
    const series: { segment: number; points: [number, number, number?][] }[] = [];
    const gaps: number[] = [];
    const usageGaps: number[] = [];
    let lastUsage: bigint | undefined;
    let lastUsageSeg = -1;
    return {
      intake(r) {
        if (r.segment !== seg) {
          seg = r.segment;
          last = undefined;
          telemetry = false;
          telemetryAtPrev = false;
          excused = 0;
          series.push({ segment: seg, points: [] });
        }
        if (r.name === 'begin_telemetry') telemetry = true;
        if (r.name === 'agent_resource_usage') {
          // About once a second (the slow poll, §4): reported as a figure, not asserted.
          if (lastUsage !== undefined && lastUsageSeg === r.segment) usageGaps.push(Number(r.timestamp - lastUsage) / 1e6);
          lastUsage = r.timestamp;
          lastUsageSeg = r.segment;
        }
        if (r.name !== 'heartbeat') return;
        beats++;
        if (last) {
          const gap = Number(r.timestamp - last.timestamp) / 1e6;
          gaps.push(gap);
          const point: [number, number, number?] = [Number(r.timestamp / 1_000_000n), Math.round(gap * 1000) / 1000];
          series[series.length - 1].points.push(point);
          const inRange = gap >= t.heartbeatMinGapMs && gap <= t.heartbeatMaxGapMs;
          if (!inRange) {
            if (!telemetryAtPrev && gap > t.heartbeatMaxGapMs && gap <= t.probeLoadMaxGapMs && excused < t.probeLoadGaps) { excused++; point[2] = 1; }
            else ev.add({ ...recEvidence('intake', r, `heartbeat gap ${gap.toFixed(1)} ms outside [${t.heartbeatMinGapMs}, ${t.heartbeatMaxGapMs}]`), gapMs: gap, previous: last.timestamp.toString() });
          }
        }
        last = r;
        telemetryAtPrev = telemetry;
      },
      finish() {
        ctx.figures.heartbeatGaps = series;
        ctx.figures.heartbeatBand = { minMs: t.heartbeatMinGapMs, maxMs: t.heartbeatMaxGapMs };
        const sorted = [...gaps].sort((a, b) => a - b);
        const usage = [...usageGaps].sort((a, b) => a - b);
        const figures = { heartbeats: beats, gaps: gaps.length, minGapMs: sorted[0], medianGapMs: sorted[Math.floor(sorted.length / 2)], maxGapMs: sorted[sorted.length - 1], resourceUsageMedianGapMs: usage.length ? Math.round(usage[Math.floor(usage.length / 2)]) : undefined };
        if (beats < 2) return { status: 'fail', reason: `only ${plural(beats, 'heartbeat')}: no cadence to check`, figures };
        return verdict(ev, (n) => `${plural(n, 'heartbeat gap')} out of tolerance`, figures);
      },
    };
  },
};
