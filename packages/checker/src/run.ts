import { dirname } from 'node:path';
import { kernelViewOf } from './checks/kernel-view.js';
import { allChecks, DECODE_CHECK, decodeOutcome, type StreamStatus } from './checks/index.js';
import { resolveTolerances } from './config.js';
import type { CheckContext, Rec, SegmentInfo } from './framework.js';
import { resolveInputs } from './inputs.js';
import { dumpSchema, schemaFromSpec } from './schema-choice.js';
import { selectChecks, selector, type ActiveCheck } from './selection.js';
import { loadAuthzLog, loadManifest, loadWireIndex, type SideInputError } from './side-inputs.js';
import { fileOf, mergeByTime, newStatus, recordStream, type SegmentCounts } from './streams.js';
import { Timeline } from './timeline.js';
import type { CheckInputs, CheckOptions, CheckReport, CheckResult, InputKind, InputSummary } from './types.js';
import { cstr, isoOfNs } from './values.js';

export { resolveTolerances } from './config.js';

type SideErrors = { kind: string; path: string; errors: SideInputError[] }[];

/**
 * Runs every selected check over the given recordings in one streaming pass per recording, and returns the report.
 * Throws MissingInputError for a named file that does not exist, UsageError for a bad preset, config or check id,
 * BadInputError for a schema file that does not parse; a recording that does not decode is a failed `decode` check,
 * not an exception.
 */
export async function runChecks(inputs: CheckInputs, opts: CheckOptions = {}): Promise<CheckReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const tol = await resolveTolerances(opts.preset ?? 'default', opts.config);
  const selected = selector(opts.only);
  const res = resolveInputs(inputs);
  const schema = await schemaFromSpec(inputs.schema ?? 'auto');
  const bpfSchema = await dumpSchema(res, schema);

  const ctx: CheckContext = { tol, inputs: res, segments: [], figures: {} };
  ctx.intakeSource = res.wire.length ? 'wire' : res.record ? 'record' : undefined;
  const sideErrors = await readSideInputs(ctx);
  const { active, results } = selectChecks(ctx, selected);

  // The one streaming pass: the dump and the intake merged by time, each record to the checks that observe it.
  const timeline = new Timeline();
  const segCounts: SegmentCounts = new Map();
  const segs = new Map<number, SegmentInfo>();
  const streams: StreamStatus[] = [];
  const bpfObs = active.filter((a) => a.obs.bpf).map((a) => a.obs);
  const intakeObs = active.filter((a) => a.obs.intake).map((a) => a.obs);
  const common = { tol, segCounts, schema };
  let bpfIt: AsyncIterator<Rec> | undefined, intakeIt: AsyncIterator<Rec> | undefined;
  if (res.bpf) {
    const files = [fileOf(res.bpf)], st = newStatus('bpf', files);
    streams.push(st);
    bpfIt = recordStream({ ...common, kind: 'bpf', files, lane: 'bpf', st, schema: bpfSchema.schema, schemaFrom: bpfSchema.from })[Symbol.asyncIterator]();
  }
  if (ctx.intakeSource) {
    const files = ctx.intakeSource === 'wire' ? res.wire : [fileOf(res.record!)], st = newStatus(ctx.intakeSource, files);
    streams.push(st);
    intakeIt = recordStream({ ...common, kind: ctx.intakeSource, files, lane: 'intake', st, onInfo: (i) => { ctx.era ??= i.schema; } })[Symbol.asyncIterator]();
  }
  await mergeByTime(bpfIt, intakeIt, (r) => {
    timeline.add('bpf', r);
    for (const o of bpfObs) o.bpf!(r);
  }, (r) => {
    trackSegment(segs, r);
    timeline.add('intake', r);
    for (const o of intakeObs) o.intake!(r);
  });
  ctx.segments = [...segs.values()].sort((a, b) => a.segment - b.segment);
  if (ctx.intakeSource === 'wire' && res.record) {
    // The record file beside a wire capture: read for the decode check and the per-session counts.
    const files = [fileOf(res.record)], st = newStatus('record', files);
    streams.push(st);
    for await (const _ of recordStream({ ...common, kind: 'record', files, lane: 'secondary', st })) { /* counted */ }
  }

  await finishChecks(active, results, streams, ctx);
  const sideGiven = [res.manifest, res.authzLog].filter(Boolean).length;
  results.set(DECODE_CHECK.id, selected(DECODE_CHECK.id) ? decodeOutcome(streams, sideErrors, sideGiven, tol) : { id: DECODE_CHECK.id, title: DECODE_CHECK.title, status: 'not-run', reason: 'not selected (--only)' });

  ctx.figures.timeline = timeline.figure(tol.report.timelineBinMs, tol.report.timelineTypes);
  ctx.figures.segments = [...segCounts].sort((a, b) => a[0] - b[0]).map(([segment, c]) => {
    const s = segs.get(segment);
    return { segment, ...c, ...(s ? { start: isoOfNs(s.firstTs), end: isoOfNs(s.lastTs) } : {}) };
  });
  const checks = allChecks.map((c) => results.get(c.id)!).filter(Boolean);
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  const summary = { pass: count('pass'), fail: count('fail'), notRun: count('not-run'), total: checks.length, durationMs: now() - started };
  return { ok: summary.fail === 0, preset: opts.preset ?? 'default', inputs: inputSummaries(streams, ctx, sideErrors), checks, summary, figures: ctx.figures };
}

