import type { CheckDef } from '../framework.js';
import type { SideInputError } from '../side-inputs.js';
import type { Tolerances } from '../tolerances.js';
import type { CheckResult } from '../types.js';

/** How decoding one recording went. */
export interface StreamStatus {
  kind: 'wire' | 'record' | 'bpf';
  path: string;
  bytes: number;
  records: number;
  segments: number;
  /** The schema the decoder used (`flowmill` / `ebpf_net` / a .render name) and how sure it was (raw-codec DecodeInfo). */
  schema?: string;
  schemaConfidence?: string;
  /** Set when the decoder stopped early. */
  error?: { code: string; message: string; offset?: number; file?: string };
  /** A cut-off last record, tolerated by `decode.allowTruncatedTail`. */
  truncatedTail?: boolean;
  /** Where connections were cut (a file's end, or inside an LZ4 frame of an appended capture), when tolerated. */
  cuts?: { file: string; offset?: number; message: string }[];
  /** Records of an app other than the one this recording must hold. */
  wrongApp?: { name: string; app: string; offset: number; segment: number }[];
  wrongAppTotal?: number;
}

/** Built into the runner: every given input decodes completely (docs/checker-facts.md §8.1). */
export const DECODE_CHECK: CheckDef = {
  id: 'decode',
  title: 'every input decodes completely: known ids, right lengths, no trailing bytes; manifest and authz log parse',
  needs: [],
  create() {
    throw new Error('decode is run by the runner');
  },
};

/** The decode check's verdict from how each recording and side input was read (docs/checker-facts.md §8.1). */
export function decodeOutcome(streams: StreamStatus[], side: { kind: string; path: string; errors: SideInputError[] }[], sideGiven: number, tol: Tolerances): CheckResult {
  const base = { id: DECODE_CHECK.id, title: DECODE_CHECK.title };
  if (streams.length === 0 && sideGiven === 0) return { ...base, status: 'not-run', reason: 'no input given' };
  const evidence: unknown[] = [];
  const problems: string[] = [];
  for (const s of streams) {
    if (s.error) {
      problems.push(`${s.kind}: ${s.error.message}`);
      evidence.push({ input: s.kind, file: s.error.file, code: s.error.code, offset: s.error.offset, recordsBefore: s.records, message: s.error.message });
    }
    if (s.wrongAppTotal) {
      problems.push(`${s.kind}: ${s.wrongAppTotal} records of the wrong app`);
      for (const w of s.wrongApp ?? []) evidence.push({ input: s.kind, ...w, message: `${w.name} is a ${w.app} message; the ${s.kind} holds ${s.kind === 'bpf' ? 'agent_internal' : 'ingest'} only` });
    }
  }
  for (const e of side) {
    problems.push(`${e.kind}: ${e.errors.length} bad ${e.errors.length === 1 ? 'line' : 'lines'}`);
    for (const x of e.errors.slice(0, tol.report.maxEvidence)) evidence.push({ input: e.kind, file: e.path, ...x });
  }
  const figures = Object.fromEntries(streams.map((s) => [s.kind, { records: s.records, bytes: s.bytes, ...(s.kind !== 'bpf' ? { segments: s.segments } : {}), ...(s.truncatedTail ? { truncatedTail: true } : {}), ...(s.cuts ? { cuts: s.cuts } : {}) }]));
  if (problems.length) return { ...base, status: 'fail', reason: problems.join('; '), evidence, figures };
  const notes = streams.filter((s) => s.cuts?.length).map((s) => (s.cuts!.length === 1 && s.truncatedTail ? `${s.kind} ends in a cut-off record (tolerated)` : `${s.kind}: ${s.cuts!.length} connection(s) cut off (tolerated)`));
  return { ...base, status: 'pass', ...(notes.length ? { reason: notes.join('; ') } : {}), figures };
}
