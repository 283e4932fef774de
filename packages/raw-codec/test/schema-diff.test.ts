// raw-codec schema diff: the Flowmill → OpenTelemetry era changes as the agent's history records them, and one
// crafted .render edit per kind of change, each with the classification the edit implies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, diffSchemas, parseRender, type ChangeKind, type SchemaChange } from '../src/index.js';
import { bin, vendorDir } from './helpers.js';

type RefMessage = { name: string; rpc_id: number; declared_id: number };
/** The independently computed layouts (vendor/README.md): not raw-codec's parser. */
const ref = (name: string) => JSON.parse(readFileSync(join(vendorDir, `${name}-schema.json`), 'utf8')).apps as Record<string, { messages: RefMessage[] }>;
const refFm = ref('flowmill'), refOt = ref('ebpf_net');
const era = diffSchemas(builtinSchema('flowmill'), builtinSchema('ebpf_net'));
const find = (d = era, p: Partial<SchemaChange>) => d.changes.filter((c) => Object.entries(p).every(([k, v]) => (c as unknown as Record<string, unknown>)[k] === v));
const breaks = (c: SchemaChange) => `${c.breaks.recording ? 'R' : ''}${c.breaks.reducer ? 'A' : ''}${c.breaks.json ? 'J' : ''}`;

test('tcp_reset moved 380 → 379: render/flowmill.render@3598385a:391 declares it 29, ebpf_net.render@68f0c23f:277 declares it 28', () => {
  // rpc ids are the declared numbers mapped over the app's namespace ranges (flowmill.render@3598385a:3-14):
  // agent_internal 331-340,361-380, so 29 → 361 + 19 = 380 and 28 → 379. The number dropped when d8e094d6 ("Removed
  // NIC stats collecting") deleted `25: log nic_queue_state` and renumbered the messages after it.
  const ranges = [[331, 340], [361, 380]];
  const rpcOf = (declared: number) => { let i = declared; for (const [a, b] of ranges) { if (i <= b - a) return a + i; i -= b - a + 1; } return -1; };
  assert.is(rpcOf(29), 380);
  assert.is(rpcOf(28), 379);
  assert.is(refFm.agent_internal.messages.find((m) => m.name === 'tcp_reset')!.rpc_id, rpcOf(29));
  assert.is(refOt.agent_internal.messages.find((m) => m.name === 'tcp_reset')!.rpc_id, rpcOf(28));
  const [c] = find(era, { app: 'agent_internal', kind: 'rpc-id-changed', message: 'tcp_reset' });
  assert.ok(c, 'tcp_reset rpc-id-changed reported');
  assert.equal([c.from, c.to], [380, 379]);
  assert.is(breaks(c), 'RA', 'an old recording and an old reducer both misread it; the JSON name is unchanged');
  assert.ok(find(era, { app: 'agent_internal', kind: 'rpc-id-reused', to: 'tcp_reset', from: 'report_debug_event' }).length, '379 was report_debug_event (flowmill.render@3598385a:381)');
  const nic = find(era, { app: 'agent_internal', kind: 'message-removed', message: 'nic_queue_state' });
  assert.is(nic.length, 1, 'nic_queue_state removed (d8e094d6)');
  assert.is(breaks(nic[0]), 'RJ');
});

test('544 changed meaning: report_task_io_wait (flowmill.render@3598385a:743) → cgroup_create (ebpf_net.render@68f0c23f:419)', () => {
  // Both declare 106 in ingest; 9dbe29f9 ("deprecate cgroup_create message") renamed the old `36: start
  // cgroup_create` to cgroup_create_deprecated (ebpf_net.render@68f0c23f:412) and added a new cgroup_create as 106.
  const at544 = (r: typeof refFm) => r.ingest.messages.find((m) => m.rpc_id === 544)!.name;
  assert.is(at544(refFm), 'report_task_io_wait');
  assert.is(at544(refOt), 'cgroup_create');
  const [reused] = find(era, { app: 'ingest', kind: 'rpc-id-reused', message: 'cgroup_create' });
  assert.equal([reused.from, reused.to], ['report_task_io_wait', 'cgroup_create']);
  assert.is(breaks(reused), 'RA');
  const [renamed] = find(era, { app: 'ingest', kind: 'message-renamed', message: 'cgroup_create_deprecated' });
  assert.is(renamed.from, 'cgroup_create');
  assert.is(breaks(renamed), 'J', 'same rpc id and layout: only JSON consumers see the new name');
  assert.is(find(era, { app: 'ingest', kind: 'message-added', message: 'cgroup_create' }).length, 1);
});

