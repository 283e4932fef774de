/**
 * `recipe run --vm`: the agent and the workload inside a qemu guest on a real Debian kernel (agent-runner's VM
 * target), the fake cloud on this host, decode and check here as for every run. This file holds what the run
 * composition needs beyond the other kinds of agent: the VM target of a choice, the profile the guest's workload
 * reads, the dry run, and the per-kernel summary of a matrix (`--kernel 5.10,6.1,6.12`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_KERNEL, DEFAULT_KEY_ID, chooseAccel, DEFAULT_PORTS, compareKernelView, kernelCacheDir, prepareVm, resolveKernel, vmRecordingOptions, planVmRecording,
  type AccelRequest, type CachedKernel, type KernelView, type ProfileInput, type StartAgentOptions, type VmTarget,
} from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import type { AgentChoice } from './agent.js';
import { readJson } from './run-dir.js';
import { scaledTolerances } from './sim-tolerances.js';
import type { RunResult } from './recipe-run.js';
import type { Era } from './types.js';

/**
 * The simulated agent's time scale in a guest: the agent's own timers (heartbeat every 2 s). Under software
 * emulation on a loaded 2-core host (load 11, another engineer's VMs beside) the guest stalls for up to ~2 s at a
 * time: heartbeat gaps of 1178 ms at 0.25's 500 ms period, 1841 ms at 0.5's 1 s period and 3971 ms at the agent's
 * 2 s were measured. A stall is absolute, so the agent's own period leaves the most room (vmTolerances).
 */
export const VM_SIM_TIME_SCALE = 1;

/** The longest guest stall measured under TCG on a loaded 2-core host (a 3971 ms heartbeat gap at a 2 s period). */
export const GUEST_STALL_MS = 2000;

/**
 * Tolerances for the simulated agent in a guest: scaledTolerances, with room for one guest stall where the checks
 * time the agent: the largest heartbeat gap 2.5 periods, and live socket_stats may reach the intake a stall later
 * than the default slack (a 2 s lag was measured: 884 bytes in the dump, 840 in the intake one slot on). The price,
 * said in the README: a VM run does not tell one skipped heartbeat (a 2-period gap) from a stall; the simulated
 * agent's timing is checked by host runs.
 */
export function vmTolerances(scale: number): object {
  const t = scaledTolerances(scale) as { cadence: Record<string, number> };
  return { ...t, cadence: { ...t.cadence, heartbeatMaxGapMs: 2000 * scale * 2.5 }, bpfIntake: { statsLagSlackMs: 1000 + GUEST_STALL_MS } };
}

/** What a VM run needs besides the agent choice. */
export interface RecipeVm {
  kernel: CachedKernel;
  /** This host's node (the guest runs it through the read-only /usr share) and agent-runner's bundle. */
  node: string;
  bundle: string;
  memoryMb?: number;
  cpus?: number;
  accel?: 'tcg' | 'kvm';
  /** Boot to power-off (ms). */
  timeoutMs?: number;
  /** Shell commands run in the guest after the recording, before it powers off (their output: vm-console.log). */
  after?: string[];
  /**
   * `--bpf real`: the agent's own BPF programs (bpf-recorder) record in the guest and the simulated agent's userspace
   * half follows their dump live (agent-runner targets/vm.ts bpfReal), talking to the fake cloud here.
   */
  bpfReal?: VmTarget['bpfReal'];
}

/** Profile layers (later wins, per section) merged into the one file the guest's workload reads. */
export function mergeProfiles(layers: readonly ProfileInput[]): ProfileInput | undefined {
  if (!layers.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const l of layers) {
    for (const [k, v] of Object.entries(l as Record<string, unknown>)) {
      out[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...((out[k] as object) ?? {}), ...(v as object) } : v;
    }
  }
  return out as ProfileInput;
}

export function vmTargetOf(vm: RecipeVm, choice: AgentChoice, o: { timeScale: number; catchUpMs?: number; durationMs?: number; profiles: ProfileInput[]; dnsPort53: boolean; onConsoleLine?: (l: string) => void }): VmTarget {
  if (choice.kind === 'docker') throw new Error('--vm runs a binary or the simulated agent: a docker image has no engine in the guest (see the README: docker export, --vm-root)');
  return {
    kind: 'vm', kernel: vm.kernel, node: vm.node, bundle: vm.bundle, memoryMb: vm.memoryMb, cpus: vm.cpus, accel: vm.accel, timeoutMs: vm.timeoutMs,
    // the binary runs in the guest as root (no sudo) from its absolute path, its directory shared read-only
    agent: choice.kind === 'simulated' ? { kind: 'simulated', timeScale: choice.timeScale ?? o.timeScale, faults: choice.faults } : { kind: 'binary', path: resolve(choice.path) },
    workload: { profile: mergeProfiles(o.profiles), dnsPort53: o.dnsPort53 },
    catchUpMs: o.catchUpMs, durationMs: o.durationMs, onConsoleLine: o.onConsoleLine, hooks: vm.after?.length ? { after: vm.after } : undefined, bpfReal: vm.bpfReal,
  };
}

/** `--kernel 5.10,6.1` → ['5.10', '6.1']; nothing → the default kernel. */
export function kernelMatrix(k: string | undefined): string[] {
  return (k ?? DEFAULT_KERNEL).split(',').map((s) => s.trim()).filter(Boolean);
}

