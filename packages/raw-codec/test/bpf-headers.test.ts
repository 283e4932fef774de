// raw-codec gen bpf-headers: the C headers the agent's BPF code includes. Layouts are held against the C compiler
// (clang for the BPF target, as the collector builds them: collector/kernel/CMakeLists.txt@68f0c23f:191-221) and
// the independently computed schema JSON (vendor/README.md), not against the generator's own output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateBpfHeaders, loadSchema, parseRender, perfSize, SchemaError } from '../src/index.js';
import { bin, vendorDir } from './helpers.js';

interface JsonField { name: string; offset: number | null; size: number }
interface JsonMessage { name: string; rpc_id: number; dynamic: boolean; wire_size: number; fields: JsonField[] }
const independent = JSON.parse(readFileSync(join(vendorDir, 'ebpf_net-schema.json'), 'utf8')).apps.agent_internal.messages as JsonMessage[];

/** What the BPF build gets from vmlinux.h, bpf_helpers.h, jitbuf/jb.h and render_bpf.c before bpf.h (our own stand-ins). */
const prelude = `
typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32; typedef unsigned long long u64;
typedef u8 uint8_t; typedef u16 uint16_t; typedef u32 uint32_t; typedef u64 uint64_t; typedef signed char int8_t;
typedef short int16_t; typedef int int32_t; typedef long long int64_t;
struct pt_regs { unsigned long di; };
#define BPF_F_CURRENT_CPU 0xffffffffULL
static long (*bpf_perf_event_output)(void *ctx, void *map, u64 flags, void *data, u64 size) = (void *)25;
static long (*bpf_probe_read)(void *dst, u32 size, const void *src) = (void *)4;
struct { int type; } events;
`;
const jbStandIn = '#pragma once\nstruct jb_blob { const char *buf; unsigned short len; };\n';

function writeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-headers-'));
  mkdirSync(join(dir, 'jitbuf'));
  writeFileSync(join(dir, 'jitbuf', 'jb.h'), jbStandIn);
  return dir;
}

