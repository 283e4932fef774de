import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, decodeBytes, parseRender, RecordEncoder, SchemaError, toCompact, type Schema } from '../src/index.js';
import { vendorDir } from './helpers.js';

// Small fixtures of our own (the agent's .render files are not copied into the project).
const tiny = `
package demo
/* ranges: the declared number indexes their concatenation */
namespace {
  things: 100-101, 200, 300-309
}
app things {
  span a {
    0: log first { 1: u8 x }
    1: log second { description "two" severity 0 pipeline_only 1: u16 y }
    2: log third { no_authorization_needed 1: u32 z }
    3: log fourth { 1: u64 big }
    12: log last_one { }
  }
}
`;

test('rpc ids walk the namespace ranges in order', () => {
  const s = parseRender(tiny, { source: 'tiny.render' });
  assert.equal(s.name, 'demo');
  assert.equal(s.lineage, 'otel', 'a package other than flowmill is parsed with the otel renderc rules');
  const ids = Object.fromEntries(s.apps.things.messages.map((m) => [m.name, m.rpcId]));
  assert.equal(ids, { first: 100, second: 101, third: 200, fourth: 300, last_one: 309, pulse: 65535 });
  const second = s.apps.things.byName.get('second')!;
  assert.ok(second.pipelineOnly);
  assert.ok(s.apps.things.byName.get('third')!.noAuthorizationNeeded);
});

