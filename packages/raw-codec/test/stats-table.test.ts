// `raw-codec stats` on a terminal: nanosecond timestamps and spans in units a person reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { duration, instant } from '../src/stats-table.js';

test('duration: the largest unit that keeps the number ≥ 1', () => {
  assert.is(duration(0n), '0 ns');
  assert.is(duration(850n), '850 ns');
  assert.is(duration(12_500n), '12.500 µs');
  assert.is(duration(1_234_000n), '1.234 ms');
  assert.is(duration(2_500_000_000n), '2.500 s');
  assert.is(duration(184_500_000_000n), '3 min 4.500 s'); // 3*60 + 4.5 s
  assert.is(duration(18_367_000_000_000n), '5 h 6 min 7 s'); // 5*3600 + 6*60 + 7 s
});

test('instant: UTC to the nanosecond for wall-clock times, else a duration from the clock\'s zero', () => {
  assert.is(instant('1700000000123456789'), '2023-11-14T22:13:20.123456789Z');
  assert.is(instant('946684800000000001'), '2000-01-01T00:00:00.000000001Z');
  assert.is(instant('3723000000000'), '1 h 2 min 3 s after clock zero'); // a monotonic clock an hour after boot
});

test.run();
