/**
 * The kernel cache, `$XDG_CACHE_HOME/flowmill/kernels` (else `~/.cache/…`): one directory per fetched package
 * version, holding only vmlinuz, the config and the modules a guest needs (uncompressed), plus `kernel.json`.
 * Fetching uses `apt-get download` through a private apt configuration and `dpkg-deb -x` into a scratch directory
 * that is removed afterwards: nothing is installed on this machine.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { privateApt, resolveMeta } from './apt-private.js';
import { KernelNotFoundError } from './errors.js';
import { execFile, mustExec, type Exec } from './exec.js';
import { BASE_MODULES, EXTRA_MODULES, hasModules, KERNELS, kernelSpec, type CachedKernel, type KernelSpec } from './kernels.js';
import { collectModules } from './module-collect.js';
import { indexModules } from './modules.js';

const KERNEL_JSON = 'kernel.json';

/** The cache directory from an environment (the CLI passes process.env; the library never reads it). */
export function kernelCacheDir(env: { XDG_CACHE_HOME?: string; HOME?: string } = {}): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'flowmill', 'kernels');
}

/** Every kernel in the cache, newest fetch first. */
export function listCachedKernels(cacheDir: string): CachedKernel[] {
  if (!existsSync(cacheDir)) return [];
  const out: CachedKernel[] = [];
  for (const e of readdirSync(cacheDir, { withFileTypes: true })) {
    const f = join(cacheDir, e.name, KERNEL_JSON);
    if (!e.isDirectory() || !existsSync(f)) continue;
    try {
      out.push(JSON.parse(readFileSync(f, 'utf8')) as CachedKernel);
    } catch {
      // a half-written entry (fetch interrupted before kernel.json was renamed into place) is not a kernel
    }
  }
  return out.sort((a, b) => (b.fetchedAt ?? '').localeCompare(a.fetchedAt ?? ''));
}

/** The newest cached kernel of a table id, if any. */
export function cachedKernel(cacheDir: string, id: string): CachedKernel | undefined {
  return listCachedKernels(cacheDir).find((k) => k.id === id);
}

export interface FetchOptions {
  cacheDir: string;
  /** Module names to keep beyond BASE_MODULES and EXTRA_MODULES. */
  modules?: readonly string[];
  /** Fetch again even when this id is cached. */
  refresh?: boolean;
  /** Replace the table's archive (a local mirror). */
  mirror?: string;
  exec?: Exec;
  /** Progress lines (the CLI shows them on a TTY). */
  progress?: (line: string) => void;
  now?: () => Date;
}

/** The cached kernel of `id`, fetched first when missing. */
export async function fetchKernel(id: string, o: FetchOptions): Promise<CachedKernel> {
  const spec = kernelSpec(id);
  if (!spec) throw new KernelNotFoundError(id, `not in the table (${KERNELS.map((k) => k.id).join(', ')}), and not a path to a vmlinuz`);
  const need = [...BASE_MODULES, ...EXTRA_MODULES, ...(o.modules ?? [])];
  const have = cachedKernel(o.cacheDir, id);
  if (have && !o.refresh && hasModules(have, need)) return have;
  const exec = o.exec ?? execFile;
  const say = o.progress ?? (() => {});
  const aptDir = join(o.cacheDir, 'apt', spec.suite);
  say(`kernel ${id}: reading the ${spec.suite} package index`);
  const opts = await privateApt(aptDir, [{ archive: o.mirror ?? spec.archive, suite: spec.suite }], exec);
  const pkg = await resolveMeta(opts, spec.metapackage, exec);
  const dir = join(o.cacheDir, `${pkg.package}_${pkg.version}`);
  const existing = existsSync(join(dir, KERNEL_JSON)) ? (JSON.parse(readFileSync(join(dir, KERNEL_JSON), 'utf8')) as CachedKernel) : undefined;
  if (existing && !o.refresh && hasModules(existing, need)) return existing;
  const scratch = mkdtempSync(join(o.cacheDir, '.fetch-'));
  try {
    say(`kernel ${id}: downloading ${pkg.package} ${pkg.version}`);
    await mustExec(exec, `apt-get download ${pkg.package}`, 'apt-get', [...opts, '-q', 'download', `${pkg.package}=${pkg.version}`], { cwd: scratch });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new KernelNotFoundError(id, `apt-get download left no .deb in ${scratch}`);
    say(`kernel ${id}: unpacking ${deb}`);
    const root = join(scratch, 'root');
    await mustExec(exec, `dpkg-deb -x ${deb}`, 'dpkg-deb', ['-x', join(scratch, deb), root]);
    const k = await keepWhatGuestsNeed(root, join(scratch, 'keep'), need, exec);
    const meta: CachedKernel = { ...k, id, package: pkg.package, version: pkg.version, suite: spec.suite, fetchedAt: (o.now ?? (() => new Date()))().toISOString(), dir };
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(scratch, 'keep'), dir);
    const placed = relocate(meta, join(scratch, 'keep'), dir);
    writeFileSync(join(dir, `${KERNEL_JSON}.partial`), `${JSON.stringify(placed, null, 2)}\n`);
    renameSync(join(dir, `${KERNEL_JSON}.partial`), join(dir, KERNEL_JSON));
    say(`kernel ${id}: cached ${placed.release} (${placed.modules.length} modules) in ${dir}`);
    return placed;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function relocate(k: CachedKernel, from: string, to: string): CachedKernel {
  const r = (p: string | undefined) => (p === undefined ? undefined : join(to, p.slice(from.length + 1)));
  return { ...k, dir: to, vmlinuz: r(k.vmlinuz)!, config: r(k.config), modulesDir: r(k.modulesDir) };
}

/** From an unpacked kernel package in `root`, copy vmlinuz, config and the modules' closure into `keep`. */
async function keepWhatGuestsNeed(root: string, keep: string, want: readonly string[], exec: Exec): Promise<Omit<CachedKernel, 'id' | 'package' | 'version' | 'dir'>> {
  const boot = join(root, 'boot');
  const vmlinuzName = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuzName) throw new KernelNotFoundError(root, 'the package has no boot/vmlinuz-*');
  const release = vmlinuzName.slice('vmlinuz-'.length);
  const modRoot = [join(root, 'usr/lib/modules', release), join(root, 'lib/modules', release)].find((p) => existsSync(p));
  if (!modRoot) throw new KernelNotFoundError(root, `the package has no lib/modules/${release}`);
  mkdirSync(keep, { recursive: true });
  copyFileSync(join(boot, vmlinuzName), join(keep, 'vmlinuz'));
  const configFile = join(boot, `config-${release}`);
  if (existsSync(configFile)) copyFileSync(configFile, join(keep, 'config'));
  const c = await collectModules(modRoot, want, exec);
  if (c.missing.length) throw new KernelNotFoundError(release, `modules neither in the package nor built in: ${c.missing.join(', ')}`);
  const modulesDir = join(keep, 'lib/modules', release);
  for (const m of c.modules) {
    mkdirSync(dirname(join(modulesDir, 'kernel', m.rel)), { recursive: true });
    writeFileSync(join(modulesDir, 'kernel', m.rel), m.bytes);
  }
  for (const f of ['modules.builtin', 'modules.order', 'modules.builtin.modinfo']) if (existsSync(join(modRoot, f))) copyFileSync(join(modRoot, f), join(modulesDir, f));
  return { release, vmlinuz: join(keep, 'vmlinuz'), config: existsSync(join(keep, 'config')) ? join(keep, 'config') : undefined, modulesDir, modules: c.modules.map((m) => m.name), builtinModules: c.builtin };
}

