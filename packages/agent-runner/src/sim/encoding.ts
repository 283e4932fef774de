import { builtinSchema, RecordEncoder, type AppSchema } from '@flowmill/raw-codec';

export type Era = 'flowmill' | 'otel';

/** Encoders for the two apps the agent writes: `ingest` (intake) and `agent_internal` (BPF dump). */
export class SimCodec {
  readonly ingest: AppSchema;
  readonly bpf: AppSchema;
  private readonly ie: RecordEncoder;
  private readonly be: RecordEncoder;
  constructor(readonly era: Era) {
    // docs/eras.md §2.4: Flowmill = render package `flowmill`, OpenTelemetry = `ebpf_net`
    const s = builtinSchema(era === 'flowmill' ? 'flowmill' : 'ebpf_net');
    this.ingest = s.apps.ingest;
    this.bpf = s.apps.agent_internal;
    this.ie = new RecordEncoder(this.ingest);
    this.be = new RecordEncoder(this.bpf);
  }
  hasIngest(name: string): boolean { return this.ingest.byName.has(name); }
  hasBpf(name: string): boolean { return this.bpf.byName.has(name); }
  encodeIngest(name: string, ts: bigint, data: Record<string, unknown>): Uint8Array { return this.ie.encode(name, ts, arrays(this.ingest, name, data)); }
  encodeBpf(name: string, ts: bigint, data: Record<string, unknown>): Uint8Array { return this.be.encode(name, ts, arrays(this.bpf, name, data)); }
}

/** Fixed u8 arrays (comm[16], laddr[16]) are given as Uint8Array here; the encoder takes arrays of numbers. */
function arrays(app: AppSchema, name: string, data: Record<string, unknown>): Record<string, unknown> {
  const m = app.byName.get(name);
  if (!m) return data;
  let out = data;
  for (const f of m.fields) {
    const v = data[f.name];
    if (f.arrayLength !== null && v instanceof Uint8Array) {
      if (out === data) out = { ...data };
      out[f.name] = Array.from(v);
    }
  }
  return out;
}

