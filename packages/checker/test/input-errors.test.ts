import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '@flowmill/cli';
import { loadSchema } from '@flowmill/raw-codec';
import { runChecks } from '../src/index.js';

// The same input error gets the same exit code from every bin (issue 9 §4): the checker maps raw-codec's own error
// classes, not Node's ENOENT, so `--schema` behaves as it does for raw-codec.
const dir = mkdtempSync(join(tmpdir(), 'checker-errors-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return assert.unreachable('expected a rejection');
}

const record = join(dir, 'intake.record');
writeFileSync(record, new Uint8Array(0));

test('a --schema file that does not exist: 66 from the checker, as from raw-codec', async () => {
  const missing = join(dir, 'none.render');
  const fromChecker = await failure(runChecks({ record, schema: missing }));
  const fromCodec = await failure(loadSchema(missing));
  assert.is(exitCodeFor(fromChecker), 66, String(fromChecker));
  assert.is(exitCodeFor(fromChecker), exitCodeFor(fromCodec));
  assert.match(String((fromChecker as Error).message), missing);
});

test('a --schema file that does not parse: 65 from the checker, as from raw-codec', async () => {
  const bad = join(dir, 'bad.render');
  writeFileSync(bad, 'this is { not a render file');
  const fromChecker = await failure(runChecks({ record, schema: bad }));
  const fromCodec = await failure(loadSchema(bad));
  assert.is(exitCodeFor(fromCodec), 65, String(fromCodec));
  assert.is(exitCodeFor(fromChecker), exitCodeFor(fromCodec), String(fromChecker));
});

test.run();
