/**
 * Software emulation or KVM: TCG by default; KVM only after a probe boot of the same kernel under KVM printed the
 * init's first mark within KVM_PROBE_TIMEOUT_MS. No probe at all when /dev/kvm is absent or the nested paravirtual
 * `kvm_pvm` module is loaded (it cannot boot stock kernels: qemu hangs after "Probing EDD"). A probe's result is
 * kept per guest kernel and host kernel in the kernel cache (KVM_PROBE_FILE), so it runs once.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVm } from './boot.js';
import type { CachedKernel } from './kernels.js';
import { planGuest } from './plan.js';

export type Accel = 'tcg' | 'kvm';
/** What `--accel` takes: `auto` probes as above. */
export type AccelRequest = Accel | 'auto';

/** The probe boot must print the init's first mark within this (a stock kernel boots in ~2 s under working KVM). */
export const KVM_PROBE_TIMEOUT_MS = 20_000;
/** Probe results in the kernel cache directory, by probeKey. */
export const KVM_PROBE_FILE = 'kvm-probe.json';

export interface KvmFacts {
  /** /dev/kvm exists. */
  devKvm: boolean;
  /** /sys/module/kvm_pvm exists. */
  kvmPvm: boolean;
}

export interface KvmProbeResult {
  ok: boolean;
  ms: number;
  detail: string;
}

export interface AccelChoice {
  accel: Accel;
  reason: string;
  /** How the KVM probe's result was had, when one was needed. */
  probe?: 'cached' | 'ran';
}

export function kvmFacts(root = '/'): KvmFacts {
  return { devKvm: existsSync(join(root, 'dev/kvm')), kvmPvm: existsSync(join(root, 'sys/module/kvm_pvm')) };
}

/** The decision without booting anything: a choice, or `probe` when only a probe boot can tell. */
export function kvmDecision(request: AccelRequest, f: KvmFacts, cached?: KvmProbeResult): AccelChoice | 'probe' {
  if (request !== 'auto') return { accel: request, reason: request === 'kvm' ? 'asked for (--accel kvm)' : 'asked for (--accel tcg)' };
  if (!f.devKvm) return { accel: 'tcg', reason: 'no /dev/kvm' };
  if (f.kvmPvm) return { accel: 'tcg', reason: 'kvm_pvm is loaded (the nested paravirtual KVM hangs stock kernels)' };
  if (!cached) return 'probe';
  return cached.ok
    ? { accel: 'kvm', reason: `a KVM probe boot printed its mark in ${cached.ms} ms`, probe: 'cached' }
    : { accel: 'tcg', reason: `the KVM probe boot failed: ${cached.detail}`, probe: 'cached' };
}

/** The probe cache's key: the guest kernel's package and version, and the host kernel that runs KVM. */
export const probeKey = (k: CachedKernel, hostRelease = release()): string => `${k.package}=${k.version} on ${hostRelease}`;

export function readProbeCache(cacheDir: string): Record<string, KvmProbeResult> {
  try {
    return JSON.parse(readFileSync(join(cacheDir, KVM_PROBE_FILE), 'utf8')) as Record<string, KvmProbeResult>;
  } catch {
    return {};
  }
}

export function writeProbeResult(cacheDir: string, key: string, r: KvmProbeResult): void {
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, KVM_PROBE_FILE), `${JSON.stringify({ ...readProbeCache(cacheDir), [key]: r }, null, 2)}\n`);
}

/** Boots `kernel` under KVM with nothing to run; ok when the init's first mark comes within the timeout. */
export async function probeKvmBoot(kernel: CachedKernel, o: { timeoutMs?: number; memoryMb?: number } = {}): Promise<KvmProbeResult> {
  const timeoutMs = o.timeoutMs ?? KVM_PROBE_TIMEOUT_MS;
  const runDir = mkdtempSync(join(tmpdir(), 'flowmill-kvm-probe-'));
  const t0 = Date.now();
  try {
    const vm = await startVm({ kernel, plan: planGuest({ runDir, command: 'true' }), runDir, forwards: [], accel: 'kvm', memoryMb: o.memoryMb ?? 512, timeoutMs: timeoutMs + 5000 });
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      vm.booted.then(() => ({ ok: true, ms: Date.now() - t0, detail: 'booted' })),
      vm.exited.then((x) => ({ ok: false, ms: Date.now() - t0, detail: `qemu ended before the mark (${x.qemuSignal ?? `exit ${x.qemuCode}`}): ${x.tail.slice(-1)[0] ?? ''}` })),
      new Promise<KvmProbeResult>((res) => { timer = setTimeout(() => res({ ok: false, ms: timeoutMs, detail: `no mark within ${timeoutMs / 1000} s` }), timeoutMs); }),
    ]);
    clearTimeout(timer);
    vm.kill();
    await vm.exited;
    return r;
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** The accelerator for `kernel`: the decision, running (and caching) the probe boot when it is needed. */
export async function chooseAccel(
  request: AccelRequest | undefined, kernel: CachedKernel,
  o: { cacheDir: string; facts?: KvmFacts; probe?: (k: CachedKernel) => Promise<KvmProbeResult>; progress?: (s: string) => void },
): Promise<AccelChoice> {
  const key = probeKey(kernel);
  const facts = o.facts ?? kvmFacts();
  const d = kvmDecision(request ?? 'auto', facts, readProbeCache(o.cacheDir)[key]);
  if (d !== 'probe') return d;
  o.progress?.(`probing KVM with ${kernel.release} (once per kernel; ${KVM_PROBE_TIMEOUT_MS / 1000} s at most)`);
  const r = await (o.probe ?? probeKvmBoot)(kernel);
  writeProbeResult(o.cacheDir, key, r);
  const c = kvmDecision('auto', facts, r) as AccelChoice;
  return { ...c, probe: 'ran' };
}
