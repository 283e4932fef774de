/**
 * Kernel modules by name: an index of a module tree, each module's `depends=` and `softdep=` read from its
 * `.modinfo` strings, and the closure of a set of names. Used when caching a kernel (only the modules a guest needs
 * are kept, uncompressed, so busybox's insmod/modprobe load them as they are).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** `nf-conntrack` and `nf_conntrack` are one module: the kernel compares names with `-` as `_`. */
export const moduleName = (s: string): string => s.replace(/-/g, '_');

/** Module file name → module name, or undefined for other files. */
export function moduleOfFile(file: string): string | undefined {
  const m = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/.exec(file);
  return m ? moduleName(m[1]) : undefined;
}

/** name → path relative to `root`, for every module under `root` (recursively). */
export function indexModules(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const n = moduleOfFile(e.name);
        if (n && !out.has(n)) out.set(n, relative(root, p));
      }
    }
  };
  walk(root);
  return out;
}

export interface ModInfo {
  depends: string[];
  /** `softdep=pre: a b post: c`: the pre and post names (loaded around the module by modprobe). */
  softdeps: string[];
}

/**
 * The `key=value\0` strings of a module's `.modinfo` section, found by scanning the file's bytes for
 * NUL-delimited `depends=` and `softdep=` (each appears once in a module).
 */
export function readModInfo(ko: Uint8Array): ModInfo {
  const text = new TextDecoder('latin1').decode(ko);
  const field = (key: string): string[] => {
    const out: string[] = [];
    let at = 0;
    for (;;) {
      const i = text.indexOf(`\0${key}=`, at);
      if (i < 0) return out;
      const end = text.indexOf('\0', i + 1);
      out.push(text.slice(i + key.length + 2, end < 0 ? undefined : end));
      at = i + 1;
    }
  };
  const depends = field('depends').flatMap((v) => v.split(',')).filter(Boolean).map(moduleName);
  const softdeps = field('softdep').flatMap((v) => v.split(/\s+/)).filter((w) => w && !/^(pre|post):$/.test(w)).map(moduleName);
  return { depends, softdeps };
}

/**
 * The names in `want` and everything they depend on (hard and soft), as present in `index`. A soft dependency on a
 * crypto algorithm (`crc32c`) names no file: `<name>_generic` stands in when it exists. Missing hard names are
 * returned in `missing` (a built-in module has no file and needs nothing loaded: `builtin` lists those).
 */
export function moduleClosure(
  want: readonly string[],
  index: ReadonlyMap<string, string>,
  info: (name: string) => ModInfo,
  builtin: ReadonlySet<string> = new Set(),
): { modules: string[]; missing: string[]; builtin: string[] } {
  const seen = new Set<string>();
  const missing: string[] = [];
  const inKernel: string[] = [];
  const order: string[] = [];
  const visit = (raw: string, soft: boolean) => {
    let n = moduleName(raw);
    if (soft && !index.has(n) && index.has(`${n}_generic`)) n = `${n}_generic`;
    if (seen.has(n)) return;
    seen.add(n);
    if (!index.has(n)) {
      if (builtin.has(n)) inKernel.push(n);
      else if (!soft) missing.push(n);
      return;
    }
    const mi = info(n);
    for (const d of mi.depends) visit(d, false);
    for (const d of mi.softdeps) visit(d, true);
    order.push(n);
  };
  for (const w of want) visit(w, false);
  return { modules: order, missing, builtin: inKernel };
}

/** Names listed in a `modules.builtin` file (`kernel/lib/crc32.ko` per line). */
export function parseBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const n = moduleOfFile(line.trim().split('/').pop() ?? '');
    if (n) out.add(n);
  }
  return out;
}
