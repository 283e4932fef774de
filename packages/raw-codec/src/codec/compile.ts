// Per-message decoders compiled once per schema: each message gets straight-line JavaScript that reads its fields
// at fixed offsets with DataView (little-endian, docs/wire-format.md (a) 13) and builds either the data object or the
// NDJSON line directly, so the hot loop does no per-field dispatch. Names in the generated code come from the
// parsed IDL, whose lexer admits only [A-Za-z0-9_] identifiers, and are emitted through JSON.stringify.
import type { AppSchema, FieldSchema, MessageSchema } from '../schema/types.js';
import * as J from './json-bytes.js';
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
  /** The same line as UTF-8 written into `b` at `p`; returns the end. Needs `maxLine(len)` bytes of room. */
  lineBytes(dv: DataView, u8: Uint8Array, off: number, len: number, segment: number, b: Uint8Array, p: number): number;
  /** Upper bound of lineBytes' output for a record of wire length `len`. */
  maxLine(len: number): number;
}

/** Per-app table indexed by rpc id (0..65535) for the splitter's hot loop. */
export interface CompiledApp {
  readonly app: AppSchema;
  readonly byId: (CompiledMessage | undefined)[];
  readonly byName: Map<string, CompiledMessage>;
  /** Record size by rpc id for the counting walk: 8 + wireSize when fixed, −1 − wireSize when dynamic, 0 unknown. */
  readonly sizes: Int32Array;
}

const cache = new WeakMap<AppSchema, CompiledApp>();