test('a declared number beyond the ranges is an error naming the line', () => {
  const bad = tiny.replace('12: log last_one', '13: log last_one');
  try {
    parseRender(bad, { source: 'bad.render' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SchemaError);
    assert.match((e as Error).message, /bad\.render:\d+: message last_one: declared number 13 is outside/);
  }
});

test('syntax errors name file, line and token', () => {
  try {
    parseRender('package x\nnamespace { a: 1-2 }\napp a {\n span s {\n 0: log m { 1: u33 x }\n }\n}\n', { source: 'syn.render' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SchemaError);
    assert.match((e as Error).message, /syn\.render:5: unknown field type "u33"/);
  }
});

const layout = `
package flowmill
namespace { ingest: 10-40 }
app ingest {
  span s {
    index (ip)
    u128 ip
    0: log mixed { 1: u8 a 2: u64 b 3: u16 c 4: u32 d }
    1: log strs { 1: string first 2: u8 flag 3: string second 4: string third }
    2: log arrays { 1: u8 comm[16] 2: u32 pid }
    3: msg _start {}
    4: msg _end {}
    5: msg plain { 1: u32 v }
    6: start referenced ref v { 1: u32 v }
    7: log short { 1: u16 n 2: string<5> code }
  }
}
`;

test('placement: largest alignment that divides pos, else smallest; no tail padding', () => {
  const s = parseRender(layout);
  assert.equal(s.lineage, 'flowmill');
  const m = s.apps.ingest.byName.get('mixed')!;
  // pos 2: 8∤2, 4∤2, 2|2 → c@2; pos 4: 4 → d@4; pos 8 → b@8; pos 16 → a@16; size 17.
  assert.equal(Object.fromEntries(m.fields.map((f) => [f.name, f.offset])), { a: 16, b: 8, c: 2, d: 4 });
  assert.equal(m.wireSize, 17);
  assert.not.ok(m.dynamic);
  const arr = s.apps.ingest.byName.get('arrays')!;
  // comm: u8[16], align 1, size 16; pid u32. pos 2: only 1 divides... 4∤2 → 1 → comm@2; pos 18 → 4∤18 → smallest (4) → pid@20.
  assert.equal(Object.fromEntries(arr.fields.map((f) => [f.name, [f.offset, f.size]])), { comm: [2, 16], pid: [20, 4] });
  assert.equal(arr.wireSize, 24);
  const short = s.apps.ingest.byName.get('short')!;
  assert.equal(Object.fromEntries(short.fields.map((f) => [f.name, [f.offset, f.size]])), { n: [2, 2], code: [4, 5] });
});

test('strings: _len at 2, u16 slots for all but the last declared string, data in declaration order', () => {
  const m = parseRender(layout).apps.ingest.byName.get('strs')!;
  assert.ok(m.dynamic);
  const f = Object.fromEntries(m.fields.map((x) => [x.name, x]));
  // pos 4: {2:[first, second], 1:[flag]} → 2 divides → first@4, second@6; pos 8 → flag@8; size 9.
  assert.equal([f.first.offset, f.second.offset, f.flag.offset, f.third.offset], [4, 6, 8, null]);
  assert.equal(m.wireSize, 9);
  assert.equal([f.first.string, f.second.string, f.third.string], [{ lengthAt: 4, dataIndex: 0 }, { lengthAt: 6, dataIndex: 1 }, { lengthAt: null, dataIndex: 2 }]);
});

test('synthesized fields: _start gets the index key fields then _ref; msg gets _ref; ref names the reference', () => {
  const app = parseRender(layout).apps.ingest;
  const start = app.byName.get('s_start')!;
  assert.equal(start.type, 'start');
  assert.equal(start.fields.map((f) => [f.name, f.type, f.number, f.synthesized]), [['ip', 'u128', 1, 'index-key'], ['_ref', 'u64', 0, 'ref']]);
  // pos 2: 16∤2, 8∤2 → smallest 8 → _ref@8; pos 16 → ip@16 (docs/wire-format.md example 4's rule).
  assert.equal(start.fields.map((f) => f.offset), [16, 8]);
  assert.equal(start.wireSize, 32);
  assert.equal(start.refField, '_ref');
  const end = app.byName.get('s_end')!;
  assert.equal([end.type, end.fields.map((f) => f.name)], ['end', ['_ref']]);
  assert.equal(app.byName.get('plain')!.fields.map((f) => f.name), ['v', '_ref']);
  const ref = app.byName.get('referenced')!;
  assert.equal([ref.refField, ref.fields.map((f) => f.name)], ['v', ['v']]);
  assert.not.ok(app.byName.has('pulse'), 'flowmill lineage: no pulse');
});

test('comments, renderc internals, references, aggregates and metrics are skipped', () => {
  const s = parseRender(`package p // c
namespace { x: 1-5 }
app x {
  jit
  span y impl "a::B" include "<b.h>" {
    pool_size 10
    index (k, r)
    proxy other.y shard_by (k)
    aggregate agg (root type m interval 30 slots 4) { update r.agg rollup 2 }
    reference<z> r auto { k = k }
    u32 k
    /* block */ 0: msg _start {}
  }
} internal {{ - c_name "x" - jb_h "a" - jsrv_h "b" - descriptor_h "c" - bpf_h "d" }}
metric m { u32 v method rate u64 w }
`);
  assert.equal(s.apps.x.byName.get('y_start')!.fields.map((f) => f.name), ['k', '_ref'], 'references in an index are not copied');
});

test('mutated .render text either parses or fails with a SchemaError (no other exception)', () => {
  let seed = 12345;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const pieces = ['{', '}', '(', ')', '[', ']', ':', ',', '-', '.', '<', '>', '"', '/*', '//', '\n', ' 0 ', ' 65536 ', ' msg ', ' _start ', ' string ', ' u8 ', ' ref ', ' index ', ' span ', ' app ', '{{', '}}', ' 99999999999 '];
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    let t = layout;
    for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
      const at = Math.floor(r() * t.length);
      const op = r();
      if (op < 0.4) t = t.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + t.slice(at);
      else if (op < 0.8) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 8));
      else t = t.slice(0, at);
    }
    try {
      parseRender(t, { source: 'fuzz.render' });
      parsed++;
    } catch (e) {
      if (!(e instanceof SchemaError)) throw new Error(`case ${i}: ${(e as Error).stack}\n${t}`);
    }
  }
  assert.ok(parsed > 0 && parsed < 3000, `${parsed} parsed`);
});

