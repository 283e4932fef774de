/** One decoded record: the upstream `intake_wire_to_json` shape plus where it came from. */
export interface DecodedRecord {
  name: string;
  rpc_id: number;
  /** u64 nanoseconds (≈ Unix epoch: CLOCK_MONOTONIC + boot-time adjustment, docs/wire-format.md (e)). */
  timestamp: bigint;
  /** Value of the message's reference field (`ref pid` or the synthesized `_ref`), when it has one. */
  ref?: bigint;
  /** Fields by name in declaration order: ≤32-bit integers as numbers, 64/128-bit as bigint, arrays as arrays,
   * `string` as a JS string when valid UTF-8 else `{ hex }`. */
  data: Record<string, unknown>;
  /** 0, 1, … one per connection (each raw version_info in an intake capture, each version_info in a record file). */
  segment: number;
  /** Byte offset of the record: in its segment's plaintext (intake), else in the file. */
  offset: number;
  /** Record length in bytes incl. the 8-byte timestamp. */
  size: number;
  /** The render app: `ingest` (intake, record file) or `agent_internal` (BPF dump). */
  app: string;
  /** Index of the LZ4 frame holding the record (intake only; the raw version_info has none). */
  frame?: number;
}

function jsonValue(v: unknown): string {
  switch (typeof v) {
    case 'number': return String(v);
    case 'bigint': return `"${v}"`;
    case 'string': return JSON.stringify(v);
    case 'boolean': return String(v);
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map(jsonValue).join(',')}]`;
      if (v instanceof Uint8Array) return `[${Array.from(v).join(',')}]`;
      return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}:${jsonValue(x)}`).join(',')}}`;
    }
    default: return 'null';
  }
}

/**
 * One NDJSON line (no newline) for a record: `{"name","rpc_id","timestamp","ref"?,"data":{…},"segment"}`, with
 * 64- and 128-bit integers (timestamp, ref included) as decimal strings so jq keeps every digit.
 */
export function toJsonLine(r: DecodedRecord): string {
  const ref = r.ref !== undefined ? `,"ref":"${r.ref}"` : '';
  return `{"name":${JSON.stringify(r.name)},"rpc_id":${r.rpc_id},"timestamp":"${r.timestamp}"${ref},"data":${jsonValue(r.data)},"segment":${r.segment}}`;
}
