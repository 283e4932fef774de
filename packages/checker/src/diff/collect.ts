import { decode, Stats, StreamDecoder, type DecodeInfo, type Schema } from '@flowmill/raw-codec';
import type { Rec } from '../framework.js';
import { fileChunks } from '../inputs.js';
import { cstr, num } from '../values.js';
import type { FieldSummary, MessageCount, StreamName } from './types.js';

/**
 * The messages whose values say what ran (the agent's build, the host, its configuration), summarised field by field.
 * Names as in both eras' `agent` span (render/flowmill.render@3598385a, render/ebpf_net.render@68f0c23f).
 */
export const IDENTITY_MESSAGES = ['version_info', 'os_info', 'set_config_label', 'set_node_info', 'cloud_platform', 'kernel_headers_source', 'collector_health'];
/** Distinct values kept per field; past it the summary says `more`. */
const DISTINCT_CAP = 16;
/** How many distinct names of the startup sequence are kept (the comparison uses a prefix). */
const STARTUP_KEEP = 24;

/** Counts, the startup sequence and identity-field summaries of one stream, in one pass over its records. */
export class StreamTally {
  readonly counts = new Map<string, Omit<MessageCount, 'stream'>>();
  readonly startup: string[] = [];
  private readonly fields = new Map<string, FieldSummary & { set: Set<string> }>();
  first?: bigint;
  last?: bigint;
  era?: string;
  /** Settable: a single recording's stream is known once the decoder has told its kind. */
  constructor(public stream: StreamName) {}

  messages(): MessageCount[] {
    return [...this.counts.values()].map((c) => ({ stream: this.stream, ...c }));
  }

  add(r: Rec): void {
    let c = this.counts.get(r.name);
    if (!c) {
      this.counts.set(r.name, (c = { name: r.name, count: 0, bytes: 0 }));
      if (this.startup.length < STARTUP_KEEP) this.startup.push(r.name);
    }
    c.count++;
    c.bytes += r.size;
    if (r.timestamp > 0n) {
      if (this.first === undefined || r.timestamp < this.first) this.first = r.timestamp;
      if (this.last === undefined || r.timestamp > this.last) this.last = r.timestamp;
    }
    if (IDENTITY_MESSAGES.includes(r.name)) this.summarise(r);
  }

  private summarise(r: Rec): void {
    // set_config_label is a key/value pair: one summary per key, so two runs' labels line up by key
    const entries = r.name === 'set_config_label' ? [[`label ${cstr(r.data.key)}`, r.data.value] as const] : Object.entries(r.data);
    for (const [field, v] of entries) {
      const key = `${r.name}.${field}`;
      let s = this.fields.get(key);
      if (!s) this.fields.set(key, (s = { message: r.name, field, distinct: [], more: false, set: new Set() }));
      const text = typeof v === 'number' || typeof v === 'bigint' ? String(v) : Array.isArray(v) ? `[${v.join(',')}]` : cstr(v);
      if (!s.set.has(text)) {
        if (s.set.size < DISTINCT_CAP) { s.set.add(text); s.distinct.push(text); } else s.more = true;
      }
      if (typeof v === 'number' || typeof v === 'bigint') {
        const n = num(v);
        s.min = s.min === undefined ? n : Math.min(s.min, n);
        s.max = s.max === undefined ? n : Math.max(s.max, n);
      }
    }
  }

  summaries(): FieldSummary[] {
    return [...this.fields.values()].map(({ set: _set, ...s }) => ({ ...s, distinct: [...s.distinct].sort() }));
  }

  seconds(): number {
    return this.first !== undefined && this.last !== undefined ? Number(this.last - this.first) / 1e9 : 0;
  }
}

/** Reads recordings into a tally; a decode error ends that file and is returned (the counts cover what came before). */
export async function tallyFiles(t: StreamTally, files: string[], kind: 'intake' | 'record' | 'bpf' | 'auto', schema: Schema | 'auto'): Promise<{ errors: string[]; info?: DecodeInfo }> {
  const errors: string[] = [];
  let info: DecodeInfo | undefined;
  for (const f of files) {
    try {
      for await (const r of decode(fileChunks(f), { kind, schema, onInfo: (i) => { info ??= i; } })) t.add(r as Rec);
    } catch (err) {
      errors.push(`${f}: ${(err as Error).message}`);
    }
  }
  if (info) t.era = info.schema;
  return { errors, info };
}

/** LZ4 frames of wire captures: how many, compressed bytes, and the plaintext records they carry. */
export async function frameSizes(files: string[]): Promise<{ count: number; bytes: number; plainBytes: number }> {
  const out = { count: 0, bytes: 0, plainBytes: 0 };
  for (const f of files) {
    const st = new Stats();
    const d = new StreamDecoder(st, { kind: 'intake', schema: 'auto' });
    try {
      for await (const c of fileChunks(f)) d.push(c);
      d.end();
    } catch { /* a cut capture: count the frames before the cut */ }
    const rep = st.report({ info: d.info, inputBytes: d.bytes, frames: d.frames, cuts: d.cuts });
    out.count += d.frames;
    out.bytes += d.bytes;
    out.plainBytes += rep.recordBytes;
  }
  return out;
}
