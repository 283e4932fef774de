/**
 * The closure of a set of module names in a module tree (`lib/modules/<release>`), with each module's bytes
 * uncompressed (`.ko.xz` through busybox's unxz: the host may lack xz, and busybox's insmod in the guest may not
 * decompress).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mustExec, type Exec } from './exec.js';
import { indexModules, moduleClosure, parseBuiltin, readModInfo, type ModInfo } from './modules.js';

export interface CollectedModules {
  /** Dependencies before their users: name, path under `kernel/` without a compression suffix, bytes. */
  modules: { name: string; rel: string; bytes: Uint8Array }[];
  missing: string[];
  builtin: string[];
}

export async function collectModules(modRoot: string, want: readonly string[], exec: Exec, busybox = 'busybox'): Promise<CollectedModules> {
  const index = indexModules(join(modRoot, 'kernel'));
  const builtinFile = join(modRoot, 'modules.builtin');
  const builtin = existsSync(builtinFile) ? parseBuiltin(readFileSync(builtinFile, 'utf8')) : new Set<string>();
  const bytes = new Map<string, Uint8Array>();
  const load = async (name: string): Promise<Uint8Array> => {
    let b = bytes.get(name);
    if (!b) {
      const file = join(modRoot, 'kernel', index.get(name)!);
      if (file.endsWith('.xz')) b = (await mustExec(exec, `unxz ${basename(file)}`, busybox, ['unxz', '-c', file], { binary: true })).out!;
      else if (/\.(zst|gz)$/.test(file)) throw new Error(`${file}: only plain and .xz modules are supported`);
      else b = new Uint8Array(readFileSync(file));
      bytes.set(name, b);
    }
    return b;
  };
  // moduleClosure asks for modinfo synchronously: read it first along the same walk.
  const infos = new Map<string, ModInfo>();
  const pending = [...want];
  while (pending.length) {
    const n = pending.pop()!;
    const name = index.has(n) ? n : index.has(`${n}_generic`) ? `${n}_generic` : undefined;
    if (!name || infos.has(name)) continue;
    const mi = readModInfo(await load(name));
    infos.set(name, mi);
    pending.push(...mi.depends, ...mi.softdeps);
  }
  const c = moduleClosure(want, index, (n) => infos.get(n)!, builtin);
  return {
    modules: await Promise.all(c.modules.map(async (name) => ({ name, rel: index.get(name)!.replace(/\.(xz|zst|gz)$/, ''), bytes: await load(name) }))),
    missing: c.missing,
    builtin: c.builtin,
  };
}
