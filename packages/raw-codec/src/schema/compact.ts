import { makeApp, type FieldSchema, type MessageSchema, type MessageType, type Schema } from './types.js';

/**
 * The compact table form of a resolved schema, used by the generated modules in src/gen/ (one line per message):
 * `[rpcId, declaredId, name, span, type, wireSize, flags, refField, fields]`, flags bit 0 = pipeline_only,
 * bit 1 = no_authorization_needed; a field is `name#number:type[len]@offset` plus `+k` (copied index key) or
 * `+r` (synthesized `_ref`); a variable string's `@offset` is its u16 slot, the last string has none.
 */
export type CompactMessage = [number, number, string, string, string, number, number, string, string[]];
export interface CompactSchema { name: string; lineage: 'flowmill' | 'otel'; apps: [string, [number, number][], CompactMessage[]][] }

function fieldText(f: FieldSchema): string {
  return `${f.name}#${f.number}:${f.type}${f.arrayLength !== null ? `[${f.arrayLength}]` : ''}${f.offset !== null ? `@${f.offset}` : ''}${f.synthesized === 'index-key' ? '+k' : f.synthesized === 'ref' ? '+r' : ''}`;
}

export function toCompact(s: Schema): CompactSchema {
  return {
    name: s.name,
    lineage: s.lineage,
    apps: Object.values(s.apps).map((a) => [a.name, a.ranges, a.messages.map((m): CompactMessage => [
      m.rpcId, m.declaredId, m.name, m.span ?? '', m.type, m.wireSize, (m.pipelineOnly ? 1 : 0) | (m.noAuthorizationNeeded ? 2 : 0), m.refField ?? '', m.fields.map(fieldText),
    ])]),
  };
}

const fieldRe = /^(\w+)#(\d+):([a-z0-9]+(?:<\d+>)?)(?:\[(\d+)\])?(?:@(\d+))?(\+[kr])?$/;
const intSizes: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8, u128: 16, s128: 16 };

export function fromCompact(c: CompactSchema, source: string): Schema {
  const apps: Schema['apps'] = {};
  for (const [appName, ranges, msgs] of c.apps) {
    const messages = msgs.map(([rpcId, declaredId, name, span, type, wireSize, flags, refField, fieldTexts]): MessageSchema => {
      let dataIndex = 0;
      const fields = fieldTexts.map((t): FieldSchema => {
        const m = fieldRe.exec(t);
        if (!m) throw new Error(`bad compact field ${t}`);
        const [, fname, num, type, arr, off, syn] = m;
        const arrayLength = arr !== undefined ? Number(arr) : null;
        const offset = off !== undefined ? Number(off) : null;
        const short = /^string<(\d+)>$/.exec(type);
        const elem = type === 'string' ? 2 : short ? Number(short[1]) : intSizes[type];
        const f: FieldSchema = { name: fname, number: Number(num), type: type as FieldSchema['type'], arrayLength, offset, size: offset === null ? 0 : elem * (arrayLength ?? 1) };
        if (type === 'string') f.string = { lengthAt: offset, dataIndex: dataIndex++ };
        if (syn) f.synthesized = syn === '+k' ? 'index-key' : 'ref';
        return f;
      });
      const m: MessageSchema = { name, rpcId, declaredId, dynamic: fields.some((f) => f.type === 'string'), wireSize, fields, type: type as MessageType, app: appName };
      if (span) m.span = span;
      if (refField) m.refField = refField;
      if (flags & 1) m.pipelineOnly = true;
      if (flags & 2) m.noAuthorizationNeeded = true;
      return m;
    });
    apps[appName] = makeApp(appName, ranges, messages);
  }
  return { name: c.name, source, lineage: c.lineage, apps };
}