/** The manifest, tls-sink's connection indexes and the authz log, into the context; their parse errors for decode. */
async function readSideInputs(ctx: CheckContext): Promise<SideErrors> {
  const res = ctx.inputs;
  const sideErrors: SideErrors = [];
  if (res.manifest) {
    const m = await loadManifest(res.manifest);
    if (m.error) sideErrors.push({ kind: 'manifest', path: res.manifest, errors: [m.error] });
    ctx.manifest = m.manifest;
    try {
      ctx.kernelView = kernelViewOf(dirname(res.manifest));
    } catch (err) {
      sideErrors.push({ kind: 'manifest', path: res.manifest, errors: [{ line: 0, message: `kernel view: ${(err as Error).message}` }] });
    }
  }
  for (const idx of res.wireIndexes) {
    const w = await loadWireIndex(idx, res.wire);
    if (w.errors.length) sideErrors.push({ kind: 'wireIndex', path: idx, errors: w.errors });
    (ctx.connections ??= []).push(...w.connections);
  }
  if (res.authzLog) {
    const a = await loadAuthzLog(res.authzLog);
    if (a.errors.length) sideErrors.push({ kind: 'authzLog', path: res.authzLog, errors: a.errors });
    ctx.authzLog = a.entries;
  }
  return sideErrors;
}

/** Per session: its record count, first and last timestamps, when telemetry began and the token it presented. */
function trackSegment(segs: Map<number, SegmentInfo>, r: Rec): void {
  let s = segs.get(r.segment);
  if (!s) segs.set(r.segment, (s = { segment: r.segment, records: 0, firstTs: r.timestamp, lastTs: r.timestamp }));
  s.records++;
  if (r.timestamp < s.firstTs && r.timestamp > 0n) s.firstTs = r.timestamp;
  if (r.timestamp > s.lastTs) s.lastTs = r.timestamp;
  if (r.name === 'bpf_compiled' && s.telemetryTs === undefined) s.telemetryTs = r.timestamp;
  if (r.name === 'authz_authenticate' && s.token === undefined) s.token = cstr(r.data.token);
}

/** Each running check's verdict, or not run when a recording it needs did not decode completely. */
async function finishChecks(active: ActiveCheck[], results: Map<string, CheckResult>, streams: StreamStatus[], ctx: CheckContext): Promise<void> {
  const failedStream = (k: InputKind): StreamStatus | undefined => {
    const kinds: string[] = k === 'intake' ? [ctx.intakeSource ?? ''] : [k];
    return streams.find((s) => kinds.includes(s.kind) && s.error);
  };
  for (const a of active) {
    const bad = a.needs.map(failedStream).find(Boolean);
    const out = bad ? { status: 'not-run' as const, reason: `the ${bad.kind} recording did not decode completely (see decode)` } : await a.obs.finish();
    results.set(a.id, { id: a.id, title: a.title, ...out });
  }
}

function inputSummaries(streams: StreamStatus[], ctx: CheckContext, sideErrors: SideErrors): InputSummary[] {
  const out: InputSummary[] = streams.map((s) => ({ kind: s.kind, path: s.path, bytes: s.bytes, records: s.records, ...(s.schema ? { schema: s.schema, schemaConfidence: s.schemaConfidence } : {}), ...(s.kind !== 'bpf' ? { segments: s.segments } : {}), ...(s.error ? { error: s.error.message } : {}) }));
  const res = ctx.inputs;
  if (res.manifest) out.push({ kind: 'manifest', path: res.manifest, ...(sideErrors.find((e) => e.kind === 'manifest') ? { error: 'did not parse' } : {}) });
  if (res.authzLog) out.push({ kind: 'authzLog', path: res.authzLog, records: ctx.authzLog?.length ?? 0 });
  return out;
}
