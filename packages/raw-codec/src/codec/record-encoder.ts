import { EncodeError } from '../errors.js';
import type { AppSchema, FieldSchema, MessageSchema } from '../schema/types.js';

const enc = new TextEncoder();
/** The userspace encoder refuses `_len > 0xffff` (docs/wire-format.md (a) 8: u16 `_len`). */
const MAX_LEN = 0xffff;

const ranges: Record<string, [bigint, bigint]> = {
  u8: [0n, 0xffn], s8: [-0x80n, 0x7fn], u16: [0n, 0xffffn], s16: [-0x8000n, 0x7fffn], u32: [0n, 0xffffffffn], s32: [-0x80000000n, 0x7fffffffn],
  u64: [0n, (1n << 64n) - 1n], s64: [-(1n << 63n), (1n << 63n) - 1n], u128: [0n, (1n << 128n) - 1n], s128: [-(1n << 127n), (1n << 127n) - 1n],
};
const sizes: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8, u128: 16, s128: 16 };

function toBig(v: unknown, f: FieldSchema, m: MessageSchema): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) b = BigInt(v.trim());
  else throw new EncodeError(`expected an integer (number, bigint or decimal string), got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v) ?? typeof v}`, { message: m.name, field: f.name });
  const [lo, hi] = ranges[f.type.startsWith('string<') ? 'u8' : f.type];
  if (b < lo || b > hi) throw new EncodeError(`${b} is out of range for ${f.type} (${lo}..${hi})`, { message: m.name, field: f.name });
  return b;
}

function bytesOf(v: unknown, f: FieldSchema, m: MessageSchema): Uint8Array {
  if (typeof v === 'string') return enc.encode(v);
  if (v instanceof Uint8Array) return v;
  if (v && typeof v === 'object' && typeof (v as { hex?: unknown }).hex === 'string') {
    const h = (v as { hex: string }).hex;
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw new EncodeError(`{"hex"} value is not an even-length hex string`, { message: m.name, field: f.name });
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  throw new EncodeError(`expected a string or {"hex":"…"}`, { message: m.name, field: f.name });
}

function writeInt(dv: DataView, at: number, type: string, b: bigint): void {
  switch (sizes[type]) {
    case 1: dv.setUint8(at, Number(BigInt.asUintN(8, b))); break;
    case 2: dv.setUint16(at, Number(BigInt.asUintN(16, b)), true); break;
    case 4: dv.setUint32(at, Number(BigInt.asUintN(32, b)), true); break;
    case 8: dv.setBigUint64(at, BigInt.asUintN(64, b), true); break;
    case 16: dv.setBigUint64(at, BigInt.asUintN(64, b), true); dv.setBigUint64(at + 8, BigInt.asUintN(64, b >> 64n), true); break;
  }
}

/**
 * Encodes records of one app: `u64 timestamp | wire struct | string bytes` (docs/wire-format.md (a) 8), padding zero.
 * Values take the decoder's forms (numbers, bigints or decimal strings for integers; strings or `{hex}` for strings).
 */
export class RecordEncoder {
  readonly app: AppSchema;
  constructor(app: AppSchema) { this.app = app; }

  message(name: string): MessageSchema {
    const m = this.app.byName.get(name);
    if (!m) throw new EncodeError(`app ${this.app.name} has no message ${JSON.stringify(name)}`, { message: name });
    return m;
  }

  /** One record: u64 timestamp + message. */
  encode(name: string, timestamp: bigint, data: Record<string, unknown>): Uint8Array {
    const m = this.message(name);
    const strs = this.strings(m, data);
    const out = new Uint8Array(8 + m.wireSize + strs.reduce((a, s) => a + s.length, 0));
    this.write(m, timestamp, data, strs, out, 0);
    return out;
  }

  /** Writes one record at `pos` of `buf`; returns the end position, or -1 (nothing written) when it does not fit. */
  encodeInto(buf: Uint8Array, pos: number, name: string, timestamp: bigint, data: Record<string, unknown>): number {
    const m = this.message(name);
    const strs = this.strings(m, data);
    const size = 8 + m.wireSize + strs.reduce((a, s) => a + s.length, 0);
    if (pos + size > buf.length) return -1;
    this.write(m, timestamp, data, strs, buf, pos);
    return pos + size;
  }

  private strings(m: MessageSchema, data: Record<string, unknown>): Uint8Array[] {
    for (const k of Object.keys(data)) if (!m.fields.some((f) => f.name === k)) throw new EncodeError(`unknown field ${JSON.stringify(k)}`, { message: m.name });
    const out: Uint8Array[] = [];
    for (const f of m.fields) if (f.type === 'string') out.push(bytesOf(this.value(m, f, data), f, m));
    return out;
  }

  private value(m: MessageSchema, f: FieldSchema, data: Record<string, unknown>): unknown {
    const v = data[f.name];
    if (v === undefined) throw new EncodeError('missing field', { message: m.name, field: f.name });
    return v;
  }

  private write(m: MessageSchema, ts: bigint, data: Record<string, unknown>, strs: Uint8Array[], buf: Uint8Array, pos: number): void {
    const dv = new DataView(buf.buffer, buf.byteOffset + pos, buf.length - pos);
    if (typeof ts !== 'bigint' || ts < 0n || ts >= 1n << 64n) throw new EncodeError(`timestamp must be a u64 bigint`, { message: m.name });
    buf.fill(0, pos, pos + 8 + m.wireSize); // padding is zero, like the Flowmill C++ encoder (docs/wire-format.md (a) 6)
    dv.setBigUint64(0, ts, true);
    dv.setUint16(8, m.rpcId, true);
    const total = m.wireSize + strs.reduce((a, s) => a + s.length, 0);
    if (m.dynamic) {
      if (total > MAX_LEN) throw new EncodeError(`_len ${total} exceeds ${MAX_LEN}`, { message: m.name });
      dv.setUint16(10, total, true);
    }
    let sp = 8 + m.wireSize;
    for (const f of m.fields) {
      const v = this.value(m, f, data);
      if (f.type === 'string') {
        const s = strs[f.string!.dataIndex];
        if (f.string!.lengthAt !== null) dv.setUint16(8 + f.string!.lengthAt, s.length, true);
        buf.set(s, pos + sp);
        sp += s.length;
        continue;
      }
      const at = 8 + f.offset!;
      const short = /^string<(\d+)>$/.exec(f.type);
      const n = f.arrayLength ?? 1;
      const items = f.arrayLength === null ? [v] : v;
      if (!Array.isArray(items) || items.length !== n) throw new EncodeError(`expected an array of ${n}`, { message: m.name, field: f.name });
      const es = short ? Number(short[1]) : sizes[f.type];
      items.forEach((x, k) => {
        if (short) {
          const b = bytesOf(x, f, m);
          if (b.length > es) throw new EncodeError(`${b.length} bytes do not fit ${f.type}`, { message: m.name, field: f.name });
          buf.set(b, pos + at + k * es);
        } else writeInt(dv, at + k * es, f.type, toBig(x, f, m));
      });
    }
  }
}
