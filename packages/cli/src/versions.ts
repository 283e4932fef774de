import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `{ "@flowmill/<pkg>": "<version>" }` of every workspace package, put into each bin bundle by tools/build.mjs
 * (esbuild `define`) from the packages' own package.json files.
 */
declare const __FLOWMILL_VERSIONS__: Record<string, string> | undefined;

let cached: Record<string, string> | undefined;

/**
 * The version of every @flowmill package this bin was built from, for run.json and `--version`. In a bundle the
 * build injected them; run from source (tests, tsx) they are read from the workspace's package.json files.
 */
export function flowmillVersions(): Record<string, string> {
  if (typeof __FLOWMILL_VERSIONS__ !== 'undefined' && __FLOWMILL_VERSIONS__) return { ...__FLOWMILL_VERSIONS__ };
  cached ??= readWorkspaceVersions();
  return { ...cached };
}

/** The workspace's packages/*\/package.json, found upward from this file (src/ or dist/lib/ of packages/cli). */
function readWorkspaceVersions(): Record<string, string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6 && !existsSync(join(dir, 'packages', 'cli', 'package.json')); up++) dir = dirname(dir);
  const packages = join(dir, 'packages');
  const out: Record<string, string> = {};
  if (!existsSync(packages)) return out;
  for (const name of readdirSync(packages).sort()) {
    const file = join(packages, name, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name && pkg.version) out[pkg.name] = pkg.version;
  }
  return out;
}
