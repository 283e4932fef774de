import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decode, loadSchema, type Schema } from '@flowmill/raw-codec';
import { allChecks, DECODE_CHECK, decodeOutcome, type StreamStatus } from './checks/index.js';
import { MissingInputError, UsageError } from './errors.js';
import type { CheckContext, Observer, Outcome, Rec, SegmentInfo } from './framework.js';
import { fileChunks, resolveInputs, type ResolvedInputs } from './inputs.js';
import { loadAuthzLog, loadManifest, type SideInputError } from './side-inputs.js';
import { Timeline } from './timeline.js';
import { deepMerge, defaultTolerances, presets, unknownKeys, type Tolerances } from './tolerances.js';
import type { CheckInputs, CheckOptions, CheckReport, CheckResult, InputKind, InputSummary } from './types.js';
import { cstr, isoOfNs } from './values.js';

/** Tolerances for a preset plus an override (object or JSON file), validated. */
export async function resolveTolerances(preset = 'default', config?: string | object): Promise<Tolerances> {
  const p = presets[preset];
  if (!p) throw new UsageError(`unknown preset: ${preset}: expected one of ${Object.keys(presets).join(', ')}`);
  let tol = deepMerge(defaultTolerances, p);
  if (config !== undefined) {
    let over: unknown = config;
    if (typeof config === 'string') {
      let text: string;
      try {
        text = await readFile(config, 'utf8');
      } catch (err) {
        throw new MissingInputError('config', config, (err as Error).message, { cause: err });
      }
      try {
        over = JSON.parse(text);
      } catch (err) {
        throw new UsageError(`cannot use the config: ${config}: not JSON: ${(err as Error).message}`, { cause: err });
      }
    }
    const bad = unknownKeys(defaultTolerances, over);
    if (bad.length) throw new UsageError(`cannot use the config: ${typeof config === 'string' ? config : 'object'}: unknown keys: ${bad.join(', ')}`);
    tol = deepMerge(tol, over);
  }
  return tol;
}

function has(inputs: ResolvedInputs, k: InputKind): boolean {
  switch (k) {
    case 'wire': return inputs.wire.length > 0;
    case 'record': return inputs.record !== undefined;
    case 'bpf': return inputs.bpf !== undefined;
    case 'intake': return inputs.wire.length > 0 || inputs.record !== undefined;
    case 'manifest': return inputs.manifest !== undefined;
    case 'authzLog': return inputs.authzLog !== undefined;
  }
}

const INPUT_FLAG: Record<InputKind, string> = {
  wire: 'the wire capture (--wire)', record: 'the record file (--record)', bpf: 'the BPF dump (--bpf)',
  intake: 'an intake recording (--wire or --record)', manifest: 'the workload manifest (--manifest)', authzLog: 'the mock-authz log (--authz-log)',
};

type Lane = 'bpf' | 'intake' | 'secondary';

/**
 * Runs every selected check over the given recordings in one streaming pass per recording, and returns the report.
 * Throws MissingInputError for a named file that does not exist, UsageError for a bad preset, config or check id;
 * a recording that does not decode is a failed `decode` check, not an exception.
 */
