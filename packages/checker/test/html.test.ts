import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderHtml } from '../src/index.js';
import { checkAll, cleanup, drop, simRun, tmp } from './helpers.js';

test.after(cleanup);

function chromium(args: string[], dir: string) {
  return spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('headless Chromium renders the report: the check table, the verdict and every plot are in the DOM; the screenshot is a real image', async () => {
  const f = await simRun({ durationMs: 24_000, sessions: 2, edit: drop('intake', 'heartbeat', 3) });
  const r = await checkAll(f);
  const dir = tmp();
  const page = join(dir, 'report.html');
  writeFileSync(page, renderHtml(r));

  const dom = chromium(['--dump-dom', `file://${page}`], dir);
  assert.is(dom.status, 0, dom.stderr);
  const html = dom.stdout;
  assert.match(html, /<span class="badge bad" id="verdict">FAIL<\/span>/);
  // One table row per check, with the status the report says.
  for (const c of r.checks) assert.match(html, new RegExp(`<tr data-check="${c.id}" data-status="${c.status}">`));
  assert.match(html, /data-check="cadence" data-status="fail"/);
  assert.match(html, /data-check="health" data-status="fail"/); // the reconnect
  // Plots: two heatmap lanes, latency bars, heartbeat points, one bar group per session.
  assert.match(html, />BPF dump<\/text>/);
  assert.match(html, />Intake<\/text>/);
  assert.ok((html.match(/<circle /g) ?? []).length >= 6, 'heartbeat points');
  assert.match(html, />session 1<\/text>/);

  const png = join(dir, 'shot.png');
  const shot = chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`], dir);
  assert.is(shot.status, 0, shot.stderr);
  const img = readFileSync(png);
  assert.equal([...img.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.is(img.readUInt32BE(16), 1280, 'width');
  assert.ok(img.length > 60_000, `a page with content compresses to more than a blank one (${img.length} B)`);
});

test.run();
