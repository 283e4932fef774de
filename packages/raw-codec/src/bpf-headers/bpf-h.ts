// ebpf_net/agent_internal/bpf.h as renderc's BpfGenerator.generateBpfH writes it
// (renderc/.../generator/BpfGenerator.xtend@68f0c23f:23-182): jb_fill_* (wire message fillers), the perf sample
// structs bpf_<app>__<msg> (u32 dummy, u32 unpadded_size, u64 timestamp, the wire message, padding to 8) and
// bpf_fill_* / perf_submit_*, which hand `unpadded_size` and what follows to bpf_perf_event_output.
import type { AppSchema, MessageSchema } from '../schema/types.js';
import { commaCall, commaPrototype, shortStringSize, wireFields } from './c-types.js';
import { structName } from './wire-message-h.js';

const pad8 = (n: number): number => (8 - (n % 8)) % 8;
/** What perf_submit_* passes to bpf_perf_event_output: unpadded_size (4) + timestamp (8) + message, rounded (BpfGenerator.xtend:130). */
export const perfSize = (wireSize: number): number => Math.floor((wireSize + 8 + 7) / 8) * 8 + 4;

function filler(app: string, m: MessageSchema): string[] {
  const sn = structName(app, m.name);
  const fn = `jb_fill_${app}__${m.name}`;
  const L = [`static inline void ${fn}( struct ${sn} *msg ${commaPrototype(m)})`, '{', `  msg->_rpc_id = ${m.rpcId};`];
  for (const f of m.fields) {
    if (f.type === 'string') continue;
    if (f.arrayLength !== null) L.push(`  bpf_probe_read(msg->${f.name}, ${f.size}, ${f.name});`);
    else L.push(`  msg->${f.name} = ${f.name};`);
  }
  if (m.dynamic) {
    const last = m.fields.find((f) => f.type === 'string' && f.offset === null)!;
    L.push(`  u32 __consumed = ${m.wireSize};`);
    for (const f of wireFields(m).filter((x) => x.type === 'string')) L.push(`  msg->${f.name} = ${f.name}.len;`, `  __consumed += ${f.name}.len;`);
    L.push(`  __consumed += ${last.name}.len;`, '  msg->_len = (__consumed <= 0xffff) ? (u16)__consumed : (u16)0xffff;');
  }
  L.push('}', '');
  return L;
}

function sampleStruct(app: string, m: MessageSchema): string[] {
  const bn = `bpf_${app}__${m.name}`;
  return [
    `struct ${bn} {`, '  u32 dummy; /* 64-bit alignment of what follows unpadded_size */', '  u32 unpadded_size;', '  u64 timestamp;',
    `  struct ${structName(app, m.name)} jb;`, `  u8 __pad[${pad8(m.wireSize)}];`, '};',
    `static const uint32_t ${bn}__data_size = ${m.wireSize} + 16;`,
    `static const uint32_t ${bn}__perf_size = ${perfSize(m.wireSize)};`,
    `_Static_assert(offsetof(struct ${bn},jb) == 16, "${bn}: jb at 16");`,
    `_Static_assert(((sizeof(struct ${bn}) + 1) & ~1) >= ${m.wireSize}+16, "${bn}: size");`, '',
  ];
}

function submitters(app: string, m: MessageSchema): string[] {
  const bn = `bpf_${app}__${m.name}`;
  const proto = commaPrototype(m);
  const call = commaCall(m);
  return [
    `static inline void bpf_fill_${app}__${m.name}( struct ${bn} *__msg, u64 __now ${proto})`, '{',
    '  __msg->timestamp = __now;', `  jb_fill_${app}__${m.name}(&__msg->jb ${call});`,
    m.dynamic ? '  __msg->unpadded_size = 8 + __msg->jb._len;' : `  __msg->unpadded_size = ${m.wireSize + 8};`, '}', '',
    `static inline int perf_submit_${app}__${m.name}(struct pt_regs *ctx, u64 __now ${proto})`, '{',
    `  struct ${bn} __msg = {};`, `  bpf_fill_${app}__${m.name}(&__msg, __now ${call});`,
    `  return bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &__msg.unpadded_size, ${bn}__perf_size);`, '}', '',
  ];
}

export function bpfH(app: AppSchema, banner: string): string {
  const out = [banner, '#pragma once', '', '#include <linux/stddef.h>', '', '#include "jitbuf/jb.h"', '', '#include "wire_message.h"', ''];
  out.push('/* wire message fillers */', ...app.messages.flatMap((m) => filler(app.name, m)));
  out.push('/* perf sample structs */', ...app.messages.flatMap((m) => sampleStruct(app.name, m)));
  out.push('/* sample fillers and perf submitters */', ...app.messages.flatMap((m) => submitters(app.name, m)));
  return `${out.join('\n')}\n`;
}

/** renderc's BpfGenerator has no case for `string<N>` (its fillers treat every string as a jb_blob). */
export function bpfUnsupported(app: AppSchema): string | undefined {
  for (const m of app.messages) for (const f of m.fields) if (shortStringSize(f) !== null) return `${m.name}.${f.name} is ${f.type}`;
  return undefined;
}
