// The initramfs laid out and packed without qemu: a module tree made here (modinfo strings in the kernel's format),
// the real busybox-static depmod and cpio, and the
// archive listed back by busybox cpio -t (a real peer reading the newc format).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildInitramfs, stageInitramfs } from '../src/vm/initramfs.js';
import { guestInit } from '../src/vm/guest-init.js';
import type { CachedKernel } from '../src/vm/kernels.js';
import { planGuest } from '../src/vm/plan.js';

const root = mkdtempSync(join(tmpdir(), 'vm-initramfs-'));
const release = '6.1.0-99-amd64';
const modulesDir = join(root, 'lib/modules', release);
const mod = (rel: string, depends: string, softdep = '') => {
  mkdirSync(join(modulesDir, 'kernel', rel, '..'), { recursive: true });
  writeFileSync(join(modulesDir, 'kernel', rel), `\x7fELF\0license=GPL\0${softdep ? `softdep=${softdep}\0` : ''}depends=${depends}\0vermagic=${release} SMP\0`);
};
mod('drivers/virtio/virtio.ko', '');
mod('drivers/virtio/virtio_ring.ko', '');
mod('drivers/virtio/virtio_pci.ko', 'virtio,virtio_ring');
mod('drivers/net/virtio_net.ko', 'virtio,virtio_ring');
mod('net/9p/9pnet.ko', '');
mod('net/9p/9pnet_virtio.ko', '9pnet,virtio,virtio_ring');
mod('fs/9p/9p.ko', '9pnet');
mod('lib/libcrc32c.ko', '', 'pre: crc32c');
mod('crypto/crc32c_generic.ko', '');
mod('net/netfilter/nf_conntrack.ko', 'libcrc32c');
writeFileSync(join(modulesDir, 'modules.builtin'), 'kernel/fs/overlayfs/overlay.ko\n');
const kernel: CachedKernel = { id: 'test', package: 'p', version: 'v', release, dir: root, vmlinuz: join(root, 'vmlinuz'), modulesDir, modules: [] };
const plan = planGuest({ runDir: join(root, 'run'), command: 'true', modules: ['nf_conntrack'], hosts: { localhost: '10.0.2.100' } });

test('staged tree: busybox, an executable /init, the closure of the modules with depmod output, the plan\'s files', async () => {
  const stage = mkdtempSync(join(tmpdir(), 'vm-stage-'));
  const placed = await stageInitramfs(stage, { kernel, plan, init: guestInit(plan) });
  assert.ok(statSync(join(stage, 'init')).mode & 0o100);
  assert.ok(statSync(join(stage, 'bin/busybox')).size > 500_000);
  const load = readFileSync(join(stage, 'modules.load'), 'utf8').trim().split('\n');
  assert.equal(new Set(load), new Set(placed));
  // dependencies before users, the crypto softdep before libcrc32c; overlay is built in (nothing to load)
  for (const [a, b] of [['virtio', 'virtio_pci'], ['9pnet', '9pnet_virtio'], ['9pnet', '9p'], ['crc32c_generic', 'libcrc32c'], ['libcrc32c', 'nf_conntrack']]) assert.ok(load.indexOf(a) < load.indexOf(b), `${a} before ${b}`);
  assert.not.ok(load.includes('overlay'));
  const dep = readFileSync(join(stage, 'lib/modules', release, 'modules.dep'), 'utf8');
  assert.match(dep, /^kernel\/fs\/9p\/9p\.ko: kernel\/net\/9p\/9pnet\.ko$/m);
  assert.match(dep, /^kernel\/net\/netfilter\/nf_conntrack\.ko: kernel\/lib\/libcrc32c\.ko$/m);
  assert.match(readFileSync(join(stage, 'files/hosts'), 'utf8'), /^10\.0\.2\.100\tlocalhost$/m);
});

test('a module neither in the tree nor built in is refused, naming it', async () => {
  const p = planGuest({ runDir: join(root, 'run'), command: 'true', modules: ['no_such_module'] });
  const err = await stageInitramfs(mkdtempSync(join(tmpdir(), 'vm-stage-')), { kernel, plan: p, init: '' }).then(() => undefined, (e: Error) => e);
  assert.match(err?.message ?? 'resolved', /modules not in .*: no_such_module/);
});

test('packed newc archive: busybox cpio lists init, bin/busybox and the modules back', async () => {
  const out = join(root, 'initramfs.cpio');
  const r = await buildInitramfs({ kernel, plan, init: guestInit(plan), out });
  assert.is(r.bytes, statSync(out).size);
  const list = spawnSync('/bin/busybox', ['cpio', '-t'], { input: readFileSync(out), encoding: 'utf8' }).stdout.split('\n');
  for (const f of ['init', 'bin/busybox', 'modules.load', `lib/modules/${release}/modules.dep`, `lib/modules/${release}/kernel/fs/9p/9p.ko`, 'files/hosts']) assert.ok(list.includes(f), f);
  assert.is(readFileSync(out).subarray(0, 6).toString('latin1'), '070701'); // newc magic
});

test.run();
