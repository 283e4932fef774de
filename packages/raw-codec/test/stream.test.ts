// The streaming decoders: any chunking gives the same records; segments; kind and era detection; precise errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  builtinSchema, CorruptError, decode, decodeBatches, decodeBytes, StreamDecoder, encodeIntake, lz4EncodeFrame, packFlushes, RecordEncoder, toJsonLine, TruncatedError,
  type DecodeInfo, type DecodedRecord,
} from '../src/index.js';
import { cat } from './helpers.js';

const fm = builtinSchema('flowmill');
const ot = builtinSchema('ebpf_net');
const T0 = 1_700_000_000_000_000_000n;

/** A Flowmill-era connection: version_info, authz_authenticate, some agent-shaped records. */
function connection(schema = fm, n = 40, seed = 0): Uint8Array[] {
  const e = new RecordEncoder(schema.apps.ingest);
  const vi = schema.apps.ingest.byName.get('version_info')!;
  const recs = [e.encode('version_info', T0, Object.fromEntries(vi.fields.map((f, i) => [f.name, [0, 9, 4321][i]])))];
  recs.push(schema === fm ? e.encode('authz_authenticate', T0 + 1n, { token: 'TOKEN', collector_type: 1, hostname: 'host1' }) : e.encode('connect', T0 + 1n, { collector_type: 1, hostname: 'host1' }));
  for (let i = 0; i < n; i++) {
    const t = T0 + BigInt(1000 * (i + seed));
    if (i % 3 === 0) recs.push(e.encode('heartbeat', t, {}));
    else if (i % 3 === 1) recs.push(e.encode('set_config_label', t, { key: `k${i}`, value: 'v'.repeat(i) }));
    else recs.push(e.encode('pid_info', t, { pid: i, comm: Array.from({ length: 16 }, (_, k) => (k < 4 ? 97 + k : 0)) }));
  }
  return recs;
}

function intakeOf(recs: Uint8Array[], flush = 300): Uint8Array {
  return encodeIntake(packFlushes(recs.slice(1), flush), recs[0]);
}

function toRecordFor(m: { name: string; rpcId: number }, dv: DataView, _u8: Uint8Array, off: number, size: number, segment: number, offset: number, frame: number): DecodedRecord {
  return { name: m.name, rpc_id: m.rpcId, timestamp: dv.getBigUint64(off, true), data: {}, segment, offset, size, app: 'ingest', ...(frame >= 0 ? { frame } : {}) };
}

function lines(recs: DecodedRecord[]): string[] { return recs.map(toJsonLine); }

async function collect(chunks: Uint8Array[], opts: Parameters<typeof decode>[1] = {}): Promise<{ recs: DecodedRecord[]; err: unknown }> {
  const recs: DecodedRecord[] = [];
  try {
    for await (const r of decode(chunks, opts)) recs.push(r);
    return { recs, err: null };
  } catch (err) {
    return { recs, err };
  }
}

test('intake, record and BPF inputs give the same records whatever the chunking (every split point, then 1-byte chunks)', async () => {
  const recs = connection(fm, 12);
  const inputs = [intakeOf(recs, 100), cat(...recs)];
  for (const bytes of inputs) {
    const whole = lines(decodeBytes(bytes));
    assert.is(whole.length, 14);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { recs: got, err } = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.is(err, null, `cut ${cut}`);
      assert.equal(lines(got), whole, `cut at ${cut}`);
    }
    const ones = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.equal(lines((await collect(ones)).recs), whole, '1-byte chunks');
  }
});

test('a chunk buffer the caller reuses after each push does not corrupt held bytes', async () => {
  const bytes = intakeOf(connection(fm, 30), 200);
  const want = lines(decodeBytes(bytes));
  const shared = new Uint8Array(7);
  async function* reused(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += 7) {
      const n = Math.min(7, bytes.length - i);
      shared.set(bytes.subarray(i, i + n));
      yield shared.subarray(0, n);
      shared.fill(0xee);
    }
  }
  const got: DecodedRecord[] = [];
  for await (const r of decode(reused())) got.push(r);
  assert.equal(lines(got), want);
});

