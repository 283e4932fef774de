import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunDir, hashRunFiles, timestampName } from '../src/run-dir.js';
import { scaledTolerances, renderSummary, type RunResult } from '../src/index.js';
import { failureLine } from '../src/up-down.js';

test('run directories: UTC timestamp names, a second one in the same second gets -2, current follows', () => {
  const base = mkdtempSync(join(tmpdir(), 'recipe-dir-'));
  const now = new Date('2026-11-25T08:20:59.123Z');
  assert.is(timestampName(now), '2026-11-25T08-20-59Z');
  const a = createRunDir({ base, now });
  const b = createRunDir({ base, now });
  assert.is(a.dir, join(base, '2026-11-25T08-20-59Z'));
  assert.is(b.dir, join(base, '2026-11-25T08-20-59Z-2'));
  assert.is(readlinkSync(join(base, 'current')), '2026-11-25T08-20-59Z-2');
  const out = createRunDir({ out: join(base, 'elsewhere', 'mine') });
  assert.ok(existsSync(out.dir));
  assert.not.ok(existsSync(join(base, 'elsewhere', 'current')), 'an --out directory plants no link next to it');
  assert.is(readlinkSync(join(base, 'current')), '2026-11-25T08-20-59Z-2');
  rmSync(base, { recursive: true });
});

test('hashRunFiles: sha256 of every file, .partial and named files marked incomplete, run.json and temp files left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-hash-'));
  mkdirSync(join(dir, 'intake'));
  writeFileSync(join(dir, 'intake', 'conn-0001.raw'), 'abc');
  writeFileSync(join(dir, 'bpf.raw'), 'def');
  writeFileSync(join(dir, 'intake.ndjson.partial'), '{"half":');
  writeFileSync(join(dir, 'run.json'), '{}');
  writeFileSync(join(dir, 'run.json.123.tmp'), '{');
  const files = await hashRunFiles(dir, new Set(['bpf.raw']));
  assert.equal(Object.keys(files).sort(), ['bpf.raw', 'intake.ndjson.partial', 'intake/conn-0001.raw']);
  assert.equal(files['intake/conn-0001.raw'], { bytes: 3, sha256: createHash('sha256').update('abc').digest('hex'), complete: true });
  assert.is(files['bpf.raw'].complete, false);
  assert.is(files['intake.ndjson.partial'].complete, false);
  const whole = await hashRunFiles(dir, new Set(['intake']));
  assert.is(whole['intake/conn-0001.raw'].complete, false, 'a directory name marks what is in it');
  rmSync(dir, { recursive: true });
});

test('scaled cadence tolerances: one skipped heartbeat (two periods) is out, a late one by a quarter period is in', () => {
  for (const scale of [0.1, 0.25, 0.5, 1]) {
    const c = (scaledTolerances(scale) as { cadence: { heartbeatMs: number; heartbeatMinGapMs: number; heartbeatMaxGapMs: number } }).cadence;
    assert.is(c.heartbeatMs, 2000 * scale, 'docs/agent-protocol.md §2.4: 2 s heartbeat');
    assert.ok(2 * c.heartbeatMs > c.heartbeatMaxGapMs, `scale ${scale}: a skipped heartbeat fails`);
    assert.ok(1.25 * c.heartbeatMs <= c.heartbeatMaxGapMs && 0.75 * c.heartbeatMs >= c.heartbeatMinGapMs);
  }
});

test('why `recipe serve` died: its own error line, else the crash\'s Error line', () => {
  assert.is(failureLine('[authz] ready: listening on https://localhost:8001\nrecipe: cannot listen: intake on 127.0.0.1:7001: port busy\n'), 'cannot listen: intake on 127.0.0.1:7001: port busy');
  assert.is(failureLine('recipe: ready: x\nfile:///x.js:1\nthrow e\nTypeError: boom\n    at f (x.js:1)\n\nNode.js v20.20.2\n'), 'recipe serve crashed: TypeError: boom');
  assert.is(failureLine(''), 'no output');
});

test('the summary names the verdict, the failed checks and where everything is', () => {
  const r = {
    dir: '/w/runs/x', status: 'failed', exitCode: 1,
    report: { ok: false, checks: [{ id: 'cadence', title: 'heartbeats every 2 s', status: 'fail', reason: '1 heartbeat gap out of tolerance' }, { id: 'decode', title: 'decodes', status: 'pass' }] },
    runJson: {
      simulated: true, era: 'flowmill', agent: { kind: 'simulated' }, ms: 4700, checks: { ok: false, passed: 1, failed: 1, notRun: 0, failedIds: ['cadence'] },
      files: { 'intake/conn-0001.raw': {}, 'intake.record': {}, 'check.html': {} }, records: { intake: 10 },
    },
  } as unknown as RunResult;
  const s = renderSummary(r, { cwd: '/w' });
  assert.match(s, /^FAILED: 1 passed, 1 failed \(simulated agent, flowmill era\) in 4\.7s, exit 1\n/);
  assert.match(s, '  failed: cadence: heartbeats every 2 s: 1 heartbeat gap out of tolerance');
  assert.match(s, '  wire      runs/x/intake/ (1 connection)');
  assert.match(s, '  report    runs/x/check.html');
  assert.not.match(s, 'bpf dump', 'only files that exist');
});

test.run();
