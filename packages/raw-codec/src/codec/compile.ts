// Per-message decoders compiled once per schema: each message gets straight-line JavaScript that reads its fields
// at fixed offsets with DataView (little-endian, wire-format.md (a) 13) and builds either the data object or the
// NDJSON line directly, so the hot loop does no per-field dispatch. Names in the generated code come from the
// parsed IDL, whose lexer admits only [A-Za-z0-9_] identifiers, and are emitted through JSON.stringify.
import type { AppSchema, FieldSchema, MessageSchema } from '../schema/types.js';
import * as H from './values.js';

export interface CompiledMessage {
  readonly schema: MessageSchema;
  readonly rpcId: number;
  readonly name: string;
  readonly dynamic: boolean;
  readonly wireSize: number;
  /** u16 length slots of the non-last strings, as offsets in the wire struct. */
  readonly slots: readonly number[];
  /** Fields by name, at record offset `off` (timestamp at off, rpc_id at off + 8), `len` = wire length (`_len` or wireSize). */
  data(dv: DataView, u8: Uint8Array, off: number, len: number): Record<string, unknown>;
  /** The reference field's value (`ref`), or undefined when the message has none. */
  ref(dv: DataView, u8: Uint8Array, off: number, len: number): bigint | undefined;
  /** One NDJSON line (with the trailing newline) in the shape of toJsonLine. */
  line(dv: DataView, u8: Uint8Array, off: number, len: number, segment: number): string;
}

/** Per-app table indexed by rpc id (0..65535) for the splitter's hot loop. */
export interface CompiledApp {
  readonly app: AppSchema;
  readonly byId: (CompiledMessage | undefined)[];
  readonly byName: Map<string, CompiledMessage>;
}

const cache = new WeakMap<AppSchema, CompiledApp>();

export function compileApp(app: AppSchema): CompiledApp {
  let c = cache.get(app);
  if (!c) {
    const byId: (CompiledMessage | undefined)[] = new Array(65536).fill(undefined);
    const byName = new Map<string, CompiledMessage>();
    for (const m of app.messages) {
      const cm = compileMessage(m);
      byId[m.rpcId] = cm;
      byName.set(m.name, cm);
    }
    c = { app, byId, byName };
    cache.set(app, c);
  }
  return c;
}

const intRead: Record<string, [string, number]> = {
  u8: ['getUint8', 1], s8: ['getInt8', 1], u16: ['getUint16', 2], s16: ['getInt16', 2], u32: ['getUint32', 4], s32: ['getInt32', 4],
};

/** JS expression for one element at byte position expression `at`; `json` selects the NDJSON text form. */
function elemExpr(type: string, at: string, json: boolean): string {
  if (type === 'u8') return `u8[${at}]`;
  const ir = intRead[type];
  if (ir) return `dv.${ir[0]}(${at}, true)`;
  if (type === 'u64') return json ? `'"' + H.u64Str(dv, ${at}) + '"'` : `dv.getBigUint64(${at}, true)`;
  if (type === 's64') return json ? `'"' + H.s64Str(dv, ${at}) + '"'` : `dv.getBigInt64(${at}, true)`;
  if (type === 'u128') return json ? `'"' + H.u128(dv, ${at}) + '"'` : `H.u128(dv, ${at})`;
  if (type === 's128') return json ? `'"' + H.s128(dv, ${at}) + '"'` : `H.s128(dv, ${at})`;
  throw new Error(`unreachable: ${type}`);
}

function elemSize(type: string): number {
  const short = /^string<(\d+)>$/.exec(type);
  if (short) return Number(short[1]);
  return { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8, u128: 16, s128: 16 }[type] ?? 2;
}