test('intake capture of three connections: a raw version_info where the next frame would start opens a segment', () => {
  const a = connection(fm, 5, 0), b = connection(fm, 7, 100), c = connection(fm, 2, 200);
  const bytes = cat(intakeOf(a), intakeOf(b), intakeOf(c));
  const recs = decodeBytes(bytes);
  assert.equal(recs.map((r) => r.segment), [...a.map(() => 0), ...b.map(() => 1), ...c.map(() => 2)]);
  assert.equal(recs.filter((r) => r.name === 'version_info').map((r) => [r.segment, r.offset]), [[0, 0], [1, 0], [2, 0]]);
  assert.match(toJsonLine(recs[recs.length - 1]), /,"segment":2}$/);
});

test('record file with a reconnect: each later version_info starts a segment; offsets are file offsets', () => {
  const a = connection(fm, 3), b = connection(fm, 4);
  const recs = decodeBytes(cat(...a, ...b));
  assert.equal(recs.map((r) => r.segment), [...a.map(() => 0), ...b.map(() => 1)]);
  const sizes = [...a, ...b].map((x) => x.length);
  assert.equal(recs.map((r) => r.offset), sizes.map((_, i) => sizes.slice(0, i).reduce((x, y) => x + y, 0)));
});

test('era autodetection: authz_authenticate → flowmill, connect → ebpf_net; said, not silent', () => {
  for (const [schema, name] of [[fm, 'flowmill'], [ot, 'ebpf_net']] as const) {
    for (const bytes of [intakeOf(connection(schema, 4)), cat(...connection(schema, 4))]) {
      let info: DecodeInfo | undefined;
      const recs = decodeBytes(bytes, { onInfo: (i) => (info = i) });
      assert.is(info!.schema, name);
      assert.is(info!.schemaConfidence, 'high');
      assert.match(info!.reason, name === 'flowmill' ? /authz_authenticate \(404\)/ : /connect \(548\)/);
      assert.is(recs[1].name, name === 'flowmill' ? 'authz_authenticate' : 'connect');
    }
  }
});

test('BPF dump: kind detected, era guessed from which schema splits it, confidence reported', () => {
  // nic_queue_state (376, flowmill only, 32 B) then report_task_status (377, flowmill; pid_exit in ebpf_net, other size).
  const e = new RecordEncoder(fm.apps.agent_internal);
  const zeros = (m: string) => Object.fromEntries(fm.apps.agent_internal.byName.get(m)!.fields.map((f) => [f.name, f.arrayLength ? new Array(f.arrayLength).fill(0) : f.type === 'string' ? '' : 0]));
  const dump = cat(e.encode('new_sock_created', 1n, { pid: 1, sk: 2n }), e.encode('report_task_status', 2n, zeros('report_task_status')), e.encode('nic_queue_state', 3n, zeros('nic_queue_state')), e.encode('close_sock_info', 4n, { sk: 2n }));
  let info: DecodeInfo | undefined;
  const recs = decodeBytes(dump, { onInfo: (i) => (info = i) });
  assert.equal([info!.kind, info!.schema, info!.schemaConfidence], ['bpf', 'flowmill', 'high']);
  assert.equal(recs.map((r) => r.name), ['new_sock_created', 'report_task_status', 'nic_queue_state', 'close_sock_info']);
  // Both schemas split a dump of shared messages alike: a guess, and it says so.
  const shared = cat(e.encode('new_sock_created', 1n, { pid: 1, sk: 2n }), e.encode('close_sock_info', 4n, { sk: 2n }));
  decodeBytes(shared, { onInfo: (i) => (info = i) });
  assert.equal([info!.kind, info!.schemaConfidence], ['bpf', 'low']);
  assert.match(info!.reason, /pass --schema/);
  // ... labelled flowmill, saying that the records read the same in either era (both ids name the same messages)
  assert.is(info!.schema, 'flowmill');
  assert.match(info!.reason, /read the same in either era/);
  assert.equal(decodeBytes(shared, { schema: ot }).map((r) => [r.name, r.data]), decodeBytes(shared, { schema: fm }).map((r) => [r.name, r.data]));
});

test('decodeBatches yields the same records, one array per (small) input chunk', async () => {
  const bytes = cat(...connection(fm, 30));
  const chunks = [bytes.subarray(0, 100), bytes.subarray(100, 101), bytes.subarray(101, 400), bytes.subarray(400)];
  const batches: DecodedRecord[][] = [];
  for await (const b of decodeBatches(chunks)) batches.push(b);
  assert.ok(batches.length >= 2 && batches.every((b) => b.length > 0));
  assert.equal(lines(batches.flat()), lines(decodeBytes(bytes)));
});