test('version_info.build became patch (opentelemetry-network 9b7ef2b1): a field rename, JSON only', () => {
  const [c] = find(era, { app: 'ingest', kind: 'field-renamed', message: 'version_info' });
  assert.equal([c.from, c.to], ['build', 'patch']);
  assert.is(breaks(c), 'J');
});

test('every message the independent schema tables drop or add between the eras is reported', () => {
  for (const app of ['agent_internal', 'ingest']) {
    const o = new Set(refFm[app].messages.map((m) => m.name)), n = new Set(refOt[app].messages.map((m) => m.name));
    const renamedFrom = new Set(find(era, { app, kind: 'message-renamed' }).map((c) => c.from));
    for (const name of o) if (!n.has(name) && !renamedFrom.has(name)) assert.is(find(era, { app, kind: 'message-removed', message: name }).length, 1, `${app}.${name} removed`);
    for (const name of n) if (!o.has(name)) assert.ok(find(era, { app, message: name }).some((c) => c.kind === 'message-added' || c.kind === 'message-renamed'), `${app}.${name} added`);
    // an rpc id naming different messages in the two tables is reported as reused or renamed
    const oldById = new Map(refFm[app].messages.map((m) => [m.rpc_id, m.name]));
    for (const m of refOt[app].messages) {
      const was = oldById.get(m.rpc_id);
      if (was && was !== m.name) assert.ok(find(era, { app, message: m.name }).some((c) => c.kind === 'rpc-id-reused' || c.kind === 'message-renamed'), `rpc ${m.rpc_id} ${was} → ${m.name}`);
    }
  }
});

test('a schema compared with itself has no changes', () => {
  assert.is(diffSchemas(builtinSchema('ebpf_net'), builtinSchema('ebpf_net')).summary.changes, 0);
});

// ---- crafted edits: one per kind ----
const base = `package demo
namespace {
  demo: 301-310
}
app demo {
  span demo_span {
    pool_size 1
    singleton
    0: log alpha {
      1: u64 sk
      2: u32 pid
      3: u32 tid
    }
    1: log beta {
      1: u16 code
      2: string name
    }
    2: log gamma {
      1: u8 flag
    }
  }
}
`;
function edit(from: string, to: string): string {
  assert.ok(base.includes(from), `base holds ${from}`);
  return base.replace(from, to);
}
const diffOf = (text: string) => diffSchemas(parseRender(base, { source: 'base.render' }), parseRender(text, { source: 'edited.render' }));
const kinds = (text: string) => [...new Set(diffOf(text).changes.map((c) => c.kind))].sort();

