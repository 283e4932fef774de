// C spellings of render IDL types, as renderc writes them in the generated C headers
// (renderc/.../extensions/FieldTypeExtensions.xtend@68f0c23f:11-53, MessageExtensions.xtend@68f0c23f:22-40).
import type { FieldSchema, IntType, MessageSchema } from '../schema/types.js';

const intCType: Record<IntType, string> = {
  u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', u64: 'uint64_t', u128: 'unsigned __int128',
  s8: 'int8_t', s16: 'int16_t', s32: 'int32_t', s64: 'int64_t', s128: '__int128',
};

/** `string<N>` → N, else null. */
export function shortStringSize(f: FieldSchema): number | null {
  const m = /^string<(\d+)>$/.exec(f.type);
  return m ? Number(m[1]) : null;
}

export const arraySuffix = (f: FieldSchema): string => (f.arrayLength === null ? '' : `[${f.arrayLength}]`);

/** A member of the wire struct: a `string` is its u16 length slot (packed strings). */
export function wireMember(f: FieldSchema): string {
  const n = shortStringSize(f);
  if (n !== null) return `char ${f.name}[${n}]${arraySuffix(f)};`;
  const t = f.type === 'string' ? 'uint16_t' : intCType[f.type as IntType];
  return `${t} ${f.name}${arraySuffix(f)};`;
}

/** The fields in prototype order: by declared number (MessageExtensions.prototype sorts by id). */
export function prototypeFields(m: MessageSchema): FieldSchema[] {
  return m.fields.map((f, i) => ({ f, i })).sort((a, b) => a.f.number - b.f.number || a.i - b.i).map((x) => x.f);
}

/** `, const uint64_t sk, const struct jb_blob pkt` (renderc's commaPrototype; strings are passed as jb_blob). */
export function commaPrototype(m: MessageSchema): string {
  return prototypeFields(m).map((f) => {
    const n = shortStringSize(f);
    if (n !== null) return `, const char ${f.name}[${n}]${arraySuffix(f)}`;
    const t = f.type === 'string' ? 'struct jb_blob' : intCType[f.type as IntType];
    return `, const ${t} ${f.name}${arraySuffix(f)}`;
  }).join('');
}

/** `, sk, pkt` (renderc's commaCallPrototype). */
export function commaCall(m: MessageSchema): string {
  return prototypeFields(m).map((f) => `, ${f.name}`).join('');
}

/** Fields of the wire struct in byte order (the last `string` has no slot and is left out). */
export function wireFields(m: MessageSchema): FieldSchema[] {
  return m.fields.filter((f) => f.offset !== null).sort((a, b) => a.offset! - b.offset!);
}
