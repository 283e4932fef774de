import { SchemaError } from '../errors.js';
import type { AstDocument, AstField, AstMessage } from './render-ast.js';
import { intSize, isIntType, makeApp, type AppSchema, type FieldSchema, type FieldType, type MessageSchema, type Schema } from './types.js';

/** Declared numbers above this are used verbatim as rpc ids (otel renderc: AppPacker.rpcIdRangeMax; docs/wire-format.md (a) 14). */
const RPC_ID_RANGE_MAX = 32767;
/** otel renderc appends span `__pulsar` with `pulse` (log, pipeline_only) to every app, rpc 65535 (docs/wire-format.md (a) 14). */
const PULSE_RPC_ID = 65535;

/** Size and alignment of one field in the wire struct (docs/wire-format.md (a) 3-4: string slot 2/2, string<N> N/1). */
function sizeAlign(f: AstField): { size: number; align: number } {
  const n = f.arrayLength ?? 1;
  if (f.type === 'string') return { size: 2 * n, align: 2 };
  const short = /^string<(\d+)>$/.exec(f.type);
  if (short) return { size: Number(short[1]) * n, align: 1 };
  if (isIntType(f.type)) return { size: intSize[f.type] * n, align: intSize[f.type] };
  throw new Error(`unreachable: type ${f.type}`);
}

/** rpc id from the app's namespace ranges (docs/wire-format.md (a) 1: the declared number indexes the ranges' concatenation). */
export function rpcIdFor(declared: number, ranges: [number, number][] | undefined): number | undefined {
  if (declared > RPC_ID_RANGE_MAX) return declared;
  if (!ranges) return undefined;
  let rest = declared;
  for (const [a, b] of ranges) {
    const size = b - a + 1;
    if (rest < size) return a + rest;
    rest -= size;
  }
  return undefined;
}

/** Lays out one message with renderc's packing rule (docs/wire-format.md (a) 2-6, 8). `fields` is in declaration order. */
export function packMessage(fields: { ast: AstField; synthesized?: FieldSchema['synthesized'] }[]): { dynamic: boolean; wireSize: number; fields: FieldSchema[] } {
  let lastString = -1;
  fields.forEach((f, i) => { if (f.ast.type === 'string') lastString = i; });
  const dynamic = lastString >= 0;
  let pos = dynamic ? 4 : 2;
  const out: FieldSchema[] = fields.map((f) => ({
    name: f.ast.name, number: f.ast.number ?? 0, type: f.ast.type as FieldType, arrayLength: f.ast.arrayLength,
    offset: null, size: 0, ...(f.synthesized ? { synthesized: f.synthesized } : {}),
  }));
  // Group by alignment, declaration order within a group.
  const groups = new Map<number, number[]>();
  fields.forEach((f, i) => {
    if (i === lastString) return;
    const { align } = sizeAlign(f.ast);
    let g = groups.get(align);
    if (!g) groups.set(align, (g = []));
    g.push(i);
  });
  for (;;) {
    const live = [...groups].filter(([, g]) => g.length > 0).map(([a]) => a);
    if (live.length === 0) break;
    const exact = live.filter((a) => (pos & (a - 1)) === 0);
    const align = exact.length > 0 ? Math.max(...exact) : Math.min(...live);
    const i = groups.get(align)!.shift()!;
    const at = (pos + align - 1) & ~(align - 1);
    out[i].offset = at;
    out[i].size = sizeAlign(fields[i].ast).size;
    pos = at + out[i].size;
  }
  let dataIndex = 0;
  out.forEach((f, i) => {
    if (f.type !== 'string') return;
    f.string = { lengthAt: i === lastString ? null : f.offset, dataIndex: dataIndex++ };
  });
  return { dynamic, wireSize: pos, fields: out };
}

