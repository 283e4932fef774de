// The decoder of one recording whose kind and schema are known: record files and BPF dumps go straight to the record
// splitter, intake captures through the intake demux first. Errors learn the last good record.
import { CorruptError, TruncatedError, type ErrorPlace } from '../errors.js';
import type { Schema } from '../schema/types.js';
import { compileApp, type CompiledApp } from './compile.js';
import type { InputKind } from './detect.js';
import { IntakeDemux } from './intake-demux.js';
import { RecordSplitter, type RecordSink } from './splitter.js';

export const appFor = (kind: InputKind): string => (kind === 'bpf' ? 'agent_internal' : 'ingest');

export function compiledFor(schema: Schema, kind: InputKind): CompiledApp {
  const app = schema.apps[appFor(kind)];
  if (!app) throw new CorruptError(`schema ${schema.name} has no app ${appFor(kind)}`, {});
  return compileApp(app);
}

function placeOf(e: ErrorPlace): ErrorPlace {
  return { offset: e.offset, frame: e.frame, segment: e.segment, plainOffset: e.plainOffset };
}

export interface PlainDecoderOptions {
  /** Intake: go on past a connection cut inside an LZ4 frame (see IntakeDemuxOptions.onCut). */
  onCut?: (err: TruncatedError) => void;
}

/** Push-based decoder for a known kind and schema: `push(chunk)` as bytes arrive, `end()` at EOF. */
export class PlainDecoder {
  readonly kind: InputKind;
  readonly schema: Schema;
  readonly splitter: RecordSplitter;
  private readonly demux: IntakeDemux | null = null;
  private failed: unknown = null;

  constructor(kind: InputKind, schema: Schema, sink: RecordSink, opts: PlainDecoderOptions = {}) {
    this.kind = kind;
    this.schema = schema;
    const sp = new RecordSplitter(compiledFor(schema, kind), sink, { segmentOnVersionInfo: kind === 'record', fileOffsets: kind !== 'intake' });
    this.splitter = sp;
    if (kind !== 'intake') return;
    this.demux = new IntakeDemux({
      versionInfo(bytes, offset, first) {
        if (!first) sp.newSegment();
        sp.place = { offset };
        sp.push(bytes, -1);
      },
      plaintext(bytes, frame, frameOffset) {
        sp.place = { offset: frameOffset, frame };
        sp.push(bytes, frame);
      },
      endsOnRecord: (parts) => sp.endsOnRecord(parts),
      dropPartial: () => sp.dropPartial(),
      where: () => ({ segment: sp.segment, lastGood: sp.lastGood() }),
    }, { onCut: opts.onCut });
  }

  /** LZ4 frames seen (intake). */
  get frames(): number { return this.demux?.frames ?? 0; }
  /** Connections found cut inside a frame (intake, with onCut). */
  get cuts(): number { return this.demux?.cuts ?? 0; }

  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    try {
      if (this.demux) this.demux.push(chunk);
      else this.splitter.push(chunk, -1);
    } catch (e) {
      throw (this.failed = this.located(e));
    }
  }

  end(): void {
    if (this.failed) throw this.failed;
    try {
      this.demux?.end();
      this.splitter.checkEnd();
    } catch (e) {
      throw (this.failed = this.located(e));
    }
  }

  /** The error with the last good record, when it does not say yet. */
  private located(e: unknown): unknown {
    const lastGood = this.splitter.lastGood();
    if (!lastGood) return e;
    if (e instanceof TruncatedError && !e.lastGood) return new TruncatedError(e.what, { ...placeOf(e), lastGood }, { cause: e.cause });
    if (e instanceof CorruptError && !e.lastGood) return new CorruptError(e.why, { ...placeOf(e), lastGood }, { cause: e.cause });
    return e;
  }
}
