#!/usr/bin/env node
// Builds the package in the current directory:
//   dist/<bin>.js   one self-contained ESM bundle of src/cli.ts (every dependency inlined, shebang on line 1)
//   dist/lib/       the library entry (src/index.ts) as unbundled ESM with .d.ts, compiled by tsc (also the typecheck)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist', { recursive: true, force: true });

// The version of every workspace package, from its own package.json, for run.json and --version
// (packages/cli/src/versions.ts reads it as __FLOWMILL_VERSIONS__).
const packagesDir = new URL('../packages/', import.meta.url).pathname;
const versions = {};
for (const name of readdirSync(packagesDir).sort()) {
  const file = join(packagesDir, name, 'package.json');
  if (!existsSync(file)) continue;
  const p = JSON.parse(readFileSync(file, 'utf8'));
  if (p.name && p.version) versions[p.name] = p.version;
}

for (const [bin, out] of Object.entries(pkg.bin ?? {})) {
  await build({
    entryPoints: ['src/cli.ts'],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Workspace packages resolve to their TypeScript source, so a bin never depends on another package's dist/.
    conditions: ['@flowmill/source'],
    define: { __FLOWMILL_VERSIONS__: JSON.stringify(versions) },
    // CommonJS dependencies (cmd-ts pulls `debug`, node-forge) call require() at run time; an ESM bundle has none.
    banner: { js: "import { createRequire as __flowmillCreateRequire } from 'node:module'; const require = __flowmillCreateRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(out, 0o755);
  if (!readFileSync(out, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error(`${out}: the shebang must be line 1 of src/cli.ts`);
  void bin;
}

if (existsSync('tsconfig.json')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
