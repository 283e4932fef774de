#!/usr/bin/env node
// `npm ci` runs this (the root `prepare` script) so that every bin is runnable as `npx <bin>` straight after install.
// Nx builds each package (esbuild bundle + tsc library entry), cached in .nx/; no daemon, no cloud.
// `node tools/build-all.mjs raw-codec certs` builds only those packages.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const only = process.argv.slice(2).filter((p) => p !== 'scenarios').map((p) => `@flowmill/${p}`);
const args = ['nx', 'run-many', '-t', 'build', '--outputStyle=static', ...(only.length ? ['-p', only.join(',')] : [])];
const r = spawnSync('npx', args, { stdio: 'inherit', env, cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);

// npm links a workspace's bins into node_modules/.bin only if the bundle already exists when it installs, and on a
// fresh clone it does not (the bundles are built here, after the install). Link them the way npm would.
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const pkg of readdirSync(join(root, 'packages'))) {
  const pj = join(root, 'packages', pkg, 'package.json');
  if (!existsSync(pj)) continue;
  for (const [bin, rel] of Object.entries(JSON.parse(readFileSync(pj, 'utf8')).bin ?? {})) {
    const target = join(root, 'packages', pkg, rel);
    if (!existsSync(target)) continue;
    const link = join(binDir, bin);
    try { if (lstatSync(link)) unlinkSync(link); } catch {}
    symlinkSync(relative(binDir, target), link);
  }
}
