// @flowmill/raw-codec: schema-driven decoder and encoder for the Flowmill / OpenTelemetry eBPF agent's recordings.
// No Buffer and no Node-only imports here (file helpers live in ./node.ts), so the same code runs on Node and Deno.
export { builtinSchema, builtinSchemaNames, type BuiltinSchemaName } from './schema/builtin.js';
export { parseRender } from './schema/parse-render.js';
export { loadSchema, MissingInputError } from './schema/load.js';
export { toCompact, fromCompact, type CompactSchema, type CompactMessage } from './schema/compact.js';
export type { Schema, AppSchema, MessageSchema, FieldSchema, FieldType, IntType, MessageType } from './schema/types.js';
export { schemaToJson } from './schema/to-json.js';
export {
  diffSchemas, diffFails, renderSchemaDiffTable, schemaDiffSummary, KIND_BREAKS,
  type FailOn, type Breaks, type ChangeKind, type SchemaChange, type SchemaDiff,
} from './schema-diff/index.js';
export { generateBpfHeaders, perfSize, type BpfHeaderFile } from './bpf-headers/index.js';
export { RecordEncoder } from './codec/record-encoder.js';
export { encodeIntake, packFlushes, FLUSH_SIZE } from './codec/intake-encoder.js';
export { decode, decodeBatches, decodeBytes, type DecodeOptions } from './codec/decode.js';
export { toJsonLine, type DecodedRecord } from './codec/record.js';
export { StreamDecoder, type DecodeInfo, type InputKind, type StreamDecoderOptions, type Confidence } from './codec/stream.js';
export type { RecordSink } from './codec/splitter.js';
export { compileApp, type CompiledApp, type CompiledMessage } from './codec/compile.js';
export { decodeNdjson, type NdjsonOptions } from './codec/ndjson.js';
export { Stats, type StatsReport } from './codec/stats.js';
export { encodeRecording, parseRecordLine, type EncodeRecordingOptions } from './codec/encode-ndjson.js';
export { RawCodecError, TruncatedError, CorruptError, SchemaError, EncodeError, UsageError, type ErrorPlace } from './errors.js';
export { lz4EncodeFrame, Lz4FrameEncoder, Lz4FrameDecoder, lz4DecodeFrames, isLz4FrameStart, Lz4Error, Lz4TruncatedError } from './lz4/index.js';
