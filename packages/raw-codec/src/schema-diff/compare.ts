import type { AppSchema, FieldSchema, MessageSchema, Schema } from '../schema/types.js';
import { KIND_BREAKS, type Breaks, type ChangeKind, type SchemaChange, type SchemaDiff } from './types.js';

/** How a field's value looks in decoded JSON (README "Values in JSON"): what a JSON consumer depends on. */
export function jsonShape(f: Pick<FieldSchema, 'type' | 'arrayLength' | 'size'>): 'array' | 'string' | 'number' | 'decimal string' {
  if (f.arrayLength !== null) return 'array';
  if (f.type.startsWith('string')) return 'string';
  return f.size <= 4 ? 'number' : 'decimal string';
}

const typeText = (f: FieldSchema): string => `${f.type}${f.arrayLength !== null ? `[${f.arrayLength}]` : ''}`;
const at = (f: FieldSchema): string => (f.offset === null ? 'tail' : `@${f.offset}`);
/** A field's place and shape without its name: two fields with equal keys read the same bytes the same way. */
const fieldKey = (f: FieldSchema): string => `${typeText(f)}${at(f)}:${f.size}`;
/** A message's wire layout without names: equal layouts decode the same bytes into the same values. */
export const layoutKey = (m: MessageSchema): string => `${m.dynamic ? 'dyn' : 'fixed'}/${m.wireSize}/${m.fields.map(fieldKey).join(',')}`;

class Changes {
  readonly list: SchemaChange[] = [];
  add(app: string, kind: ChangeKind, detail: string, more: Partial<SchemaChange> = {}, breaks: Partial<Breaks> = {}): void {
    const b = { ...KIND_BREAKS[kind], ...breaks };
    this.list.push({ app, kind, ...more, breaks: b, breaking: b.recording || b.reducer || b.json, detail });
  }
}

/**
 * Every difference between two schemas that matters on the wire or in decoded JSON, per app: messages matched by
 * name, then unmatched pairs with the same rpc id and layout taken as renames; fields matched by name, then
 * unmatched pairs at the same place with the same type taken as renames. Each change carries what it breaks.
 */
export function diffSchemas(oldS: Schema, newS: Schema, opts: { app?: string } = {}): SchemaDiff {
  const ch = new Changes();
  const apps = [...new Set([...Object.keys(oldS.apps), ...Object.keys(newS.apps)])].filter((n) => !opts.app || n === opts.app);
  for (const name of apps) {
    const a = oldS.apps[name], b = newS.apps[name];
    if (!a) ch.add(name, 'app-added', `app ${name} added (${b!.messages.length} messages)`);
    else if (!b) ch.add(name, 'app-removed', `app ${name} removed (${a.messages.length} messages)`);
    else diffApp(ch, a, b);
  }
  const byKind: SchemaDiff['summary']['byKind'] = {};
  for (const c of ch.list) byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
  const count = (k: keyof Breaks) => ch.list.filter((c) => c.breaks[k]).length;
  const side = (s: Schema) => ({ name: s.name, source: s.source, lineage: s.lineage });
  return {
    old: side(oldS), new: side(newS), changes: ch.list,
    summary: { changes: ch.list.length, breaking: ch.list.filter((c) => c.breaking).length, byKind, breaks: { recording: count('recording'), reducer: count('reducer'), json: count('json') } },
  };
}

function diffApp(ch: Changes, a: AppSchema, b: AppSchema): void {
  const app = a.name;
  const removed = a.messages.filter((m) => !b.byName.has(m.name));
  const added = b.messages.filter((m) => !a.byName.has(m.name));
  const renamedTo = new Map<MessageSchema, MessageSchema>(); // new → old
  for (const n of added) {
    const o = removed.find((m) => m.rpcId === n.rpcId && layoutKey(m) === layoutKey(n) && ![...renamedTo.values()].includes(m));
    if (o) renamedTo.set(n, o);
  }
  // A message renamed (`x` → `x_deprecated`, same rpc id and layout) while a new `x` takes another id: a rename plus
  // an addition that reuses the name, not an id change (opentelemetry-network 9dbe29f9 did this to cgroup_create).
  const reborn = new Set<MessageSchema>();
  for (const o of a.messages) {
    const same = b.byName.get(o.name);
    if (!same || same.rpcId === o.rpcId) continue;
    const n = added.find((m) => m.rpcId === o.rpcId && layoutKey(m) === layoutKey(o) && !renamedTo.has(m));
    if (n) { renamedTo.set(n, o); reborn.add(same); }
  }
  const renamedFrom = new Set(renamedTo.values());
  for (const m of removed) if (!renamedFrom.has(m)) ch.add(app, 'message-removed', `${m.name} (rpc ${m.rpcId}) removed`, { message: m.name, from: m.rpcId });
  for (const n of b.messages) {
    const o = reborn.has(n) ? undefined : a.byName.get(n.name) ?? renamedTo.get(n);
    if (!o) {
      const was = reborn.has(n) ? ` (the name was rpc ${a.byName.get(n.name)!.rpcId}'s, now renamed)` : '';
      ch.add(app, 'message-added', `${n.name} added as rpc ${n.rpcId}${was}`, { message: n.name, to: n.rpcId });
      continue;
    }
    if (o.name !== n.name) ch.add(app, 'message-renamed', `rpc ${n.rpcId} renamed ${o.name} → ${n.name}, same layout`, { message: n.name, from: o.name, to: n.name });
    diffMessage(ch, app, o, n);
  }
  // An rpc id that names one message in the old schema and another in the new: old records decode as the wrong message.
  for (const n of b.messages) {
    const o = a.byId.get(n.rpcId);
    if (!o || o.name === n.name || renamedTo.get(n) === o) continue;
    ch.add(app, 'rpc-id-reused', `rpc ${n.rpcId} was ${o.name}, is ${n.name}`, { message: n.name, from: o.name, to: n.name });
  }
}

