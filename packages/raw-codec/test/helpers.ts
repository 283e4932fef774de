// Shared by the raw-codec tests: paths, hex literals, and a record-stream builder.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = resolve(pkgDir, '../..');
/** The agent's IDL and the independently computed schema JSON, vendored with their provenance (vendor/README.md). */
export const vendorDir = join(pkgDir, 'vendor');
export const bin = join(pkgDir, 'dist', 'raw-codec.js');
if (!existsSync(vendorDir)) throw new Error(`vendored inputs missing: ${vendorDir}`);

/** Bytes from hex text as written in docs/wire-format.md: spaces and `|` separators ignored, `00×6` repeats a byte. */
export function hex(text: string): Uint8Array {
  const expanded = text.replace(/([0-9a-fA-F]{2})\s*×\s*(\d+)/g, (_, b: string, n: string) => ` ${b}`.repeat(Number(n)));
  const clean = expanded.replace(/[\s|]/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (x) => parseInt(x, 16));
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Deterministic PRNG (mulberry32) so failures reproduce: the fuzzer's own, so a failing seed means the same in both. */
export { rng } from '../tools/fuzz-core.mjs';
