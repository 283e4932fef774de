import { closeSync, mkdtempSync, rmSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode, OutputFileError, exitCodeFor, openOutput, outputError, signalExitCode, writeOutput } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-output-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): OutputFileError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, OutputFileError);
    return err as OutputFileError;
  }
  throw new Error('expected a refusal');
}

test('openOutput creates 0600 exclusively, refuses an existing file (73), replaces with force, continues with append', () => {
  const p = join(dir, 'rec.raw');
  let fd = openOutput(p);
  writeSync(fd, 'one');
  closeSync(fd);
  assert.is(statSync(p).mode & 0o777, 0o600);
  const e = refusal(() => openOutput(p));
  assert.is(e.code, 'ERR_WOULD_OVERWRITE');
  assert.is(e.message, `refusing to overwrite: ${p}: exists (--force replaces it)`);
  assert.is(exitCodeFor(e), 73);
  assert.is(readFileSync(p, 'utf8'), 'one', 'the refused file is untouched');
  fd = openOutput(p, { append: true });
  writeSync(fd, 'two');
  closeSync(fd);
  assert.is(readFileSync(p, 'utf8'), 'onetwo');
  fd = openOutput(p, { force: true });
  writeSync(fd, 'three');
  closeSync(fd);
  assert.is(readFileSync(p, 'utf8'), 'three');
  assert.is(refusal(() => openOutput(p, { force: true, append: true })).code, 'ERR_USAGE');
});

test('a missing directory is missing input (66, as for a ready file), with the path and why', () => {
  const p = join(dir, 'nowhere', 'x.raw');
  const e = refusal(() => openOutput(p));
  assert.is(e.message, `cannot create: ${p}: its directory does not exist`);
  assert.is(e.code, 'ENOENT');
  assert.is(exitCodeFor(e), ExitCode.noInput);
  assert.is(refusal(() => writeOutput(p, 'x')).message, e.message);
});

test('a full disk is an I/O error (74), not "would overwrite"', () => {
  // /dev/full answers every write with ENOSPC (Linux); opened for append, so nothing is replaced or truncated
  const fd = openOutput('/dev/full', { append: true });
  let err: unknown;
  try {
    writeSync(fd, 'x');
  } catch (e) {
    err = e;
  } finally {
    closeSync(fd);
  }
  const wrapped = outputError('/dev/full', err);
  assert.is(wrapped.code, 'ENOSPC');
  assert.is(wrapped.message, 'cannot write: /dev/full: disk full (ENOSPC)');
  assert.is(exitCodeFor(wrapped), ExitCode.ioErr);
  assert.is(ExitCode.ioErr, 74);
});

test('writeOutput: whole file or nothing; exclusive unless force; no temporary file left behind', () => {
  const p = join(dir, 'report.json');
  writeOutput(p, '{"a":1}\n');
  assert.is(readFileSync(p, 'utf8'), '{"a":1}\n');
  const e = refusal(() => writeOutput(p, 'other', { hint: '--force-report replaces it' }));
  assert.is(e.message, `refusing to overwrite: ${p}: exists (--force-report replaces it)`);
  assert.is(readFileSync(p, 'utf8'), '{"a":1}\n');
  writeOutput(p, Uint8Array.of(0x68, 0x69), { force: true, mode: 0o644 });
  assert.is(readFileSync(p, 'utf8'), 'hi');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('a second stop signal exits 128 + its number', () => {
  assert.is(signalExitCode('SIGINT'), 130);
  assert.is(signalExitCode('SIGTERM'), 143);
  assert.is(signalExitCode('SIGKILL'), 137);
  assert.is(ExitCode.interrupted, 130);
  assert.is(ExitCode.terminated, 143);
});

test.run();
