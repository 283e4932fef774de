// A fast sample of the mutation fuzzer (tools/bench/raw-codec-fuzz.mjs runs a million cases): no crash, no hang,
// every fault reported as a located TruncatedError/CorruptError, no byte skipped silently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as lib from '../src/index.js';
import { fuzz, makeSeeds } from '../tools/fuzz-core.mjs';

test('unmutated seeds decode cleanly (the fuzzer starts from valid recordings)', () => {
  for (const s of makeSeeds(lib)) {
    const recs = lib.decodeBytes(s.bytes, { kind: s.kind });
    assert.ok(recs.length >= 25, s.kind);
    if (s.kind !== 'intake') assert.is(recs.reduce((a, r) => a + r.size, 0), s.bytes.length);
  }
});

test('10 000 mutated recordings: only located truncation/corruption errors', () => {
  const r = fuzz(lib, 10_000, 1);
  assert.is(r.ok + r.ERR_TRUNCATED + r.ERR_CORRUPT, 10_000);
  assert.ok(r.ERR_CORRUPT > 500 && r.ERR_TRUNCATED > 500, JSON.stringify(r));
});

test.run();
