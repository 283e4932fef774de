#!/usr/bin/env node
// `npm ci` runs this (the root `prepare` script) so that every bin is runnable as `npx <bin>` straight after install.
// Nx builds each package (esbuild bundle + tsc library entry), cached in .nx/; no daemon, no cloud.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const r = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
