import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeIntake, FLUSH_SIZE } from '@flowmill/raw-codec';
import { runChecks, type CheckReport } from '../src/index.js';
import { cat, cleanup, Encoders, MS, S, steadySession, T0, tmp, writeRun, writeSinkDir, type R } from './agent-records.js';

// The new checks on the wire capture (issue 14 item 12), each shown failing and passing on recordings laid out from
// the agent's source.
test.after(cleanup);
const check = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)!;
type Fig = Record<string, number>;

// wire-frames: version_info raw and flushed alone (kernel_collector.cc@3598385a:324-331), then one LZ4 frame per send()
// of the 16 KiB BufferedWriter (channel/lz4_channel.cc@3598385a:47-67, collector/constants.h:23), holding whole
// records (buffered_writer.cc@3598385a:44-68) and never empty (:82-89).

test('wire-frames: a capture flushed as the agent does passes', async () => {
  const e = new Encoders('flowmill');
  const f = writeRun(e, [{ records: steadySession('flowmill', T0).records }]);
  const c = check(await runChecks({ wire: f.wire }, { only: ['wire-frames'] }), 'wire-frames');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.ok((c.figures as Fig).frames > 0);
  assert.is((c.figures as Fig).connections, 1);
});

test('wire-frames: a frame of more than 16384 plaintext bytes fails', async () => {
  const e = new Encoders('flowmill');
  const s = steadySession('flowmill', T0).records;
  const beats: R[] = Array.from({ length: 2000 }, (_, i) => ({ name: 'heartbeat', ts: T0 + 11n * S + BigInt(i) }));
  const f = writeRun(e, [{ records: s, flushes: [s.slice(1), beats] }]); // 2000 × 10 bytes in one send
  const c = check(await runChecks({ wire: f.wire }, { only: ['wire-frames'] }), 'wire-frames');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, new RegExp(`1 frame over ${FLUSH_SIZE} plaintext bytes`));
});

test('wire-frames: a frame that ends inside a record fails (a flush holds whole records)', async () => {
  const e = new Encoders('flowmill');
  const [vi, ...rest] = steadySession('flowmill', T0).records.map((r) => e.intake(r));
  const plain = cat(rest);
  const cut = rest[0].length + 3; // three bytes into the second record
  const wire = encodeIntake([[plain.subarray(0, cut)], [plain.subarray(cut)]], vi);
  const file = join(tmp(), 'capture.raw');
  writeFileSync(file, wire);
  const c = check(await runChecks({ wire: file }, { only: ['wire-frames'] }), 'wire-frames');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /frames? not ending on a record boundary/);
  assert.ok((c.figures as Fig).framesSplittingRecords >= 1);
});

test('wire-frames: an empty capture has nothing to check: not run, never passed', async () => {
  const file = join(tmp(), 'empty.raw');
  writeFileSync(file, new Uint8Array(0));
  const c = check(await runChecks({ wire: file }, { only: ['wire-frames'] }), 'wire-frames');
  assert.is(c.status, 'not-run');
});

// disable-send: the command only sets disabled_ (kernel_collector.cc@3598385a:573-579); the fast and slow poll timers
// return early (:212-216, 233-237), the heartbeat timer (:126-128, 581-585) does not.
function afterDisable(o: { slowPollGoesOn?: boolean; heartbeatsStop?: boolean }): { records: R[]; split: bigint } {
  const split = T0 + 6n * S;
  const records = steadySession('flowmill', T0, { seconds: 16 }).records.filter((r) => {
    if (r.ts < split + 1n * S) return true; // before, and within the grace: a slow poll already under way
    if (r.name === 'agent_resource_usage') return !!o.slowPollGoesOn;
    if (r.name === 'heartbeat') return !o.heartbeatsStop;
    return true;
  });
  if (o.heartbeatsStop) records.push({ name: 'agent_resource_usage', ts: T0 + 15n * S + 50n * MS }); // still connected
  return { records: records.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)), split };
}

test('disable-send: the slow poll stops and heartbeats go on: passes', async () => {
  const { records, split } = afterDisable({});
  const d = writeSinkDir(new Encoders('flowmill'), records, split, true);
  const c = check(await runChecks({ wire: d.dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.ok((c.figures as Fig).heartbeatsAfter >= 3);
});

test('disable-send: agent_resource_usage still written after DISABLE_SEND fails', async () => {
  const { records, split } = afterDisable({ slowPollGoesOn: true });
  const d = writeSinkDir(new Encoders('flowmill'), records, split, true);
  const c = check(await runChecks({ wire: d.dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /slow-poll records? after DISABLE_SEND/);
});

test('disable-send: heartbeats stopping after DISABLE_SEND fails', async () => {
  const { records, split } = afterDisable({ heartbeatsStop: true });
  const d = writeSinkDir(new Encoders('flowmill'), records, split, true);
  const c = check(await runChecks({ wire: d.dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /heartbeats stopped/);
});

test('disable-send: with only the sink\'s clock (no byte count) it judges from that time: passes, and fails on a slow poll', async () => {
  const quiet = afterDisable({});
  const ok = check(await runChecks({ wire: writeSinkDir(new Encoders('flowmill'), quiet.records, quiet.split, 'time only').dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(ok.status, 'pass', JSON.stringify(ok.evidence));
  const loud = afterDisable({ slowPollGoesOn: true });
  const bad = check(await runChecks({ wire: writeSinkDir(new Encoders('flowmill'), loud.records, loud.split, 'time only').dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(bad.status, 'fail');
});

test('disable-send: a sink that sent no DISABLE_SEND: not run, with the reason', async () => {
  const { records, split } = afterDisable({ slowPollGoesOn: true });
  const d = writeSinkDir(new Encoders('flowmill'), records, split, false);
  const c = check(await runChecks({ wire: d.dir }, { only: ['disable-send'] }), 'disable-send');
  assert.is(c.status, 'not-run');
  assert.match(c.reason!, /sent no DISABLE_SEND/);
});

test.run();
