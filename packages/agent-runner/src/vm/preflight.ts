/**
 * What a VM run needs from this machine, each with how to get it when missing: qemu, busybox-static (its depmod and
 * cpio), Node under /usr when the guest runs the host's node, the kernel, and memory for the guest.
 */
import { existsSync } from 'node:fs';
import { freemem } from 'node:os';
import { kvmDecision, kvmFacts, KVM_PROBE_TIMEOUT_MS } from './accel.js';
import type { Exec } from './exec.js';
import { BUSYBOX_STATIC } from './initramfs.js';
import { cachedKernel } from './kernel-cache.js';
import { DEFAULT_MEMORY_MB } from './qemu-args.js';
import { kernelSpec } from './kernels.js';

export interface VmCheck {
  id: string;
  ok: boolean;
  detail: string;
  /** How to fix it, when not ok. */
  fix?: string;
}

export interface VmPreflightOptions {
  kernels: readonly string[];
  cacheDir: string;
  qemu?: string;
  busybox?: string;
  /** The node binary the guest runs (host /usr root); undefined when the guest runs no node. */
  node?: string;
  memoryMb?: number;
  exec: Exec;
  freeMemBytes?: number;
}

export async function vmPreflight(o: VmPreflightOptions): Promise<{ ok: boolean; checks: VmCheck[] }> {
  const checks: VmCheck[] = [];
  const qemu = o.qemu ?? 'qemu-system-x86_64';
  const q = await o.exec(qemu, ['--version']).catch(() => undefined);
  checks.push(q && q.code === 0 ? { id: 'qemu', ok: true, detail: q.stdout.split('\n')[0] } : { id: 'qemu', ok: false, detail: `${qemu} not found`, fix: 'apt-get install --no-install-recommends qemu-system-x86 qemu-utils' });
  const bb = o.busybox ?? BUSYBOX_STATIC;
  const b = existsSync(bb) ? await o.exec(bb, ['--list']).catch(() => undefined) : undefined;
  const applets = new Set((b?.stdout ?? '').split('\n'));
  const lacking = ['depmod', 'cpio', 'modprobe', 'unxz', 'setsid', 'chroot'].filter((a) => !applets.has(a));
  checks.push(b && !lacking.length ? { id: 'busybox', ok: true, detail: `${bb} (static, with depmod, cpio, modprobe)` } : { id: 'busybox', ok: false, detail: b ? `${bb} lacks ${lacking.join(', ')}` : `${bb} not found`, fix: 'apt-get install --no-install-recommends busybox-static' });
  if (o.node) {
    const under = o.node.startsWith('/usr/');
    checks.push(under ? { id: 'node', ok: true, detail: `${o.node} (reached in the guest through the /usr share)` } : { id: 'node', ok: false, detail: `${o.node} is not under /usr: the guest shares only the host's /usr and /etc`, fix: 'run with a Node installed under /usr (Debian or NodeSource packages)' });
  }
  for (const k of o.kernels) {
    if (k.includes('/')) checks.push(existsSync(k) ? { id: `kernel ${k}`, ok: true, detail: k } : { id: `kernel ${k}`, ok: false, detail: 'no such file', fix: 'give a vmlinuz path, or 6.1, 5.10, 6.12' });
    else {
      const c = cachedKernel(o.cacheDir, k);
      if (c) checks.push({ id: `kernel ${k}`, ok: true, detail: `${c.package} ${c.version} cached` });
      else if (kernelSpec(k)) checks.push({ id: `kernel ${k}`, ok: false, detail: `not in ${o.cacheDir}`, fix: `agent-runner vm fetch ${k} (apt-get download from Debian ${kernelSpec(k)!.suite}; ~60-110 MB once, nothing installed)` });
      else checks.push({ id: `kernel ${k}`, ok: false, detail: 'not in the table', fix: 'use 6.1, 5.10, 6.12 or a path to a vmlinuz' });
    }
  }
  // KVM is never required (software emulation is the default); say what --accel auto (accel.ts) will do here
  const kvm = kvmDecision('auto', kvmFacts());
  checks.push({ id: 'kvm (optional)', ok: true, detail: kvm === 'probe' ? `/dev/kvm present: the first run with each kernel probes KVM (${KVM_PROBE_TIMEOUT_MS / 1000} s at most) and uses it if the kernel boots` : `software emulation (TCG): ${kvm.reason}` });
  const want = (o.memoryMb ?? DEFAULT_MEMORY_MB) * 1024 * 1024;
  const free = o.freeMemBytes ?? freemem();
  // The guest touches about a third of its memory in a recipe run (~0.7 GB of 2 GB): ask for half as headroom.
  checks.push(free >= want / 2 ? { id: 'memory', ok: true, detail: `${Math.round(free / 2 ** 20)} MB free for a ${o.memoryMb ?? DEFAULT_MEMORY_MB} MB guest` } : { id: 'memory', ok: false, detail: `${Math.round(free / 2 ** 20)} MB free, a ${o.memoryMb ?? DEFAULT_MEMORY_MB} MB guest needs about ${Math.round(want / 2 / 2 ** 20)} MB`, fix: 'free memory, or lower --memory' });
  return { ok: checks.every((c) => c.ok), checks };
}
