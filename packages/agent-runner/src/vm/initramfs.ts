/**
 * The guest's initramfs: busybox (static: it runs before any library is there), the generated /init, the modules
 * the plan loads (with `busybox depmod`'s modules.dep, so modprobe resolves dependencies by name) and the plan's
 * files under /files. Packed as an uncompressed newc cpio by `busybox cpio` (the host may lack cpio and depmod).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { collectModules } from './module-collect.js';
import { execFile, mustExec, type Exec } from './exec.js';
import { KernelNotFoundError } from './errors.js';
import type { CachedKernel } from './kernels.js';
import type { GuestPlan } from './plan.js';
import { MODULES_LOAD } from './guest-init.js';

/** Where Debian's busybox-static puts its binary. */
export const BUSYBOX_STATIC = '/bin/busybox';

export interface InitramfsOptions {
  kernel: CachedKernel;
  plan: GuestPlan;
  /** The /init script (guestInit(plan)). */
  init: string;
  out: string;
  busybox?: string;
  exec?: Exec;
  /** Scratch directory parent (default the OS's). */
  tmp?: string;
}

/** Every path in the staging tree, sorted, directories before their contents: the cpio's member list. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      out.push(relative(root, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** Lays out the initramfs tree in `stage`; returns the module names placed. */
export async function stageInitramfs(stage: string, o: Omit<InitramfsOptions, 'out'>): Promise<string[]> {
  const exec = o.exec ?? execFile;
  const busybox = o.busybox ?? BUSYBOX_STATIC;
  for (const d of ['bin', 'files', 'proc', 'sys', 'dev', 'tmp', 'newroot']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(busybox, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  writeFileSync(join(stage, 'init'), o.init, { mode: 0o755 });
  for (const f of o.plan.files) writeFileSync(join(stage, 'files', f.name), f.data, { mode: 0o644 });
  const k = o.kernel;
  if (!k.modulesDir) return []; // a kernel with what it needs built in
  const c = await collectModules(k.modulesDir, o.plan.modules, exec, busybox);
  if (c.missing.length) throw new KernelNotFoundError(k.release, `modules not in ${k.modulesDir}: ${c.missing.join(', ')} (agent-runner vm fetch --module NAME)`);
  const modRoot = join(stage, 'lib/modules', k.release);
  for (const m of c.modules) {
    mkdirSync(dirname(join(modRoot, 'kernel', m.rel)), { recursive: true });
    writeFileSync(join(modRoot, 'kernel', m.rel), m.bytes);
  }
  for (const f of ['modules.builtin', 'modules.order']) if (existsSync(join(k.modulesDir, f))) copyFileSync(join(k.modulesDir, f), join(modRoot, f));
  await mustExec(exec, 'depmod for the initramfs', busybox, ['depmod', '-b', stage, k.release]);
  writeFileSync(join(stage, MODULES_LOAD), c.modules.map((m) => `${m.name}\n`).join(''));
  return c.modules.map((m) => m.name);
}

/** Builds the initramfs at `o.out`; returns its size and the modules it carries. */
export async function buildInitramfs(o: InitramfsOptions): Promise<{ bytes: number; modules: string[] }> {
  const exec = o.exec ?? execFile;
  const stage = mkdtempSync(join(o.tmp ?? tmpdir(), 'flowmill-initramfs-'));
  try {
    const modules = await stageInitramfs(stage, o);
    const list = listTree(stage).join('\n') + '\n';
    const r = await mustExec(exec, 'packing the initramfs', o.busybox ?? BUSYBOX_STATIC, ['cpio', '-o', '-H', 'newc'], { cwd: stage, input: new TextEncoder().encode(list), binary: true });
    writeFileSync(o.out, r.out!);
    return { bytes: statSync(o.out).size, modules };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