test('a field named __proto__ is an own property, not the prototype', () => {
  const s = parseRender('package x\nnamespace { agent_internal: 331 }\napp agent_internal { span s { 0: log m { 1: u32 __proto__ } } }\n');
  const rec = new RecordEncoder(s.apps.agent_internal).encode('m', 1n, { ['__proto__']: 7 } as Record<string, unknown>);
  const [d] = decodeBytes(rec, { kind: 'bpf', schema: s });
  assert.ok(Object.prototype.hasOwnProperty.call(d.data, '__proto__'));
  assert.is(Object.getPrototypeOf(d.data), Object.prototype);
});

function compareWithReference(name: 'flowmill' | 'ebpf_net', s: Schema): string[] {
  const ref = JSON.parse(readFileSync(join(vendorDir, `${name}-schema.json`), 'utf8'));
  const diffs: string[] = [];
  for (const [appName, app] of Object.entries<any>(ref.apps)) {
    const mine = s.apps[appName];
    if (!mine) { diffs.push(`app ${appName} missing`); continue; }
    if (mine.messages.length !== app.messages.length) diffs.push(`${appName}: ${mine.messages.length} messages, reference ${app.messages.length}`);
    for (const rm of app.messages) {
      const m = mine.byName.get(rm.name);
      if (!m) { diffs.push(`${appName}.${rm.name} missing`); continue; }
      const w = `${appName}.${rm.name}`;
      if (m.rpcId !== rm.rpc_id) diffs.push(`${w}: rpc_id ${m.rpcId} ≠ ${rm.rpc_id}`);
      if (m.dynamic !== rm.dynamic) diffs.push(`${w}: dynamic ${m.dynamic} ≠ ${rm.dynamic}`);
      if (m.wireSize !== rm.wire_size) diffs.push(`${w}: wire_size ${m.wireSize} ≠ ${rm.wire_size}`);
      if (m.type !== rm.type) diffs.push(`${w}: type ${m.type} ≠ ${rm.type}`);
      if ((m.refField ?? null) !== rm.attributes.reference_field) diffs.push(`${w}: reference ${m.refField} ≠ ${rm.attributes.reference_field}`);
      if (m.fields.length !== rm.fields.length) diffs.push(`${w}: ${m.fields.length} fields ≠ ${rm.fields.length}`);
      rm.fields.forEach((rf: any, i: number) => {
        const f = m.fields[i];
        const got = f && { name: f.name, type: f.type, offset: f.offset, size: f.size, array_length: f.arrayLength, length_at: f.string?.lengthAt, data_index: f.string?.dataIndex };
        const want = { name: rf.name, type: rf.type, offset: rf.offset, size: rf.size, array_length: rf.array_length, length_at: rf.string?.length_at, data_index: rf.string?.data_index };
        if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`${w}.${rf.name}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
      });
    }
  }
  return diffs;
}

for (const name of ['flowmill', 'ebpf_net'] as const) {
  test(`built-in ${name} layouts equal ${name}-schema.json for every message and field`, () => {
    const diffs = compareWithReference(name, builtinSchema(name));
    assert.equal(diffs, [], diffs.slice(0, 10).join('\n'));
    const n = Object.values(builtinSchema(name).apps).reduce((a, x) => a + x.messages.length, 0);
    assert.ok(n >= (name === 'flowmill' ? 139 : 198), `${n} messages`);
  });

  test(`parsing ${name}.render gives exactly the generated table (src/gen is current)`, () => {
    const parsed = parseRender(readFileSync(join(vendorDir, `${name}.render`), 'utf8'), { source: `${name}.render` });
    assert.equal(toCompact(parsed), toCompact(builtinSchema(name)));
    assert.equal(compareWithReference(name, parsed), []);
  });
}

test('eras collide: 544 is report_task_io_wait in flowmill and cgroup_create in ebpf_net (docs/eras.md §2.4)', () => {
  assert.equal(builtinSchema('flowmill').apps.ingest.byId.get(544)!.name, 'report_task_io_wait');
  assert.equal(builtinSchema('ebpf_net').apps.ingest.byId.get(544)!.name, 'cgroup_create');
  assert.equal(builtinSchema('flowmill').apps.ingest.byId.get(404)!.name, 'authz_authenticate');
  assert.equal(builtinSchema('ebpf_net').apps.ingest.byId.get(548)!.name, 'connect');
});

test.run();
