import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, exitCodeFor, ExitCode } from '../src/index.js';

test('durations read as milliseconds, bare numbers as seconds', () => {
  assert.is(parseDuration('250ms'), 250);
  assert.is(parseDuration('2s'), 2000);
  assert.is(parseDuration('1.5m'), 90_000);
  assert.is(parseDuration('30'), 30_000);
  assert.throws(() => parseDuration('soon'), /not a duration/);
});

test('errors map to the exit-code table by code, unknown ones to 70', () => {
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'EADDRINUSE' })), ExitCode.unavailable);
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'ERR_TRUNCATED' })), 65);
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'EEXIST' })), 73);
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOTDIR' })), 66, 'a path through a file is missing input, not a bug');
  assert.is(exitCodeFor(new Error('boom')), 70);
  assert.is(exitCodeFor(Object.assign(new Error('x'), { code: 'MINE' }), { MINE: 75 }), 75);
});

test.run();
