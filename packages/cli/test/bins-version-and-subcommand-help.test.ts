// `--version` works on every bin and every subcommand (`<bin> <version>` on stdout, exit 0, the version in the
// package's own package.json), and `<bin> <sub> --help` is headed by `<bin> <sub>`, for every subcommand a bin's
// help lists, nested ones included, plus the ones it takes without listing (issue 12 item 10). Runs the built bins.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../..', import.meta.url).pathname;
const BINS = ['certs', 'mock-authz', 'tls-sink', 'agent-runner', 'raw-codec', 'checker', 'recipe'];
/** Subcommands a bin takes without listing them in its help (certs creates by default; checker checks by default). */
const UNLISTED: Record<string, string[]> = { certs: ['create', 'check'], checker: ['diff'] };

interface Out { status: number | null; stdout: string; stderr: string }
function run(bin: string, args: string[]): Promise<Out> {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const child = spawn(process.execPath, [join(root, 'packages', bin, 'dist', `${bin}.js`), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout: stdout.replace(/\x1b\[[0-9;]*m/g, ''), stderr }));
  });
}

/** The subcommands a help text lists: lines `- name - description`. */
const listed = (help: string) => [...help.matchAll(/^- ([a-z-]+) - /gm)].map((m) => m[1]);

/** Every subcommand path of a bin with its help output, nested ones included (`agent-runner vm run`). */
async function paths(bin: string): Promise<{ path: string[]; help: Out }[]> {
  const out: { path: string[]; help: Out }[] = [];
  let level = [...new Set([...listed((await run(bin, ['--help'])).stdout), ...(UNLISTED[bin] ?? [])])].map((s) => [s]);
  while (level.length) {
    const helps = await Promise.all(level.map((p) => run(bin, [...p, '--help'])));
    level.forEach((path, i) => out.push({ path, help: helps[i] }));
    level = level.flatMap((p, i) => listed(helps[i].stdout).map((s) => [...p, s]));
  }
  return out;
}

for (const bin of BINS) {
  const version = (JSON.parse(readFileSync(join(root, 'packages', bin, 'package.json'), 'utf8')) as { version: string }).version;

  test(`${bin}: --version prints "${bin} ${version}" alone and after every subcommand; every subcommand's help is headed by it`, async () => {
    const subs = await paths(bin);
    const versions = await Promise.all([[], ...subs.map((s) => s.path)].map((p) => run(bin, [...p, '--version'])));
    for (const [i, r] of versions.entries()) {
      const args = [...(i === 0 ? [] : subs[i - 1].path), '--version'].join(' ');
      assert.is(r.status, 0, `${bin} ${args}: ${r.stderr}`);
      assert.is(r.stdout, `${bin} ${version}\n`, `${bin} ${args}`);
      assert.is(r.stderr, '', `${bin} ${args}`);
    }
    for (const { path, help } of subs) {
      assert.is(help.status, 0, `${bin} ${path.join(' ')} --help: ${help.stderr}`);
      // a subcommand with subcommands of its own is headed `<bin> <sub> <subcommand>`
      assert.is(help.stdout.split('\n')[0].trim().replace(/ <subcommand>$/, ''), `${bin} ${path.join(' ')}`, `${bin} ${path.join(' ')} --help`);
    }
  });
}

test('the bins with subcommands list them (the heading checks are not vacuous)', async () => {
  assert.ok(listed((await run('agent-runner', ['--help'])).stdout).includes('sim'));
  assert.ok(listed((await run('raw-codec', ['--help'])).stdout).includes('decode'));
  assert.ok(listed((await run('recipe', ['--help'])).stdout).includes('run'));
});

test.run();