/** agent-runner's bin (dist/agent-runner.js) from where its package entry resolves (dist/lib/… or src/…). */
export function agentRunnerBundle(entryUrl: string): string {
  let dir = dirname(fileURLToPath(entryUrl));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'agent-runner.js');
}

/** Each kernel from the cache, fetched first when missing (progress lines for a TTY). */
export async function resolveVms(kernels: readonly string[], o: Omit<RecipeVm, 'kernel' | 'accel'> & { accel?: AccelRequest; env: { XDG_CACHE_HOME?: string; HOME?: string }; progress?: (l: string) => void }): Promise<RecipeVm[]> {
  const out: RecipeVm[] = [];
  const { env, progress, ...rest } = o;
  const { accel, ...others } = rest;
  for (const k of kernels) {
    const kernel = await resolveKernel(k, { cacheDir: kernelCacheDir(env), fetch: true, progress });
    // TCG unless this kernel boots under KVM here (a probe boot, cached per kernel; none where kvm_pvm is loaded)
    const choice = await chooseAccel(accel, kernel, { cacheDir: kernelCacheDir(env), progress });
    progress?.(`${kernel.release}: ${choice.accel.toUpperCase()} (${choice.reason})`);
    out.push({ ...others, kernel, accel: choice.accel });
  }
  return out;
}

/** `recipe run --vm --dry-run`: the exact qemu command line, guest init and agent command, nothing started. */
export async function vmDryRun(vm: RecipeVm, choice: AgentChoice, d: { era: Era; plain?: boolean; keysDir: string; intakeName: string; runsDir: string; authzTls?: boolean }): Promise<string> {
  const tls = d.era === 'flowmill' && !d.plain;
  const simulated = choice.kind === 'simulated';
  // the ports and names a real run would use: the recipe's fixed ports (a simulated run picks free ones)
  const authzTls = tls && (d.authzTls ?? simulated);
  const caFile = tls ? join(d.keysDir, 'ca.pem') : undefined;
  const setup: StartAgentOptions = {
    era: d.era, runDir: resolve(d.runsDir, '<timestamp>'), caFile,
    intake: { host: '127.0.0.1', port: d.era === 'otel' || !tls ? DEFAULT_PORTS.intakePlain : DEFAULT_PORTS.intakeTls, tls, name: d.intakeName },
    authz: d.era === 'flowmill' ? { server: `${authzTls ? 'https' : 'http'}://${d.intakeName}:${DEFAULT_PORTS.authz}`, keyId: DEFAULT_KEY_ID, secret: DEFAULT_KEY_ID } : undefined,
  };
  const target = vmTargetOf(vm, choice, { timeScale: VM_SIM_TIME_SCALE, profiles: [], dnsPort53: !simulated });
  const rec = vmRecordingOptions(target, setup);
  const boot = planVmRecording({ ...rec, caPem: caFile && existsSync(caFile) ? undefined : '(the run\'s CA certificate)\n' });
  const scratch = mkdtempSync(join(tmpdir(), 'flowmill-vm-dry-'));
  try {
    const p = await prepareVm(boot, scratch);
    const q = (s: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    return [
      `# recipe run --vm --dry-run: kernel ${vm.kernel.release} (${vm.kernel.package} ${vm.kernel.version}); ports as a real run would use them`,
      '# qemu command line (initramfs and relay are built in a scratch directory on a real run)',
      p.argv.map(q).join(' '),
      '',
      '# guest /init (the agent command and workload are the heredoc near its end)',
      p.init,
    ].join('\n');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One row of a kernel matrix. */
export interface MatrixRow {
  kernel: string;
  release?: string;
  status: string;
  exitCode: number;
  ms?: number;
  checks?: { passed: number; failed: number };
  kernelView?: { ok: boolean; connections: number };
  dir: string;
}

/** A matrix row from a finished run: its status, checks and the guest kernel's agreement with the manifest. */
export function matrixRow(kernel: string, vm: RecipeVm, r: RunResult): MatrixRow {
  const l = runLayout(r.dir);
  const view = existsSync(l.path('kernelView')) ? (readJson(l.path('kernelView')) as KernelView) : undefined;
  const manifest = existsSync(l.path('manifest')) ? (readJson(l.path('manifest')) as Parameters<typeof compareKernelView>[0]) : undefined;
  return {
    kernel, release: vm.kernel.release, status: r.status, exitCode: r.exitCode, ms: r.runJson.ms, dir: r.dir,
    checks: r.runJson.checks && { passed: r.runJson.checks.passed, failed: r.runJson.checks.failed },
    kernelView: view && manifest ? { ok: compareKernelView(manifest, view).ok, connections: view.connections } : undefined,
  };
}

export function renderMatrix(rows: readonly MatrixRow[]): string {
  const head = ['kernel', 'release', 'status', 'checks', 'kernel view', 'time', 'run directory'];
  const body = rows.map((r) => [
    r.kernel, r.release ?? '-', r.status, r.checks ? `${r.checks.passed} passed, ${r.checks.failed} failed` : '-',
    r.kernelView ? `${r.kernelView.ok ? 'agrees' : 'DISAGREES'} (${r.kernelView.connections} connects)` : '-', r.ms !== undefined ? `${(r.ms / 1000).toFixed(1)} s` : '-', r.dir,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd()).join('\n') + '\n';
}
