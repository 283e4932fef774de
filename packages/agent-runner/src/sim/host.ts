import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, hostname as osHostname, release } from 'node:os';
import { join } from 'node:path';

/** One interface's counters as the agent reads them from /sys/class/net/<if>/statistics (nic_poller.cc@3598385a:40-74). */
export interface NicCounters { name: string; txBytes: bigint; rxBytes: bigint; txErrors: bigint; rxErrors: bigint }
/** A process as the scan's BPF probe sees it: tgid, parent tgid, comm (≤ 15 bytes). */
export interface HostTask { pid: number; ppid: number; comm: string }
/** One cgroup directory of the scan (cgroup_prober.cc in main: trigger_existing_cgroup_probe). */
export interface CgroupDir { path: string; name: string; parent?: string }

/**
 * What the simulated agent reads from the machine it runs on. `liveHost()` reads the real /proc and /sys, as the
 * agent would; `simulateRun` passes a fixed host so a seeded run is the same everywhere.
 */
export interface HostView {
  hostname: string;
  kernelRelease: string;
  cpuCount: number;
  /** The agent's own pid, its parent's, and a process's comm / parent (the process scan). */
  pid: number;
  ppidOf(pid: number): number;
  commOf(pid: number): string;
  /**
   * Every process (thread group) existing now, in /proc order: the process scan sends one pid_info per tgid
   * (process_prober.cc@3598385a:60-84 walks /proc/<pid>/task/*; render_bpf.c@3598385a:594-624 dedups by tgid).
   */
  tasks(): HostTask[];
  /** /proc/<pid>/cmdline as the agent reads it (≤ 256 bytes, NULs as spaces), "" when gone. */
  cmdlineOf(pid: number): string;
  nics(): NicCounters[];
  /** The cgroup v2 tree, parents before children (empty when there is no v2 mount). */
  cgroups(): CgroupDir[];
  resourceUsage(): NodeJS.ResourceUsage;
}

/** The loopback and calico interfaces are skipped (nic_poller.cc@3598385a:45-48). */
const SKIP_NIC = (n: string) => n === 'lo' || n.startsWith('cali');

function readNum(path: string): bigint {
  try { return BigInt(readFileSync(path, 'utf8').trim() || '0'); } catch { return 0n; }
}

export function liveHost(): HostView {
  return {
    hostname: osHostname(),
    kernelRelease: release(),
    cpuCount: cpus().length,
    pid: process.pid,
    ppidOf: (pid) => {
      try { return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) || 0; } catch { return 0; }
    },
    commOf: (pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return 'node'; } },
    tasks: procTasks,
    cmdlineOf: (pid) => {
      try { return readFileSync(`/proc/${pid}/cmdline`).subarray(0, 256).toString('utf8').replace(/\0/g, ' ').trim(); } catch { return ''; }
    },
    nics: () => {
      const base = '/sys/class/net';
      let names: string[] = [];
      try { names = readdirSync(base); } catch { return []; }
      return names.filter((n) => !SKIP_NIC(n) && (existsSync(join(base, n, 'statistics/tx_bytes')) || existsSync(join(base, n, 'statistics/rx_bytes')))).map((n) => {
        const s = (f: string) => readNum(join(base, n, 'statistics', f));
        return { name: n, txBytes: s('tx_bytes'), rxBytes: s('rx_bytes'), txErrors: s('tx_errors'), rxErrors: s('rx_errors') };
      });
    },
    cgroups: () => cgroupTree(v2Mount()),
    resourceUsage: () => process.resourceUsage(),
  };
}

/** /proc's processes, ascending as readdir gives them; one that exits while read is left out, as the agent's walk does. */
function procTasks(): HostTask[] {
  let names: string[] = [];
  try { names = readdirSync('/proc').filter((n) => /^\d+$/.test(n)); } catch { return []; }
  const out: HostTask[] = [];
  for (const n of names.sort((a, b) => Number(a) - Number(b))) {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const open = stat.indexOf('('), close = stat.lastIndexOf(')');
      out.push({ pid: Number(n), comm: stat.slice(open + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) || 0 });
    } catch { /* gone */ }
  }
  return out;
}

