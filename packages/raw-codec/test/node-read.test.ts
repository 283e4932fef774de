// The Node file reader: following an idle file polls for as long as it takes with flat memory and a clean stderr
// (issue 17: one abort listener per poll piled up, Node warned after 11, RSS grew).
import { getEventListeners } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileChunks } from '../src/node.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('--follow on an idle file: thousands of polls, no listener left behind, no warning, flat heap', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'raw-codec-follow-')), 'idle.raw');
  writeFileSync(file, Uint8Array.of(1, 2, 3));
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const ac = new AbortController();
  let idle = 0;
  let bytes = 0;
  const counts: number[] = [];
  let heapAt200 = 0;
  try {
    for await (const c of readFileChunks(file, { follow: true, pollMs: 0, signal: ac.signal })) {
      bytes += c.length;
      if (c.length > 0) continue;
      idle++;
      counts.push(getEventListeners(ac.signal, 'abort').length);
      if (idle === 200) { gc(); heapAt200 = process.memoryUsage().heapUsed; }
      if (idle === 3000) break;
    }
  } finally {
    process.off('warning', onWarning);
  }
  gc();
  const heapGrowth = process.memoryUsage().heapUsed - heapAt200;
  await new Promise((r) => setImmediate(r)); // a MaxListenersExceededWarning is emitted on a later tick
  assert.is(bytes, 3);
  assert.is(idle, 3000);
  assert.equal(warnings.map((w) => w.name), []);
  assert.ok(Math.max(...counts) <= 1, `abort listeners during polls: up to ${Math.max(...counts)}`);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0, 'none left once the reader stopped');
  // 2800 leaked listeners with their closures would be hundreds of KB; allow noise well below that.
  assert.ok(heapGrowth < 256 * 1024, `heap grew ${heapGrowth} bytes over 2800 idle polls`);
});

test('an abort ends a follow that is sleeping between polls', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'raw-codec-follow-')), 'idle.raw');
  writeFileSync(file, new Uint8Array(0));
  const ac = new AbortController();
  let idle = 0;
  for await (const c of readFileChunks(file, { follow: true, pollMs: 60_000, signal: ac.signal })) {
    if (c.length === 0 && ++idle === 1) setTimeout(() => ac.abort(), 10);
  }
  assert.is(idle, 1);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0);
});

test.run();
