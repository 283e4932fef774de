// A directory tree as the guest's root, the mechanism for running a docker image's collector in the VM (`docker
// export` of the image on a machine with an engine, then `agent-runner vm run --root DIR`): a tree made here (a
// static busybox as /bin/sh, an /etc/os-release, a stand-in collector in /usr/bin) is booted on Debian's 6.1 under
// qemu. Shown: the guest's root is that tree (not the host's /usr), it is writable in the guest (a tmpfs overlay)
// while the host's tree is left as it was, the run directory is shared read-write, and qemu is gone afterwards.
// And the stop path (Ctrl-C in the CLIs): stop() during a command that would run for ten minutes reaches the command
// through the run share as SIGTERM to its session, the guest powers off, and no qemu is left.
// Needs tools/test/setup-vm.sh (qemu, busybox-static, the 6.1 kernel).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedKernel, kernelCacheDir } from '../src/vm/kernel-cache.js';
import { planGuest } from '../src/vm/plan.js';
import { runVm } from '../src/vm/run-command.js';
import { startVm } from '../src/vm/boot.js';

const base = mkdtempSync(join(tmpdir(), 'vm-root-dir-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

test('6.1 boots a directory tree as its root: the tree\'s programs run, its writes stay in the guest, the run share is written', async () => {
  const kernel = cachedKernel(kernelCacheDir({ XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, HOME: process.env.HOME }), '6.1');
  assert.ok(kernel, 'the 6.1 kernel is cached (tools/test/setup-vm.sh)');
  const root = join(base, 'rootfs');
  for (const d of ['bin', 'etc', 'usr/bin']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const a of ['sh', 'cat', 'echo', 'ls', 'mkdir', 'touch']) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/os-release'), 'ID=flowmill-test-rootfs\n');
  writeFileSync(join(root, 'usr/bin/kernel-collector'), '#!/bin/sh\necho "collector on $(cat /etc/os-release) args $*"\n');
  chmodSync(join(root, 'usr/bin/kernel-collector'), 0o755);
  const before = readdirSync(root).sort();
  const run = join(base, 'run');
  mkdirSync(run);
  const out = join(run, 'guest-said.txt');
  const command = [
    `kernel-collector --bpf-dump-file=${run}/x > ${out}`,
    `[ -e /usr/bin/node ] && echo host-usr-visible >> ${out} || echo no-host-usr >> ${out}`,
    `touch /written-in-guest && echo root-writable >> ${out}`,
  ].join('\n');
  const plan = planGuest({ runDir: run, command, root: { kind: 'dir', path: root }, selfCheck: false });
  const lines: string[] = [];
  let pid: number | undefined;
  const r = await runVm({ kernel: kernel!, plan, runDir: run, forwards: [], timeoutMs: 180_000, onLine: (l) => lines.push(l) }, (vm) => (pid = vm.pid));
  assert.is(r.exit.status, 0, lines.slice(-15).join('\n'));
  assert.equal(readFileSync(out, 'utf8').split('\n'), [`collector on ID=flowmill-test-rootfs args --bpf-dump-file=${run}/x`, 'no-host-usr', 'root-writable', '']);
  assert.equal(readdirSync(root).sort(), before, 'the host tree is unchanged');
  assert.not.ok(existsSync(join(root, 'written-in-guest')));
  assert.ok(pid && !existsSync(`/proc/${pid}`), 'qemu is gone');
});

test('stop() while the command runs: SIGTERM reaches its session in the guest, the guest powers off, qemu is gone', async () => {
  const kernel = cachedKernel(kernelCacheDir({ XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, HOME: process.env.HOME }), '6.1')!;
  const run = join(base, 'run-stop');
  mkdirSync(run);
  const plan = planGuest({ runDir: run, command: `trap 'echo got-term > ${run}/term.txt; exit 143' TERM\necho armed > ${run}/armed.txt\nwhile :; do sleep 1; done`, selfCheck: false });
  const lines: string[] = [];
  const vm = await startVm({ kernel, plan, runDir: run, forwards: [], timeoutMs: 180_000, graceMs: 30_000, onLine: (l) => lines.push(l) });
  await vm.started;
  // stop once the command's trap is set (before that, SIGTERM would end the shell by default, which is no test)
  for (const deadline = Date.now() + 60_000; !existsSync(join(run, 'armed.txt')); ) {
    assert.ok(Date.now() < deadline, `the guest command never armed its trap:\n${lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const t0 = Date.now();
  const exit = await vm.stop();
  assert.ok(exit.stopped);
  assert.is(exit.status, 143, lines.slice(-10).join('\n'));
  assert.is(readFileSync(join(run, 'term.txt'), 'utf8'), 'got-term\n');
  assert.ok(exit.marks.some((m) => m.text === 'stop requested'));
  assert.ok(Date.now() - t0 < 30_000, 'the guest ended itself within the grace period (qemu was not killed)');
  assert.is(exit.qemuSignal, null);
  assert.not.ok(existsSync(`/proc/${vm.pid}`), 'qemu is gone');
});

test.run();