export function compileApp(app: AppSchema): CompiledApp {
  let c = cache.get(app);
  if (!c) {
    const byId: (CompiledMessage | undefined)[] = new Array(65536).fill(undefined);
    const byName = new Map<string, CompiledMessage>();
    const sizes = new Int32Array(65536);
    for (const m of app.messages) {
      const cm = compileMessage(m);
      byId[m.rpcId] = cm;
      byName.set(m.name, cm);
      sizes[m.rpcId] = m.dynamic ? -1 - m.wireSize : 8 + m.wireSize;
    }
    c = { app, byId, byName, sizes };
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

const te = new TextEncoder();

/** Statement(s) writing one element (at byte position expression `at`) into b at p. */
function elemStmt(type: string, at: string, quoteSmall = false): string {
  const q = (x: string): string => (quoteSmall ? `b[p++] = 34; ${x} b[p++] = 34;` : x);
  if (type === 'u8') return q(`p = J.u32(b, p, u8[${at}]);`);
  if (type === 's8') return q(`p = J.int(b, p, dv.getInt8(${at}));`);
  const ir = intRead[type];
  if (ir) return q(`p = J.${type[0] === 's' ? 'int' : 'u32'}(b, p, dv.${ir[0]}(${at}, true));`);
  if (type === 'u64') return `p = J.u64q(b, p, dv, ${at});`;
  if (type === 's64') return `p = J.s64q(b, p, dv, ${at});`;
  if (type === 'u128') return `p = J.asciiq(b, p, String(H.u128(dv, ${at})));`;
  if (type === 's128') return `p = J.asciiq(b, p, String(H.s128(dv, ${at})));`;
  throw new Error(`unreachable: ${type}`);
}

/** Most bytes one element can take in NDJSON. */
function elemMax(type: string): number {
  const short = /^string<(\d+)>$/.exec(type);
  if (short) return 6 * Number(short[1]) + 12;
  return { u8: 3, s8: 4, u16: 5, s16: 6, u32: 10, s32: 11, u64: 22, s64: 22, u128: 42, s128: 43 }[type] ?? 0;
}

function fieldStmt(f: FieldSchema): string {
  if (f.type === 'string') { const i = f.string!.dataIndex; return `p = J.str(b, p, u8, a${i}, l${i});`; }
  const short = /^string<(\d+)>$/.exec(f.type);
  const one = (at: string): string => (short ? `p = J.shortStr(b, p, u8, ${at}, ${short[1]});` : elemStmt(f.type, at));
  const base = `off + ${8 + f.offset!}`;
  if (f.arrayLength === null) return one(base);
  return `b[p++] = 91; for (let k = 0; k < ${f.arrayLength}; k++) { if (k !== 0) b[p++] = 44; ${one(`${base} + k * ${elemSize(f.type)}`)} } b[p++] = 93;`;
}

type MessageCode = Pick<CompiledMessage, 'data' | 'ref' | 'line' | 'lineBytes' | 'maxLine'>;

/**
 * A message's layout at once, its code on first use: a schema has ~300 messages, a capture uses a few dozen, and
 * `stats` none (compiling them all cost ~90 ms of a 100 MB `stats` run, more than a third of its start-up).
 */
function compileMessage(m: MessageSchema): CompiledMessage {
  const slots = m.fields.filter((f) => f.type === 'string' && f.string!.lengthAt !== null).map((f) => f.string!.lengthAt!);
  const cm = {
    schema: m, rpcId: m.rpcId, name: m.name, dynamic: m.dynamic, wireSize: m.wireSize, slots,
    data: (dv, u8, off, len) => code().data(dv, u8, off, len),
    ref: (dv, u8, off, len) => code().ref(dv, u8, off, len),
    line: (dv, u8, off, len, segment) => code().line(dv, u8, off, len, segment),
    lineBytes: (dv, u8, off, len, segment, b, p) => code().lineBytes(dv, u8, off, len, segment, b, p),
    maxLine: (len) => code().maxLine(len),
  } as CompiledMessage & MessageCode;
  const code = (): MessageCode => {
    const c = compileCode(m);
    Object.assign(cm, { data: c.data, ref: c.ref, line: c.line, lineBytes: c.lineBytes, maxLine: c.maxLine });
    return c;
  };
  return cm;
}

function compileCode(m: MessageSchema): MessageCode {
  const strings = m.fields.filter((f) => f.type === 'string');
  // String positions: slotted strings first in declaration order, the last string takes the rest of _len.
  let pre = '';
  if (strings.length > 0) {
    pre += `let sp = off + ${8 + m.wireSize};\n`;
    for (const f of strings) {
      const i = f.string!.dataIndex;
      if (f.string!.lengthAt !== null) pre += `const a${i} = sp, l${i} = dv.getUint16(off + ${8 + f.string!.lengthAt}, true); sp += l${i};\n`;
      else pre += `const a${i} = sp, l${i} = off + 8 + len - sp;\n`;
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
  // `__proto__: x` in a literal would set the prototype, so that one name becomes a computed (own) key.
  const obj = `{ ${m.fields.map((f) => `${f.name === '__proto__' ? '["__proto__"]' : JSON.stringify(f.name)}: ${fieldExpr(f, false)}`).join(', ')} }`;
  const dataJson = m.fields.length === 0 ? `'{}'` : m.fields.map((f, i) => `${JSON.stringify(`${i ? ',' : '{'}${JSON.stringify(f.name)}:`)} + ${fieldExpr(f, true)}`).join(' + ') + ` + '}'`;
  const refF = m.refField !== undefined ? m.fields.find((f) => f.name === m.refField && f.type !== 'string' && f.arrayLength === null && !f.type.startsWith('string<')) : undefined;
  const refExpr = refF ? (refF.type.endsWith('64') || refF.type.endsWith('128') ? fieldExpr(refF, false) : `BigInt(${fieldExpr(refF, false)})`) : 'undefined';
  const refJson = refF ? (refF.type.endsWith('64') || refF.type.endsWith('128') ? `',"ref":' + ${fieldExpr(refF, true)}` : `',"ref":"' + ${fieldExpr(refF, true)} + '"'`) : `''`;
  const head = JSON.stringify(`{"name":${JSON.stringify(m.name)},"rpc_id":${m.rpcId},"timestamp":"`);
  // Byte mode: constant pieces as Uint8Arrays K[i], fields written in place.
  const K: Uint8Array[] = [];
  // Constant text as unrolled byte stores (V8 compiles these to plain moves; faster than a copy loop or set()).
  const k = (text: string): string => {
    const bytes = te.encode(text);
    if (bytes.length > 96) { K.push(bytes); return `p = J.copy(b, p, K[${K.length - 1}]);`; }
    // Four bytes per store through the output's DataView `w`: a quarter of the stores, and a smaller function
    // body, which leaves V8 room to inline the number writers.
    let out = '';
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) out += `w.setUint32(p + ${i}, ${(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0}, true); `;
    if (i + 2 <= bytes.length) { out += `w.setUint16(p + ${i}, ${bytes[i] | (bytes[i + 1] << 8)}, true); `; i += 2; }
    if (i < bytes.length) out += `b[p + ${i}] = ${bytes[i]}; `;
    return `${out}p += ${bytes.length};`;
  };
  let bytesSrc = k(`{"name":${JSON.stringify(m.name)},"rpc_id":${m.rpcId},"timestamp":`) + ' p = J.tsq(b, p, dv, off);';
  let maxStatic = 64 + m.name.length + 22 + 16;
  // A 64/128-bit ref is written exactly as its field in data will be (a socket's `sk`, most records): that field
  // copies the ref's digits, 4 bytes at a time, instead of converting the number again. The copy may store up to 3
  // bytes past the field's end, inside the room maxLine reserves (its fixed slack), and they are overwritten next.
  const refCopied = refF !== undefined && (refF.type.endsWith('64') || refF.type.endsWith('128'));
  if (refF) {
    bytesSrc += k(',"ref":') + (refCopied ? `const r0 = p; ${elemStmt(refF.type, `off + ${8 + refF.offset!}`)} const r1 = p;` : elemStmt(refF.type, `off + ${8 + refF.offset!}`, true));
    maxStatic += 8 + 44;
  }
  m.fields.forEach((f, i) => {
    const copyRef = refCopied && f === refF;
    bytesSrc += k(`${i ? ',' : ',"data":{'}${JSON.stringify(f.name)}:`) + (copyRef ? 'for (let i = r0; i < r1; i += 4) w.setUint32(p + i - r0, w.getUint32(i, true), true); p += r1 - r0;' : fieldStmt(f));
    maxStatic += 12 + f.name.length + (f.type === 'string' ? 12 : (f.arrayLength ?? 1) * (elemMax(f.type) + 1) + 2);
  });
  bytesSrc += k(m.fields.length ? '},"segment":' : ',"data":{},"segment":') + ' p = J.uint(b, p, segment); b[p] = 125; b[p + 1] = 10; return p + 2;';
  const src = `${helpers}
return {
  data(dv, u8, off, len) { ${pre} return ${obj}; },
  ref(dv, u8, off, len) { return ${refExpr}; },
  line(dv, u8, off, len, segment) { ${pre} return ${head} + H.u64Str(dv, off) + '"' + ${refJson} + ',"data":' + ${dataJson} + ',"segment":' + segment + '}\\n'; },
  lineBytes(dv, u8, off, len, segment, b, p) { const w = J.outView(b); ${pre} ${bytesSrc} },
};`;
  const fns = new Function('H', 'J', 'K', src)(H, J, K) as Pick<CompiledMessage, 'data' | 'ref' | 'line' | 'lineBytes'>;
  // Strings: at most 6 bytes per input byte (\u00XX), or 2 per byte as hex.
  const maxLine = m.dynamic ? (len: number) => maxStatic + 6 * len : () => maxStatic;
  return { data: fns.data, ref: fns.ref, line: fns.line, lineBytes: fns.lineBytes, maxLine };
}
