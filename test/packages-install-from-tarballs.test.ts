// The packages work outside this repository (issue 12 item 11): every publishable package is packed with `npm pack`,
// the tarballs are installed into an empty project OFFLINE, with an empty npm cache (so nothing can come from the
// registry or from what this machine cached: the registry dependencies are packed from the workspace's node_modules
// at the exact versions the packages pin), then every library entry of every `exports` is imported and every bin
// answers `--version` through node_modules/.bin. The tarballs hold a LICENSE, no module importing the private
// @flowmill/cli, and every file an `exports` condition names.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'packages-install-'));
const tgz = join(work, 'tgz');
const app = join(work, 'app');
test.after(() => rmSync(work, { recursive: true, force: true }));

interface Pkg { name: string; version: string; private?: boolean; bin?: Record<string, string>; exports?: Record<string, Record<string, string>>; dependencies?: Record<string, string> }
const packages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: join(root, 'packages', d), pkg: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as Pkg }))
  .filter((p) => !p.pkg.private);
const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 180_000 });
const files = new Map<string, string[]>(); // package name -> paths in its tarball

test('every package packs, with a LICENSE, the files its exports name, and nothing importing @flowmill/cli', () => {
  assert.ok(packages.length >= 7, `packages found: ${packages.map((p) => p.pkg.name)}`);
  mkdirSync(tgz);
  for (const { dir, pkg } of packages) {
    const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', tgz], dir)) as { files: { path: string }[] }[];
    const paths = info.files.map((f) => f.path);
    files.set(pkg.name, paths);
    assert.ok(paths.includes('LICENSE'), `${pkg.name}: no LICENSE`);
    for (const [sub, conds] of Object.entries(pkg.exports ?? {})) {
      for (const [cond, target] of Object.entries(conds)) assert.ok(paths.includes(target.replace(/^\.\//, '')), `${pkg.name} exports ${sub} ${cond}: ${target} is not in the tarball`);
    }
    for (const target of Object.values(pkg.bin ?? {})) assert.ok(paths.includes(target), `${pkg.name}: bin ${target} is not in the tarball`);
    assert.not.ok(paths.includes('dist/lib/cli.js'), `${pkg.name}: ships dist/lib/cli.js`);
    for (const p of paths.filter((p) => p.startsWith('dist/lib/') && p.endsWith('.js'))) {
      assert.not.match(readFileSync(join(dir, p), 'utf8'), /from ['"]@flowmill\/cli['"]/, `${pkg.name}: ${p} imports the private @flowmill/cli`);
    }
  }
});

test('the tarballs install offline into an empty project, with nothing but their pinned registry dependencies', () => {
  // the registry dependencies, at the exact version each package pins, packed from the workspace's own install
  const registry = new Map<string, string>();
  for (const { pkg } of packages) {
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      if (dep.startsWith('@flowmill/')) continue;
      assert.match(range, /^\d+\.\d+\.\d+$/, `${pkg.name}: ${dep}@${range} is not an exact version`);
      assert.ok(!registry.has(dep) || registry.get(dep) === range, `${dep}: two pinned versions`);
      registry.set(dep, range);
    }
  }
  for (const [dep, version] of registry) {
    const installed = JSON.parse(readFileSync(join(root, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string };
    assert.is(installed.version, version, `the workspace has ${dep}@${installed.version}, a package pins ${version}`);
    npm(['pack', '--pack-destination', tgz, join(root, 'node_modules', dep)], root);
  }
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const all = readdirSync(tgz).filter((f) => f.endsWith('.tgz')).map((f) => join(tgz, f));
  npm(['install', '--offline', '--cache', join(work, 'empty-cache'), ...all], app);
  for (const { pkg } of packages) assert.ok(existsSync(join(app, 'node_modules', pkg.name, 'package.json')), `${pkg.name} not installed`);
});

test('every library entry imports in the installed project', () => {
  for (const { pkg } of packages) {
    for (const sub of Object.keys(pkg.exports ?? {})) {
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports')`], { cwd: app, encoding: 'utf8', timeout: 30_000 });
      assert.is(r.status, 0, `import ${spec}: ${r.stderr}`);
    }
  }
});

test('every bin runs from node_modules/.bin and prints its version', () => {
  for (const { pkg } of packages) {
    for (const bin of Object.keys(pkg.bin ?? {})) {
      const r = spawnSync(join(app, 'node_modules', '.bin', bin), ['--version'], { cwd: app, encoding: 'utf8', timeout: 30_000 });
      assert.is(r.status, 0, `${bin} --version: ${r.stderr}`);
      assert.is(r.stdout, `${bin} ${pkg.version}\n`);
    }
  }
});

test.run();
