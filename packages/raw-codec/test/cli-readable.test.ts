// The bin as a user meets it off the happy path (issue 12 items 9 and 13): an empty input, a --name that matches
// nothing, `stats` on a terminal, and `decode --pretty` for jq. Expected values come from the records encoded here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, encodeIntake, packFlushes, RecordEncoder } from '../src/index.js';
import { bin } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'raw-codec-readable-'));
const fm = builtinSchema('flowmill');
const ingest = fm.apps.ingest;
const T0 = 1_700_000_000_123_456_789n; // 2023-11-14T22:13:20.123456789Z

function run(args: string[], input?: Uint8Array | string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
function sh(cmd: string) {
  const r = spawnSync('bash', ['-c', cmd], { maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

const ascii = (s: string, n: number) => Array.from({ length: n }, (_, i) => (i < s.length ? s.charCodeAt(i) : 0));
const u32le = (b: number[]) => new DataView(Uint8Array.from(b).buffer).getUint32(0, true); // the bytes as they sit in memory
/** Every field zero (or empty), then `set`. */
function fields(name: string, set: Record<string, unknown>): Record<string, unknown> {
  const m = ingest.byName.get(name)!;
  const o: Record<string, unknown> = {};
  for (const f of m.fields) o[f.name] = f.arrayLength ? new Array(f.arrayLength).fill(0) : f.type.startsWith('string') ? '' : /64|128/.test(f.type) ? 0n : 0;
  return { ...o, ...set };
}

const e = new RecordEncoder(ingest);
const SK = 0xffff888012345678n;
const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const recs = [
  e.encode('version_info', T0, { major: 0, minor: 9, build: 1 }),
  e.encode('authz_authenticate', T0 + 1n, { token: 'T', collector_type: 1, hostname: 'h' }),
  e.encode('pid_info_create', T0 + 2n, fields('pid_info_create', { pid: 4242, comm: ascii('bash', 16) })),
  e.encode('pid_info_create', T0 + 3n, fields('pid_info_create', { pid: 4243, comm: [...ascii('ab', 3), 7, ...new Array(12).fill(0)] })), // not a C string
  e.encode('set_state_ipv4', T0 + 4n, fields('set_state_ipv4', { dest: u32le([10, 0, 0, 1]), src: u32le([192, 168, 1, 20]), sk: SK, dport: 443, sport: 50000 })),
  e.encode('set_state_ipv6', T0 + 5n, fields('set_state_ipv6', { dest: v6, src: [...new Array(10).fill(0), 255, 255, 10, 0, 0, 7], sk: SK + 1n })),
  e.encode('socket_stats', T0 + 2_500_000_000n, fields('socket_stats', { sk: SK, diff_bytes: 100n })),
];
const wire = join(dir, 'intake.raw');
writeFileSync(wire, encodeIntake(packFlushes(recs.slice(1), 16384), recs[0]));

test('an empty input: one line on stderr, exit 66 (nothing to decode), nothing on stdout', () => {
  const empty = join(dir, 'empty.raw');
  writeFileSync(empty, '');
  const r = run(['decode', empty]);
  assert.is(r.code, 66);
  assert.is(r.out, '');
  assert.is(r.err, `raw-codec: nothing to decode: ${empty}: the input is empty (0 bytes)\n`);
  const s = run(['decode', '-'], '');
  assert.is(s.code, 66);
  assert.is(s.err, 'raw-codec: nothing to decode: stdin: the input is empty (0 bytes)\n');
  const st = run(['stats', '-q', empty]); // a count of nothing is an answer (README, exit codes)
  assert.is(st.code, 0, st.err);
  assert.is(JSON.parse(st.out).records, 0);
});

test('--name of a BPF-only message on an intake capture: exit 64 naming the app it belongs to', () => {
  const name = 'cgroup_attach_task';
  assert.ok(fm.apps.agent_internal.byName.has(name) && !ingest.byName.has(name), 'precondition: a BPF-only message');
  const r = run(['decode', '--name', name, wire]);
  assert.is(r.code, 64);
  assert.is(r.out, '');
  assert.match(r.err, /^raw-codec: bad flags: --name cgroup_attach_task \(a message of flowmill\.agent_internal\): no such message in flowmill\.ingest/m);
});

test('--name of a message in both apps that the capture lacks: a note on stderr, not silence', () => {
  // pid_info is a BPF message and an ingest one; the agent forwards it as pid_info_create
  // (collector/kernel/buffered_poller.cc@3598385a:1084), so intake captures hold none.
  const r = run(['decode', '--name', 'pid_info', wire]);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, '');
  assert.match(r.err, /^raw-codec: note: --name pid_info: no such record in this input \(flowmill\.ingest; pid_info is also a message of flowmill\.agent_internal \(a BPF dump\)\)$/m);
  const found = run(['decode', '--name', 'pid_info_create', wire]);
  assert.is(found.out.trimEnd().split('\n').length, 2);
  assert.not.match(found.err, /note:/);
});

test('stats on a terminal: UTC times and a span in human units; raw nanoseconds with --json or in a pipe', () => {
  const tty = sh(`script -qec 'node ${bin} stats -q ${wire}' /dev/null`);
  assert.is(tty.code, 0, tty.err);
  assert.match(tty.out, /time 2023-11-14T22:13:20\.123456789Z \.\. 2023-11-14T22:13:22\.623456789Z \(span 2\.500 s\)/);
  const json = sh(`script -qec 'node ${bin} stats -q --json ${wire}' /dev/null`);
  assert.match(json.out, new RegExp(`"minTimestamp":"${T0}","maxTimestamp":"${T0 + 2_500_000_000n}"`));
  assert.is(JSON.parse(run(['stats', '-q', wire]).out).maxTimestamp, String(T0 + 2_500_000_000n));
});

test('decode --pretty: a "pretty" object after "segment", the lines otherwise byte-identical', () => {
  const plain = run(['decode', '-q', wire]).out.trimEnd().split('\n');
  const pretty = run(['decode', '-q', '--pretty', wire]).out.trimEnd().split('\n');
  assert.is(pretty.length, plain.length);
  pretty.forEach((l, i) => assert.is(l.replace(/,"pretty":\{[^{}]*\}\}$/, '}'), plain[i]));
  const objs = pretty.map((l) => JSON.parse(l));
  assert.equal(objs[2].pretty, { comm: 'bash' });
  assert.equal(objs[2].data.comm, ascii('bash', 16), 'the exact value stays');
  assert.is(objs[3].pretty, undefined, 'a comm that is not a C string gets no rendering');
  assert.equal(objs[4].pretty, { dest: '10.0.0.1', src: '192.168.1.20' });
  assert.equal(objs[5].pretty, { dest: '2001:db8::1', src: '::ffff:10.0.0.7' });
  assert.is(objs[6].pretty, undefined);
  assert.equal(Object.keys(objs[4]), ['name', 'rpc_id', 'timestamp', 'ref', 'data', 'segment', 'pretty']);
});

test('--pretty output still encodes back to the same records', () => {
  const again = join(dir, 'again.raw');
  const r = sh(`node ${bin} decode -q --pretty ${wire} | node ${bin} encode --schema flowmill -o ${again}`);
  assert.is(r.code, 0, r.err);
  assert.is(run(['decode', '-q', again]).out, run(['decode', '-q', wire]).out);
});

test('the README jq one-liners: count by name, one socket, one pid', () => {
  const byName = sh(`node ${bin} decode -q ${wire} | jq -s 'group_by(.name) | map({(.[0].name): length}) | add'`);
  assert.equal(JSON.parse(byName.out), { version_info: 1, authz_authenticate: 1, pid_info_create: 2, set_state_ipv4: 1, set_state_ipv6: 1, socket_stats: 1 });
  const sock = sh(`node ${bin} decode -q --pretty ${wire} | jq -c --arg sk ${SK} 'select(.data.sk == $sk) | [.name, .pretty.dest // null]'`);
  assert.is(sock.out, '["set_state_ipv4","10.0.0.1"]\n["socket_stats",null]\n');
  const pid = sh(`node ${bin} decode -q --pretty ${wire} | jq -r 'select(.data.pid == 4242) | .pretty.comm'`);
  assert.is(pid.out, 'bash\n');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
