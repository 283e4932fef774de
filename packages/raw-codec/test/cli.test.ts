// The built bundle dist/raw-codec.js, as users run it: exit codes, NDJSON shape, jq, the lz4 CLI as a peer.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, encodeIntake, packFlushes, RecordEncoder } from '../src/index.js';
import { bin, cat, pkgDir } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'raw-codec-cli-'));
const fm = builtinSchema('flowmill');
const ot = builtinSchema('ebpf_net');
const T0 = 1_700_000_000_123_456_789n;
const MAX64 = (1n << 64n) - 1n;

function run(args: string[], opts: { input?: Uint8Array | string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { input: opts.input, cwd: opts.cwd, maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), raw: r.stdout };
}
function sh(cmd: string): { code: number | null; out: string; err: string } {
  const r = spawnSync('bash', ['-c', cmd], { maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

function connection(schema = fm, n = 50): Uint8Array[] {
  const e = new RecordEncoder(schema.apps.ingest);
  const vi = schema.apps.ingest.byName.get('version_info')!;
  const recs = [e.encode('version_info', T0, Object.fromEntries(vi.fields.map((f, i) => [f.name, [0, 9, 4321][i]])))];
  recs.push(schema === fm ? e.encode('authz_authenticate', T0 + 1n, { token: 'TOKEN', collector_type: 1, hostname: 'host1' }) : e.encode('connect', T0 + 1n, { collector_type: 1, hostname: 'host1' }));
  recs.push(e.encode('metadata_complete', T0 + 2n, { time: MAX64 }));
  for (let i = 0; i < n; i++) {
    const t = T0 + BigInt(i) * 1_000_000n;
    recs.push(i % 2 ? e.encode('socket_stats', t, { sk: 0xffff888012345678n + BigInt(i), diff_bytes: BigInt(i), diff_delivered: i, diff_retrans: 0, max_srtt: 7, is_rx: 1 })
      : e.encode('set_config_label', t, { key: `k${i}`, value: 'é "quoted"' }));
  }
  return recs;
}
const recs = connection();
const recordFile = join(dir, 'intake.record');
const wireFile = join(dir, 'intake.raw');
writeFileSync(recordFile, cat(...recs));
writeFileSync(wireFile, encodeIntake(packFlushes(recs.slice(1), 400), recs[0]));

test('decode: NDJSON in the upstream shape, the schema it used on stderr, exit 0', () => {
  const r = run(['decode', wireFile]);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /^raw-codec: reading intake wire capture \(high\) with schema flowmill \(high\): .*authz_authenticate \(404\)/);
  const lines = r.out.trimEnd().split('\n');
  assert.is(lines.length, recs.length);
  const objs = lines.map((l) => JSON.parse(l));
  assert.equal(Object.keys(objs[0]), ['name', 'rpc_id', 'timestamp', 'data', 'segment']);
  assert.equal(objs[0], { name: 'version_info', rpc_id: 310, timestamp: String(T0), data: { major: 0, minor: 9, build: 4321 }, segment: 0 });
  const ss = objs.find((o) => o.name === 'socket_stats');
  assert.equal(Object.keys(ss), ['name', 'rpc_id', 'timestamp', 'ref', 'data', 'segment']);
  assert.is(ss.ref, ss.data.sk, 'socket_stats is `ref sk`');
  assert.is(run(['decode', recordFile]).out, r.out, 'the record file decodes to the same lines');
  assert.is(run(['decode', '-'], { input: readFileSync(wireFile) }).out, r.out, 'stdin works the same');
});

test('jq reads the output; 64-bit values keep every digit as strings', () => {
  const r = sh(`node ${bin} decode -q ${wireFile} | jq -r 'select(.name=="metadata_complete") | .data.time, .timestamp'`);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, `${MAX64}\n${T0 + 2n}\n`);
  const count = sh(`node ${bin} decode -q ${wireFile} --name socket_stats | jq -s 'map(select(.segment == 0)) | length'`);
  assert.is(count.out.trim(), String(recs.filter((x) => x[8] + x[9] * 256 === 326).length));
  const label = sh(`node ${bin} decode -q ${wireFile} --name set_config_label | jq -r '.data.value' | head -1`);
  assert.is(label.out, 'é "quoted"\n');
});

test('an intake capture whose frames come from the lz4 CLI decodes like the record file', () => {
  const vi = join(dir, 'vi.bin');
  writeFileSync(vi, recs[0]);
  const rest = join(dir, 'rest.bin');
  writeFileSync(rest, cat(...recs.slice(1)));
  const peer = join(dir, 'peer.raw');
  assert.is(sh(`cat ${vi} > ${peer} && lz4 -c -q ${rest} >> ${peer} && lz4 -c -q -B4 --no-frame-crc ${rest} >> ${peer}`).code, 0);
  // Second connection: another raw version_info, then the lz4 CLI's frame again.
  assert.is(sh(`cat ${vi} >> ${peer} && lz4 -c -q ${rest} >> ${peer}`).code, 0);
  const r = run(['decode', peer, '-q']);
  assert.is(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
  const once = run(['decode', recordFile, '-q']).out.trimEnd().split('\n').map((l) => JSON.parse(l));
  const rest1 = once.slice(1);
  assert.equal(lines.map((l) => ({ ...l, segment: 0 })), [...once, ...rest1, ...once].map((l) => ({ ...l, segment: 0 })));
  assert.equal([...new Set(lines.map((l) => l.segment))], [0, 1]);
});

test('our intake encoder\'s frames decompress with lz4 -d to the exact record bytes', () => {
  const frames = join(dir, 'frames.lz4');
  writeFileSync(frames, readFileSync(wireFile).subarray(24));
  const r = spawnSync('lz4', ['-d', '-c', frames], { maxBuffer: 1 << 26 });
  assert.is(r.status, 0, r.stderr?.toString());
  assert.equal(Buffer.compare(r.stdout, Buffer.from(cat(...recs.slice(1)))), 0);
});

test('encode → decode round trip through the CLI (intake, record, bpf), edited NDJSON included', () => {
  const nd = run(['decode', '-q', wireFile]).out;
  const edited = nd.replace('"hostname":"host1"', '"hostname":"edited-host"');
  for (const kind of ['intake', 'record']) {
    const out = join(dir, `rebuilt.${kind}`);
    const e = run(['encode', '--kind', kind, '--schema', 'flowmill', '--out', out], { input: edited });
    assert.is(e.code, 0, e.err);
    const back = run(['decode', '-q', out]);
    assert.is(back.code, 0, back.err);
    assert.is(back.out, edited, kind);
    assert.is(run(['encode', '--kind', kind, '--schema', 'flowmill', '--out', out], { input: edited }).code, 73, 'refuses to overwrite');
  }
  // a bad line leaves no file under the real name (nor a .partial), so a rerun needs no --force
  const broken = join(dir, 'broken.intake');
  const bad = run(['encode', '--schema', 'flowmill', '--out', broken], { input: `${edited}{"name":"no_such_message","timestamp":"1","data":{}}\n` });
  assert.is(bad.code, 65, bad.err);
  assert.is(existsSync(broken) || existsSync(`${broken}.partial`), false, 'nothing half-written is left');
  assert.is(run(['encode', '--schema', 'flowmill', '--out', broken], { input: edited }).code, 0);
  const viaStdout = sh(`node ${bin} decode -q ${wireFile} | node ${bin} encode --schema flowmill | node ${bin} decode -q`);
  assert.is(viaStdout.out, nd);
  const bpf = JSON.stringify({ name: 'new_sock_created', rpc_id: 333, timestamp: '5', data: { pid: 7, sk: String(MAX64) }, segment: 0 });
  const b = sh(`echo '${bpf}' | node ${bin} encode --kind bpf --schema ebpf_net | node ${bin} decode -q --kind bpf --schema ebpf_net`);
  assert.is(b.out, `${bpf}\n`);
});

test('encode rejects bad NDJSON with the line number (exit 65) and bad flags (exit 64)', () => {
  const r = run(['encode', '--schema', 'flowmill'], { input: '{"name":"version_info","timestamp":"1","data":{"major":1,"minor":2,"build":3}}\n{"name":"heartbeat","timestamp":"x"}\n' });
  assert.is(r.code, 65);
  assert.match(r.err, /^raw-codec: cannot encode record: line 2 heartbeat: "timestamp" must be a decimal string/);
  assert.is(run(['encode'], { input: '' }).code, 64, '--schema is required');
  assert.is(run(['encode', '--schema', 'flowmill', '--kind', 'auto'], { input: '' }).code, 64);
});

test('exit codes: 66 missing file, 64 bad flags, 65 truncated and corrupt (records before the fault are out)', () => {
  const missing = run(['decode', join(dir, 'nope.raw')]);
  assert.is(missing.code, 66);
  assert.match(missing.err, /^raw-codec: cannot read .*nope\.raw: .*ENOENT/);
  const isDir = run(['decode', dir]);
  assert.is(isDir.code, 66);
  assert.match(isDir.err, /^raw-codec: cannot read .*raw-codec-cli-.*: .*EISDIR/);
  assert.is(run(['decode', '--kind', 'zip', wireFile]).code, 64);
  assert.is(run(['decode', '--schema', 'nonsense', wireFile]).code, 64);
  assert.is(run(['decode', '--bogus', wireFile]).code, 64);
  assert.is(run(['nosuchcommand']).code, 64);
  const typo = run(['decode', '--name', 'sokcet_stats', wireFile]);
  assert.is(typo.code, 64);
  assert.match(typo.err, /--name sokcet_stats: no such message in flowmill\.ingest/);
  const full = readFileSync(recordFile);
  const cut = join(dir, 'cut.record');
  writeFileSync(cut, full.subarray(0, full.length - 3));
  const t = run(['decode', '-q', cut]);
  assert.is(t.code, 65);
  assert.is(t.out.trimEnd().split('\n').length, recs.length - 1, 'every complete record');
  assert.match(t.err, /^raw-codec: truncated input: byte \d+, segment 0: input ends inside a record: .*; last good record: /m);
  const bad = Buffer.from(full);
  bad[recs[0].length + recs[1].length + 8] = 0xee; // rpc id 0x7eee of the third record: no such message
  bad[recs[0].length + recs[1].length + 9] = 0x7e;
  const corrupt = join(dir, 'corrupt.record');
  writeFileSync(corrupt, bad);
  const c = run(['decode', '-q', corrupt]);
  assert.is(c.code, 65);
  assert.is(c.out.trimEnd().split('\n').length, 2);
  assert.match(c.err, new RegExp(`^raw-codec: corrupt input: byte ${recs[0].length + recs[1].length}, segment 0: unknown rpc id \\d+ .*; last good record: authz_authenticate at ${recs[0].length}`));
  const wcut = join(dir, 'cut.raw');
  writeFileSync(wcut, readFileSync(wireFile).subarray(0, 290)); // inside the first frame (it ends at 300)
  const w = run(['stats', '--json', '-q', wcut]);
  assert.is(w.code, 65);
  const st = JSON.parse(w.out);
  assert.match(st.error, /truncated input/);
});

test('stats: counts, bytes, span, segments, frames as JSON (not a TTY)', () => {
  const two = join(dir, 'two.raw');
  writeFileSync(two, cat(readFileSync(wireFile), readFileSync(wireFile)));
  const r = run(['stats', two]);
  assert.is(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.is(s.records, 2 * recs.length);
  assert.is(s.segments, 2);
  assert.is(s.recordBytes, 2 * recs.reduce((a, x) => a + x.length, 0));
  assert.is(s.schema, 'flowmill');
  assert.is(s.kind, 'intake');
  assert.ok(s.frames >= 4);
  assert.is(s.minTimestamp, String(T0));
  assert.is(s.messages.find((m: { name: string }) => m.name === 'version_info').count, 2);
  assert.is(s.messages.reduce((a: number, m: { count: number }) => a + m.count, 0), s.records);
});

test('a capture with a connection cut inside a frame: exit 65 naming it, or --allow-cut goes on with a warning', () => {
  const whole = readFileSync(wireFile);
  const f = join(dir, 'cut-then-next.raw');
  writeFileSync(f, cat(whole.subarray(0, whole.length - 9), whole));
  const strict = run(['decode', '-q', f]);
  assert.is(strict.code, 65);
  assert.match(strict.err, new RegExp(`^raw-codec: truncated input: byte ${whole.length - 9}, frame \\d+, segment 0: connection cut inside LZ4 frame`));
  const lenient = run(['decode', '-q', '--allow-cut', f]);
  assert.is(lenient.code, 0, lenient.err);
  assert.match(lenient.err, /^raw-codec: warning: truncated input: .*connection cut inside LZ4 frame .*\(going on: --allow-cut\)$/m);
  const segs = lenient.out.trimEnd().split('\n').map((l) => JSON.parse(l).segment);
  assert.is(segs.filter((x) => x === 1).length, recs.length);
  const st = JSON.parse(run(['stats', '-q', '--allow-cut', f]).out);
  assert.equal([st.cuts, st.segments], [1, 2]);
});

test('schema prints the resolved layouts; --schema PATH.render decodes with a user IDL', () => {
  const s = JSON.parse(run(['schema', '--schema', 'ebpf_net', '--app', 'ingest']).out);
  assert.equal(Object.keys(s.apps), ['ingest']);
  assert.is(s.apps.ingest.messages.find((m: { name: string }) => m.name === 'connect').rpc_id, 548);
  const render = join(dir, 'mine.render');
  writeFileSync(render, 'package mine\nnamespace { agent_internal: 331-340 }\napp agent_internal {\n span s {\n 0: log ping { 1: u32 n 2: string text }\n }\n}\n');
  const input = JSON.stringify({ name: 'ping', rpc_id: 331, timestamp: '1', data: { n: 5, text: 'hi' }, segment: 0 });
  const r = sh(`echo '${input}' | node ${bin} encode --kind bpf --schema ${render} | node ${bin} decode --kind bpf --schema ${render}`);
  assert.is(r.out, `${input}\n`);
  assert.match(r.err, /with schema mine \(given\)/);
  const broken = join(dir, 'broken.render');
  writeFileSync(broken, 'package x\nnamespace {\n');
  const b = run(['decode', '--schema', broken, wireFile]);
  assert.is(b.code, 65);
  assert.match(b.err, /^raw-codec: cannot read schema: .*broken\.render:3: /);
});

test('--follow prints records as a growing file gets them, and stops cleanly on SIGTERM', async () => {
  const f = join(dir, 'growing.record');
  writeFileSync(f, cat(recs[0], recs[1]));
  const child = spawn(process.execPath, [bin, 'decode', '-q', '--follow', f], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waitLines = (n: number) => new Promise<void>((res) => {
    const check = () => { if (out.split('\n').length - 1 >= n) { child.stdout.off('data', on); res(); } };
    const on = (d: Buffer) => { out += d; check(); };
    child.stdout.on('data', on);
    check();
  });
  await waitLines(2);
  appendFileSync(f, cat(recs[2], recs[3].subarray(0, 5)));
  await waitLines(3);
  appendFileSync(f, recs[3].subarray(5));
  await waitLines(4);
  const code = await new Promise<number | null>((res) => { child.on('close', (c) => res(c)); child.kill('SIGTERM'); });
  assert.is(code, 0);
  assert.equal(out.trimEnd().split('\n').map((l) => JSON.parse(l).name), ['version_info', 'authz_authenticate', 'metadata_complete', 'set_config_label']);
});

test('the OTel era is detected from connect (548); a Flowmill schema on it fails at rpc 548 (ids collide, never silent)', () => {
  const o = connection(ot, 4);
  const f = join(dir, 'otel.raw');
  writeFileSync(f, encodeIntake(packFlushes(o.slice(1)), o[0]));
  const r = run(['decode', f]);
  assert.match(r.err, /with schema ebpf_net \(high\): .*connect \(548\)/);
  assert.is(JSON.parse(r.out.split('\n')[0]).data.patch, 4321, 'ebpf_net names it patch');
  const wrong = run(['decode', '--schema', 'flowmill', f]);
  assert.is(wrong.code, 65);
  assert.match(wrong.err, /unknown rpc id 548/);
});

test('runs under Deno (npx deno run -A dist/raw-codec.js decode)', () => {
  const r = spawnSync('npx', ['--no-install', 'deno', 'run', '-A', bin, 'decode', '-q', wireFile], { maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stderr.toString());
  assert.is(r.stdout.toString(), run(['decode', '-q', wireFile]).out);
});

test('--version prints the bin and the package version and exits 0', () => {
  const r = run(['--version']);
  assert.is(r.code, 0);
  assert.is(r.out.trim(), `raw-codec ${JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version}`);
});

test('stats and decode read a capture of 20,000 frames whole, though every frame boundary looks like a new connection', () => {
  // Each flush ends with a set_config_label whose last 12 bytes start 36 01: the 28 bytes before every next frame's
  // magic look like a raw version_info + magic (issue 17: such boundaries were taken for cuts).
  const e = new RecordEncoder(fm.apps.ingest);
  const flushes: Uint8Array[][] = [[e.encode('authz_authenticate', T0, { token: 'T', collector_type: 1, hostname: 'h' })]];
  let records = 2;
  for (let f = 0; f < 20_000; f++) {
    const tail = Array.from({ length: 10 }, (_, i) => ((f * 31 + i * 7) & 0xff).toString(16).padStart(2, '0')).join('');
    (flushes[f] ??= []).push(e.encode('heartbeat', T0 + BigInt(f), {}), e.encode('set_config_label', T0 + BigInt(f), { key: `k${f}`, value: { hex: `${(f & 0xffff).toString(16).padStart(8, '0')}3601${tail}` } }));
    records += 2;
  }
  const file = join(dir, 'many-frames.raw');
  writeFileSync(file, encodeIntake(flushes, e.encode('version_info', T0, { major: 0, minor: 9, build: 1 })));
  const st = run(['stats', '-q', '--json', file]);
  assert.is(st.code, 0, st.err);
  const rep = JSON.parse(st.out);
  assert.equal([rep.records, rep.frames, rep.segments, rep.cuts], [records, 20_000, 1, 0]);
  const d = sh(`node ${bin} decode -q ${file} | wc -l`);
  assert.is(d.out.trim(), String(records));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
