// Helpers shared by the LZ4 unit and interop tests: deterministic bytes, and byte comparison that names the first
// difference (uvu's deep equality prints whole megabyte arrays).
import * as assert from 'uvu/assert';

/** xorshift32: reproducible bytes for a seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function eq(a: Uint8Array, b: Uint8Array, msg: string): void {
  if (a.length !== b.length) assert.unreachable(`${msg}: length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.unreachable(`${msg}: first difference at byte ${i}`);
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
