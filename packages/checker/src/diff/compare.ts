import type { CheckReport } from '../types.js';
import { defaultThresholds, type CheckRow, type DiffThresholds, type MessageRow, type RunChange, type RunDiff, type RunProfile } from './types.js';

/**
 * The band of count ratios b/a that run length and workload size explain. A message's count is some mix
 * `α·seconds + β·items` (heartbeats go with time, socket messages with the workload), so b/a lies between the two
 * ratios; the band is widened by `relative` plus `sigmas` deviations of the log-ratio of two Poisson counts.
 */
export function ratioBand(a: RunProfile, b: RunProfile, na: number, nb: number, t: DiffThresholds): [number, number] {
  const rs = [(b.seconds || 1) / (a.seconds || 1)];
  if (a.workload?.total && b.workload?.total) rs.push(b.workload.total / a.workload.total);
  // a message absent from one run: the deviation is that of the count that was seen
  const inv = na && nb ? 1 / na + 1 / nb : 1 / Math.max(na, nb, 1);
  const widen = Math.log1p(t.relative) + t.sigmas * Math.sqrt(inv);
  return [Math.min(...rs) * Math.exp(-widen), Math.max(...rs) * Math.exp(widen)];
}

function messageRows(a: RunProfile, b: RunProfile, t: DiffThresholds): MessageRow[] {
  const key = (m: { stream: string; name: string }) => `${m.stream} ${m.name}`;
  const A = new Map(a.messages.map((m) => [key(m), m])), B = new Map(b.messages.map((m) => [key(m), m]));
  const keys = [...new Set([...A.keys(), ...B.keys()])].sort();
  const per = (n: number, x: number | undefined) => (x ? n / x : 0);
  return keys.map((k) => {
    const ma = A.get(k), mb = B.get(k);
    const na = ma?.count ?? 0, nb = mb?.count ?? 0;
    const band = ratioBand(a, b, na, nb, t);
    const row: MessageRow = {
      stream: (ma ?? mb)!.stream, name: (ma ?? mb)!.name, a: na, b: nb,
      perSecond: [per(na, a.seconds), per(nb, b.seconds)],
      ...(a.workload?.total && b.workload?.total ? { perItem: [per(na, a.workload.total), per(nb, b.workload.total)] as [number, number] } : {}),
      ratio: na ? nb / na : null, band, changed: false,
    };
    if (na && nb) row.changed = nb / na < band[0] || nb / na > band[1];
    else {
      // absent from one run: a change when the other run's count, scaled by the band's nearest edge, says it should be there
      const expected = na ? na * band[0] : nb / band[1];
      row.changed = expected >= t.minExpected;
      row.note = `only in run ${na ? 'A' : 'B'}${row.changed ? '' : ` (expected ${expected.toFixed(1)} in the other: too few to say)`}`;
    }
    return row;
  });
}

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined; };

/** Heartbeat gaps of a report, without the one excused as the probe-load gap. */
export function heartbeatFigures(r?: CheckReport): { median?: number; max?: number; n: number } {
  const gaps = (r?.figures?.heartbeatGaps ?? []).flatMap((s) => s.points.filter((p) => !p[2]).map((p) => p[1]));
  return { median: median(gaps), max: gaps.length ? Math.max(...gaps) : undefined, n: gaps.length };
}

function figureChange(area: RunChange['area'], subject: string, x: number | undefined, y: number | undefined, t: DiffThresholds, unit: 'ms' | 'B'): RunChange | undefined {
  if (x === undefined || y === undefined) return x === y ? undefined : { area, subject, a: x ?? null, b: y ?? null, detail: `${subject}: ${x ?? 'none'} → ${y ?? 'none'}` };
  const abs = Math.abs(y - x), rel = abs / Math.max(Math.abs(x), 1e-9);
  if (rel <= t.figureRelative || (unit === 'ms' && abs <= t.figureAbsoluteMs)) return undefined;
  return { area, subject, a: x, b: y, detail: `${subject}: ${x.toFixed(1)} → ${y.toFixed(1)} ${unit} (${rel >= 0 ? '+' : ''}${((y / Math.max(x, 1e-9) - 1) * 100).toFixed(0)}%, threshold ±${t.figureRelative * 100}%${unit === 'ms' ? ` and ${t.figureAbsoluteMs} ms` : ''})` };
}

const scalarFigures = (f?: Record<string, unknown>) => (f ? Object.fromEntries(Object.entries(f).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) : undefined);

function checkRows(a?: CheckReport, b?: CheckReport): CheckRow[] {
  if (!a && !b) return [];
  const ids = [...new Set([...(a?.checks ?? []).map((c) => c.id), ...(b?.checks ?? []).map((c) => c.id)])];
  return ids.map((id) => {
    const ca = a?.checks.find((c) => c.id === id), cb = b?.checks.find((c) => c.id === id);
    return { id, a: ca?.status, b: cb?.status, figuresA: scalarFigures(ca?.figures), figuresB: scalarFigures(cb?.figures), changed: ca?.status !== cb?.status };
  });
}