/** Applies renderc's message rewrites (docs/wire-format.md (a) 11) and packs every message of every app. */
export function packDocument(doc: AstDocument, opts: { source: string; lineage?: 'flowmill' | 'otel' }): Schema {
  const lineage = opts.lineage ?? (doc.package === 'flowmill' ? 'flowmill' : 'otel');
  const apps: Record<string, AppSchema> = {};
  const appNames = new Set([...doc.apps.map((a) => a.name)]);
  for (const ns of doc.namespace.keys()) if (!appNames.has(ns)) throw new SchemaError(opts.source, undefined, `namespace names app ${ns}, which the file does not declare`);
  for (const app of doc.apps) {
    const ranges = doc.namespace.get(app.name);
    const messages: MessageSchema[] = [];
    const spans = [...app.spans];
    if (lineage === 'otel') {
      spans.push({ name: '__pulsar', index: [], definitions: [], singleton: true, messages: [
        { declaredId: PULSE_RPC_ID, type: 'log', name: 'pulse', ref: null, noAuthorizationNeeded: false, pipelineOnly: true, fields: [], line: 0 },
      ] });
    }
    for (const span of spans) {
      for (const m of span.messages) messages.push(packOne(app.name, span, m, ranges, opts.source));
    }
    const seen = new Map<number, string>();
    for (const m of messages) {
      const other = seen.get(m.rpcId);
      if (other !== undefined) throw new SchemaError(opts.source, undefined, `app ${app.name}: messages ${other} and ${m.name} share rpc id ${m.rpcId}`);
      seen.set(m.rpcId, m.name);
    }
    apps[app.name] = makeApp(app.name, ranges ?? [], messages);
  }
  return { name: doc.package, source: opts.source, lineage, apps };
}

function packOne(app: string, span: AstDocument['apps'][number]['spans'][number], m: AstMessage, ranges: [number, number][] | undefined, source: string): MessageSchema {
  let name = m.name;
  let type = m.type;
  const fields: { ast: AstField; synthesized?: FieldSchema['synthesized'] }[] = m.fields.map((ast) => ({ ast }));
  let refField = m.ref ?? undefined;
  if (m.type === 'msg') {
    if (m.name === '_start') {
      name = `${span.name}_start`;
      type = 'start';
      // Copies of the span's index key *fields* (references are skipped), numbered from max+1.
      let next = m.fields.length === 0 ? 1 : Math.max(...m.fields.map((f) => f.number ?? 0)) + 1;
      for (const key of span.index) {
        const def = span.definitions.find((d) => d.name === key);
        if (!def) throw new SchemaError(source, m.line, `span ${span.name}: index key ${key} is not a field or reference of the span`);
        if (def.type === 'reference') continue;
        fields.push({ ast: { ...def, number: next++ }, synthesized: 'index-key' });
      }
    } else if (m.name === '_end') {
      name = `${span.name}_end`;
      type = 'end';
    }
    if (m.ref === null) {
      fields.push({ ast: { number: 0, type: 'u64', name: '_ref', arrayLength: null, line: m.line }, synthesized: 'ref' });
      refField = '_ref';
    }
  }
  const rpcId = rpcIdFor(m.declaredId, ranges);
  if (rpcId === undefined) throw new SchemaError(source, m.line, `message ${name}: declared number ${m.declaredId} is outside app ${app}'s namespace ranges`);
  const names = new Set<string>();
  for (const f of fields) {
    if (names.has(f.ast.name)) throw new SchemaError(source, f.ast.line, `message ${name}: field ${f.ast.name} declared twice`);
    names.add(f.ast.name);
  }
  const packed = packMessage(fields);
  // No agent can send a bigger static part: `_len` is a u16 (docs/wire-format.md (a) 8) and records fit a 16 KiB buffer (§2.6).
  if (packed.wireSize > 0xffff) throw new SchemaError(source, m.line, `message ${name}: fixed part of ${packed.wireSize} bytes exceeds 65535`);
  const out: MessageSchema = { name, rpcId, declaredId: m.declaredId, dynamic: packed.dynamic, wireSize: packed.wireSize, fields: packed.fields, span: span.name, type, app };
  if (refField !== undefined) out.refField = refField;
  if (m.pipelineOnly) out.pipelineOnly = true;
  if (m.noAuthorizationNeeded) out.noAuthorizationNeeded = true;
  return out;
}
