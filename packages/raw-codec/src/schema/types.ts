/** Integer field types of the render IDL (little-endian on the wire; the agent is x86-64 only, docs/wire-format.md (a) 13). */
export type IntType = 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'u128' | 's128';
/** `string` is variable length (u16 slot or rest of `_len`); `string<N>` is a fixed N-byte char array. */
export type FieldType = IntType | 'string' | `string<${number}>`;

export interface FieldSchema {
  name: string;
  /** The declared field number (renderc uses it only for descriptors; layout follows declaration order). */
  number: number;
  type: FieldType;
  /** Element count for `u8 comm[16]`-style arrays, else null. */
  arrayLength: number | null;
  /** Byte offset in the wire struct (rpc_id at 0); null for the last `string`, which has no slot. */
  offset: number | null;
  /** Bytes taken in the static part (2 for a string slot, 0 for the last string). */
  size: number;
  /** Variable strings: where the u16 length sits (null for the last string) and the order of its bytes after the static part. */
  string?: { lengthAt: number | null; dataIndex: number };
  /** Set when renderc added the field: 'index-key' (copied span index key in a `_start`), 'ref' (the `u64 _ref` of a `msg`). */
  synthesized?: 'index-key' | 'ref';
}

export type MessageType = 'start' | 'end' | 'log' | 'msg';

export interface MessageSchema {
  name: string;
  rpcId: number;
  /** The number written in the `.render` file (`N: log name {…}`). */
  declaredId: number;
  /** True when the message has a variable `string`: a u16 `_len` at offset 2. */
  dynamic: boolean;
  /** Static part incl. rpc_id (and `_len`), without the 8-byte timestamp and without string bytes. */
  wireSize: number;
  /** Fields in declaration order (synthesized ones last, as renderc appends them). */
  fields: FieldSchema[];
  span?: string;
  /** After renderc's rewrite (`msg _start` → start). */
  type: MessageType;
  /** Name of the field that is the span reference (`ref pid`, or the synthesized `_ref`). */
  refField?: string;
  pipelineOnly?: boolean;
  noAuthorizationNeeded?: boolean;
  /** The owning app's name. */
  app: string;
}

export interface AppSchema {
  name: string;
  /** The `namespace` ranges, inclusive. */
  ranges: [number, number][];
  messages: MessageSchema[];
  byId: Map<number, MessageSchema>;
  byName: Map<string, MessageSchema>;
}

export interface Schema {
  /** `flowmill`, `ebpf_net`, or the package name of a user's `.render` file. */
  name: string;
  /** Where it came from: `builtin:flowmill`, or a file path. */
  source: string;
  /** renderc lineage: 'otel' appends the `pulse` message (rpc 65535) to every app, 'flowmill' does not. */
  lineage: 'flowmill' | 'otel';
  apps: Record<string, AppSchema>;
}

export const intSize: Record<IntType, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8, u128: 16, s128: 16 };

export function isIntType(t: string): t is IntType { return Object.prototype.hasOwnProperty.call(intSize, t); }

/** Builds the two lookup maps of an app from its messages. */
export function makeApp(name: string, ranges: [number, number][], messages: MessageSchema[]): AppSchema {
  return { name, ranges, messages, byId: new Map(messages.map((m) => [m.rpcId, m])), byName: new Map(messages.map((m) => [m.name, m])) };
}