test('one big input chunk is decoded in pieces: several batches, the same records, the same located error', async () => {
  // ~4,000 records (over 64 KiB compressed, megabytes as a record file) in one chunk, as a whole-file read gives.
  const recs = connection(fm, 4000);
  for (const bytes of [intakeOf(recs, 16384), cat(...recs)]) {
    assert.ok(bytes.length > 65536, `input of ${bytes.length} bytes spans several pieces`);
    const batches: DecodedRecord[][] = [];
    for await (const b of decodeBatches([bytes])) batches.push(b);
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    const all = decodeBytes(bytes);
    assert.equal(lines(batches.flat()), lines(all));
    assert.equal(lines((await collect([bytes])).recs), lines(all));
    // A corrupt rpc id in the last piece: the records before it come out, then the same error as decodeBytes gives.
    const bad = bytes.slice();
    const victim = all[all.length - 5];
    if (victim.frame === undefined) {
      bad[victim.offset + 8] = 0xff; bad[victim.offset + 9] = 0xff;
      let want: unknown = null;
      try { decodeBytes(bad); } catch (e) { want = e; }
      assert.instance(want, CorruptError);
      const got = await collect([bad]);
      assert.instance(got.err, CorruptError);
      assert.is((got.err as CorruptError).offset, (want as CorruptError).offset);
      assert.is((got.err as CorruptError).message, (want as CorruptError).message);
      assert.equal(lines(got.recs), lines(all.slice(0, all.length - 5)));
    }
  }
});

test('a connection cut inside an LZ4 frame, then the next one: an error by default, records go on with onCut', async () => {
  const a = intakeOf(connection(fm, 30, 0), 200);
  const b = intakeOf(connection(fm, 10, 500), 200);
  const aRecs = decodeBytes(a);
  const bRecs = decodeBytes(b);
  // Cut A in its last frame (and, separately, 2 bytes into that frame's magic).
  const lastFrameAt = a.length - lz4EncodeFrame(cat(...[...packFlushes(connection(fm, 30, 0).slice(1), 200)].pop()!)).length;
  for (const cutAt of [a.length - 7, lastFrameAt + 2, lastFrameAt + 12]) {
    const bytes = cat(a.subarray(0, cutAt), b);
    const strict = await collect([bytes]);
    assert.instance(strict.err, TruncatedError, `cut at ${cutAt}`);
    assert.match((strict.err as Error).message, new RegExp(`byte ${cutAt}, frame \\d+, segment 0: connection cut inside LZ4 frame`));
    const cuts: TruncatedError[] = [];
    const want = lines([...aRecs.filter((r) => r.frame === undefined || r.frame < aRecs[aRecs.length - 1].frame!), ...bRecs.map((r) => ({ ...r, segment: 1 }))]);
    // Every chunking, including ones that split the next connection's start across chunks.
    for (const step of [bytes.length, 1, 7, 27, 28, 29, 64]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += step) chunks.push(bytes.subarray(i, i + step));
      const got = await collect(chunks, { onCut: (e) => cuts.push(e) });
      assert.is(got.err, null, `step ${step}: ${got.err}`);
      assert.equal(lines(got.recs), want, `cut at ${cutAt}, step ${step}`);
    }
    assert.ok(cuts.every((e) => e.offset === cutAt && e.segment === 0));
  }
  // An idle push (follow mode) releases held-back bytes: records arrive without waiting for more input.
  const got: DecodedRecord[] = [];
  const d = new StreamDecoder({ record: (m, dv, u8, off, size, seg, offset, frame) => got.push(toRecordFor(m, dv, u8, off, size, seg, offset, frame)) });
  d.push(a);
  const before = got.length;
  d.push(new Uint8Array(0));
  assert.is(got.length, aRecs.length);
  assert.ok(before <= got.length);
  d.end();
});

test('names filter keeps only the named messages', () => {
  const recs = decodeBytes(intakeOf(connection(fm, 9)), { names: ['heartbeat', 'version_info'] });
  assert.equal([...new Set(recs.map((r) => r.name))].sort(), ['heartbeat', 'version_info']);
  assert.is(recs.length, 1 + 3);
});

