/**
 * The fourth kind of agent target: the agent AND the workload inside a qemu guest on a real Debian kernel
 * (vm/recording.ts). The fake cloud stays on the host; the guest reaches only its ports (at vm/guest-init.ts's
 * HOST_ALIAS, under the same names, which the guest's /etc/hosts maps there). The recordings, the manifest and the
 * kernel's own tcp_connect view land in the run directory, shared read-write at the same path.
 *
 * Unlike the other kinds, the guest runs its workload itself once the agent is ready, and stops the agent itself
 * after the catch-up: `workloadDone` says when the workload ended; `stop()` asks the guest to stop early (SIGTERM
 * to the agent inside through the run share), then powers it off; `kill()` kills qemu.
 */
import { describeAgentExit, DEFAULT_KEY_ID, isCleanStop } from '../real/exit-status.js';
import { BPF_GUEST_MODULES, recorderHooks } from '../bpf-real/guest.js';
import type { BpfBuild } from '../bpf-real/build.js';
import { UsageError } from '../errors.js';
import { runLayout } from '../run-layout.js';
import { HOST_ALIAS } from '../vm/guest-init.js';
import { writeKernelView } from '../vm/kernel-view.js';
import type { CachedKernel } from '../vm/kernels.js';
import type { GuestOptions } from '../vm/plan.js';
import { planVmRecording, startVmRecording, type VmRecordingOptions } from '../vm/recording.js';
import type { BootOptions, VmExit } from '../vm/boot.js';
import type { AgentExit, AgentSetup, RunningAgent, StartAgentOptions } from './types.js';

export interface VmTarget {
  kind: 'vm';
  /** A kernel from the cache or a path (vm/kernel-cache.ts resolveKernel). */
  kernel: CachedKernel;
  /** What runs in the guest: the simulated agent (the agent-runner bundle under the host's node) or a real binary. */
  agent: { kind: 'simulated'; timeScale?: number; faults?: unknown } | { kind: 'binary'; path: string; extraArgs?: string[]; extraEnv?: Record<string, string> };
  /** The host's node (reached in the guest through the /usr share) and agent-runner's bundle (shared read-only). */
  node: string;
  bundle: string;
  /** The workload's profile (agent-runner ProfileInput) and DNS on port 53. */
  workload?: { profile?: unknown; dnsPort53?: boolean };
  /** After the workload, before the guest stops the agent (ms); default 3000 (TCG is slow). */
  catchUpMs?: number;
  /** Least time from readiness to the stop (ms); default 6 heartbeats of the agent's timers. */
  durationMs?: number;
  /** Boot to power-off bound (ms); default 5 minutes. */
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  accel?: 'tcg' | 'kvm';
  modules?: readonly string[];
  hooks?: GuestOptions['hooks'];
  root?: GuestOptions['root'];
  /**
   * The real BPF half under the simulated agent: bpf-recorder runs the agent's own BPF programs in the guest from
   * before the agent starts until the guest script ends (bpf-real/guest.ts recorderHooks), writing the run's BPF
   * dump, and the simulated agent's userspace half follows that dump live instead of simulating a kernel.
   */
  bpfReal?: { build: Pick<BpfBuild, 'dir' | 'recorder' | 'info'> };
  /** Every console line that is not the agent's (kernel, init marks, the workload as `workload| …`). */
  onConsoleLine?: (line: string) => void;
}

/** A VM agent: the RunningAgent face plus the guest's own milestones. */
export interface VmRunningAgent extends RunningAgent {
  readonly kind: 'vm';
  /** The workload's exit status in the guest, once it ended. */
  readonly workloadDone: Promise<number>;
  /** The guest powered off (or was killed). */
  readonly guest: Promise<VmExit>;
  readonly qemuArgv: string[];
}

export const isVmAgent = (a: RunningAgent): a is VmRunningAgent => (a.kind as string) === 'vm';

