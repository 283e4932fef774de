/**
 * The qemu command line for a GuestPlan: software emulation (TCG) unless told otherwise, the kernel and initramfs
 * given directly (no disk), the console to a file, user-mode networking restricted to the declared ports, one
 * virtio-9p device per share. Pure: the same inputs give the same argv, which `--dry-run` prints.
 */
import type { GuestPlan, Share } from './plan.js';
import { HOST_ALIAS } from './guest-init.js';

/** A guest connection to HOST_ALIAS:guestPort reaches the host's hostHost:hostPort. */
export interface PortForward {
  guestPort: number;
  hostPort: number;
  /** Default 127.0.0.1: the fake cloud listens on loopback. */
  hostHost?: string;
}

export interface QemuOptions {
  qemu?: string;
  vmlinuz: string;
  initrd: string;
  consoleFile: string;
  /** Megabytes (default 2048: node, the agent and the workload in a tmpfs root; ~0.7 GB is touched). */
  memoryMb?: number;
  cpus?: number;
  /**
   * `tcg` (default): software emulation, works everywhere. `kvm`: only where /dev/kvm boots stock kernels (a nested
   * paravirtual kvm_pvm cannot: qemu hangs after "Probing EDD").
   */
  accel?: 'tcg' | 'kvm';
  forwards: readonly PortForward[];
  /** The program run per forwarded connection, argv without the port (the relay: node --no-warnings relay.mjs). */
  relay: readonly string[];
  /** Extra kernel command line words. */
  append?: readonly string[];
}

export const DEFAULT_MEMORY_MB = 2048;
export const DEFAULT_CPUS = 2;
/**
 * panic=-1: reboot at once on a panic, which -no-reboot turns into qemu exiting (a dead guest ends the run within
 * seconds). oops=panic: an oops is a dead guest too. console=ttyS0: the log goes to the -serial file.
 */
export const KERNEL_APPEND = ['console=ttyS0', 'panic=-1', 'oops=panic', 'loglevel=4', 'rdinit=/init'] as const;

/** qemu's option syntax: a comma inside a value is written twice. */
export const qemuEscape = (s: string): string => s.replace(/,/g, ',,');

/** g_shell_parse_argv quoting (what slirp uses for guestfwd's cmd:). */
const shellWord = (s: string): string => (/^[A-Za-z0-9_./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function netdevArg(forwards: readonly PortForward[], relay: readonly string[]): string {
  // restrict=on: the guest reaches nothing but these forwards (no route to the host's network or beyond).
  const fwd = forwards.map((f) => `guestfwd=tcp:${HOST_ALIAS}:${f.guestPort}-cmd:${qemuEscape([...relay, f.hostHost ?? '127.0.0.1', String(f.hostPort)].map(shellWord).join(' '))}`);
  return ['user', 'id=net0', 'restrict=on', ...fwd].join(',');
}

export function fsdevArgs(share: Share, i: number): string[] {
  // security_model=none: files the guest creates belong to whoever runs qemu (no root needed on the host);
  // multidevs=remap: inode numbers stay unique across the host file systems under one share.
  const fsdev = [`local`, `id=fs${i}`, `path=${qemuEscape(share.hostPath)}`, 'security_model=none', 'multidevs=remap', ...(share.readonly ? ['readonly=on'] : [])].join(',');
  return ['-fsdev', fsdev, '-device', `virtio-9p-pci,fsdev=fs${i},mount_tag=${share.tag}`];
}

export function qemuArgv(plan: GuestPlan, o: QemuOptions): string[] {
  const accel = o.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
  return [
    o.qemu ?? 'qemu-system-x86_64',
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot',
    ...accel,
    '-smp', String(o.cpus ?? DEFAULT_CPUS), '-m', String(o.memoryMb ?? DEFAULT_MEMORY_MB),
    '-kernel', o.vmlinuz, '-initrd', o.initrd, '-append', [...KERNEL_APPEND, ...(o.append ?? [])].join(' '),
    '-serial', `file:${o.consoleFile}`,
    '-netdev', netdevArg(o.forwards, o.relay), '-device', 'virtio-net-pci,netdev=net0',
    ...[...plan.rootShares, ...plan.shares].flatMap((s, i) => fsdevArgs(s, i)),
  ];
}

/**
 * The relay slirp runs per forwarded connection: its stdin/stdout/stderr are one socket to the guest. It connects
 * to the host port and copies both ways, half-closes passed on; it must never write anything else (so no warnings).
 */
export const RELAY_SOURCE = `import { Socket, connect } from 'node:net';
const [host, port] = process.argv.slice(2);
const guest = new Socket({ fd: 0, readable: true, writable: true, allowHalfOpen: true });
const peer = connect({ host, port: Number(port), allowHalfOpen: true });
const done = () => { guest.destroy(); peer.destroy(); };
guest.on('error', done); peer.on('error', done);
guest.pipe(peer); peer.pipe(guest);
guest.on('close', () => peer.end()); peer.on('close', () => { guest.end(); setTimeout(done, 1000).unref(); });
`;
