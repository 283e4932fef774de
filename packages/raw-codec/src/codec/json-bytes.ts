// Byte-level NDJSON writers for the compiled `lineBytes` functions: numbers and strings go straight into a
// Uint8Array as UTF-8, so decoding to NDJSON makes no per-field strings at all. Each writer takes the buffer and
// position and returns the new position; callers reserve room first (see maxLineBytes). Output is byte-for-byte
// what JSON.stringify and toJsonLine produce.

const HEXC = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]); // 0-9a-f

let viewOf: Uint8Array | null = null;
let viewOfB: DataView = new DataView(new ArrayBuffer(0));

/** A DataView of b (kept while b stays the same buffer): lets the compiled writers store constant text 4 bytes at a time. */
export function outView(b: Uint8Array): DataView {
  if (b !== viewOf) {
    viewOf = b;
    viewOfB = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return viewOfB;
}

export function copy(b: Uint8Array, p: number, k: Uint8Array): number {
  for (let i = 0; i < k.length; i++) b[p + i] = k[i];
  return p + k.length;
}

/** "0000".."9999" as char codes, four per entry: numbers are written four digits per table look-up. */
const QUADS = new Uint8Array(40000);
for (let i = 0; i < 10000; i++) {
  QUADS[4 * i] = 48 + ((i / 1000) | 0);
  QUADS[4 * i + 1] = 48 + (((i / 100) | 0) % 10);
  QUADS[4 * i + 2] = 48 + (((i / 10) | 0) % 10);
  QUADS[4 * i + 3] = 48 + (i % 10);
}

/** Exactly 4 digits of 0 ≤ n < 10^4, zero-padded. */
function pad4(b: Uint8Array, p: number, n: number): number {
  const q = 4 * n;
  b[p] = QUADS[q]; b[p + 1] = QUADS[q + 1]; b[p + 2] = QUADS[q + 2]; b[p + 3] = QUADS[q + 3];
  return p + 4;
}

/** Digits of 0 ≤ n < 10^4, no leading zeros. */
function upTo4(b: Uint8Array, p: number, n: number): number {
  const q = 4 * n;
  if (n >= 1000) { b[p] = QUADS[q]; b[p + 1] = QUADS[q + 1]; b[p + 2] = QUADS[q + 2]; b[p + 3] = QUADS[q + 3]; return p + 4; }
  if (n >= 100) { b[p] = QUADS[q + 1]; b[p + 1] = QUADS[q + 2]; b[p + 2] = QUADS[q + 3]; return p + 3; }
  if (n >= 10) { b[p] = QUADS[q + 2]; b[p + 1] = QUADS[q + 3]; return p + 2; }
  b[p] = 48 + n;
  return p + 1;
}

/** Exactly 8 digits of 0 ≤ n < 10^8, zero-padded. */
function pad8(b: Uint8Array, p: number, n: number): number {
  const h = (n / 10000) | 0;
  pad4(b, p, h);
  return pad4(b, p + 4, n - h * 10000);
}

/** Digits of 0 ≤ n < 2^31 (int arithmetic). */
function small(b: Uint8Array, p: number, n: number): number {
  if (n < 10000) return upTo4(b, p, n);
  if (n < 100000000) {
    const h = (n / 10000) | 0;
    return pad4(b, upTo4(b, p, h), n - h * 10000);
  }
  const h = (n / 100000000) | 0;
  return pad8(b, upTo4(b, p, h), n - h * 100000000);
}

/** Decimal digits of 0 ≤ n < 2^32 (u8, u16, u32 fields). */
export function u32(b: Uint8Array, p: number, n: number): number {
  if (n < 2147483648) return small(b, p, n);
  const h = Math.floor(n / 100000000);
  return pad8(b, upTo4(b, p, h), n - h * 100000000);
}

/** Decimal digits of a whole number 0 ≤ n < 2^53. */
export function uint(b: Uint8Array, p: number, n: number): number {
  if (n < 2147483648) return small(b, p, n);
  const hi = Math.floor(n / 1e8);
  return pad8(b, hi < 2147483648 ? small(b, p, hi) : pad8(b, small(b, p, Math.floor(hi / 1e8)), hi - Math.floor(hi / 1e8) * 1e8), n - hi * 1e8);
}

export function int(b: Uint8Array, p: number, n: number): number {
  if (n < 0) { b[p++] = 45; n = -n; }
  return uint(b, p, n);
}

function u64lohi(b: Uint8Array, p: number, lo: number, hi: number): number {
  if (hi < 0x200000) return uint(b, p, hi * 4294967296 + lo);
  // hi·2^32 + lo = (hi·429496 + carry)·10^4 + rest, every term below 2^53 (see values.ts u64Text).
  const x = hi * 7296 + lo;
  const carry = Math.floor(x / 10000);
  const rest = x - carry * 10000;
  return pad4(b, uint(b, p, hi * 429496 + carry), rest);
}

// Timestamps of neighbouring records share their leading digits (v / 10^8 changes every 0.1 s), so the digits of
// the last high part are kept and copied.
const tsHead = new Uint8Array(24);
let tsHeadLen = 0;
let tsHeadVal = -1;

/** `"<u64>"` for a timestamp (u64 ns): as u64q, with the leading digits cached. */
export function tsq(b: Uint8Array, p: number, dv: DataView, o: number): number {
  const lo = dv.getUint32(o, true);
  const hi = dv.getUint32(o + 4, true);
  if (hi < 0x200000) { b[p] = 34; p = uint(b, p + 1, hi * 4294967296 + lo); b[p] = 34; return p + 1; }
  const x = hi * 7296 + lo;
  const carry = Math.floor(x / 10000);
  const rest = x - carry * 10000; // v = t·10^4 + rest
  const t = hi * 429496 + carry;
  const a = Math.floor(t / 10000); // v = a·10^8 + low, a ≥ 1 here
  const low = (t - a * 10000) * 10000 + rest;
  if (a !== tsHeadVal) { tsHeadLen = uint(tsHead, 0, a); tsHeadVal = a; }
  b[p++] = 34;
  for (let i = 0; i < tsHeadLen; i++) b[p + i] = tsHead[i];
  p = pad8(b, p + tsHeadLen, low);
  b[p] = 34;
  return p + 1;
}

/** `"<u64>"` (quoted decimal). */
export function u64q(b: Uint8Array, p: number, dv: DataView, o: number): number {
  b[p] = 34;
  p = u64lohi(b, p + 1, dv.getUint32(o, true), dv.getUint32(o + 4, true));
  b[p] = 34;
  return p + 1;
}

export function s64q(b: Uint8Array, p: number, dv: DataView, o: number): number {
  const lo = dv.getUint32(o, true);
  const hi = dv.getUint32(o + 4, true);
  b[p++] = 34;
  if (hi < 0x80000000) p = u64lohi(b, p, lo, hi);
  else {
    b[p++] = 45;
    const nlo = (~lo + 1) >>> 0;
    p = u64lohi(b, p, nlo, (~hi + (nlo === 0 ? 1 : 0)) >>> 0);
  }
  b[p] = 34;
  return p + 1;
}

/** ASCII text (bigint decimal etc.) quoted. */
export function asciiq(b: Uint8Array, p: number, s: string): number {
  b[p++] = 34;
  for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
  b[p] = 34;
  return p + 1;
}

/** True when u8[a, a+n) is well-formed UTF-8 (what a fatal TextDecoder accepts: no overlongs, surrogates, > U+10FFFF). */
export function validUtf8(u8: Uint8Array, a: number, n: number): boolean {
  const e = a + n;
  let i = a;
  while (i < e) {
    const c = u8[i];
    if (c < 0x80) { i++; continue; }
    if (c < 0xc2 || c > 0xf4) return false;
    if (c < 0xe0) {
      if (i + 1 >= e || (u8[i + 1] & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (c < 0xf0) {
      if (i + 2 >= e) return false;
      const c1 = u8[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (u8[i + 2] & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false; // overlong
      if (c === 0xed && c1 >= 0xa0) return false; // surrogate
      i += 3;
    } else {
      if (i + 3 >= e) return false;
      const c1 = u8[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (u8[i + 2] & 0xc0) !== 0x80 || (u8[i + 3] & 0xc0) !== 0x80) return false;
      if (c === 0xf0 && c1 < 0x90) return false; // overlong
      if (c === 0xf4 && c1 >= 0x90) return false; // > U+10FFFF
      i += 4;
    }
  }
  return true;
}

/** `{"hex":"…"}` of the bytes. */
export function hexObj(b: Uint8Array, p: number, u8: Uint8Array, a: number, n: number): number {
  b[p] = 123; b[p + 1] = 34; b[p + 2] = 104; b[p + 3] = 101; b[p + 4] = 120; b[p + 5] = 34; b[p + 6] = 58; b[p + 7] = 34; // {"hex":"
  p += 8;
  for (let i = a, e = a + n; i < e; i++) { const c = u8[i]; b[p++] = HEXC[c >> 4]; b[p++] = HEXC[c & 15]; }
  b[p] = 34; b[p + 1] = 125;
  return p + 2;
}

/** A JSON string of UTF-8 bytes (escaped as JSON.stringify does), or `{"hex"}` when they are not UTF-8. ≤ 6n + 12 bytes. */
export function str(b: Uint8Array, p: number, u8: Uint8Array, a: number, n: number): number {
  const e = a + n;
  for (let i = a; i < e; i++) if (u8[i] >= 0x80) { if (!validUtf8(u8, a, n)) return hexObj(b, p, u8, a, n); break; }
  b[p++] = 34;
  for (let i = a; i < e; i++) {
    const c = u8[i];
    if (c >= 0x20 && c !== 34 && c !== 92) { b[p++] = c; continue; }
    b[p++] = 92;
    switch (c) {
      case 34: b[p++] = 34; break;
      case 92: b[p++] = 92; break;
      case 8: b[p++] = 98; break;
      case 12: b[p++] = 102; break;
      case 10: b[p++] = 110; break;
      case 13: b[p++] = 114; break;
      case 9: b[p++] = 116; break;
      default: b[p] = 117; b[p + 1] = 48; b[p + 2] = 48; b[p + 3] = HEXC[c >> 4]; b[p + 4] = HEXC[c & 15]; p += 5;
    }
  }
  b[p] = 34;
  return p + 1;
}

/** `string<N>`: the text before the first NUL when the rest is NUL and it is UTF-8, else `{"hex"}` of all N bytes. */
export function shortStr(b: Uint8Array, p: number, u8: Uint8Array, a: number, n: number): number {
  let end = a;
  const e = a + n;
  while (end < e && u8[end] !== 0) end++;
  for (let i = end; i < e; i++) if (u8[i] !== 0) return hexObj(b, p, u8, a, n);
  if (!validUtf8(u8, a, end - a)) return hexObj(b, p, u8, a, n);
  return str(b, p, u8, a, end - a);
}
