// bpf/build.sh and bpf-recorder's argument handling. The recorder is built here, from the vendored sources, with the
// same script users run; loading BPF programs needs root and a kernel (the VM scenario in the root test/ does that).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bpfDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bpf');
const buildSh = join(bpfDir, 'build.sh');
const cache = join(tmpdir(), 'flowmill-bpf-test-cache');

function build(args: string[] = []) {
  return spawnSync('bash', [buildSh, '--cache', cache, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

let outDir = '';
test.before(() => {
  const r = build();
  if (r.status !== 0) throw new Error(`bpf/build.sh failed (${r.status}):\n${r.stderr}`);
  outDir = r.stdout.trim();
});

/** Whether an ELF64 little-endian executable names a dynamic loader (a PT_INTERP program header). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

const recorder = (...args: string[]) => spawnSync(join(outDir, 'bpf-recorder'), args, { encoding: 'utf8' });

test('build.sh prints a cache directory holding the object, the skeleton and a static recorder; a second run reuses it', () => {
  for (const f of ['render_bpf.bpf.o', 'render_bpf.skel.h', 'bpf-recorder', 'build.json']) assert.ok(existsSync(join(outDir, f)), f);
  assert.ok(outDir.startsWith(cache), 'output goes to the cache, not the repository');
  assert.not.ok(hasInterpreter(readFileSync(join(outDir, 'bpf-recorder'))), 'statically linked: no PT_INTERP, so it runs in any guest');
  // the skeleton carries every program the collector attaches (bpf_handler.cc@68f0c23f:79-239)
  const skel = readFileSync(join(outDir, 'render_bpf.skel.h'), 'utf8');
  for (const p of ['onret_get_pid_task', 'on_tcp4_seq_show', 'on_ctnetlink_dump_tuples', 'continue_tcp_recvmsg']) assert.match(skel, new RegExp(`struct bpf_program \\*${p};`));
  const again = build();
  assert.is(again.status, 0);
  assert.is(again.stdout.trim(), outDir);
  assert.not.match(again.stderr, /building/);
});

test('--help prints the usage on stdout and exits 0', () => {
  const r = recorder('--help');
  assert.is(r.status, 0);
  assert.match(r.stdout, /^usage: bpf-recorder --out DUMP --report JSON/);
});

test('bad usage exits 64 with one line naming the flag, before anything is loaded', () => {
  const cases: [string[], RegExp][] = [
    [[], /--out: required/],
    [['--out', '/tmp/x'], /--report: required/],
    [['--out', '/tmp/x', '--report', '/tmp/x'], /--report \/tmp\/x: must differ from --out/],
    [['--out', '/tmp/x', '--report', '/tmp/y', '--pages', '3'], /--pages 3: a power of two/],
    [['--out', '/tmp/x', '--report', '/tmp/y', '--duration', 'soon'], /--duration soon: seconds/],
    [['--out', '/tmp/x', '--report', '/tmp/y', '--duration', '-1'], /--duration -1: seconds/],
    [['--out', '/tmp/x', '--report', '/tmp/y', '--filter-ns', '1e9'], /--filter-ns 1e9: nanoseconds/],
    [['--out', '/tmp/x', '--report', '/tmp/y', '--reorder-window-ms', '10001'], /--reorder-window-ms 10001: milliseconds/],
    [['--out', '/tmp/x', '--report', '/tmp/y', 'extra'], /extra: unexpected argument/],
    [['--bogus'], /--bogus: unknown flag/],
    [['--out'], /--out: needs a value/],
  ];
  for (const [args, why] of cases) {
    const r = recorder(...args);
    assert.is(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^bpf-recorder: bad flags: /);
    assert.match(r.stderr, why);
    assert.is(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('an existing dump is not overwritten without --force (73, naming the file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-rec-'));
  writeFileSync(join(dir, 'dump'), 'keep');
  const r = recorder('--out', join(dir, 'dump'), '--report', join(dir, 'report.json'));
  assert.is(r.status, 73);
  assert.match(r.stderr, new RegExp(`cannot create dump: ${join(dir, 'dump')}: File exists \\(use --force`));
  assert.is(readFileSync(join(dir, 'dump'), 'utf8'), 'keep');
});

test('build.sh --bpf-src: a broken render_bpf.c fails with clang\'s file:line error shown, exit 65', () => {
  const src = mkdtempSync(join(tmpdir(), 'bpf-src-'));
  cpSync(join(bpfDir, 'vendor', 'opentelemetry-network'), src, { recursive: true });
  const file = join(src, 'collector/kernel/bpf_src/render_bpf.c');
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('perf_submit_agent_internal__pid_close('));
  lines.splice(at, 0, '  this_is_not_c;');
  writeFileSync(file, lines.join('\n'));
  const r = build(['--bpf-src', src]);
  assert.is(r.status, 65, r.stderr);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:${at + 1}:\\d+: error: use of undeclared identifier 'this_is_not_c'`));
  assert.match(r.stderr, /bpf build: cannot compile BPF programs: .*render_bpf\.c: clang's errors above/);
});

test('build.sh: a --bpf-src that is not a checkout is missing input (66); an unknown flag is usage (64)', () => {
  const empty = mkdtempSync(join(tmpdir(), 'bpf-src-'));
  const r = build(['--bpf-src', empty]);
  assert.is(r.status, 66);
  assert.match(r.stderr, /cannot read source: .*render_bpf\.c: no such file/);
  assert.is(build(['--nope']).status, 64);
});

test.run();
