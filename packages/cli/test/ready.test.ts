import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { READY_LINE, announceReady, exitCodeFor } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-ready-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function announce(readyFile?: string) {
  let err = '';
  let thrown: (Error & { code?: string }) | undefined;
  try {
    announceReady('demo', 'tcp://127.0.0.1:4242', { port: 4242 }, { readyFile, stderr: { write: (s: string) => (err += s) } });
  } catch (e) {
    thrown = e as Error & { code?: string };
  }
  return { err, thrown };
}

test('the line matches READY_LINE; the ready file holds pid, url and the info, and replaces an earlier ready file', () => {
  const f = join(dir, 'ready.json');
  writeFileSync(f, '{"pid":1,"url":"tcp://127.0.0.1:1"}\n');
  const r = announce(f);
  assert.is(r.thrown, undefined);
  assert.is(r.err, 'demo: ready: listening on tcp://127.0.0.1:4242\n');
  assert.equal(READY_LINE.exec(r.err)?.slice(1), ['demo', 'tcp://127.0.0.1:4242']);
  assert.equal(JSON.parse(readFileSync(f, 'utf8')), { pid: process.pid, url: 'tcp://127.0.0.1:4242', port: 4242 });
  assert.ok(readdirSync(dir).every((n) => !n.endsWith('.tmp')), 'no temp file left');
});

test('a file that is not an earlier ready file is refused (73), left as it was, and no line is printed', () => {
  const f = join(dir, 'precious.pem');
  writeFileSync(f, '-----BEGIN CERTIFICATE-----\n');
  const r = announce(f);
  assert.is(r.err, '');
  assert.is(r.thrown?.message, `cannot write the ready file: ${f}: exists and is not an earlier ready file (pick another path)`);
  assert.is(exitCodeFor(r.thrown), 73);
  assert.is(readFileSync(f, 'utf8'), '-----BEGIN CERTIFICATE-----\n');
});

test('a ready file in a directory that does not exist: missing input (66), one line naming it, no readiness line', () => {
  const f = join(dir, 'no', 'ready.json');
  const r = announce(f);
  assert.is(r.err, '');
  assert.is(r.thrown?.message, `cannot write the ready file: ${f}: its directory does not exist`);
  assert.is(exitCodeFor(r.thrown), 66);
});

test.run();