/** The cgroup2 mount point from /proc/self/mounts (the agent: find_cgroup_v2_mountpoint), or undefined. */
function v2Mount(): string | undefined {
  try {
    for (const l of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const f = l.split(' ');
      if (f[2] === 'cgroup2') return f[1];
    }
  } catch { /* no /proc */ }
  return undefined;
}

/** Every directory under the mount, depth first from the root, as the agent's directory stack walks it. */
function cgroupTree(root: string | undefined): CgroupDir[] {
  if (!root) return [];
  const out: CgroupDir[] = [];
  const stack: { path: string; parent?: string }[] = [{ path: root }];
  while (stack.length && out.length < 4096) {
    const d = stack.pop()!;
    out.push({ path: d.path, name: d.path === root ? '' : d.path.slice(d.path.lastIndexOf('/') + 1), parent: d.parent });
    let kids: string[] = [];
    try { kids = readdirSync(d.path).filter((k) => { try { return statSync(join(d.path, k)).isDirectory(); } catch { return false; } }); } catch { /* vanished */ }
    for (const k of kids) stack.push({ path: join(d.path, k), parent: d.path });
  }
  return out;
}

/** A fixed host for deterministic runs: no /proc or /sys is read. */
export function fixedHost(o: { pid: number; ppid: number; comm: string; hostname?: string }): HostView {
  const zero: NodeJS.ResourceUsage = {
    userCPUTime: 0, systemCPUTime: 0, maxRSS: 0, sharedMemorySize: 0, unsharedDataSize: 0, unsharedStackSize: 0, minorPageFault: 0,
    majorPageFault: 0, swappedOut: 0, fsRead: 0, fsWrite: 0, ipcSent: 0, ipcReceived: 0, signalsCount: 0, voluntaryContextSwitches: 0,
    involuntaryContextSwitches: 0,
  };
  let nicTx = 1_000_000n;
  const tasks = fixedTasks(o.pid, o.ppid, o.comm);
  return {
    hostname: o.hostname ?? 'sim-host',
    kernelRelease: '6.1.0-sim',
    cpuCount: 2,
    pid: o.pid,
    ppidOf: (pid) => tasks.find((t) => t.pid === pid)?.ppid ?? 1,
    commOf: (pid) => tasks.find((t) => t.pid === pid)?.comm ?? 'systemd',
    tasks: () => tasks.map((t) => ({ ...t })),
    cmdlineOf: () => '',
    nics: () => { nicTx += 123_456n; return [{ name: 'eth0', txBytes: nicTx, rxBytes: nicTx * 2n, txErrors: 0n, rxErrors: 0n }]; },
    cgroups: () => [
      { path: '/sys/fs/cgroup', name: '' },
      { path: '/sys/fs/cgroup/system.slice', name: 'system.slice', parent: '/sys/fs/cgroup' },
      { path: '/sys/fs/cgroup/user.slice', name: 'user.slice', parent: '/sys/fs/cgroup' },
    ],
    resourceUsage: () => zero,
  };
}

/**
 * A small machine's processes at the agent's start, fixed by the agent's pid (itself seeded): init, kthreadd and its
 * kernel threads (parent 2; kthreadd's and init's parent 0), a few daemons, the login shell (`ppid`) and the agent.
 * Every pid is below the agent's, so none is a workload process (those come after it).
 */
function fixedTasks(pid: number, ppid: number, comm: string): HostTask[] {
  const kernel = ['rcu_gp', 'rcu_par_gp', 'kworker/0:0H', 'mm_percpu_wq', 'ksoftirqd/0', 'rcu_sched', 'migration/0', 'cpuhp/0', 'kworker/1:1', 'kcompactd0'];
  const out: HostTask[] = [{ pid: 1, ppid: 0, comm: 'systemd' }, { pid: 2, ppid: 0, comm: 'kthreadd' }];
  kernel.forEach((c, i) => out.push({ pid: 3 + i, ppid: 2, comm: c }));
  const d = Math.max(20, Math.min(ppid, pid) - 400);
  out.push({ pid: d, ppid: 1, comm: 'systemd-journal' }, { pid: d + 37, ppid: 1, comm: 'cron' }, { pid: d + 90, ppid: 1, comm: 'sshd' });
  if (ppid > d + 90) out.push({ pid: ppid, ppid: d + 90, comm: 'bash' });
  out.push({ pid, ppid, comm });
  return out.sort((a, b) => a.pid - b.pid);
}
