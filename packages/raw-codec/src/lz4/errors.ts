// Errors of the LZ4 frame codec. One base class (code ERR_CORRUPT) and one subclass per failure kind that callers
// treat differently: a stream that stops in the middle of a frame (ERR_TRUNCATED) versus bytes that cannot be a
// valid frame (ERR_CORRUPT). Codes are the ones of packages/cli/src/exit-codes.ts.

export interface Lz4ErrorWhere {
  /** Absolute input byte offset (counted across pushes) where the problem was found. */
  offset: number;
  /** Index of the frame (0-based, skippable frames count) in which it was found. */
  frame: number;
  cause?: unknown;
}

/** Corrupt or unsupported LZ4 input. Message: `lz4 decode failed: frame F at byte O: why`. */
export class Lz4Error extends Error {
  readonly code: string = 'ERR_CORRUPT';
  readonly offset: number;
  readonly frame: number;
  /** What was wrong, without the "where" prefix. */
  readonly reason: string;

  constructor(reason: string, where: Lz4ErrorWhere) {
    super(`lz4 decode failed: frame ${where.frame} at byte ${where.offset}: ${reason}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'Lz4Error';
    this.reason = reason;
    this.offset = where.offset;
    this.frame = where.frame;
  }
}

/** The input ended inside a frame (or inside a raw block handed to the block decoder). */
export class Lz4TruncatedError extends Lz4Error {
  override readonly code: string = 'ERR_TRUNCATED';

  constructor(reason: string, where: Lz4ErrorWhere) {
    super(reason, where);
    this.name = 'Lz4TruncatedError';
  }
}
