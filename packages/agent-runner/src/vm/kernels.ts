/**
 * The kernels a VM run can boot: Debian's generic amd64 kernels (kprobes, BPF with JIT, BTF, debugfs and tracefs
 * built in; virtio-net and 9p as modules, which the initramfs carries). One table, with the suite each comes from.
 * Each entry names Debian's `linux-image-amd64` metapackage of a suite: the suite pins the kernel series, the
 * version is whatever that suite carries when fetched (old point releases leave the archive, so an exact version
 * would stop resolving), and the cache is keyed by the resolved package and version, which every run records.
 * The cloud flavour (`linux-image-cloud-amd64`) is not used: it lacks 9p.
 */
export interface KernelSpec {
  /** What `--kernel` takes. */
  id: string;
  /** The kernel series it brings. */
  series: string;
  /** Debian suite and archive the package comes from (read through a private apt configuration). */
  suite: string;
  archive: string;
  /** The metapackage whose dependency is the versioned kernel image package. */
  metapackage: string;
  note: string;
}

/** Debian's archives. Overridable (`mirror` options) for a local mirror. */
export const DEBIAN_ARCHIVE = 'http://deb.debian.org/debian';
export const DEBIAN_SECURITY_ARCHIVE = 'http://deb.debian.org/debian-security';
/** The keyring `debian-archive-keyring` installs; it holds the bullseye, bookworm and trixie signing keys. */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export const KERNELS: readonly KernelSpec[] = [
  { id: '6.1', series: '6.1', suite: 'bookworm', archive: DEBIAN_ARCHIVE, metapackage: 'linux-image-amd64', note: 'Debian 12 (bookworm), the default' },
  { id: '5.10', series: '5.10', suite: 'bullseye-security', archive: DEBIAN_SECURITY_ARCHIVE, metapackage: 'linux-image-amd64', note: 'Debian 11 (bullseye), security updates' },
  { id: '6.12', series: '6.12', suite: 'trixie', archive: DEBIAN_ARCHIVE, metapackage: 'linux-image-amd64', note: 'Debian 13 (trixie); modules ship as .ko.xz' },
];

export const DEFAULT_KERNEL = '6.1';

export function kernelSpec(id: string): KernelSpec | undefined {
  return KERNELS.find((k) => k.id === id);
}

/**
 * Modules every guest loads: the PCI transport of virtio (a module up to 6.1, built in on 6.12), the network card and
 * the 9p file system (Debian builds them as modules), and overlay
 * (a read-only root shared from a directory gets a writable layer). Their dependencies come along.
 */
export const BASE_MODULES = ['virtio_pci', 'virtio_net', '9pnet_virtio', '9p', 'overlay'] as const;

/**
 * Modules cached beside the base set for programs run in the guest: connection tracking (the agent's NAT probe
 * reads conntrack; nf_conntrack needs libcrc32c, whose crypto backend crc32c_generic is a module too) and its
 * netlink interface (nf_conntrack_netlink over nfnetlink), which the NatProber's existing-state dump asks
 * (nat_prober.cc@68f0c23f:73-160); without it the dump fails with EPROTONOSUPPORT.
 */
export const EXTRA_MODULES = ['nf_conntrack', 'nf_defrag_ipv4', 'nf_defrag_ipv6', 'libcrc32c', 'crc32c_generic', 'nfnetlink', 'nf_conntrack_netlink'] as const;

/** A kernel in the cache: what was fetched, from where, and its files. */
export interface CachedKernel {
  /** The table id it was fetched for (`6.1`), or `path` for a vmlinuz given by path. */
  id: string;
  /** The versioned image package and its version, e.g. linux-image-6.1.0-41-amd64 6.1.158-1. */
  package: string;
  version: string;
  /** `uname -r` of the kernel, e.g. 6.1.0-41-amd64. */
  release: string;
  suite?: string;
  fetchedAt?: string;
  /** Absolute paths. */
  dir: string;
  vmlinuz: string;
  config?: string;
  /** lib/modules/<release>/ inside `dir` (uncompressed .ko files, modules.builtin, modules.order). */
  modulesDir?: string;
  /** Module names (underscored) present in the cache, dependencies before their users. */
  modules: string[];
  /** Names asked for that are built into this kernel (nothing to load). */
  builtinModules?: string[];
}

/** Whether a cached kernel can provide every module in `names` (as a file or built in). */
export function hasModules(k: CachedKernel, names: readonly string[]): boolean {
  return names.every((n) => k.modules.includes(n) || (k.builtinModules ?? []).includes(n) || k.modules.includes(`${n}_generic`));
}
