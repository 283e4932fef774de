// Every message of both built-in schemas: encode random and edge values, decode them back (objects and the compiled
// NDJSON path), and re-encode from the NDJSON line: the bytes must come back unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, compileApp, decodeBytes, parseRecordLine, parseRender, RecordEncoder, toJsonLine, type FieldSchema, type MessageSchema } from '../src/index.js';
import { cat, rng } from './helpers.js';

const td = new TextDecoder();
type Mode = 'zero' | 'max' | 'min' | 'random';
const bits: Record<string, [bigint, bigint]> = {
  u8: [0n, 255n], s8: [-128n, 127n], u16: [0n, 65535n], s16: [-32768n, 32767n], u32: [0n, 4294967295n], s32: [-2147483648n, 2147483647n],
  u64: [0n, (1n << 64n) - 1n], s64: [-(1n << 63n), (1n << 63n) - 1n], u128: [0n, (1n << 128n) - 1n], s128: [-(1n << 127n), (1n << 127n) - 1n],
};
const strings = ['', 'a', 'host-1.example', 'quote " backslash \\ newline \n tab \t nul \u0000 ctl \u001f', 'é✓😀 ünïcode', '\ufeffBOM first'];

function intValue(type: string, mode: Mode, r: () => number): bigint {
  const [lo, hi] = bits[type];
  if (mode === 'zero') return 0n;
  if (mode === 'max') return hi;
  if (mode === 'min') return lo;
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
  return lo + (v % (hi - lo + 1n));
}

function value(f: FieldSchema, mode: Mode, r: () => number, longLen: number): unknown {
  if (f.type === 'string') {
    if (mode === 'zero') return '';
    if (mode === 'max') return 'x'.repeat(longLen);
    if (mode === 'min') return { hex: 'ff00fe80' }; // not UTF-8: the lossless {hex} form
    return strings[Math.floor(r() * strings.length)];
  }
  const one = (): unknown => {
    const short = /^string<(\d+)>$/.exec(f.type);
    if (short) return mode === 'zero' ? '' : 'ab'.slice(0, Number(short[1]));
    const b = intValue(f.type, mode, r);
    return f.type.endsWith('64') || f.type.endsWith('128') ? b : Number(b);
  };
  return f.arrayLength === null ? one() : Array.from({ length: f.arrayLength }, one);
}

function sample(m: MessageSchema, mode: Mode, r: () => number): Record<string, unknown> {
  const nStr = m.fields.filter((f) => f.type === 'string').length;
  const longLen = nStr ? Math.floor((0xffff - m.wireSize) / nStr) : 0; // the largest _len the u16 allows
  return Object.fromEntries(m.fields.map((f) => [f.name, value(f, mode, r, longLen)]));
}

/** The form decode returns: ints ≤ 32 bits as numbers, 64/128-bit as bigint. */
function normal(v: unknown): unknown {
  return Array.isArray(v) ? v.map(normal) : v;
}

for (const schemaName of ['flowmill', 'ebpf_net'] as const) {
  const schema = builtinSchema(schemaName);
  for (const app of Object.values(schema.apps)) {
    if (app.messages.length === 0) continue;
    test(`${schemaName}.${app.name}: every message round-trips (zero, max, min, random values)`, () => {
      const enc = new RecordEncoder(app);
      const c = compileApp(app);
      const r = rng(app.messages.length * 7919 + schemaName.length);
      let n = 0;
      for (const m of app.messages) {
        for (const mode of ['zero', 'max', 'min', 'random', 'random'] as Mode[]) {
          const data = sample(m, mode, r);
          const ts = mode === 'max' ? (1n << 64n) - 1n : mode === 'zero' ? 0n : 0x16b8000000000001n + BigInt(n);
          const bytes = enc.encode(m.name, ts, data);
          const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
          const cm = c.byId[m.rpcId]!;
          const len = bytes.length - 8;
          if (m.dynamic) assert.is(dv.getUint16(10, true), len, `${m.name}: _len`);
          else assert.is(len, m.wireSize, `${m.name}: fixed size`);
          const got = cm.data(dv, bytes, 0, len);
          const want = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, normal(v)]));
          assert.equal(got, want, `${m.name} ${mode}`);
          const rec = { name: m.name, rpc_id: m.rpcId, timestamp: ts, data: got, segment: 3, offset: 0, size: bytes.length, app: app.name } as Parameters<typeof toJsonLine>[0];
          const ref = cm.ref(dv, bytes, 0, len);
          if (ref !== undefined) rec.ref = ref;
          const line = cm.line(dv, bytes, 0, len, 3);
          assert.is(line, `${toJsonLine(rec)}\n`, `${m.name} ${mode}: compiled NDJSON equals toJsonLine`);
          const out = new Uint8Array(cm.maxLine(len));
          const end = cm.lineBytes(dv, bytes, 0, len, 3, out, 0);
          assert.is(td.decode(out.subarray(0, end)), line, `${m.name} ${mode}: byte writer equals the string form`);
          const parsed = parseRecordLine(line);
          assert.is(parsed.segment, 3);
          const again = enc.encode(parsed.name, parsed.timestamp, parsed.data);
          assert.equal(Array.from(again), Array.from(bytes), `${m.name} ${mode}: NDJSON → bytes is lossless`);
          n++;
        }
      }
      assert.is(n, app.messages.length * 5);
    });
  }
}

