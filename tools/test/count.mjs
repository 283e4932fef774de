// The test count of one uvu suite (one `uvu <dir> <pattern>` process), decided from what it printed, how it exited and
// its test files' text. Pure functions: tools/test/suite.mjs runs a suite and calls `verdict`; count.test.mjs proves
// the count on fake suites.
//
// What uvu 0.5.6 prints and means (node_modules/uvu/dist/index.mjs, `runner` and `exec`):
//   - one final summary on stdout: `Total:` = tests that ran (with `.only` present, only the `.only` ones),
//     `Passed:` = those that passed, `Skipped:` = `test.skip` calls plus the tests a `.only` left out. So
//     failed = Total - Passed; skipped tests are already outside Total.
//   - a `.only` anywhere in a file runs just those tests and still exits 0: the run must fail instead.
//   - a test file that throws while it is imported ends the process (exit 1) before any test runs: no summary, and
//     the suite's other files never run either.

/** uvu's final summary (the LAST one in stdout: a test may print text that looks like one), or null. */
export function parseSummary(stdout) {
  const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
  let last = null;
  for (const m of text.matchAll(/^ {2}Total: +(\d+)\n {2}Passed: +(\d+)\n {2}Skipped: +(\d+)\n {2}Duration: /gm)) {
    last = { total: Number(m[1]), passed: Number(m[2]), skipped: Number(m[3]) };
  }
  return last;
}

/** The per-file tallies `(passed / ran)` uvu printed before it died, summed: what did run. */
export function parsePartial(stdout) {
  const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
  let passed = 0, ran = 0;
  for (const m of text.matchAll(/ {2}\((\d+) \/ (\d+)\)\n/g)) {
    passed += Number(m[1]);
    ran += Number(m[2]);
  }
  return { passed, ran };
}

const stripComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/**
 * Tests a file registers, counted in its text: calls of `test(...)`, `test.only(...)` and of any name bound to
 * uvu's `suite(...)`, at the start of a statement. A registration inside a loop counts once, so this is a lower bound
 * ("at least N"); `test.skip` is not counted (uvu never runs it).
 */
export function countRegistrations(src) {
  const code = stripComments(src);
  const names = new Set(['test']);
  for (const m of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*suite\s*\(/g)) names.add(m[1]);
  let n = 0;
  for (const m of code.matchAll(/^[ \t]*(?:await\s+)?([A-Za-z_$][\w$]*)(\.only)?\s*\(/gm)) if (names.has(m[1])) n++;
  return n;
}

/** Every `<name>.only(` left in the files, as `file:line` (comments ignored). */
export function findOnly(files) {
  const found = [];
  for (const { file, text } of files) {
    stripComments(text).split('\n').forEach((line, i) => {
      if (/(^|[^\w$.])[A-Za-z_$][\w$]*\.only\s*\(/.test(line)) found.push(`${file}:${i + 1}`);
    });
  }
  return found;
}

/**
 * The count of one suite: `{ passed, failed, skipped, notes }`, never negative.
 *   stdout   what the uvu process wrote on stdout;  code  its exit status (null when killed);
 *   files    [{ file, text }] of the test files it was given (for `.only` and the tests a crash left unrun).
 * Rules: failed = Total - Passed from the final summary; a non-zero exit with nothing failed counts one failure; no
 * summary (died at import, killed, timed out) counts as failed every test that did not pass, and at least the tests
 * registered in its files that never ran (at least one); a `.only` fails the run with the tests it hid (at least one).
 */
export function verdict({ stdout, code, files = [] }) {
  const notes = [];
  const registered = files.reduce((n, f) => n + countRegistrations(f.text), 0);
  const summary = parseSummary(stdout);
  let passed, failed, skipped;
  if (summary) {
    passed = summary.passed;
    skipped = summary.skipped;
    failed = Math.max(0, summary.total - summary.passed);
    if (code !== 0 && failed === 0) {
      failed = 1;
      notes.push(`exited ${code ?? 'by a signal'} after a summary with no failure: counted as one failure`);
    }
  } else {
    const partial = parsePartial(stdout);
    const unrun = Math.max(1, registered - partial.ran);
    passed = partial.passed;
    skipped = 0;
    failed = partial.ran - partial.passed + unrun;
    notes.push(`died before its summary (exit ${code ?? 'by a signal'}): ${partial.ran} test(s) ran, at least ${unrun} of the ${registered} registered in its files did not run (counted as failed)`);
  }
  const only = findOnly(files);
  if (only.length) {
    const hidden = Math.max(1, summary ? summary.skipped : 0);
    failed += hidden;
    skipped = Math.max(0, skipped - hidden);
    notes.push(`test.only left in ${only.join(', ')}: the ${hidden} test(s) it kept from running count as failed`);
  }
  return { passed, failed, skipped, notes };
}

/** The closing line CI reads. */
export const closingLine = ({ passed, failed }) => `${passed} passed, ${failed} failed`;