test('truncated capture: every complete record, then one TruncatedError with offset and last good record', async () => {
  const rec = cat(...connection(fm, 10));
  const full = decodeBytes(rec);
  const cut = rec.length - 5;
  const { recs, err } = await collect([rec.subarray(0, cut)]);
  assert.equal(lines(recs), lines(full.slice(0, -1)));
  assert.instance(err, TruncatedError);
  const t = err as TruncatedError;
  assert.is(t.code, 'ERR_TRUNCATED');
  assert.is(t.offset, full[full.length - 1].offset);
  assert.is(t.lastGood!.name, full[full.length - 2].name);
  assert.match(t.message, /input ends inside a record: 5 byte\(s\) of a record/);

  const cap = intakeOf(connection(fm, 30), 200);
  const r2 = await collect([cap.subarray(0, cap.length - 3)]);
  assert.instance(r2.err, TruncatedError);
  assert.ok((r2.err as TruncatedError).frame! >= 1);
  assert.ok(r2.recs.length > 2);
});

test('unknown rpc id, impossible _len, impossible string slots: CorruptError with offset and last good record', () => {
  const recs = connection(fm, 3);
  const bad = recs[3].slice(); // set_config_label (dynamic)
  const cases: [string, (b: Uint8Array) => void, RegExp][] = [
    ['unknown id', (b) => { b[8] = 0xff; b[9] = 0x7f; }, /unknown rpc id 32767 \(0x7fff\) for app ingest/],
    ['_len below the fixed part', (b) => { b[10] = 2; b[11] = 0; }, /impossible _len 2 for set_config_label/],
    ['slot beyond _len', (b) => { b[12] = 0xff; b[13] = 0x00; }, /impossible string lengths in set_config_label/],
  ];
  for (const [what, mutate, re] of cases) {
    const b = bad.slice();
    mutate(b);
    const input = cat(recs[0], recs[1], recs[2], b, recs[4]);
    try {
      decodeBytes(input);
      assert.unreachable(what);
    } catch (e) {
      assert.instance(e, CorruptError, what);
      const c = e as CorruptError;
      assert.is(c.code, 'ERR_CORRUPT');
      assert.match(c.message, re);
      assert.is(c.offset, recs[0].length + recs[1].length + recs[2].length, what);
      assert.is(c.lastGood!.name, 'heartbeat');
    }
  }
});

test('corrupt LZ4 frame and trailing garbage name the frame and byte offset', () => {
  const recs = connection(fm, 20);
  const cap = intakeOf(recs, 200);
  // Flip the frame descriptor checksum of the second frame.
  const firstFrame = lz4EncodeFrame(cat(...packFlushes(recs.slice(1), 200).next().value!));
  const secondAt = 24 + firstFrame.length;
  const c1 = cap.slice();
  c1[secondAt + 6] ^= 0xff;
  assert.throws(() => decodeBytes(c1), (e: unknown) => e instanceof CorruptError && e.frame === 1 && /LZ4 frame/.test(e.message) && e.offset! >= secondAt && e.lastGood !== undefined);
  const c2 = cat(cap, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  assert.throws(() => decodeBytes(c2), (e: unknown) => e instanceof CorruptError && e.offset === cap.length && /expected an LZ4 frame .* or a raw version_info record/.test(e.message));
  const c3 = cat(cap, Uint8Array.from([1, 2, 3]));
  assert.throws(() => decodeBytes(c3), (e: unknown) => e instanceof CorruptError && e.offset === cap.length && /3 trailing byte/.test(e.message));
  const c4 = cat(cap, Uint8Array.from([0x04, 0x22, 0x4d]));
  assert.throws(() => decodeBytes(c4), (e: unknown) => e instanceof TruncatedError && /LZ4 frame header/.test(e.message));
});

test('input that is no recording: a CorruptError at byte 0, not a crash', () => {
  assert.throws(() => decodeBytes(new TextEncoder().encode('hello, this is not a capture at all')), (e: unknown) => e instanceof CorruptError && e.offset === 0 && /cannot tell the input kind/.test(e.message));
  assert.equal(decodeBytes(new Uint8Array(0)), []);
});

test('given schema and kind are used as given (an OTel record file read with flowmill fails on rpc 548)', () => {
  let info: DecodeInfo | undefined;
  assert.throws(() => decodeBytes(cat(...connection(ot, 2)), { kind: 'record', schema: fm, onInfo: (i) => (info = i) }), /unknown rpc id 548/);
  assert.equal([info!.schemaConfidence, info!.kindConfidence], ['given', 'given']);
});

test.run();
