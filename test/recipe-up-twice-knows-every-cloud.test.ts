// issue 12 item 7: a second `recipe up` names the cloud already running instead of a bare `port busy` (or starting a
// second one that repoints runs/current and hides the first); `status` and `down` know every cloud under the runs
// directory; a failed `up` leaves no run directory behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-up-twice-'));
const recipe = (...args: string[]) => spawnSync(process.execPath, [BUNDLE, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });
const runDirs = () => readdirSync(join(cwd, 'runs')).filter((n) => n !== 'current').sort();
/** Alive and not a zombie (the detached cloud may be reparented to a reaper that has not reaped it yet). */
const pidAlive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return false;
  }
};

test.after(() => {
  for (const d of readdirSync(join(cwd, 'runs'))) recipe('down', '--dir', join('runs', d));
  rmSync(cwd, { recursive: true, force: true });
});

test('up twice, down, status: the second up names the first, nothing hides a running cloud', () => {
  const first = recipe('up', '--authz-port', '0', '--intake-port', '0', '--json');
  assert.is(first.status, 0, first.stderr);
  const a = JSON.parse(first.stdout);
  const firstDir = runDirs();
  assert.is(firstDir.length, 1);

  // with port 0 it used to start a second cloud and repoint runs/current; now refused, naming the first
  const again = recipe('up', '--authz-port', '0', '--intake-port', '0');
  assert.is(again.status, 69, again.stderr);
  assert.is(again.stderr.trim().split('\n').length, 1);
  assert.match(again.stderr, `recipe: cannot start a second fake cloud: already running: pid ${a.pid} in runs/${firstDir[0]}`);
  assert.match(again.stderr, `recipe down --dir runs/${firstDir[0]}`);
  assert.equal(runDirs(), firstDir, 'no run directory left by the refused up');
  assert.is(readlinkSync(join(cwd, 'runs', 'current')), firstDir[0]);

  // on its fixed port (as the default 7001 would be) the busy port is named with the cloud that holds it
  const busy = recipe('up', '--dir', 'runs/other', '--authz-port', '0', '--intake-port', String(a.intake.port));
  assert.is(busy.status, 69, busy.stderr);
  assert.match(busy.stderr, `port busy (pick another with --intake-port, or 0 for any): held by the fake cloud pid ${a.pid} in runs/${firstDir[0]}`);
  assert.equal(runDirs(), firstDir, 'a failed up leaves no run directory');

  // a second cloud beside it, by its own --dir: status lists both
  const second = recipe('up', '--dir', 'runs/second', '--authz-port', '0', '--intake-port', '0', '--json');
  assert.is(second.status, 0, second.stderr);
  const b = JSON.parse(second.stdout);
  const st = recipe('status');
  assert.is(st.status, 0);
  assert.match(st.stdout, `pid ${a.pid}`);
  assert.match(st.stdout, `pid ${b.pid}`);

  // down stops the one current names; then status shows the other still running, and a bare down names it
  const d1 = recipe('down');
  assert.is(d1.status, 0, d1.stderr);
  assert.match(d1.stdout, `stopped fake cloud pid ${a.pid}`);
  const st2 = recipe('status');
  assert.is(st2.status, 0, st2.stderr);
  assert.match(st2.stdout, new RegExp(`^running: fake cloud, pid ${b.pid}`));
  assert.not.match(st2.stdout, `pid ${a.pid}`);
  const d2 = recipe('down');
  assert.is(d2.status, 66);
  assert.match(d2.stderr, `but one runs elsewhere: pid ${b.pid} in runs/second`);
  assert.ok(pidAlive(b.pid));
  const d3 = recipe('down', '--dir', 'runs/second');
  assert.is(d3.status, 0, d3.stderr);
  assert.not.ok(pidAlive(b.pid));
  assert.is(recipe('status').status, 66);
});

test.run();