test('every ingest and agent_internal message through the streaming decoders, both schemas', () => {
  for (const schemaName of ['flowmill', 'ebpf_net'] as const) {
    const schema = builtinSchema(schemaName);
    for (const [appName, kind] of [['ingest', 'record'], ['agent_internal', 'bpf']] as const) {
      const app = schema.apps[appName];
      const enc = new RecordEncoder(app);
      const r = rng(42);
      const parts: Uint8Array[] = [];
      const wanted: string[] = [];
      if (kind === 'record') { parts.push(enc.encode('version_info', 1n, schema.apps.ingest.byName.get('version_info')!.fields.length === 3 ? Object.fromEntries(schema.apps.ingest.byName.get('version_info')!.fields.map((f) => [f.name, 1])) : {})); wanted.push('version_info'); }
      for (const m of app.messages) {
        if (m.name === 'version_info') continue; // would start a new segment in a record file
        parts.push(enc.encode(m.name, 5n, sample(m, 'random', r)));
        wanted.push(m.name);
      }
      const recs = decodeBytes(cat(...parts), { kind, schema });
      assert.equal(recs.map((x) => x.name), wanted, `${schemaName} ${appName}`);
      assert.ok(recs.every((x) => x.segment === 0));
    }
  }
});

test('decimal writers agree with BigInt for 64-bit edge and random values', () => {
  const r = rng(7);
  const vals = [0n, 1n, 9n, 10n, 99n, 100n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n,
    0x200000n << 32n, (0x200000n << 32n) - 1n, 99999999n, 100000000n, 10n ** 16n - 1n, 10n ** 16n, 10n ** 19n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
  for (let i = 0; i < 3000; i++) vals.push(BigInt(Math.floor(r() * 2 ** 32)) << BigInt(Math.floor(r() * 33)) | BigInt(Math.floor(r() * 2 ** 32)));
  // Every digit count, at both ends (the writers emit digits in groups of four).
  for (let d = 1n; d <= 19n; d++) vals.push(10n ** d - 1n, 10n ** d, 10n ** d + 1n, 2n * 10n ** d, 5n * 10n ** d - 1n);
  const enc = new RecordEncoder(builtinSchema('flowmill').apps.ingest);
  const cm = compileApp(builtinSchema('flowmill').apps.ingest).byName.get('metadata_complete')!;
  for (const v0 of vals) {
    const v = v0 & ((1n << 64n) - 1n);
    const bytes = enc.encode('metadata_complete', v, { time: v });
    const dv = new DataView(bytes.buffer);
    const out = new Uint8Array(cm.maxLine(bytes.length - 8));
    const line = td.decode(out.subarray(0, cm.lineBytes(dv, bytes, 0, bytes.length - 8, 0, out, 0)));
    assert.is(line, `{"name":"metadata_complete","rpc_id":356,"timestamp":"${v}","data":{"time":"${v}"},"segment":0}\n`, String(v));
    assert.is(cm.line(dv, bytes, 0, bytes.length - 8, 0), line);
  }
  const s64 = compileApp(builtinSchema('ebpf_net').apps.ingest);
  const withS64 = builtinSchema('ebpf_net').apps.ingest.messages.find((m) => m.fields.some((f) => f.type === 's64'));
  assert.ok(withS64, "ebpf_net ingest has an s64 field");
  {
    const e2 = new RecordEncoder(builtinSchema('ebpf_net').apps.ingest);
    const f = withS64.fields.find((x) => x.type === 's64')!;
    for (const v of [0n, -1n, -(1n << 63n), (1n << 63n) - 1n, -(1n << 53n), -(1n << 53n) - 1n, -123456789012345678n]) {
      const data = sample(withS64, 'zero', r);
      data[f.name] = v;
      const bytes = e2.encode(withS64.name, 1n, data);
      const dv = new DataView(bytes.buffer);
      const cm2 = s64.byId[withS64.rpcId]!;
      const out = new Uint8Array(cm2.maxLine(bytes.length - 8));
      const line = td.decode(out.subarray(0, cm2.lineBytes(dv, bytes, 0, bytes.length - 8, 0, out, 0)));
      assert.match(line, `"${f.name}":"${v}"`);
      assert.is(cm2.data(dv, bytes, 0, bytes.length - 8)[f.name], v);
    }
  }
});

test('invalid UTF-8 of every kind becomes {hex}, valid text stays text (same rule as a fatal TextDecoder)', () => {
  const enc = new RecordEncoder(builtinSchema('flowmill').apps.ingest);
  const cm = compileApp(builtinSchema('flowmill').apps.ingest).byName.get('log_message')!;
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const r = rng(99);
  const cases: number[][] = [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xff], [0xc3, 0xa9], [0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbb, 0xbf, 0x41]];
  for (let i = 0; i < 2000; i++) cases.push(Array.from({ length: 1 + Math.floor(r() * 6) }, () => (r() < 0.5 ? 0x80 + Math.floor(r() * 0x80) : Math.floor(r() * 256))));
  for (const c of cases) {
    const bytes = enc.encode('log_message', 1n, { log_level: 1, message: { hex: c.map((x) => x.toString(16).padStart(2, '0')).join('') } });
    const dv = new DataView(bytes.buffer);
    let text: string | null = null;
    try { text = fatal.decode(Uint8Array.from(c)); } catch { /* invalid */ }
    const got = cm.data(dv, bytes, 0, bytes.length - 8).message;
    assert.equal(got, text ?? { hex: c.map((x) => x.toString(16).padStart(2, '0')).join('') }, c.join(','));
    const out = new Uint8Array(cm.maxLine(bytes.length - 8));
    assert.is(td.decode(out.subarray(0, cm.lineBytes(dv, bytes, 0, bytes.length - 8, 0, out, 0))), cm.line(dv, bytes, 0, bytes.length - 8, 0));
  }
});

