import { ebpf_net } from '../gen/ebpf_net.js';
import { flowmill } from '../gen/flowmill.js';
import { fromCompact } from './compact.js';
import type { Schema } from './types.js';

export type BuiltinSchemaName = 'flowmill' | 'ebpf_net';
export const builtinSchemaNames: readonly BuiltinSchemaName[] = ['flowmill', 'ebpf_net'];

const cache = new Map<BuiltinSchemaName, Schema>();

/**
 * The two schemas that ship with raw-codec, generated from the agent's IDL by tools/gen.mjs:
 * `flowmill` (Flowmill release, opentelemetry-network@3598385a) and `ebpf_net` (OpenTelemetry eBPF 0.11).
 */
export function builtinSchema(name: BuiltinSchemaName): Schema {
  let s = cache.get(name);
  if (!s) {
    if (name !== 'flowmill' && name !== 'ebpf_net') throw new TypeError(`no built-in schema ${JSON.stringify(name)} (flowmill, ebpf_net)`);
    s = fromCompact(name === 'flowmill' ? flowmill : ebpf_net, `builtin:${name}`);
    cache.set(name, s);
  }
  return s;
}