/** Two runs compared: every difference past the thresholds is a change; the rows carry every figure side by side. */
export function diffRuns(a: RunProfile, b: RunProfile, thresholds: Partial<DiffThresholds> = {}): RunDiff {
  const t = { ...defaultThresholds, ...thresholds };
  const changes: RunChange[] = [];
  if (a.era !== b.era) changes.push({ area: 'era', subject: 'schema', a: a.era, b: b.era, detail: `era: ${a.era ?? '?'} → ${b.era ?? '?'}` });
  const wa = a.workload?.items ?? {}, wb = b.workload?.items ?? {};
  const wkeys = [...new Set([...Object.keys(wa), ...Object.keys(wb)])].filter((k) => wa[k] !== wb[k]);
  if (wkeys.length) changes.push({ area: 'workload', subject: 'manifest', a: wa, b: wb, detail: `workload: ${wkeys.map((k) => `${k} ${wa[k] ?? '-'} → ${wb[k] ?? '-'}`).join(', ')}` });

  const messages = messageRows(a, b, t);
  for (const m of messages.filter((r) => r.changed)) {
    const what = m.a && m.b ? `${m.a} → ${m.b} (×${(m.b / m.a).toFixed(2)}, explained: ×${m.band[0].toFixed(2)}..×${m.band[1].toFixed(2)})` : `${m.a} → ${m.b} (${m.note})`;
    changes.push({ area: 'message', subject: `${m.stream} ${m.name}`, a: m.a, b: m.b, detail: `${m.stream} ${m.name}: ${what}` });
  }
  const sa = a.startup.slice(0, t.startupLength), sb = b.startup.slice(0, t.startupLength);
  if (sa.join() !== sb.join()) {
    const at = sa.findIndex((n, i) => sb[i] !== n);
    changes.push({ area: 'startup', subject: 'startup sequence', a: sa, b: sb, detail: `startup sequence differs at #${(at < 0 ? sa.length : at) + 1}: ${sa[at] ?? '(end)'} → ${sb[at < 0 ? sa.length : at] ?? '(end)'}` });
  }
  const fkey = (f: { message: string; field: string }) => `${f.message}.${f.field}`;
  const FA = new Map(a.fields.map((f) => [fkey(f), f])), FB = new Map(b.fields.map((f) => [fkey(f), f]));
  for (const k of [...new Set([...FA.keys(), ...FB.keys()])].sort()) {
    const fa = FA.get(k), fb = FB.get(k);
    if (!fa || !fb) continue; // the message itself is reported under `message`
    if (fa.distinct.join('\u0000') !== fb.distinct.join('\u0000')) changes.push({ area: 'field', subject: k, a: fa.distinct, b: fb.distinct, detail: `${k}: ${fa.distinct.join(' | ')} → ${fb.distinct.join(' | ')}` });
  }
  const la = a.report?.figures?.latency, lb = b.report?.figures?.latency;
  const ha = heartbeatFigures(a.report), hb = heartbeatFigures(b.report);
  const perFrame = (p: RunProfile, k: 'bytes' | 'plainBytes') => (p.frames?.count ? p.frames[k] / p.frames.count : undefined);
  for (const c of [
    figureChange('latency', 'BPF→intake latency p50 (lower bound: to its own frame)', la?.lowerP50Ms, lb?.lowerP50Ms, t, 'ms'),
    figureChange('latency', 'BPF→intake latency p99 (lower bound: to its own frame)', la?.lowerP99Ms, lb?.lowerP99Ms, t, 'ms'),
    figureChange('latency', 'BPF→intake latency p99 (upper bound: to the next agent-stamped record)', upperP99(la), upperP99(lb), t, 'ms'),
    figureChange('heartbeat', 'heartbeat gap median', ha.median, hb.median, t, 'ms'),
    figureChange('heartbeat', 'heartbeat gap max', ha.max, hb.max, t, 'ms'),
    figureChange('frames', 'LZ4 frame bytes (mean)', perFrame(a, 'bytes'), perFrame(b, 'bytes'), t, 'B'),
    figureChange('frames', 'plaintext per frame (mean)', perFrame(a, 'plainBytes'), perFrame(b, 'plainBytes'), t, 'B'),
  ]) if (c) changes.push(c);
  const checks = checkRows(a.report, b.report);
  for (const c of checks.filter((x) => x.changed)) changes.push({ area: 'check', subject: c.id, a: c.a ?? null, b: c.b ?? null, detail: `check ${c.id}: ${c.a ?? 'absent'} → ${c.b ?? 'absent'}` });

  const areas = [...new Set(changes.map((c) => c.area))];
  const summary = changes.length ? `${changes.length} change${changes.length === 1 ? '' : 's'} (${areas.join(', ')})` : 'no change past the thresholds';
  return { a, b, thresholds: t, changes, messages, checks, summary, changed: changes.length > 0 };
}

/** The upper bound's p99; a report written before the bounds were named held it as `p99Ms`. */
export function upperP99(l: CheckReport['figures']['latency']): number | undefined {
  return l?.upperP99Ms ?? (l && !l.bound ? l.p99Ms : undefined);
}
