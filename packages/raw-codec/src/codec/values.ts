// Value conversions shared by the compiled readers (hot paths: no allocation beyond the result string).

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(u8: Uint8Array, a: number, n: number): string {
  let s = '';
  for (let i = a, e = a + n; i < e; i++) s += HEX[u8[i]];
  return s;
}

/** The bytes as a JS string when they are valid UTF-8, else null. Lossless: encoding the string gives the bytes back. */
export function utf8Text(u8: Uint8Array, a: number, n: number): string | null {
  if (n === 0) return '';
  if (n <= 32) {
    let s = '';
    for (let i = a, e = a + n; i < e; i++) {
      const c = u8[i];
      if (c >= 0x80) return decodeSlow(u8, a, n);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeSlow(u8, a, n);
}

function decodeSlow(u8: Uint8Array, a: number, n: number): string | null {
  try { return utf8.decode(u8.subarray(a, a + n)); } catch { return null; }
}

/** A variable string's value: the text when valid UTF-8, else `{ hex }` (the documented lossless form). */
export function strValue(u8: Uint8Array, a: number, n: number): string | { hex: string } {
  const s = utf8Text(u8, a, n);
  return s === null ? { hex: hex(u8, a, n) } : s;
}

export function strJson(u8: Uint8Array, a: number, n: number): string {
  const s = utf8Text(u8, a, n);
  return s === null ? `{"hex":"${hex(u8, a, n)}"}` : JSON.stringify(s);
}

/** `string<N>`: text up to the first NUL when the rest is all NUL and the text is UTF-8, else `{ hex }` of all N bytes. */
export function shortStrValue(u8: Uint8Array, a: number, n: number): string | { hex: string } {
  let end = a;
  const e = a + n;
  while (end < e && u8[end] !== 0) end++;
  for (let i = end; i < e; i++) if (u8[i] !== 0) return { hex: hex(u8, a, n) };
  const s = utf8Text(u8, a, end - a);
  return s === null ? { hex: hex(u8, a, n) } : s;
}

export function shortStrJson(u8: Uint8Array, a: number, n: number): string {
  const v = shortStrValue(u8, a, n);
  return typeof v === 'string' ? JSON.stringify(v) : `{"hex":"${v.hex}"}`;
}

function pad4(n: number): string {
  return n >= 1000 ? String(n) : n >= 100 ? `0${n}` : n >= 10 ? `00${n}` : `000${n}`;
}

/** Decimal text of the u64 hi:lo, exactly, without BigInt. */
export function u64Text(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * 4294967296 + lo); // < 2^53: exact as a double
  // hi·2^32 + lo = hi·429496·10^4 + (hi·7296 + lo); both terms stay below 2^53.
  let a = hi * 429496;
  const b = hi * 7296 + lo;
  const carry = Math.floor(b / 10000);
  a += carry;
  return String(a) + pad4(b - carry * 10000);
}

export function u64Str(dv: DataView, o: number): string {
  return u64Text(dv.getUint32(o, true), dv.getUint32(o + 4, true));
}

export function s64Str(dv: DataView, o: number): string {
  const lo = dv.getUint32(o, true);
  const hi = dv.getUint32(o + 4, true);
  if (hi < 0x80000000) return u64Text(lo, hi);
  // Two's complement negation of hi:lo.
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return `-${u64Text(nlo, nhi)}`;
}

export function u128(dv: DataView, o: number): bigint {
  return dv.getBigUint64(o, true) | (dv.getBigUint64(o + 8, true) << 64n);
}

export function s128(dv: DataView, o: number): bigint {
  return dv.getBigUint64(o, true) | (dv.getBigInt64(o + 8, true) << 64n);
}
