import type { Schema } from './types.js';

/** The resolved schema as plain JSON (what `raw-codec schema` prints); names follow the reference `*-schema.json`. */
export function schemaToJson(s: Schema): unknown {
  return {
    name: s.name,
    source: s.source,
    lineage: s.lineage,
    apps: Object.fromEntries(Object.values(s.apps).map((a) => [a.name, {
      rpc_id_ranges: a.ranges,
      messages: a.messages.map((m) => ({
        name: m.name, rpc_id: m.rpcId, declared_id: m.declaredId, span: m.span ?? null, type: m.type, dynamic: m.dynamic,
        wire_size: m.wireSize, record_size: m.dynamic ? null : 8 + m.wireSize, reference_field: m.refField ?? null,
        pipeline_only: !!m.pipelineOnly, no_authorization_needed: !!m.noAuthorizationNeeded,
        fields: m.fields.map((f) => ({
          name: f.name, number: f.number, type: f.type, array_length: f.arrayLength, offset: f.offset, size: f.size,
          ...(f.string ? { string: { length_at: f.string.lengthAt, data_index: f.string.dataIndex } } : {}),
          ...(f.synthesized ? { synthesized: f.synthesized } : {}),
        })),
      })),
    }])),
  };
}
