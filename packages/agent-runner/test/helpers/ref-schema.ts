// An independent reader for tests: splits records with the independently computed layout tables vendored in
// packages/raw-codec/vendor/*-schema.json (see its README for their provenance), not with raw-codec or our encoder.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface RefField { name: string; type: string; array_length?: number | null; offset: number | null; size: number; string?: { length_at: number | null; data_index: number } }
interface RefMsg { name: string; rpc_id: number; dynamic: boolean; wire_size: number; fields: RefField[] }
export interface RefRecord { name: string; ts: bigint; offset: number; size: number; data: Record<string, unknown> }

const REF = fileURLToPath(new URL('../../../raw-codec/vendor', import.meta.url));
const cache = new Map<string, Map<number, RefMsg>>();

export function refApp(schema: 'flowmill' | 'ebpf_net', app: 'ingest' | 'agent_internal'): Map<number, RefMsg> {
  const key = `${schema}/${app}`;
  let m = cache.get(key);
  if (!m) {
    const j = JSON.parse(readFileSync(`${REF}/${schema}-schema.json`, 'utf8'));
    m = new Map((j.apps[app].messages as RefMsg[]).map((x) => [x.rpc_id, x]));
    cache.set(key, m);
  }
  return m;
}

const ints: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8, u128: 16 };

/** Splits `u64 ts | message` records; decodes int fields, u8 arrays (as Uint8Array) and strings (as bytes). */
export function splitRecords(buf: Uint8Array, msgs: Map<number, RefMsg>): RefRecord[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: RefRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 10 > buf.length) throw new Error(`truncated record at ${off}`);
    const ts = dv.getBigUint64(off, true);
    const id = dv.getUint16(off + 8, true);
    const m = msgs.get(id);
    if (!m) throw new Error(`unknown rpc_id ${id} at ${off}`);
    const len = m.dynamic ? dv.getUint16(off + 10, true) : m.wire_size;
    const base = off + 8;
    const data: Record<string, unknown> = {};
    let sp = base + m.wire_size;
    const strs = m.fields.filter((f) => f.type === 'string').sort((a, b) => a.string!.data_index - b.string!.data_index);
    const strLen = new Map<string, number>();
    let fixedStrTotal = 0;
    for (const f of strs) if (f.string!.length_at !== null) { const l = dv.getUint16(base + f.string!.length_at, true); strLen.set(f.name, l); fixedStrTotal += l; }
    for (const f of strs) {
      const l = f.string!.length_at !== null ? strLen.get(f.name)! : len - m.wire_size - fixedStrTotal;
      data[f.name] = buf.slice(sp, sp + l);
      sp += l;
    }
    for (const f of m.fields) {
      if (f.type === 'string' || f.offset === null) continue;
      const at = base + f.offset;
      if (f.array_length) data[f.name] = buf.slice(at, at + f.size);
      else {
        const n = ints[f.type];
        data[f.name] = n === 1 ? dv.getUint8(at) : n === 2 ? dv.getUint16(at, true) : n === 4 ? (f.type === 's32' ? dv.getInt32(at, true) : dv.getUint32(at, true)) : n === 8 ? dv.getBigUint64(at, true) : 0n;
      }
    }
    out.push({ name: m.name, ts, offset: off, size: 8 + len, data });
    off += 8 + len;
  }
  return out;
}

export function countNames(recs: { name: string }[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of recs) c[r.name] = (c[r.name] ?? 0) + 1;
  return c;
}

export const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array).replace(/\0+$/, '');
