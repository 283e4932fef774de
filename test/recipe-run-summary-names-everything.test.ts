// issue 12 item 9 (recipe side): the summary names each check not run and why, lists every decoded file
// (intake.ndjson, record.ndjson, bpf.ndjson), and ends with next steps whose jq one-liner works when pasted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-summary-'));
test.after(() => rmSync(cwd, { recursive: true, force: true }));

test('recipe run: not-run checks named with their reason, every decoded file, next steps that work', () => {
  const r = spawnSync(process.execPath, [BUNDLE, 'run'], { cwd, encoding: 'utf8', timeout: 90_000, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout;
  const head = out.split('\n')[0];
  // "N not run (id, id)" and one "not run: id: reason" line per id
  const m = /, (\d+) not run \(([^)]+)\)/.exec(head);
  assert.ok(m, head);
  const ids = m![2].split(', ');
  assert.is(ids.length, Number(m![1]));
  for (const id of ids) assert.match(out, new RegExp(`^  not run: ${id}: \\S`, 'm'));
  for (const f of ['intake.ndjson', 'record.ndjson', 'bpf.ndjson']) assert.match(out, new RegExp(`/${f.replace('.', '\\.')}  \\(\\d+ records\\)$`, 'm'));
  assert.match(out, /^next:$/m);
  assert.match(out, /^  open the report +runs\/\S+\/check\.html/m);
  const jq = /^  count by message +(jq .*)$/m.exec(out);
  assert.ok(jq, out);
  const sh = spawnSync('sh', ['-c', jq![1]], { cwd, encoding: 'utf8' });
  assert.is(sh.status, 0, sh.stderr);
  assert.match(sh.stdout, /^\s+\d+ heartbeat$/m);
});

test.run();
