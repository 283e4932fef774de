#!/usr/bin/env node
// Builds the package in the current directory:
//   dist/<bin>.js   the ESM bundle of src/cli.ts (every dependency inlined, shebang on line 1); code that src/cli.ts
//                   reaches only through a dynamic import() is split into dist/chunks/*.js beside it and loaded on
//                   demand, so a bin can answer --version or start one subcommand without loading the rest
//   dist/lib/       the library entry (src/index.ts) as unbundled ESM with .d.ts, compiled by tsc (also the typecheck);
//                   only the modules the package's `exports` reach are kept (not cli.js, which imports the private
//                   @flowmill/cli), and a bare import of a package the package.json does not declare fails the build
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

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
  if (!/^(\.\/)?dist\/[^/]+\.js$/.test(out)) throw new Error(`${pkg.name}: bin ${bin}: ${out}: must be dist/<name>.js`);
  await build({
    entryPoints: [{ in: 'src/cli.ts', out: out.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '') }],
    outdir: 'dist',
    // Start-up: each dynamic import() becomes a chunk loaded when reached (the entry stays small); plain files
    // beside the bin, so npx and `deno run` work as with one file. Every chunk gets the banner below.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
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

if (!pkg.private && existsSync('dist/lib')) pruneLibrary();

/**
 * Keeps in dist/lib only the files the `exports` entries reach through relative imports (the .js and its .d.ts),
 * and fails when one of them imports a package that is not a dependency: installed from its tarball, the library
 * must import with nothing but its declared dependencies.
 */
function pruneLibrary() {
  const entries = [];
  for (const target of Object.values(pkg.exports ?? {})) {
    for (const [cond, file] of Object.entries(typeof target === 'string' ? { import: target } : target)) {
      if (cond === 'import' || cond === 'types' || cond === 'default') entries.push(resolve(file));
    }
  }
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const reached = new Set();
  const undeclared = [];
  const stack = [...entries];
  while (stack.length) {
    const file = stack.pop();
    if (reached.has(file) || !existsSync(file)) continue;
    reached.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = /** @type {string[]} */ ([]);
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) specifiers.push(m[1]);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(m[1]);
    for (const s of specifiers) {
      if (s.startsWith('.')) {
        const js = resolve(dirname(file), s);
        stack.push(js, js.replace(/\.js$/, '.d.ts'));
      } else if (!s.startsWith('node:')) {
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
        if (!declared.has(name)) undeclared.push(`${relative('.', file)} imports ${s}`);
      }
    }
  }
  if (undeclared.length) {
    throw new Error(`${pkg.name}: the library imports packages its package.json does not list in dependencies:\n  ${undeclared.join('\n  ')}`);
  }
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!reached.has(resolve(path))) rmSync(path);
    }
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
  };
  walk('dist/lib');
}