test('every field type and array shape of the IDL round-trips (own fixture: s8…s128, arrays short and long, string<N>)', () => {
  const schema = parseRender(`package fixture
namespace { agent_internal: 331-340 }
app agent_internal {
  span s {
    0: log all_ints { 1: s8 a 2: u8 b 3: s16 c 4: u16 d 5: s32 e 6: u32 f 7: s64 g 8: u64 h 9: s128 i 10: u128 j }
    1: log arrays { 1: u16 x[3] 2: s32 y[40] 3: u64 z[2] 4: u128 w[33] 5: s8 v[5] 6: u8 big[300] }
    2: log shorts { 1: string<8> code 2: string<3> tags[2] 3: string text 4: u8 n }
  }
}
`);
  const app = schema.apps.agent_internal;
  const enc = new RecordEncoder(app);
  const c = compileApp(app);
  const r = rng(5);
  for (const m of app.messages.filter((x) => x.name !== 'pulse')) {
    for (const mode of ['zero', 'max', 'min', 'random'] as Mode[]) {
      const data = sample(m, mode, r);
      if (m.name === 'shorts') data.code = mode === 'max' ? '12345678' : mode === 'min' ? { hex: 'ff00000000000000' } : 'ab';
      const bytes = enc.encode(m.name, 9n, data);
      const dv = new DataView(bytes.buffer);
      const cm = c.byId[m.rpcId]!;
      const len = bytes.length - 8;
      const got = cm.data(dv, bytes, 0, len);
      assert.equal(got, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, normal(v)])), `${m.name} ${mode}`);
      const line = cm.line(dv, bytes, 0, len, 0);
      const out = new Uint8Array(cm.maxLine(len));
      assert.is(td.decode(out.subarray(0, cm.lineBytes(dv, bytes, 0, len, 0, out, 0))), line);
      const back = parseRecordLine(line);
      assert.equal(Array.from(enc.encode(back.name, back.timestamp, back.data)), Array.from(bytes), `${m.name} ${mode} via NDJSON`);
    }
  }
});

test('encoder refuses wrong values with the message and field named', () => {
  const enc = new RecordEncoder(builtinSchema('flowmill').apps.ingest);
  assert.throws(() => enc.encode('version_info', 1n, { major: 1, minor: 2 }), /version_info field build: missing field/);
  assert.throws(() => enc.encode('version_info', 1n, { major: 1, minor: 2, build: 3, extra: 1 }), /unknown field "extra"/);
  assert.throws(() => enc.encode('version_info', 1n, { major: -1, minor: 2, build: 3 }), /-1 is out of range for u32/);
  assert.throws(() => enc.encode('no_such', 1n, {}), /no message "no_such"/);
  assert.throws(() => enc.encode('authz_authenticate', 1n, { token: 'x'.repeat(40000), collector_type: 1, hostname: 'y'.repeat(30000) }), /_len 70007 exceeds 65535/);
  assert.throws(() => enc.encode('pid_info', 1n, { pid: 1, comm: [1, 2] }), /expected an array of 16/);
});

test.run();
