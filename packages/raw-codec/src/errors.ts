/** Where in the input a decoding error happened; every field that is known is set. */
export interface ErrorPlace {
  /** Byte offset in the input file/stream (for intake captures: where the LZ4 frame holding the record starts). */
  offset?: number;
  /** Index of the LZ4 frame (intake captures only), counted from 0 over the whole input. */
  frame?: number;
  /** Connection segment (0, 1, … one per raw version_info). */
  segment?: number;
  /** Byte offset in the segment's plaintext record stream (intake captures). */
  plainOffset?: number;
  /** The last record decoded without error before this one. */
  lastGood?: { name: string; offset: number; segment: number; timestamp: bigint };
}

/** Base class of every error the raw-codec library throws. */
export class RawCodecError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

function describePlace(p: ErrorPlace): string {
  const parts: string[] = [];
  if (p.offset !== undefined) parts.push(`byte ${p.offset}`);
  if (p.frame !== undefined) parts.push(`frame ${p.frame}`);
  if (p.segment !== undefined) parts.push(`segment ${p.segment}`);
  if (p.plainOffset !== undefined) parts.push(`plaintext byte ${p.plainOffset}`);
  return parts.join(', ') || 'start of input';
}

function describeLastGood(p: ErrorPlace): string {
  return p.lastGood ? `; last good record: ${p.lastGood.name} at ${p.lastGood.offset} (segment ${p.lastGood.segment})` : '; no record decoded before';
}

/** Input ends in the middle of a record or frame (code ERR_TRUNCATED, exit 65). */
export class TruncatedError extends RawCodecError implements ErrorPlace {
  offset?: number; frame?: number; segment?: number; plainOffset?: number; lastGood?: ErrorPlace['lastGood'];
  /** What was cut, e.g. "record socket_stats needs 64 bytes, 20 left". */
  readonly what: string;
  constructor(what: string, place: ErrorPlace, options?: { cause?: unknown }) {
    super('ERR_TRUNCATED', `truncated input: ${describePlace(place)}: ${what}${describeLastGood(place)}`, options);
    Object.assign(this, place);
    this.what = what;
  }
}

/** Bytes that cannot be a record or frame: unknown rpc id, impossible `_len`, corrupt LZ4 frame, trailing garbage (code ERR_CORRUPT, exit 65). */
export class CorruptError extends RawCodecError implements ErrorPlace {
  offset?: number; frame?: number; segment?: number; plainOffset?: number; lastGood?: ErrorPlace['lastGood'];
  readonly why: string;
  constructor(why: string, place: ErrorPlace, options?: { cause?: unknown }) {
    super('ERR_CORRUPT', `corrupt input: ${describePlace(place)}: ${why}${describeLastGood(place)}`, options);
    Object.assign(this, place);
    this.why = why;
  }
}

/** A `.render` file that does not parse or cannot be packed (code ERR_BAD_INPUT, exit 65). */
export class SchemaError extends RawCodecError {
  readonly source: string; readonly line?: number;
  constructor(source: string, line: number | undefined, why: string) {
    super('ERR_BAD_INPUT', `cannot read schema: ${source}${line !== undefined ? `:${line}` : ''}: ${why}`);
    this.source = source; this.line = line;
  }
}

/** A value that cannot be encoded into a record: wrong type, out of range, unknown message or field (code ERR_BAD_INPUT). */
export class EncodeError extends RawCodecError {
  readonly message_name?: string; readonly field?: string; readonly line?: number; readonly why: string;
  constructor(why: string, where: { message?: string; field?: string; line?: number } = {}) {
    const w = [where.line !== undefined ? `line ${where.line}` : '', where.message ?? '', where.field ? `field ${where.field}` : ''].filter(Boolean).join(' ');
    super('ERR_BAD_INPUT', `cannot encode record: ${w || 'input'}: ${why}`);
    this.message_name = where.message; this.field = where.field; this.line = where.line; this.why = why;
  }
}

/** Options that contradict each other or name something unknown (code ERR_USAGE, exit 64). */
export class UsageError extends RawCodecError {
  constructor(why: string) { super('ERR_USAGE', why); }
}
