// issue 12 item 3: every shell block of every README (```sh/bash/shell fences in README.md and packages/*/README.md)
// is run as a user would paste it, in a scratch directory, and must succeed. A block that cannot run here carries
// `<!-- transcript: not run: WHY -->` on the line before its fence; the test lists those blocks and their reasons,
// and a marker without a reason fails. Bins resolve as from the repository root: the workspace's node_modules/.bin
// on PATH, and `npx @flowmill/NAME`/`npx NAME` runs that bin (npx outside the repository would ask the registry).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const readmes = ['README.md', ...readdirSync(join(ROOT, 'packages')).map((p) => join('packages', p, 'README.md'))].filter((f) => {
  try {
    readFileSync(join(ROOT, f));
    return true;
  } catch {
    return false;
  }
});

interface Block { file: string; line: number; text: string; notRun?: string }

function blocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i])) continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `${file}:${i + 1}: unclosed fence`);
    const marker = /^<!-- transcript: not run:(.*)-->\s*$/.exec(lines[i - 1] ?? '');
    out.push({ file, line: i + 1, text: lines.slice(i + 1, end).join('\n'), notRun: marker ? marker[1].trim() : undefined });
    i = end;
  }
  return out;
}

const all = readmes.flatMap(blocks);
const notRun = all.filter((b) => b.notRun !== undefined);
// A block that fails half-way never reaches its own `kill %1 %2`: the EXIT trap stops its background jobs, so a failure
// is reported at once instead of after the timeout (the jobs would hold the output pipes open).
const PRELUDE = `set -eu -o pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
npx() { local b="\${1#@flowmill/}"; shift; "$b" "$@"; }
`;

test('some README blocks are found, and each block not run says why', () => {
  assert.ok(all.length >= 5, `${all.length} blocks`);
  for (const b of notRun) assert.ok(b.notRun!.length > 10, `${b.file}:${b.line}: a not-run marker needs its reason`);
});

for (const b of all.filter((x) => x.notRun === undefined)) {
  test(`${b.file}:${b.line} runs as written`, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'readme-transcript-'));
    try {
      const r = spawnSync('bash', ['-c', `${PRELUDE}${b.text}\n`], {
        cwd, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL',
        env: { PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, HOME: cwd, NO_COLOR: '1' },
      });
      assert.is(r.status, 0, `${b.file}:${b.line} exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}

test.after(() => {
  // never silently skipped: the blocks this test did not run, and why (from their markers)
  const lines = notRun.map((b) => `  ${relative(ROOT, join(ROOT, b.file))}:${b.line}: ${b.notRun}`);
  process.stdout.write(`\nREADME blocks not run (${notRun.length} of ${all.length}):\n${lines.join('\n')}\n`);
});

test.run();