/** What the table offers and what of it is cached, for `agent-runner vm kernels`. */
export function kernelTable(cacheDir: string): { spec: KernelSpec; cached?: CachedKernel }[] {
  return KERNELS.map((spec) => ({ spec, cached: cachedKernel(cacheDir, spec.id) }));
}

/**
 * A kernel given by path (`--kernel PATH/vmlinuz`): its release from the file name (`vmlinuz-<release>`) or from the
 * one `lib/modules/<release>` beside it; modules from `lib/modules/<release>` next to the file, one level up
 * (an unpacked package: `boot/` beside `lib/` or `usr/lib/`), or none (a kernel with 9p and virtio-net built in).
 */
export function kernelFromPath(path: string): CachedKernel {
  if (!existsSync(path)) throw new KernelNotFoundError(path, 'no such file');
  const dir = dirname(path);
  const roots = [dir, join(dir, '..'), join(dir, '..', 'usr')].map((r) => join(r, 'lib', 'modules'));
  const named = /^vmlinuz-(.+)$/.exec(basename(path))?.[1];
  for (const r of roots) {
    if (!existsSync(r)) continue;
    const releases = readdirSync(r).filter((e) => existsSync(join(r, e, 'kernel')));
    const release = named && releases.includes(named) ? named : releases.length === 1 ? releases[0] : undefined;
    if (!release) continue;
    const modulesDir = join(r, release);
    return { id: 'path', package: path, version: release, release, dir, vmlinuz: path, config: existsSync(join(dir, 'config')) ? join(dir, 'config') : undefined, modulesDir, modules: [...indexModules(join(modulesDir, 'kernel')).keys()] };
  }
  return { id: 'path', package: path, version: named ?? 'unknown', release: named ?? 'unknown', dir, vmlinuz: path, modules: [] };
}

/** `6.1`, `5.10`, `6.12` (cached, else fetched when `fetch` is allowed) or a path to a vmlinuz. */
export async function resolveKernel(kernel: string, o: FetchOptions & { fetch?: boolean }): Promise<CachedKernel> {
  if (kernel.includes('/')) return kernelFromPath(kernel);
  const have = cachedKernel(o.cacheDir, kernel);
  if (have && hasModules(have, [...BASE_MODULES, ...(o.modules ?? [])])) return have;
  if (!kernelSpec(kernel)) throw new KernelNotFoundError(kernel, `not in the table (${KERNELS.map((k) => k.id).join(', ')}), and not a path to a vmlinuz`);
  if (!o.fetch) throw new KernelNotFoundError(kernel, `not in the cache ${o.cacheDir}: fetch it with \`agent-runner vm fetch ${kernel}\``);
  return fetchKernel(kernel, o);
}
