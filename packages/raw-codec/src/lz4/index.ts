// LZ4 frame and block codec in TypeScript (no native code, no Buffer): runs on Node, Deno and browsers.
export { Lz4Error, Lz4TruncatedError } from './errors.js';
export type { Lz4ErrorWhere } from './errors.js';
export { Lz4FrameDecoder, lz4DecodeFrames } from './frame-decoder.js';
export type { Lz4FrameDecoderOptions, Lz4PushResult } from './frame-decoder.js';
export { Lz4FrameEncoder, lz4EncodeFrame } from './frame-encoder.js';
export type { Lz4EncodeOptions } from './frame-encoder.js';
export { lz4CompressBlock, lz4DecompressBlock } from './block-api.js';
export { LZ4_FRAME_MAGIC, isLz4FrameStart } from './frame-format.js';
export { xxh32, Xxh32 } from './xxh32.js';