export async function runChecks(inputs: CheckInputs, opts: CheckOptions = {}): Promise<CheckReport> {
  const now = opts.now ?? Date.now;
  const started = now();
  const tol = await resolveTolerances(opts.preset ?? 'default', opts.config);
  const known = new Set(allChecks.map((c) => c.id));
  for (const id of opts.only ?? []) if (!known.has(id)) throw new UsageError(`unknown check id: ${id}: expected one of ${[...known].join(', ')}`);
  const selected = (id: string) => !opts.only?.length || opts.only.includes(id);

  const res = resolveInputs(inputs);
  const spec = inputs.schema ?? 'auto';
  let schema: Schema | 'auto';
  try {
    schema = spec === 'auto' ? 'auto' : await loadSchema(spec);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ENOENT') throw new MissingInputError('schema', spec, 'no such file', { cause: err });
    throw new UsageError(`cannot load the schema: ${spec}: ${e.message ?? String(err)}`, { cause: err });
  }

  // A BPF dump has no version_info, so 'auto' can only guess its era from the ids; the intake says it for sure
  // (its first records), so with 'auto' the dump is read with the intake's schema.
  let bpfSchema: Schema | 'auto' = schema;
  let bpfSchemaFrom: string | undefined;
  const intakePeek = res.wire[0]?.path ?? res.record;
  if (schema === 'auto' && res.bpf && intakePeek) {
    const name = await peekSchema(intakePeek, res.wire.length ? 'intake' : 'record');
    if (name === 'flowmill' || name === 'ebpf_net') { bpfSchema = await loadSchema(name); bpfSchemaFrom = name; }
  }

  const sideErrors: { kind: string; path: string; errors: SideInputError[] }[] = [];
  const ctx: CheckContext = { tol, inputs: res, segments: [], figures: {} };
  ctx.intakeSource = res.wire.length ? 'wire' : res.record ? 'record' : undefined;
  if (res.manifest) {
    const m = await loadManifest(res.manifest);
    if (m.error) sideErrors.push({ kind: 'manifest', path: res.manifest, errors: [m.error] });
    ctx.manifest = m.manifest;
  }
  // tls-sink's index (CONTRACTS.md: one line per ended connection) must describe the capture files as they are.
  for (const idx of res.wireIndexes) {
    const errors: SideInputError[] = [];
    const dir = dirname(idx);
    (await readFile(idx, 'utf8')).split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let c: { file?: string; bytes?: number };
      try { c = JSON.parse(line); } catch { errors.push({ line: i + 1, message: 'not JSON' }); return; }
      if (!c.file) return;
      const f = res.wire.find((w) => w.path === join(dir, c.file!));
      if (!f) errors.push({ line: i + 1, message: `${c.file} is listed but missing` });
      else if (typeof c.bytes === 'number' && c.bytes !== f.bytes) errors.push({ line: i + 1, message: `${c.file}: the sink counted ${c.bytes} bytes, the file has ${f.bytes}` });
    });
    if (errors.length) sideErrors.push({ kind: 'wireIndex', path: idx, errors });
  }
  if (res.authzLog) {
    const a = await loadAuthzLog(res.authzLog);
    if (a.errors.length) sideErrors.push({ kind: 'authzLog', path: res.authzLog, errors: a.errors });
    ctx.authzLog = a.entries;
  }

  // Which checks run, and what each one observes.
  const results = new Map<string, CheckResult>();
  const active: { id: string; title: string; needs: InputKind[]; obs: Observer }[] = [];
  for (const c of allChecks) {
    if (c.id === DECODE_CHECK.id) continue;
    const base = { id: c.id, title: c.title };
    if (!selected(c.id)) { results.set(c.id, { ...base, status: 'not-run', reason: 'not selected (--only)' }); continue; }
    const missing = c.needs.filter((k) => !has(res, k));
    if (missing.length) { results.set(c.id, { ...base, status: 'not-run', reason: `needs ${missing.map((k) => INPUT_FLAG[k]).join(' and ')}` }); continue; }
    if (c.needs.includes('manifest') && !ctx.manifest) { results.set(c.id, { ...base, status: 'not-run', reason: 'the manifest did not parse (see decode)' }); continue; }
    const off = c.disabled?.(ctx);
    if (off) { results.set(c.id, { ...base, status: 'not-run', reason: off }); continue; }
    active.push({ id: c.id, title: c.title, needs: c.needs, obs: c.create(ctx) });
  }

  const timeline = new Timeline();
  const streams: StreamStatus[] = [];
  const segCounts = new Map<number, { intake: number; record?: number; wire?: number }>();

  const bpfObs = active.filter((a) => a.obs.bpf).map((a) => a.obs);
  const intakeObs = active.filter((a) => a.obs.intake).map((a) => a.obs);

  // Each recording is an async stream of records; a decoder error ends it (the records before it were delivered).
  async function* stream(kind: 'wire' | 'record' | 'bpf', files: { path: string; bytes: number }[], lane: Lane, st: StreamStatus): AsyncGenerator<Rec> {
    const wantApp = kind === 'bpf' ? 'agent_internal' : 'ingest';
    let segBase = 0;
    for (const f of files) {
      let maxSeg = -1;
      try {
        const useSchema = kind === 'bpf' ? bpfSchema : schema;
        if (kind === 'bpf' && bpfSchemaFrom) { st.schema = bpfSchemaFrom; st.schemaConfidence = 'from the intake'; }
        // A connection cut inside an LZ4 frame (an appended capture that goes on with the next version_info) is the
        // same thing as a cut-off last record: tolerated with decode.allowTruncatedTail, and named.
        const onCut = tol.decode.allowTruncatedTail ? (e: { message: string; offset?: number }) => (st.cuts ??= []).push({ file: f.path, offset: e.offset, message: e.message }) : undefined;
        const it = decode(fileChunks(f.path), { kind: kind === 'wire' ? 'intake' : kind, schema: useSchema, onCut, onInfo: (info) => { if (!(kind === 'bpf' && bpfSchemaFrom)) { st.schema = info.schema; st.schemaConfidence = info.schemaConfidence; } } }) as AsyncIterable<Rec>;
        for await (const rec of it) {
          const r: Rec = segBase ? { ...rec, segment: rec.segment + segBase } : rec;
          if (rec.segment > maxSeg) maxSeg = rec.segment;
          st.records++;
          if (r.app && r.app !== wantApp) {
            st.wrongAppTotal = (st.wrongAppTotal ?? 0) + 1;
            if ((st.wrongApp ??= []).length < tol.report.maxEvidence) st.wrongApp.push({ name: r.name, app: r.app, offset: r.offset, segment: r.segment });
          }
          if (kind !== 'bpf') {
            const c = segCounts.get(r.segment) ?? { intake: 0 };
            if (lane === 'intake') c.intake++;
            c[kind] = (c[kind] ?? 0) + 1;
            segCounts.set(r.segment, c);
          }
          yield r;
        }
      } catch (err) {
        const e = err as { code?: string; message?: string; offset?: number };
        const code = typeof e.code === 'string' ? e.code : 'ERR_INTERNAL';
        if (code !== 'ERR_TRUNCATED' && code !== 'ERR_CORRUPT' && code !== 'ERR_BAD_INPUT') {
          if (code === 'ENOENT' || code === 'EACCES') throw new MissingInputError(kind, f.path, e.message ?? code, { cause: err });
          throw err;
        }
        // Each capture file ends a connection (tls-sink writes one file per connection), so a cut-off tail is tolerated
        // at the end of any of them.
        if (code === 'ERR_TRUNCATED' && tol.decode.allowTruncatedTail) { st.truncatedTail = true; (st.cuts ??= []).push({ file: f.path, offset: e.offset, message: e.message ?? code }); }
        else st.error = { code, message: e.message ?? String(err), offset: e.offset, file: f.path };
      }
      segBase += maxSeg + 1;
      st.segments = kind === 'bpf' ? 0 : segBase;
      if (st.error) break;
    }
  }
  const newStatus = (kind: 'wire' | 'record' | 'bpf', files: { path: string; bytes: number }[]): StreamStatus =>
    ({ kind, path: files.map((f) => f.path).join(', '), bytes: files.reduce((a, f) => a + f.bytes, 0), records: 0, segments: 0 });

  const segs = new Map<number, SegmentInfo>();
  const trackSegment = (r: Rec) => {
    let s = segs.get(r.segment);
    if (!s) segs.set(r.segment, (s = { segment: r.segment, records: 0, firstTs: r.timestamp, lastTs: r.timestamp }));
    s.records++;
    if (r.timestamp < s.firstTs && r.timestamp > 0n) s.firstTs = r.timestamp;
    if (r.timestamp > s.lastTs) s.lastTs = r.timestamp;
    if (r.name === 'bpf_compiled' && s.telemetryTs === undefined) s.telemetryTs = r.timestamp;
    if (r.name === 'authz_authenticate' && s.token === undefined) s.token = cstr(r.data.token);
  };
  const onBpf = (r: Rec) => {
    timeline.add('bpf', r);
    for (const o of bpfObs) o.bpf!(r);
  };
  const onIntake = (r: Rec) => {
    trackSegment(r);
    timeline.add('intake', r);
    for (const o of intakeObs) o.intake!(r);
  };

  // The BPF dump and the intake are read together, merged by time: a dump record is read once the intake has reached
  // its timestamp (MERGE_LEAD_NS ahead at most), so a sample and its intake record meet within about a poll, the checks
  // hold only what is in flight, and a new session's bpf_compiled is seen before that session's samples.
  const MERGE_LEAD_NS = 0n;
  const bpfSt = res.bpf ? newStatus('bpf', [{ path: res.bpf, bytes: statSync(res.bpf).size }]) : undefined;
  const intakeFiles = ctx.intakeSource === 'wire' ? res.wire : res.record ? [{ path: res.record, bytes: statSync(res.record).size }] : [];
  const intakeSt = ctx.intakeSource ? newStatus(ctx.intakeSource, intakeFiles) : undefined;
  if (bpfSt) streams.push(bpfSt);
  if (intakeSt) streams.push(intakeSt);
  const bi = bpfSt ? stream('bpf', [{ path: res.bpf!, bytes: bpfSt.bytes }], 'bpf', bpfSt)[Symbol.asyncIterator]() : undefined;
  const ii = intakeSt ? stream(ctx.intakeSource!, intakeFiles, 'intake', intakeSt)[Symbol.asyncIterator]() : undefined;
  let nb = bi ? await bi.next() : undefined;
  let ni = ii ? await ii.next() : undefined;
  let intakeClock = -1n;
  while ((nb && !nb.done) || (ni && !ni.done)) {
    const takeBpf = nb && !nb.done && (!ni || ni.done || nb.value.timestamp <= intakeClock + MERGE_LEAD_NS);
    if (takeBpf) {
      onBpf(nb!.value as Rec);
      nb = await bi!.next();
    } else {
      const r = ni!.value as Rec;
      if (r.timestamp > intakeClock) intakeClock = r.timestamp;
      onIntake(r);
      ni = await ii!.next();
    }
  }
  ctx.segments = [...segs.values()].sort((a, b) => a.segment - b.segment);
  if (ctx.intakeSource === 'wire' && res.record) {
    const st = newStatus('record', [{ path: res.record, bytes: statSync(res.record).size }]);
    streams.push(st);
    for await (const _ of stream('record', [{ path: res.record, bytes: st.bytes }], 'secondary', st)) { /* decode check and per-session counts */ }
  }

  const failedStream = (k: InputKind): StreamStatus | undefined => {
    const kinds: string[] = k === 'intake' ? [ctx.intakeSource ?? ''] : [k];
    return streams.find((s) => kinds.includes(s.kind) && s.error);
  };
  for (const a of active) {
    const bad = a.needs.map(failedStream).find(Boolean);
    let out: Outcome;
    if (bad) out = { status: 'not-run', reason: `the ${bad.kind} recording did not decode completely (see decode)` };
    else out = await a.obs.finish();
    results.set(a.id, { id: a.id, title: a.title, ...out });
  }

  // decode: every given input decodes completely.
  const sideGiven = [res.manifest, res.authzLog].filter(Boolean).length;
  if (selected(DECODE_CHECK.id)) results.set(DECODE_CHECK.id, decodeOutcome(streams, sideErrors, sideGiven, tol));
  else results.set(DECODE_CHECK.id, { id: DECODE_CHECK.id, title: DECODE_CHECK.title, status: 'not-run', reason: 'not selected (--only)' });

  ctx.figures.timeline = timeline.figure(tol.report.timelineBinMs, tol.report.timelineTypes);
  ctx.figures.segments = [...segCounts].sort((a, b) => a[0] - b[0]).map(([segment, c]) => {
    const s = segs.get(segment);
    return { segment, ...c, ...(s ? { start: isoOfNs(s.firstTs), end: isoOfNs(s.lastTs) } : {}) };
  });

  const checks = allChecks.map((c) => results.get(c.id)!).filter(Boolean);
  const summary = {
    pass: checks.filter((c) => c.status === 'pass').length,
    fail: checks.filter((c) => c.status === 'fail').length,
    notRun: checks.filter((c) => c.status === 'not-run').length,
    total: checks.length,
    durationMs: now() - started,
  };
  const inputsOut: InputSummary[] = streams.map((s) => ({ kind: s.kind, path: s.path, bytes: s.bytes, records: s.records, ...(s.schema ? { schema: s.schema, schemaConfidence: s.schemaConfidence } : {}), ...(s.kind !== 'bpf' ? { segments: s.segments } : {}), ...(s.error ? { error: s.error.message } : {}) }));
  if (res.manifest) inputsOut.push({ kind: 'manifest', path: res.manifest, ...(sideErrors.find((e) => e.kind === 'manifest') ? { error: 'did not parse' } : {}) });
  if (res.authzLog) inputsOut.push({ kind: 'authzLog', path: res.authzLog, records: ctx.authzLog?.length ?? 0 });
  return { ok: summary.fail === 0, preset: opts.preset ?? 'default', inputs: inputsOut, checks, summary, figures: ctx.figures };
}

/** The schema name the decoder settles on for an intake recording (from its first records), or undefined. */
async function peekSchema(path: string, kind: 'intake' | 'record'): Promise<string | undefined> {
  let name: string | undefined;
  try {
    for await (const _ of decode(fileChunks(path, 1 << 16), { kind, schema: 'auto', onInfo: (i) => { name = i.schema; } })) if (name) break;
  } catch {
    /* the decode check reports it */
  }
  return name;
}