const cases: [string, string, string, ChangeKind, string, ChangeKind[]][] = [
  // [what, from, to, the change, its breaks, every kind the edit implies]
  ['a message added at a free id', '    2: log gamma', '    3: log delta {\n      1: u32 x\n    }\n    2: log gamma', 'message-added', 'A', ['message-added']],
  ['a message removed', '    2: log gamma {\n      1: u8 flag\n    }\n', '', 'message-removed', 'RJ', ['message-removed']],
  ['a message renamed', 'log gamma', 'log gamma2', 'message-renamed', 'J', ['message-renamed']],
  ['a message renumbered (declared 2 → 4: rpc 303 → 305)', '2: log gamma', '4: log gamma', 'rpc-id-changed', 'RA', ['declared-id-changed', 'rpc-id-changed']],
  ['a field added (a u32 at alpha\'s end, offset 20: nothing else moves)', '      3: u32 tid\n', '      3: u32 tid\n      4: u32 extra\n', 'field-added', 'R', ['field-added', 'size-changed']],
  ['a u16 added into alpha\'s padding at offset 2 (no size or offset changes: an old reducer skips those bytes)', '      3: u32 tid\n', '      3: u32 tid\n      4: u16 code\n', 'field-added', 'R', ['field-added']],
  ['a field removed', '      3: u32 tid\n', '', 'field-removed', 'RAJ', ['field-removed', 'size-changed']],
  ['a field renamed', '2: u32 pid', '2: u32 tgid', 'field-renamed', 'J', ['field-renamed']],
  ['a field retyped, same size and JSON shape (u32 → s32)', '2: u32 pid', '2: s32 pid', 'field-retyped', 'RA', ['field-retyped']],
  ['a field resized across JSON shapes (u32 → u64: number → decimal string)', '2: u32 pid', '2: u64 pid', 'field-resized', 'RAJ', ['field-moved', 'field-resized', 'size-changed']],
  ['fields swapped (declaration order sets the offsets)', '      2: u32 pid\n      3: u32 tid\n', '      3: u32 tid\n      2: u32 pid\n', 'field-moved', 'RA', ['field-moved']],
  ['fixed → dynamic (a string added to gamma)', '      1: u8 flag\n', '      1: u8 flag\n      2: string note\n', 'fixed-to-dynamic', 'RA', ['field-added', 'field-moved', 'fixed-to-dynamic', 'size-changed']],
  ['dynamic → fixed (beta\'s string removed)', '      2: string name\n', '', 'dynamic-to-fixed', 'RA', ['dynamic-to-fixed', 'field-moved', 'field-removed', 'size-changed']],
  ['a field number changed (descriptor only)', '3: u32 tid', '7: u32 tid', 'field-number-changed', '', ['field-number-changed']],
];
for (const [what, from, to, kind, want, all] of cases) {
  test(`crafted: ${what} is ${kind}, breaking ${want || 'nothing'}`, () => {
    const d = diffOf(edit(from, to));
    const c = d.changes.find((x) => x.kind === kind);
    assert.ok(c, `${kind} in ${JSON.stringify(d.changes.map((x) => x.kind))}`);
    assert.is(breaks(c!), want);
    assert.is(c!.breaking, want !== '');
    assert.equal(kinds(edit(from, to)), [...all].sort());
  });
}

test('crafted: a message inserted at a taken id shifts the rest (rpc-id-changed + rpc-id-reused), as d8e094d6 did in reverse', () => {
  const text = base.replace('1: log beta', '2: log beta').replace('2: log gamma', '3: log gamma').replace('    1: log beta'.replace('1', '2'), '    1: log inserted {\n      1: u8 x\n    }\n    2: log beta');
  const d = diffOf(text);
  assert.equal(find(d, { kind: 'rpc-id-changed' }).map((c) => [c.message, c.from, c.to]), [['beta', 302, 303], ['gamma', 303, 304]]);
  assert.equal(find(d, { kind: 'rpc-id-reused' }).map((c) => [c.from, c.to]), [['beta', 'inserted'], ['gamma', 'beta']]);
});

test('CLI: schema diff prints JSON off a terminal, --fail-on breaking/any exit 1, a file path works, bad usage 64', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schema-diff-'));
  const a = join(dir, 'a.render'), b = join(dir, 'b.render');
  writeFileSync(a, base);
  writeFileSync(b, edit('3: u32 tid', '7: u32 tid')); // a compatible change only
  const run = (args: string[]) => { const r = spawnSync(process.execPath, [bin, 'schema', 'diff', ...args]); return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() }; };
  const eraRun = run(['flowmill', 'ebpf_net', '--fail-on', 'breaking']);
  assert.is(eraRun.code, 1, eraRun.err);
  assert.ok(JSON.parse(eraRun.out).changes.some((c: SchemaChange) => c.message === 'tcp_reset' && c.kind === 'rpc-id-changed'));
  assert.is(run(['flowmill', 'ebpf_net']).code, 0, 'no --fail-on: report only');
  assert.is(run([a, b, '--fail-on', 'breaking']).code, 0);
  const any = run([a, b, '--fail-on', 'any']);
  assert.is(any.code, 1);
  assert.is(JSON.parse(any.out).summary.byKind['field-number-changed'], 1);
  assert.is(run([a, b, '--fail-on', 'sometimes']).code, 64);
  assert.is(run(['flowmill']).code, 64);
  assert.is(run(['flowmill', join(dir, 'missing.render')]).code, 66);
});

test.run();
