// `--version` works on every bin and every subcommand (`<bin> <version>` on stdout, exit 0, the version in the
// package's own package.json), and `<bin> <sub> --help` is headed by `<bin> <sub>`, for every subcommand a bin's
// help lists plus the ones it takes without listing (issue 12 item 10).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url).pathname;
const BINS = ['certs', 'mock-authz', 'tls-sink', 'agent-runner', 'raw-codec', 'checker', 'recipe'];
/** Subcommands a bin takes without listing them in its help (certs creates by default; checker checks by default). */
const UNLISTED: Record<string, string[]> = { certs: ['create', 'check'], checker: ['diff'] };

const run = (bin: string, args: string[]) => {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  const r = spawnSync(process.execPath, [join(root, 'packages', bin, 'dist', `${bin}.js`), ...args], { encoding: 'utf8', timeout: 20_000, env });
  return { ...r, stdout: r.stdout.replace(/\x1b\[[0-9;]*m/g, '') };
};

/** The subcommands a `subcommands` bin (or subcommand) lists in its help: lines `- name - description`. */
function listed(bin: string, path: string[] = []): string[] {
  return [...run(bin, [...path, '--help']).stdout.matchAll(/^- ([a-z-]+) - /gm)].map((m) => m[1]);
}

/** Every subcommand path, nested ones included (`agent-runner vm run`). */
function paths(bin: string, from: string[] = []): string[][] {
  const here = from.length ? listed(bin, from) : [...new Set([...listed(bin), ...(UNLISTED[bin] ?? [])])];
  return here.flatMap((s) => [[...from, s], ...paths(bin, [...from, s])]);
}

for (const bin of BINS) {
  const version = (JSON.parse(readFileSync(join(root, 'packages', bin, 'package.json'), 'utf8')) as { version: string }).version;
  const subs = paths(bin).map((p) => p.join(' '));

  test(`${bin} --version prints "${bin} ${version}" and exits 0, alone and after each subcommand`, () => {
    for (const args of [['--version'], ...subs.map((s) => [...s.split(' '), '--version'])]) {
      const r = run(bin, args);
      assert.is(r.status, 0, `${bin} ${args.join(' ')}: ${r.stderr}`);
      assert.is(r.stdout, `${bin} ${version}\n`, `${bin} ${args.join(' ')}`);
      assert.is(r.stderr, '', `${bin} ${args.join(' ')}`);
    }
  });

  if (subs.length) {
    test(`${bin}: the help of each subcommand (${subs.join(', ')}) is headed by it`, () => {
      for (const sub of subs) {
        const r = run(bin, [...sub.split(' '), '--help']);
        assert.is(r.status, 0, `${bin} ${sub} --help: ${r.stderr}`);
        // a subcommand with subcommands of its own is headed `<bin> <sub> <subcommand>`
        assert.is(r.stdout.split('\n')[0].trim().replace(/ <subcommand>$/, ''), `${bin} ${sub}`, `${bin} ${sub} --help`);
      }
    });
  }
}

test('the bins with subcommands list them (the test above is not vacuous)', () => {
  assert.ok(listed('agent-runner').includes('sim'));
  assert.ok(listed('raw-codec').includes('decode'));
  assert.ok(listed('recipe').includes('run'));
});

test.run();
