// Byte-level NDJSON writers for the compiled `lineBytes` functions: numbers and strings go straight into a
// Uint8Array as UTF-8, so decoding to NDJSON makes no per-field strings at all. Each writer takes the buffer and
// position and returns the new position; callers reserve room first (see maxLineBytes). Output is byte-for-byte
// what JSON.stringify and toJsonLine produce.

const HEXC = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]); // 0-9a-f

export function copy(b: Uint8Array, p: number, k: Uint8Array): number {
  for (let i = 0; i < k.length; i++) b[p + i] = k[i];
  return p + k.length;
}

/** "00".."99" as char codes, two per entry. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) { PAIRS[2 * i] = 48 + ((i / 10) | 0); PAIRS[2 * i + 1] = 48 + (i % 10); }

/** Digits of 0 ≤ n < 2^31 (int arithmetic). */
function small(b: Uint8Array, p: number, n: number): number {
  if (n < 10) { b[p] = 48 + n; return p + 1; }
  if (n < 100) { b[p] = PAIRS[2 * n]; b[p + 1] = PAIRS[2 * n + 1]; return p + 2; }
  let digits = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  const end = p + digits;
  let q = end;
  while (n >= 100) { const d = (n / 100) | 0; const r = 2 * (n - d * 100); b[q - 2] = PAIRS[r]; b[q - 1] = PAIRS[r + 1]; q -= 2; n = d; digits -= 2; }
  if (n >= 10) { b[q - 2] = PAIRS[2 * n]; b[q - 1] = PAIRS[2 * n + 1]; } else b[q - 1] = 48 + n;
  return end;
}

/** Exactly 8 digits of 0 ≤ n < 10^8, zero-padded. */
function pad8(b: Uint8Array, p: number, n: number): number {
  for (let q = p + 6; q >= p; q -= 2) { const d = (n / 100) | 0; const r = 2 * (n - d * 100); b[q] = PAIRS[r]; b[q + 1] = PAIRS[r + 1]; n = d; }
  return p + 8;
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
  p = uint(b, p, hi * 429496 + carry);
  const d = (rest / 100) | 0;
  const r = 2 * (rest - d * 100);
  b[p] = PAIRS[2 * d]; b[p + 1] = PAIRS[2 * d + 1]; b[p + 2] = PAIRS[r]; b[p + 3] = PAIRS[r + 1];
  return p + 4;
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