function fieldExpr(f: FieldSchema, json: boolean): string {
  if (f.type === 'string') {
    const i = f.string!.dataIndex;
    return json ? `H.strJson(u8, a${i}, l${i})` : `H.strValue(u8, a${i}, l${i})`;
  }
  const base = `off + ${8 + f.offset!}`;
  const short = /^string<(\d+)>$/.exec(f.type);
  const one = (at: string): string => (short ? (json ? `H.shortStrJson(u8, ${at}, ${short[1]})` : `H.shortStrValue(u8, ${at}, ${short[1]})`) : elemExpr(f.type, at, json));
  if (f.arrayLength === null) return one(base);
  const es = elemSize(f.type);
  const n = f.arrayLength;
  if (n <= 32) {
    const items = Array.from({ length: n }, (_, k) => one(`${base} + ${k * es}`));
    return json ? `'[' + ${items.join(" + ',' + ")} + ']'` : `[${items.join(', ')}]`;
  }
  return `arr${json ? 'J' : 'V'}_${f.name}(dv, u8, ${base})`;
}

function compileMessage(m: MessageSchema): CompiledMessage {
  const strings = m.fields.filter((f) => f.type === 'string');
  const slots = strings.filter((f) => f.string!.lengthAt !== null).map((f) => f.string!.lengthAt!);
  // String positions: slotted strings first in declaration order, the last string takes the rest of _len.
  let pre = '';
  if (strings.length > 0) {
    pre += `let p = off + ${8 + m.wireSize};\n`;
    for (const f of strings) {
      const i = f.string!.dataIndex;
      if (f.string!.lengthAt !== null) pre += `const a${i} = p, l${i} = dv.getUint16(off + ${8 + f.string!.lengthAt}, true); p += l${i};\n`;
      else pre += `const a${i} = p, l${i} = off + 8 + len - p;\n`;
    }
  }
  // Long arrays: one small loop function per field.
  let helpers = '';
  for (const f of m.fields) {
    if (f.arrayLength === null || f.arrayLength <= 32) continue;
    const es = elemSize(f.type);
    const single = { ...f, arrayLength: null, offset: -8 } as FieldSchema; // element at off + 8 - 8 = `off`
    helpers += `function arrV_${f.name}(dv, u8, b) { const r = new Array(${f.arrayLength}); for (let k = 0; k < ${f.arrayLength}; k++) { const off = b + k * ${es}; r[k] = ${fieldExpr(single, false)}; } return r; }\n`;
    helpers += `function arrJ_${f.name}(dv, u8, b) { let s = '['; for (let k = 0; k < ${f.arrayLength}; k++) { const off = b + k * ${es}; if (k) s += ','; s += ${fieldExpr(single, true)}; } return s + ']'; }\n`;
  }
  const obj = `{ ${m.fields.map((f) => `${JSON.stringify(f.name)}: ${fieldExpr(f, false)}`).join(', ')} }`;
  const dataJson = m.fields.length === 0 ? `'{}'` : m.fields.map((f, i) => `${JSON.stringify(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`)} + ${fieldExpr(f, true)}`).join(' + ') + ` + '}'`;
  const refF = m.refField !== undefined ? m.fields.find((f) => f.name === m.refField && f.type !== 'string' && f.arrayLength === null && !f.type.startsWith('string<')) : undefined;
  const refExpr = refF ? (refF.type.endsWith('64') || refF.type.endsWith('128') ? fieldExpr(refF, false) : `BigInt(${fieldExpr(refF, false)})`) : 'undefined';
  const refJson = refF ? (refF.type.endsWith('64') || refF.type.endsWith('128') ? `',"ref":' + ${fieldExpr(refF, true)}` : `',"ref":"' + ${fieldExpr(refF, true)} + '"'`) : `''`;
  const head = JSON.stringify(`{"name":${JSON.stringify(m.name)},"rpc_id":${m.rpcId},"timestamp":"`);
  const src = `${helpers}
return {
  data(dv, u8, off, len) { ${pre} return ${obj}; },
  ref(dv, u8, off, len) { return ${refExpr}; },
  line(dv, u8, off, len, segment) { ${pre} return ${head} + H.u64Str(dv, off) + '"' + ${refJson} + ',"data":' + ${dataJson} + ',"segment":' + segment + '}\\n'; },
};`;
  const fns = new Function('H', src)(H) as Pick<CompiledMessage, 'data' | 'ref' | 'line'>;
  return { schema: m, rpcId: m.rpcId, name: m.name, dynamic: m.dynamic, wireSize: m.wireSize, slots, data: fns.data, ref: fns.ref, line: fns.line };
}
