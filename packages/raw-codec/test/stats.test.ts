// Stats: counts, bytes, segments and time span, walked with typed-array counters; expected values come from the
// records the test encodes (the input), both through the splitter's counting walk and the generic sink path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, encodeIntake, packFlushes, RecordEncoder, Stats, StreamDecoder, type StatsReport } from '../src/index.js';
import { cat } from './helpers.js';

const fm = builtinSchema('flowmill');
const e = new RecordEncoder(fm.apps.ingest);
const T0 = 1_700_000_000_000_000_000n;

function connection(times: bigint[]): { recs: Uint8Array[]; names: string[] } {
  const names = ['version_info', 'authz_authenticate'];
  const recs = [e.encode('version_info', times[0], { major: 0, minor: 9, build: 1 }), e.encode('authz_authenticate', times[1], { token: 'T', collector_type: 1, hostname: 'h' })];
  times.slice(2).forEach((t, i) => {
    if (i % 2) { recs.push(e.encode('heartbeat', t, {})); names.push('heartbeat'); } else { recs.push(e.encode('set_config_label', t, { key: `k${i}`, value: 'v'.repeat(i) })); names.push('set_config_label'); }
  });
  return { recs, names };
}

function expected(conns: { recs: Uint8Array[]; names: string[]; times: bigint[] }[]): Partial<StatsReport> {
  const per = new Map<string, { count: number; bytes: number }>();
  conns.forEach((c) => c.names.forEach((n, i) => { const x = per.get(n) ?? { count: 0, bytes: 0 }; x.count++; x.bytes += c.recs[i].length; per.set(n, x); }));
  const times = conns.flatMap((c) => c.times);
  const sorted = [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    records: times.length, segments: conns.length, recordBytes: conns.reduce((a, c) => a + c.recs.reduce((b, r) => b + r.length, 0), 0),
    firstTimestamp: String(times[0]), lastTimestamp: String(times[times.length - 1]), minTimestamp: String(sorted[0]), maxTimestamp: String(sorted[sorted.length - 1]),
    messages: [...per].map(([name, x]) => ({ name, rpc_id: fm.apps.ingest.byName.get(name)!.rpcId, ...x })).sort((a, b) => b.count - a.count || a.rpc_id - b.rpc_id),
  };
}

function run(bytes: Uint8Array, generic: boolean, step = bytes.length): StatsReport {
  const st = new Stats();
  // A sink without `tally` takes the generic path: the same Stats, called per record.
  const sink = generic ? { record: st.record.bind(st) } : st;
  const d = new StreamDecoder(sink);
  for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step));
  d.end();
  return st.report({ info: d.info, inputBytes: d.bytes, frames: d.frames });
}

test('intake of two connections and a record file: counts, bytes, segments, first/last/min/max from the input', () => {
  // Timestamps out of order, with the high 32 bits differing, so min/max are not first/last.
  const t1 = [T0, T0 + 5n, T0 + (7n << 32n), T0 + 3n, T0 + 9n, T0 - (1n << 33n), T0 + 11n];
  const t2 = [T0 + 100n, T0 + 101n, T0 + 1n, T0 + (9n << 32n) + 1n];
  const a = { ...connection(t1), times: t1 };
  const b = { ...connection(t2), times: t2 };
  const want = expected([a, b]);
  const intake = cat(encodeIntake(packFlushes(a.recs.slice(1), 60), a.recs[0]), encodeIntake(packFlushes(b.recs.slice(1), 60), b.recs[0]));
  const record = cat(...a.recs, ...b.recs);
  for (const bytes of [intake, record]) {
    for (const generic of [false, true]) {
      for (const step of [bytes.length, 7, 1]) {
        const r = run(bytes, generic, step);
        for (const k of Object.keys(want) as (keyof StatsReport)[]) assert.equal(r[k], want[k], `${k} (${bytes === intake ? 'intake' : 'record'}, ${generic ? 'generic' : 'tally'}, step ${step})`);
      }
    }
  }
});

test('a corrupt record: counts cover every record before it, and the error names the last good one', () => {
  const t = [T0, T0 + 1n, T0 + 2n, T0 + 3n, T0 + 4n];
  const c = connection(t);
  const bad = cat(...c.recs, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff));
  const st = new Stats();
  const d = new StreamDecoder(st);
  assert.throws(() => { d.push(bad); d.end(); }, (x: unknown) => /unknown rpc id 65535/.test(String(x)) && new RegExp(`last good record: ${c.names[c.names.length - 1]} `).test(String(x)));
  assert.is(st.report({ info: d.info, inputBytes: d.bytes, frames: 0 }).records, t.length);
});

test.run();