function diffMessage(ch: Changes, app: string, o: MessageSchema, n: MessageSchema): void {
  const message = n.name;
  if (o.rpcId !== n.rpcId) ch.add(app, 'rpc-id-changed', `${message}: rpc ${o.rpcId} → ${n.rpcId}`, { message, from: o.rpcId, to: n.rpcId });
  if (o.declaredId !== n.declaredId) ch.add(app, 'declared-id-changed', `${message}: declared ${o.declaredId} → ${n.declaredId}`, { message, from: o.declaredId, to: n.declaredId });
  if (o.dynamic !== n.dynamic) ch.add(app, o.dynamic ? 'dynamic-to-fixed' : 'fixed-to-dynamic', `${message}: ${o.dynamic ? 'dynamic → fixed' : 'fixed → dynamic'} (${o.dynamic ? 'no' : 'a'} u16 _len at offset 2)`, { message });
  if (o.wireSize !== n.wireSize) ch.add(app, 'size-changed', `${message}: ${o.wireSize} → ${n.wireSize} bytes`, { message, from: o.wireSize, to: n.wireSize });
  diffFields(ch, app, message, o.fields, n.fields);
}

function diffFields(ch: Changes, app: string, message: string, of: FieldSchema[], nf: FieldSchema[]): void {
  const oldBy = new Map(of.map((f) => [f.name, f])), newBy = new Map(nf.map((f) => [f.name, f]));
  const gone = of.filter((f) => !newBy.has(f.name));
  const fresh = nf.filter((f) => !oldBy.has(f.name));
  const renamed = new Map<FieldSchema, FieldSchema>();
  for (const n of fresh) {
    const o = gone.find((f) => fieldKey(f) === fieldKey(n) && ![...renamed.values()].includes(f));
    if (o) renamed.set(n, o);
  }
  const renamedFrom = new Set(renamed.values());
  for (const f of gone) {
    if (!renamedFrom.has(f)) ch.add(app, 'field-removed', `${message}.${f.name} (${typeText(f)} ${at(f)}) removed`, { message, field: f.name, from: typeText(f) });
  }
  for (const n of nf) {
    const r = renamed.get(n);
    if (r) { ch.add(app, 'field-renamed', `${message}.${r.name} → ${n.name} (${typeText(n)} ${at(n)})`, { message, field: n.name, from: r.name, to: n.name }); continue; }
    const o = oldBy.get(n.name);
    if (!o) { ch.add(app, 'field-added', `${message}.${n.name} (${typeText(n)} ${at(n)}) added`, { message, field: n.name, to: typeText(n) }); continue; }
    const field = n.name, shape = { json: jsonShape(o) !== jsonShape(n) };
    const shapeNote = shape.json ? `; JSON ${jsonShape(o)} → ${jsonShape(n)}` : '';
    if (o.size !== n.size || o.arrayLength !== n.arrayLength) {
      ch.add(app, 'field-resized', `${message}.${field}: ${typeText(o)} (${o.size} B) → ${typeText(n)} (${n.size} B)${shapeNote}`, { message, field, from: typeText(o), to: typeText(n) }, shape);
    } else if (o.type !== n.type) {
      ch.add(app, 'field-retyped', `${message}.${field}: ${typeText(o)} → ${typeText(n)}${shapeNote}`, { message, field, from: typeText(o), to: typeText(n) }, shape);
    }
    if (o.offset !== n.offset) ch.add(app, 'field-moved', `${message}.${field}: offset ${o.offset ?? 'tail'} → ${n.offset ?? 'tail'}`, { message, field, from: o.offset ?? 'tail', to: n.offset ?? 'tail' });
    if (o.number !== n.number) ch.add(app, 'field-number-changed', `${message}.${field}: number ${o.number} → ${n.number}`, { message, field, from: o.number, to: n.number });
  }
}
