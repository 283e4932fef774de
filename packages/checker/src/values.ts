/**
 * Helpers over decoded field values. raw-codec gives ints ≤ 32 bits as numbers and wider ones as bigint or decimal
 * strings; u8 arrays as number arrays (or Uint8Array); strings as strings or `{hex}` when not UTF-8.
 */

/** A value as a bigint (0n when absent or not numeric). */
export function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

/** A value as a JS number (wide values lose precision: use only for counts and sizes). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return 0;
}

/** A stable string for comparing two decoded values of the same field type across streams. */
export function sig(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? String(BigInt(v)) : JSON.stringify(v);
  if (v instanceof Uint8Array || Array.isArray(v)) return `[${Array.from(v as ArrayLike<number>).join(',')}]`;
  if (typeof v === 'object' && 'hex' in (v as object)) return `hex:${(v as { hex: string }).hex}`;
  return JSON.stringify(v);
}

/** The bytes of a u8 array or string field. */
export function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  if (v && typeof v === 'object' && typeof (v as { hex?: unknown }).hex === 'string') {
    const h = (v as { hex: string }).hex;
    const out = new Uint8Array(h.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  return new Uint8Array(0);
}

/** A NUL-padded C string field (comm[16], cgroup name[64]) or a string field as text. */
export function cstr(v: unknown): string {
  if (typeof v === 'string') return v.replace(/\0.*$/s, '');
  const b = bytes(v);
  const end = b.indexOf(0);
  return new TextDecoder('utf-8', { fatal: false }).decode(end < 0 ? b : b.subarray(0, end));
}

/** A u32 IPv4 address field as carried raw in network order (§1: dest/src) -> dotted quad. */
export function ipv4FromRaw(v: unknown): string {
  const n = num(v) >>> 0;
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}`;
}

/** A timestamp in ns (bigint) as an ISO string (the agent's clock is ~Unix-epoch ns, docs/wire-format.md (e)). */
export function isoOfNs(ts: bigint): string {
  const ms = Number(ts / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString();
}

/** ns difference as ms (float). */
export function msBetween(a: bigint, b: bigint): number {
  return Number(b - a) / 1e6;
}
