// The runner's count, proven on fake suites run by the real uvu (tools/test/suite.mjs, the runner's own path):
// failures next to skips, a leftover .only, a file that dies at import, a test printing a fake summary, a non-zero
// exit after a clean summary. Expected counts come from the fake suites' text, written here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closingLine, countRegistrations, findOnly, parseSummary, verdict } from './count.mjs';
import { runSuite } from './suite.mjs';

const UVU = pathToFileURL(new URL('../../node_modules/uvu/dist/index.mjs', import.meta.url).pathname).href;
const ONLY = ['test', 'only'].join('.'); // spelled apart so this file itself holds no leftover `.only(`
const tmp = mkdtempSync(join(tmpdir(), 'runner-count-'));

/** A fake suite directory: { 'name.test.mjs': body } with uvu's `test` imported. */
function fakeSuite(name, files) {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [file, body] of Object.entries(files)) writeFileSync(join(dir, file), `import { test } from '${UVU}';\n${body}\ntest.run();\n`);
  return runSuite({ name, dir, pattern: '\\.test\\.mjs$' }, { timeoutMs: 60_000 });
}
const pass = (n, tag = 'p') => Array.from({ length: n }, (_, i) => `test('${tag}${i}', () => {});`).join('\n');
const fail = (n) => Array.from({ length: n }, (_, i) => `test('f${i}', () => { throw new Error('no'); });`).join('\n');
const skip = (n) => Array.from({ length: n }, (_, i) => `test.skip('s${i}', () => {});`).join('\n');

test('2 failures and 3 skips: 2 failed, never negative (uvu Total already leaves skips out)', async () => {
  const r = await fakeSuite('fails-and-skips', { 'a.test.mjs': `${pass(4)}\n${fail(2)}\n${skip(3)}` });
  assert.is(r.code, 1, r.output);
  assert.equal([r.passed, r.failed, r.skipped], [4, 2, 3], r.output);
});

test('a clean suite: all passed, nothing failed, no notes', async () => {
  const r = await fakeSuite('clean', { 'a.test.mjs': pass(3), 'b.test.mjs': pass(2) });
  assert.is(r.code, 0, r.output);
  assert.equal([r.passed, r.failed, r.skipped, r.notes], [5, 0, 0, []]);
});

test('a leftover .only fails the run (uvu exits 0), counting the tests it kept from running, naming file:line', async () => {
  const r = await fakeSuite('only', { 'a.test.mjs': `${pass(3)}\n${ONLY}('kept', () => {});` });
  assert.is(r.code, 0, 'uvu itself calls this a pass');
  assert.equal([r.passed, r.failed], [1, 3], r.output);
  assert.match(r.notes.join('\n'), /a\.test\.mjs:5/);
});

test('a file that dies at import: the suite counts every test registered in its files as not run', async () => {
  const r = await fakeSuite('dies', {
    'a.test.mjs': pass(2),
    'b.test.mjs': `${pass(3, 'q')}\nthrow new Error('boom at import');`,
  });
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /boom at import/);
  assert.equal([r.passed, r.failed], [0, 5], r.output);
  assert.match(r.notes.join('\n'), /at least 5 of the 5 registered/);
});

test("uvu's final summary counts, not a summary-like text a test printed first", async () => {
  const fake = `test('prints', () => { process.stdout.write('\\n  Total:     99\\n  Passed:    99\\n  Skipped:   0\\n  Duration:  1ms\\n\\n'); });`;
  const r = await fakeSuite('fake-summary', { 'a.test.mjs': `${fake}\n${fail(1)}` });
  assert.equal([r.passed, r.failed], [1, 1], r.output);
});

test('a non-zero exit after a summary with no failure counts one failure', async () => {
  const late = `test('late', () => { setTimeout(() => { process.exitCode = 2; }, 20); });`;
  const r = await fakeSuite('late-exit', { 'a.test.mjs': `${pass(2)}\n${late}` });
  assert.is(r.code, 2, r.output);
  assert.equal([r.passed, r.failed], [3, 1], r.output);
});

test('the closing line is exactly "N passed, N failed"', () => {
  assert.is(closingLine({ passed: 12, failed: 0 }), '12 passed, 0 failed');
});

test('registrations: test(), its only-variant and suite names count; test.skip, comments and other calls do not; a loop counts once', () => {
  const src = [
    "import { suite, test } from 'uvu';",
    "const unit = suite('unit');",
    "test('a', () => {});",
    `${ONLY}('b', () => {});`,
    "unit('c', () => {});",
    "test.skip('d', () => {});",
    "// test('in a comment', () => {});",
    "/* test('in a block comment') */",
    "run('socat', ['-u']);",
    "for (const x of [1, 2, 3]) {",
    "  test(`loop ${x}`, () => {});",
    '}',
    'test.run();',
  ].join('\n');
  assert.is(countRegistrations(src), 4);
  assert.equal(findOnly([{ file: 'x.ts', text: src }]), ['x.ts:4']);
  assert.equal(findOnly([{ file: 'y.ts', text: `// ${ONLY}('commented out')\nassert.not.ok(x);` }]), []);
});

test('parseSummary reads the last summary; no summary is null', () => {
  const one = '  Total:     3\n  Passed:    2\n  Skipped:   1\n  Duration:  5ms\n';
  assert.equal(parseSummary(`${one.replace('3', '9')}\n${one}`), { total: 3, passed: 2, skipped: 1 });
  assert.is(parseSummary('Error: boom\n'), null);
  assert.equal(verdict({ stdout: '', code: null, files: [] }).failed, 1, 'killed with no tests found still fails');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