/** The fake cloud's ports and names as the guest must reach them, from the setup the other targets get. */
function cloudOf(o: AgentSetup): { ports: number[]; names: string[]; authzUrl?: string } {
  const ports = [o.intake.port];
  const names = new Set<string>();
  if (o.intake.name) names.add(o.intake.name);
  let authzUrl: string | undefined;
  if (o.authz) {
    const u = new URL(o.authz.server);
    ports.push(Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
    // an address in the URL (127.0.0.1) means the host's loopback: the guest reaches it at HOST_ALIAS
    if (/^[\d.]+$|^\[/.test(u.hostname)) u.hostname = HOST_ALIAS;
    else names.add(u.hostname);
    authzUrl = u.toString().replace(/\/$/, '');
  }
  return { ports, names: [...names], authzUrl };
}

/** The recording options of a VM target (shared by the start and the dry run). */
export function vmRecordingOptions(t: VmTarget, o: StartAgentOptions): VmRecordingOptions {
  const cloud = cloudOf(o);
  const tls = o.era === 'flowmill' ? o.intake.tls !== false : false;
  const scale = t.agent.kind === 'simulated' ? (t.agent.timeScale ?? 1) : 1;
  if (t.bpfReal && t.agent.kind !== 'simulated') throw new UsageError('the real BPF half goes with the simulated agent (a real agent loads its own BPF programs)');
  const real = t.bpfReal && { build: t.bpfReal.build, hooks: recorderHooks({ build: t.bpfReal.build, runDir: o.runDir }) };
  const hooks = t.hooks;
  return {
    kernel: t.kernel, ports: cloud.ports, cloudNames: cloud.names, caFile: o.caFile,
    setup: { era: o.era, runDir: o.runDir, intakePort: o.intake.port, tls, intakeName: o.intake.name, authzUrl: cloud.authzUrl, keyId: o.authz?.keyId ?? DEFAULT_KEY_ID, secret: o.authz?.secret, ca: !!o.caFile },
    agent: t.agent.kind === 'simulated'
      ? { kind: 'simulated', node: t.node, bundle: t.bundle, timeScale: t.agent.timeScale, faults: t.agent.faults, bpfFollow: real && { dump: runLayout(o.runDir).path('bpf'), render: real.build.info.render } }
      : { ...t.agent },
    workload: { node: t.node, bundle: t.bundle, profile: t.workload?.profile, dnsPort53: t.workload?.dnsPort53 || !!real },
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000, catchUpMs: t.catchUpMs ?? 3000, durationMs: t.durationMs ?? Math.round(6 * 2000 * scale),
    timeoutMs: t.timeoutMs ?? 300_000, memoryMb: t.memoryMb, cpus: t.cpus, accel: t.accel, root: t.root, hooks, afterReady: real?.hooks.afterReady, beforeStop: real?.hooks.beforeStop,
    modules: real ? [...new Set([...(t.modules ?? []), ...BPF_GUEST_MODULES])] : t.modules, readOnly: real ? [real.build.dir, real.build.info.render] : undefined,
  };
}

/** What a dry run prints: the qemu command line's inputs without booting (prepareVm builds the rest). */
export function planVmAgent(t: VmTarget, o: StartAgentOptions): BootOptions {
  return planVmRecording(vmRecordingOptions(t, o));
}

export async function startVmAgent(t: VmTarget, o: StartAgentOptions): Promise<VmRunningAgent> {
  const rec = await startVmRecording({
    ...vmRecordingOptions(t, o),
    onAgentLine: (l) => o.onLine?.(l, 'stdout'),
    onWorkloadLine: (l) => t.onConsoleLine?.(`workload| ${l}`),
    onConsoleLine: t.onConsoleLine,
  });
  let stopping = false;
  // once the workload ended, the guest stops the agent itself (SIGTERM after the catch-up): an end it was asked for
  rec.workloadDone.then(() => (stopping = true), () => {});
  let exit: AgentExit | undefined;
  const exited = rec.exited.then(async (x) => {
    // the guest kernel's own tcp_connect count, beside the manifest (kernel-view.json)
    writeKernelView(o.runDir, t.kernel.release);
    const code = (await rec.agentExit) ?? null;
    const signal = code === null ? ('SIGKILL' as const) : null;
    // the guest stops the agent itself after the catch-up: its SIGTERM exit (AGENT_EXIT.sigterm) is the expected end
    exit = { code, signal, meaning: code === null ? `no exit from the agent: the guest ended (${x.timedOut ? 'timed out' : x.status !== undefined ? `status ${x.status}` : `qemu ${x.qemuSignal ?? `exit ${x.qemuCode}`}`})` : describeAgentExit(code, null), expected: code !== null && isCleanStop(code, null) };
    return exit;
  });
  return {
    kind: 'vm',
    argv: rec.agentArgv,
    pid: rec.vm.pid,
    qemuArgv: rec.vm.argv,
    ready: rec.ready,
    workloadDone: rec.workloadDone,
    guest: rec.exited,
    exited,
    get stopping() {
      return stopping;
    },
    get exit() {
      return exit;
    },
    async stop() {
      stopping = true;
      await rec.vm.stop();
      return exited;
    },
    kill() {
      stopping = true;
      rec.vm.kill();
    },
  } as VmRunningAgent;
}
