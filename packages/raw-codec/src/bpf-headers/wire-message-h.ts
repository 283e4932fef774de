// ebpf_net/agent_internal/wire_message.h as renderc's MessageGenerator.generateMessageH(wire=true) writes it
// (renderc/.../generator/MessageGenerator.xtend@68f0c23f:36-105), C part only: the BPF build has no __cplusplus.
// Layouts come from raw-codec's packer (schema/packer.ts); nothing here computes an offset.
import type { AppSchema } from '../schema/types.js';
import { wireFields, wireMember } from './c-types.js';

export const structName = (app: string, msg: string): string => `jb_${app}__${msg}`;

export function wireMessageH(app: AppSchema, banner: string): string {
  const out = [banner, '#pragma once', '', '#ifdef KBUILD_MODNAME', '# include <linux/stddef.h>', '#else', '# include <stddef.h>', '#endif', '#include "jitbuf/jb.h"', ''];
  for (const m of app.messages) {
    const sn = structName(app.name, m.name);
    const fields = wireFields(m);
    out.push(`/* ${m.name} (rpc ${m.rpcId}) */`, `struct ${sn} {`, '  uint16_t _rpc_id;');
    if (m.dynamic) out.push('  uint16_t _len;');
    for (const f of fields) out.push(`  ${wireMember(f)}`);
    out.push('};', `static const uint32_t ${sn}__data_size = ${m.wireSize};`);
    out.push('#define JB_ASSERT(name, predicate) _Static_assert(predicate, #name ": " #predicate)');
    for (const f of fields) out.push(`JB_ASSERT(${sn}_${f.name}_has_correct_offset,offsetof(struct ${sn},${f.name}) == ${f.offset});`);
    out.push(`JB_ASSERT(${sn}_has_correct_sizeof,((sizeof(struct ${sn}) + 1) & ~1) >= ${m.wireSize});`, '#undef JB_ASSERT');
    out.push(`#define ${sn}__rpc_id    ${m.rpcId}`, '');
  }
  return `${out.join('\n')}\n`;
}
