// Telling inputs and eras apart: pure functions over the first bytes of a recording, each returning how sure it is
// and why (the decoder reports it; nothing is guessed silently).
import { CorruptError } from '../errors.js';
import { isLz4FrameStart } from '../lz4/index.js';
import { builtinSchema } from '../schema/builtin.js';
import type { Schema } from '../schema/types.js';
import { compileApp } from './compile.js';

export type InputKind = 'intake' | 'record' | 'bpf';
export type Confidence = 'given' | 'high' | 'low';

/** version_info: rpc 310, 16-byte wire struct, so the raw record is 24 bytes (docs/wire-format.md (b) example 1, (d)). */
export const VERSION_INFO_ID = 310;
export const VERSION_INFO_RECORD = 24;
/** Second record of a connection: authz_authenticate (404) in the Flowmill era, connect (548) in OTel (docs/eras.md §2.3). */
const FLOWMILL_SECOND = 404;
const OTEL_SECOND = 548;

/** agent_internal namespace in both eras: 331-340,361-380 (flowmill.render:12, ebpf_net.render:17). */
function isAgentInternalId(id: number): boolean {
  return (id >= 331 && id <= 340) || (id >= 361 && id <= 380);
}

/** Kind from the first 28 bytes (fewer only at end of input): raw version_info + LZ4 magic, version_info + record, or agent_internal. */
export function detectKind(b: Uint8Array): { kind: InputKind; confidence: Confidence; reason: string } {
  const id = b.length >= 10 ? b[8] | (b[9] << 8) : -1;
  if (id === VERSION_INFO_ID) {
    if (b.length >= VERSION_INFO_RECORD + 4 && isLz4FrameStart(b, VERSION_INFO_RECORD)) return { kind: 'intake', confidence: 'high', reason: 'raw version_info then an LZ4 frame: intake capture' };
    return { kind: 'record', confidence: b.length >= VERSION_INFO_RECORD + 4 ? 'high' : 'low', reason: 'version_info then plain records: record file' };
  }
  if (isAgentInternalId(id)) return { kind: 'bpf', confidence: 'high', reason: `first record is agent_internal rpc ${id}: BPF dump` };
  throw new CorruptError(id < 0
    ? `only ${b.length} byte(s): too short for any record`
    : `cannot tell the input kind: the first record's rpc id ${id} is neither version_info (310, intake capture or record file) nor agent_internal (331-340, 361-380, BPF dump); pass --kind and --schema`, { offset: 0 });
}

/** Era of an intake/record stream from its second record (plaintext starting with version_info). */
export function eraFromSecondRecord(plain: Uint8Array): { schema: Schema; confidence: Confidence; reason: string } {
  const second = plain.length >= VERSION_INFO_RECORD + 10 ? plain[VERSION_INFO_RECORD + 8] | (plain[VERSION_INFO_RECORD + 9] << 8) : -1;
  const fm = builtinSchema('flowmill');
  const ot = builtinSchema('ebpf_net');
  if (second === FLOWMILL_SECOND) return { schema: fm, confidence: 'high', reason: 'second record is authz_authenticate (404): Flowmill era' };
  if (second === OTEL_SECOND) return { schema: ot, confidence: 'high', reason: 'second record is connect (548): OpenTelemetry era' };
  const inF = second >= 0 && fm.apps.ingest.byId.has(second);
  const inO = second >= 0 && ot.apps.ingest.byId.has(second);
  const schema = inF && !inO ? fm : ot;
  return {
    schema, confidence: 'low',
    reason: second < 0 ? 'no second record to tell the era: guessed ebpf_net' : `second record rpc ${second} is neither authz_authenticate (404) nor connect (548): guessed ${schema.name}`,
  };
}

/** How far a BPF dump splits cleanly with a schema's agent_internal table (bytes), whether it only stopped at the end
 * of the data, and the rpc ids it met on the way. */
function splitsTo(b: Uint8Array, s: Schema): { at: number; clean: boolean; ids: Set<number> } {
  const t = compileApp(s.apps.agent_internal).byId;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ids = new Set<number>();
  let o = 0;
  while (b.length - o >= 10) {
    const id = dv.getUint16(o + 8, true);
    const m = t[id];
    if (!m) return { at: o, clean: false, ids };
    if (m.dynamic && b.length - o < 12) break;
    const size = m.dynamic ? 8 + dv.getUint16(o + 10, true) : 8 + m.wireSize;
    if (size - 8 < m.wireSize) return { at: o, clean: false, ids };
    if (o + size > b.length) break;
    ids.add(id);
    o += size;
  }
  return { at: o, clean: true, ids };
}

/** Splits the start of a dump with both schemas; the one that gets further without an error wins. */
export function guessBpfSchema(b: Uint8Array): { schema: Schema; confidence: Confidence; reason: string } {
  const fm = builtinSchema('flowmill');
  const ot = builtinSchema('ebpf_net');
  const f = splitsTo(b, fm);
  const o = splitsTo(b, ot);
  if (o.at === f.at && o.clean === f.clean) {
    // A tie. When every id met names the same message in both eras (ids 331-364, 366-375 mostly do: docs/eras.md §2.4),
    // the records read the same either way and only the label is a guess; the Flowmill era, this toolkit's first
    // subject, is the label then. Ids whose meaning differs between eras make it a real guess.
    const differ = [...f.ids].filter((id) => fm.apps.agent_internal.byId.get(id)?.name !== ot.apps.agent_internal.byId.get(id)?.name);
    if (differ.length === 0) return { schema: fm, confidence: 'low', reason: `both schemas split the first ${f.at} bytes of the BPF dump alike and name its ${f.ids.size} message ids alike: the records read the same in either era; labelled flowmill (pass --schema to say which)` };
    return { schema: fm, confidence: 'low', reason: `both schemas split the first ${f.at} bytes of the BPF dump alike, but ids ${differ.join(', ')} mean other messages in each era: guessed flowmill (pass --schema)` };
  }
  const otWins = o.clean !== f.clean ? o.clean : o.at > f.at;
  const [schema, win, lose] = otWins ? [ot, o, f] : [fm, f, o];
  return {
    schema, confidence: win.clean && !lose.clean ? 'high' : 'low',
    reason: `BPF dump splits ${win.clean ? 'cleanly' : 'without error'} for ${win.at} of ${b.length} bytes with ${schema.name}, ${lose.clean ? 'cleanly' : 'then fails'} at ${lose.at} with the other schema`,
  };
}
