/**
 * What a guest gets, independent of qemu's syntax: the 9p shares (the root's and the others, each at the same path
 * inside as on the host), the files carried in the initramfs, the modules to load by name, the command and hooks.
 * `planGuest` makes one from a run's options; qemu-args.ts and guest-init.ts read it.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RUN_FILES } from '../run-layout.js';
import { UsageError } from '../errors.js';
import { BASE_MODULES } from './kernels.js';

export interface Share {
  /** virtio-9p mount tag (≤ 31 bytes). */
  tag: string;
  hostPath: string;
  /** Mount point inside the guest's root; for root shares, unused. */
  guestPath: string;
  readonly: boolean;
}

export interface GuestFile {
  /** File name in the initramfs's /files. */
  name: string;
  /** Where the init puts it in the guest's root. */
  guestPath: string;
  data: string | Uint8Array;
  /** Bind-mount over an existing file of a read-only root (e.g. /etc/hosts of the host's /etc). */
  bindOver?: boolean;
}

export type GuestRoot =
  /** A tmpfs root holding the host's /usr and /etc read-only: the host's programs (node) run unchanged. */
  | { kind: 'host' }
  /** A directory tree (e.g. a `docker export` of the agent's image) read-only under a tmpfs overlay. */
  | { kind: 'dir'; path: string };

export interface GuestPlan {
  modules: string[];
  root: { kind: 'host'; usrTag: string; etcTag: string } | { kind: 'dir'; tag: string };
  /** Every 9p share: the root's first, then those mounted at guestPath. */
  rootShares: Share[];
  shares: Share[];
  files: GuestFile[];
  env: Record<string, string>;
  /** Shell script run as root in the guest's root, after `hooks.before`. */
  command: string;
  hooks: { before?: string[]; after?: string[] };
  /** Guest paths in the run share. */
  statusFile: string;
  stopFile?: string;
  selfCheck?: { traceFile: string };
  /** How long the init waits for the command's session to end after the command, before SIGKILL. */
  graceMs?: number;
}

export interface GuestOptions {
  /** Shared read-write at the same path: where the guest writes its recordings, status and kernel view. */
  runDir: string;
  command: string;
  root?: GuestRoot;
  /** Host paths shared read-only at the same path (the agent's directory, the agent-runner bundle's, keys). */
  readOnly?: readonly string[];
  /** Modules to load beyond the base set (names: `nf_conntrack`); must be in the kernel's cache. */
  modules?: readonly string[];
  /** Extra /etc/hosts lines for the guest: name → address (the fake cloud's names → HOST_ALIAS). */
  hosts?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string>>;
  /** Shell snippets run in the guest before the command and after it (issue 18's BPF half hooks in here). */
  hooks?: { before?: string[]; after?: string[] };
  files?: readonly GuestFile[];
  /** The kernel's own tcp_connect count (default on). */
  selfCheck?: boolean;
  graceMs?: number;
}

/** Paths of the host that must never be shared whole. */
const NEVER_SHARE = new Set(['/', '/proc', '/sys', '/dev', '/boot']);

export function planGuest(o: GuestOptions): GuestPlan {
  const runDir = resolve(o.runDir);
  const rootShares: Share[] =
    (o.root ?? { kind: 'host' }).kind === 'host'
      ? [{ tag: 'usr', hostPath: '/usr', guestPath: '/usr', readonly: true }, { tag: 'etc', hostPath: '/etc', guestPath: '/etc', readonly: true }]
      : [{ tag: 'rootfs', hostPath: resolve((o.root as { path: string }).path), guestPath: '/', readonly: true }];
  if (o.root?.kind === 'dir' && !(existsSync(o.root.path) && statSync(o.root.path).isDirectory())) throw new UsageError(`bad guest root: ${o.root.path}: not a directory`);
  const shares: Share[] = [{ tag: 'run', hostPath: runDir, guestPath: runDir, readonly: false }];
  const covered = (p: string) => [...shares, ...(o.root?.kind === 'dir' ? [] : rootShares)].some((s) => p === s.hostPath || p.startsWith(`${s.hostPath}/`));
  for (const [i, raw] of (o.readOnly ?? []).entries()) {
    const p = resolve(raw);
    const dir = existsSync(p) && statSync(p).isDirectory() ? p : dirname(p);
    if (NEVER_SHARE.has(dir)) throw new UsageError(`refusing to share ${dir} with the guest: share a directory of what it needs`);
    if (covered(dir)) continue;
    shares.push({ tag: `ro${i}`, hostPath: dir, guestPath: dir, readonly: true });
  }
  if (runDir === '/usr' || runDir.startsWith('/usr/') || runDir === '/etc' || runDir.startsWith('/etc/')) throw new UsageError(`bad run directory: ${runDir}: inside a read-only guest share`);
  const files: GuestFile[] = [...(o.files ?? [])];
  if (o.hosts && Object.keys(o.hosts).length) {
    const lines = ['127.0.0.1\tflowmill-guest', ...Object.entries(o.hosts).map(([n, a]) => `${a}\t${n}`)];
    files.push({ name: 'hosts', guestPath: '/etc/hosts', data: `${lines.join('\n')}\n`, bindOver: (o.root ?? { kind: 'host' }).kind === 'host' });
  }
  const mods = [...BASE_MODULES.filter((m) => m !== 'overlay' || o.root?.kind === 'dir'), ...(o.modules ?? [])];
  return {
    modules: [...new Set(mods)],
    root: o.root?.kind === 'dir' ? { kind: 'dir', tag: 'rootfs' } : { kind: 'host', usrTag: 'usr', etcTag: 'etc' },
    rootShares,
    shares,
    files,
    env: { ...(o.env ?? {}) },
    command: o.command,
    hooks: { before: o.hooks?.before, after: o.hooks?.after },
    statusFile: `${runDir}/${RUN_FILES.vmStatus}`,
    stopFile: `${runDir}/${RUN_FILES.vmStop}`,
    selfCheck: o.selfCheck === false ? undefined : { traceFile: `${runDir}/${RUN_FILES.kernelTrace}` },
    graceMs: o.graceMs,
  };
}
