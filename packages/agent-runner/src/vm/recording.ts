/**
 * A recording in a VM, from the host's side: plans the guest (run share, agent binary and agent-runner bundle
 * shared read-only, CA and profile carried in the initramfs, the fake cloud's names mapped to HOST_ALIAS, one
 * forward per fake-cloud port), boots it, and turns the console into the agent's readiness, the workload's end and
 * the agent's exit. targets/vm.ts puts this behind the agent interface; `recipe run --vm` composes it.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { startVm, type BootOptions, type Vm, type VmExit } from './boot.js';
import { parseMark } from './console-tail.js';
import { AGENT_PREFIX, GUEST_CA_FILE, GUEST_PROFILE_FILE, guestAgentCommand, guestRecordingScript, WORKLOAD_PREFIX, type GuestRecordingOptions } from './agent-guest.js';
import { HOST_ALIAS } from './guest-init.js';
import type { CachedKernel } from './kernels.js';
import { planGuest, type GuestFile, type GuestOptions } from './plan.js';
import type { PortForward } from './qemu-args.js';

export interface VmRecordingOptions extends Omit<GuestRecordingOptions, 'workload'> {
  kernel: CachedKernel;
  /** The fake cloud's ports on the host's loopback, reachable in the guest at HOST_ALIAS (same numbers). */
  ports: readonly number[];
  /** Names the agent uses for the fake cloud (intake name, authz host): the guest resolves them to HOST_ALIAS. */
  cloudNames: readonly string[];
  /** Host CA file, carried into the guest as GUEST_CA_FILE. */
  caFile?: string;
  /** The CA's bytes instead of reading caFile (a dry run before the keys exist). */
  caPem?: string | Uint8Array;
  workload: { node: string; bundle: string; profile?: unknown; dnsPort53?: boolean };
  memoryMb?: number;
  cpus?: number;
  accel?: 'tcg' | 'kvm';
  timeoutMs: number;
  modules?: readonly string[];
  /** More host paths shared read-only at the same path (e.g. the BPF build directory). */
  readOnly?: readonly string[];
  hooks?: GuestOptions['hooks'];
  root?: GuestOptions['root'];
  signal?: AbortSignal;
  onAgentLine?: (line: string) => void;
  onWorkloadLine?: (line: string) => void;
  /** Every other console line (kernel messages, marks). */
  onConsoleLine?: (line: string) => void;
}

export interface VmRecording {
  vm: Vm;
  /** The agent's command inside the guest. */
  agentArgv: string[];
  /** The agent said "Telemetry is flowing!" (rejects if the guest ends first). */
  ready: Promise<void>;
  /** The workload ended in the guest, with its exit status. */
  workloadDone: Promise<number>;
  /** The agent's exit status in the guest, once it ended. */
  agentExit: Promise<number | undefined>;
  exited: Promise<VmExit>;
}

/** The guest options and boot options of a recording (what `--dry-run` shows without booting). */
export function planVmRecording(o: VmRecordingOptions): BootOptions {
  const files: GuestFile[] = [];
  if (o.caFile) files.push({ name: 'ca.pem', guestPath: GUEST_CA_FILE, data: o.caPem ?? readFileSync(o.caFile) });
  if (o.workload.profile !== undefined) files.push({ name: 'profile.json', guestPath: GUEST_PROFILE_FILE, data: `${JSON.stringify(o.workload.profile)}\n` });
  const setup = { ...o.setup, ca: !!o.caFile };
  const command = guestRecordingScript({ ...o, setup, workload: { node: o.workload.node, bundle: o.workload.bundle, profile: o.workload.profile !== undefined, dnsPort53: o.workload.dnsPort53 } });
  // a bundle in a package's dist/ is shared through its package directory: a rebuild replaces dist/ (a new inode),
  // which a share of dist/ itself would no longer see in the middle of a run
  const bundleShare = (b: string) => (basename(dirname(b)) === 'dist' ? dirname(dirname(b)) : b);
  const readOnly = [bundleShare(o.workload.bundle), ...(o.agent.kind === 'binary' ? [o.agent.path] : [bundleShare(o.agent.bundle)]), ...(o.readOnly ?? [])];
  const plan = planGuest({
    runDir: o.setup.runDir, command, root: o.root, readOnly, modules: o.modules, hooks: o.hooks, files,
    hosts: Object.fromEntries(o.cloudNames.map((n) => [n, HOST_ALIAS])),
  });
  const forwards: PortForward[] = [...new Set(o.ports)].map((p) => ({ guestPort: p, hostPort: p }));
  return { kernel: o.kernel, plan, runDir: o.setup.runDir, forwards, memoryMb: o.memoryMb, cpus: o.cpus, accel: o.accel, timeoutMs: o.timeoutMs, signal: o.signal };
}

export async function startVmRecording(o: VmRecordingOptions): Promise<VmRecording> {
  let onReady!: () => void;
  let onWorkload!: (n: number) => void;
  let onAgentExit!: (n: number | undefined) => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const workloadDone = new Promise<number>((r) => (onWorkload = r));
  const agentExit = new Promise<number | undefined>((r) => (onAgentExit = r));
  const boot = planVmRecording(o);
  const vm = await startVm({
    ...boot,
    onLine: (line) => {
      if (line.startsWith(AGENT_PREFIX)) return o.onAgentLine?.(line.slice(AGENT_PREFIX.length));
      if (line.startsWith(WORKLOAD_PREFIX)) return o.onWorkloadLine?.(line.slice(WORKLOAD_PREFIX.length));
      o.onConsoleLine?.(line);
      const m = parseMark(line);
      if (!m) return;
      if (m.text === 'agent ready') onReady();
      const w = /^workload exit (\d+)$/.exec(m.text);
      if (w) onWorkload(Number(w[1]));
      const a = /^agent exit (\d+)/.exec(m.text);
      if (a) onAgentExit(Number(a[1]));
    },
  });
  const ended = vm.exited.then((x) => {
    onAgentExit(undefined);
    return x;
  });
  const early = (what: string) => ended.then((x) => Promise.reject(new Error(`the guest ended before ${what} (${x.timedOut ? 'timed out' : x.status !== undefined ? `status ${x.status}` : `qemu ${x.qemuSignal ?? `exit ${x.qemuCode}`}`})`)));
  const race = <T>(p: Promise<T>, what: string) => {
    const r = Promise.race([p, early(what)]);
    r.catch(() => {});
    return r;
  };
  return { vm, agentArgv: guestAgentCommand({ ...o.setup, ca: !!o.caFile }, o.agent).argv, ready: race(ready, 'the agent was ready'), workloadDone: race(workloadDone, 'the workload ended'), agentExit, exited: vm.exited };
}
