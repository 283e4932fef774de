#!/usr/bin/env node
// `npm ci` runs this (the root `prepare` script) so that every bin is runnable as `npx <bin>` straight after install.
// Nx builds each package (esbuild bundle + tsc library entry), cached in .nx/; no daemon, no cloud.
// `node tools/build-all.mjs raw-codec certs` builds only those packages.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const only = process.argv.slice(2).filter((p) => p !== 'scenarios').map((p) => `@flowmill/${p}`);
const args = ['nx', 'run-many', '-t', 'build', '--outputStyle=static', ...(only.length ? ['-p', only.join(',')] : [])];
const r = spawnSync('npx', args, { stdio: 'inherit', env });
process.exit(r.status ?? 1);
