// The spool that holds a waiting connection's bytes: memory up to the shared budget, then an anonymous temp file.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Spool, SpoolBudget } from '../src/spool.js';
import type { Target } from '../src/target.js';
import { tempDir } from './helpers.js';

const collect = () => {
  const parts: Uint8Array[] = [];
  const t: Target = { name: 'test', position: 0, write: (b) => void parts.push(b.slice()), sync() {}, close() {} };
  return { t, bytes: () => Buffer.concat(parts) };
};

test('past the budget a spool moves to a temp file that leaves no name behind; drained bytes are the pushed ones', () => {
  const tmp = tempDir();
  const budget = new SpoolBudget(100_000, tmp.dir);
  const a = new Spool(budget), b = new Spool(budget);
  const chunks = Array.from({ length: 50 }, () => randomBytes(7_000));
  for (const c of chunks.slice(0, 10)) a.push(c); // 70 000: in memory
  assert.is(budget.used, 70_000);
  for (const c of chunks.slice(10)) b.push(c); // b overflows the shared budget: to its file
  assert.is(budget.used, 70_000, 'b holds nothing in memory once spilled');
  assert.equal(readdirSync(tmp.dir), [], 'the spool file is unlinked at once');
  const out = collect();
  b.drainTo(out.t);
  a.drainTo(out.t);
  assert.ok(out.bytes().equals(Buffer.concat([...chunks.slice(10), ...chunks.slice(0, 10)])));
  assert.is(budget.used, 0);
  tmp.cleanup();
});

test.run();