function clang(dir: string, file: string): { status: number | null; stderr: string } {
  // linux/stddef.h comes from the system's kernel headers, as in the collector's build.
  const r = spawnSync('clang', ['-target', 'bpf', '-O2', '-fsyntax-only', '-Werror=implicit-function-declaration', '-I', dir,
    '-idirafter', '/usr/include', '-idirafter', '/usr/include/x86_64-linux-gnu', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`clang not runnable (tools/test/setup-bpf.sh installs it): ${r.error.message}`);
  return { status: r.status, stderr: r.stderr };
}

test('every struct size and field offset of the generated headers, as clang lays them out for BPF, equals the independent schema', async () => {
  const schema = await loadSchema(join(vendorDir, 'ebpf_net.render'));
  const dir = writeTree();
  for (const f of generateBpfHeaders(schema)) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
  const asserts: string[] = [];
  const A = (e: string, what: string) => asserts.push(`_Static_assert(${e}, ${JSON.stringify(what)});`);
  for (const m of independent) {
    const s = `struct jb_agent_internal__${m.name}`;
    const b = `struct bpf_agent_internal__${m.name}`;
    let end = m.dynamic ? `(offsetof(${s}, _len) + 2)` : '2';
    if (m.dynamic) A(`offsetof(${s}, _len) == 2`, `${m.name}._len at 2`);
    let last = m.dynamic ? 4 : 2;
    for (const f of m.fields) {
      if (f.offset === null) continue;
      A(`offsetof(${s}, ${f.name}) == ${f.offset}`, `${m.name}.${f.name} at ${f.offset}`);
      A(`sizeof(((${s} *)0)->${f.name}) == ${f.size}`, `${m.name}.${f.name} is ${f.size} bytes`);
      if (f.offset + f.size > last) { last = f.offset + f.size; end = `(offsetof(${s}, ${f.name}) + sizeof(((${s} *)0)->${f.name}))`; }
    }
    A(`${end} == ${m.wire_size}`, `${m.name}: static part is ${m.wire_size} bytes`);
    A(`offsetof(${b}, jb) == 16 && offsetof(${b}, unpadded_size) == 4`, `${m.name}: sample header`);
    // perf_submit_* hands perf_size bytes from &unpadded_size: they must lie inside the sample struct.
    A(`4 + ${perfSize(m.wire_size)} <= sizeof(${b})`, `${m.name}: perf_size inside the struct`);
  }
  const tu = join(dir, 'check.c');
  writeFileSync(tu, `${prelude}#include "ebpf_net/agent_internal/bpf.h"\n${asserts.join('\n')}\n`);
  const r = clang(dir, tu);
  assert.is(r.stderr.split('\n').filter((l) => /error/.test(l)).slice(0, 10).join('\n'), '');
  assert.is(r.status, 0);
  assert.is(schema.apps.agent_internal.messages.length, independent.length, 'one struct per message');
});

test('perf_submit_* sizes follow renderc: 8-byte timestamp + message rounded up to 8, plus the u32 in front', () => {
  // BpfGenerator.xtend@68f0c23f:130: ((size + 8 + 7) / 8) * 8 + 4
  assert.is(perfSize(36), 52);
  assert.is(perfSize(16), 28);
  assert.is(perfSize(2), 20);
});

test('a changed .render file changes the headers: a new field lands where the packer puts it, and clang agrees', () => {
  const text = readFileSync(join(vendorDir, 'ebpf_net.render'), 'utf8').replace(/(log pid_info\s*\{[^}]*?)(\n\s*\})/, '$1\n    17: u16 extra_test_field$2');
  const schema = parseRender(text, { source: 'changed.render' });
  const m = schema.apps.agent_internal.byName.get('pid_info')!;
  const extra = m.fields.find((f) => f.name === 'extra_test_field');
  assert.ok(extra && extra.offset !== null, 'the edit added a field');
  const dir = writeTree();
  for (const f of generateBpfHeaders(schema)) { mkdirSync(join(dir, f.path, '..'), { recursive: true }); writeFileSync(join(dir, f.path), f.text); }
  const tu = join(dir, 'check.c');
  writeFileSync(tu, `${prelude}#include "ebpf_net/agent_internal/bpf.h"\n_Static_assert(offsetof(struct jb_agent_internal__pid_info, extra_test_field) == ${extra!.offset}, "x");\n`);
  const r = clang(dir, tu);
  assert.is(r.status, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'ebpf_net/agent_internal/bpf.h'), 'utf8'), /perf_submit_agent_internal__pid_info\(struct pt_regs \*ctx,\s*u64 __now , const uint32_t pid, const uint8_t comm\[16\], const uint64_t cgroup, const int32_t parent_pid, const uint16_t extra_test_field\)/);
});

test('an unknown app and a string<N> field are schema errors, not broken C', async () => {
  const schema = await loadSchema(join(vendorDir, 'ebpf_net.render'));
  assert.throws(() => generateBpfHeaders(schema, { app: 'nope' }), (e: Error) => e instanceof SchemaError && /no app nope/.test(e.message));
  const short = parseRender('package demo\nnamespace { a: 1-9 }\napp a {\n span s {\n 1: log m { 1: string<8> tag }\n }\n}\n', { source: 'short.render' });
  assert.throws(() => generateBpfHeaders(short, { app: 'a' }), (e: Error) => e instanceof SchemaError && /m\.tag is string<8>/.test(e.message));
});

test('CLI: gen bpf-headers writes both headers and prints their paths; flowmill and a missing file are refused', () => {
  if (!existsSync(bin)) throw new Error(`build raw-codec first: ${bin}`);
  const out = mkdtempSync(join(tmpdir(), 'bpf-headers-cli-'));
  const r = spawnSync(process.execPath, [bin, 'gen', 'bpf-headers', '--schema', join(vendorDir, 'ebpf_net.render'), '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), [join(out, 'ebpf_net/agent_internal/wire_message.h'), join(out, 'ebpf_net/agent_internal/bpf.h')]);
  const fm = spawnSync(process.execPath, [bin, 'gen', 'bpf-headers', '--schema', 'flowmill', '--out', out], { encoding: 'utf8' });
  assert.is(fm.status, 64, fm.stderr);
  const missing = spawnSync(process.execPath, [bin, 'gen', 'bpf-headers', '--schema', join(out, 'none.render'), '--out', out], { encoding: 'utf8' });
  assert.is(missing.status, 66, missing.stderr);
});

test.run();
