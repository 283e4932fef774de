// `agent-runner vm …`: cmd-ts wiring of the VM library (part of the bin: reads env and stdio, returns exit codes).
import { resolve as resolvePath } from 'node:path';
import { array, command, flag, multioption, number, oneOf, option, optional, restPositionals, string, subcommands } from 'cmd-ts';
import { Duration, onStopSignal } from '@flowmill/cli';
import { UsageError } from '../errors.js';
import { runLayout } from '../run-layout.js';
import { prepareVm, startVm, type BootOptions } from './boot.js';
import { chooseAccel } from './accel.js';
import { execFile } from './exec.js';
import { fetchKernel, kernelCacheDir, kernelTable, resolveKernel } from './kernel-cache.js';
import { DEFAULT_KERNEL } from './kernels.js';
import { planGuest } from './plan.js';
import { vmPreflight } from './preflight.js';
import { DEFAULT_MEMORY_MB } from './qemu-args.js';
import { vmOutcome } from './run-command.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = 'agent-runner';
const log = (s: string) => process.stderr.write(`${BIN}: ${s}\n`);
/** Progress lines only on a TTY (house style 7); errors always. */
const progress = (s: string) => {
  if (process.stderr.isTTY) log(s);
};
const cacheDir = () => kernelCacheDir(process.env);

const kernels = command({
  name: 'kernels',
  description: 'The kernels a VM run can boot: the pinned table (suite, package) and what of it is in the cache.',
  args: { json: flag({ long: 'json', description: 'print the table as JSON' }) },
  handler: async (a) => {
    const t = kernelTable(cacheDir());
    if (a.json) process.stdout.write(`${JSON.stringify({ cacheDir: cacheDir(), kernels: t }, null, 2)}\n`);
    else {
      process.stdout.write(`# kernel cache: ${cacheDir()}\n`);
      for (const { spec, cached } of t) {
        const state = cached ? `cached  ${cached.release} (${cached.package} ${cached.version})` : `fetchable: agent-runner vm fetch ${spec.id}`;
        process.stdout.write(`${spec.id.padEnd(5)} ${`${spec.metapackage} from ${spec.suite}`.padEnd(42)} ${state}\n`);
      }
    }
    return 0;
  },
});

const fetch = command({
  name: 'fetch',
  description: 'Download kernels into the cache (apt-get download through a private apt configuration, dpkg-deb -x; nothing is installed). A cached kernel is not fetched again.',
  args: {
    ids: restPositionals({ type: string, displayName: 'kernel', description: '6.1, 5.10, 6.12 (default 6.1)' }),
    module: multioption({ long: 'module', type: array(string), description: 'keep this module too (repeatable; with its dependencies)' }),
    refresh: flag({ long: 'refresh', description: 'fetch again even when cached (a newer package of the suite)' }),
    mirror: option({ long: 'mirror', type: optional(string), description: 'Debian archive URL instead of deb.debian.org' }),
  },
  handler: async (a) => {
    for (const id of a.ids.length ? a.ids : [DEFAULT_KERNEL]) {
      const k = await fetchKernel(id, { cacheDir: cacheDir(), modules: a.module, refresh: a.refresh, mirror: a.mirror, progress });
      process.stdout.write(`${id}\t${k.release}\t${k.dir}\n`);
    }
    return 0;
  },
});

const common = {
  kernel: option({ long: 'kernel', type: string, defaultValue: () => DEFAULT_KERNEL, description: '6.1, 5.10, 6.12 or PATH/vmlinuz' }),
  memory: option({ long: 'memory', type: number, defaultValue: () => DEFAULT_MEMORY_MB, description: 'guest memory, MB' }),
};

const preflightCmd = command({
  name: 'preflight',
  description: 'Check that this machine can boot a guest: qemu, busybox-static, Node under /usr, the kernel, memory. Says how to get what is missing.',
  args: { ...common, json: flag({ long: 'json', description: 'print the report as JSON' }) },
  handler: async (a) => {
    const r = await vmPreflight({ kernels: a.kernel.split(','), cacheDir: cacheDir(), node: process.execPath, memoryMb: a.memory, exec: execFile });
    if (a.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else for (const c of r.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.id}: ${c.detail}${c.fix ? ` -> ${c.fix}` : ''}\n`);
    return r.ok ? 0 : 69;
  },
});

const run = command({
  name: 'run',
  description: 'Boot a guest on a real kernel and run a shell command in it as root: the host\'s /usr and /etc read-only, --run-dir read-write at the same path, --share paths read-only, and only --forward ports reachable (at 10.0.2.100). Prints {status, ms, bootSeconds, kernelView} on stdout.',
  args: {
    ...common,
    runDir: option({ long: 'run-dir', type: string, defaultValue: () => '.', description: 'shared read-write; the console log, exit status and kernel view land here' }),
    share: multioption({ long: 'share', type: array(string), description: 'host path shared read-only at the same path (repeatable)' }),
    forward: multioption({ long: 'forward', type: array(string), description: 'PORT or GUESTPORT:HOSTPORT: guest 10.0.2.100:GUESTPORT reaches host 127.0.0.1:HOSTPORT (repeatable)' }),
    host: multioption({ long: 'host', type: array(string), description: 'NAME: /etc/hosts in the guest maps NAME to 10.0.2.100 (repeatable)' }),
    root: option({ long: 'root', type: optional(string), description: 'a directory tree (e.g. docker export of an image) as the guest\'s root, read-only under a tmpfs overlay' }),
    module: multioption({ long: 'module', type: array(string), description: 'load this module by name in the guest (repeatable)' }),
    cpus: option({ long: 'cpus', type: number, defaultValue: () => 2, description: 'guest CPUs' }),
    accel: option({ long: 'accel', type: oneOf(['auto', 'tcg', 'kvm'] as const), defaultValue: () => 'auto' as const, description: 'auto: software emulation (TCG) unless /dev/kvm boots this kernel (a probe boot, cached per kernel; none with kvm_pvm); tcg; kvm' }),
    kvm: flag({ long: 'kvm', description: 'the same as --accel kvm' }),
    timeout: option({ long: 'timeout', type: Duration, defaultValue: () => 300_000, description: 'kill qemu after this (boot to power-off)' }),
    dryRun: flag({ long: 'dry-run', description: 'print the qemu command line and the guest init, start nothing' }),
    noFetch: flag({ long: 'no-fetch', description: 'fail instead of downloading a kernel that is not cached' }),
    command: restPositionals({ type: string, displayName: 'command', description: 'shell command run in the guest (after --)' }),
  },
  handler: async (a) => {
    if (!a.command.length) throw new UsageError('nothing to run: give a command after --');
    const kernel = await resolveKernel(a.kernel, { cacheDir: cacheDir(), fetch: !a.noFetch, modules: a.module, progress });
    const forwards = a.forward.map((f) => {
      const [g, h] = f.split(':').map(Number);
      if (!(g > 0 && g < 65536) || (h !== undefined && !(h > 0 && h < 65536))) throw new UsageError(`bad --forward: ${f}`);
      return { guestPort: g, hostPort: h ?? g };
    });
    const runDir = resolvePath(a.runDir);
    const plan = planGuest({ runDir, command: a.command.join(' '), readOnly: a.share, root: a.root ? { kind: 'dir', path: a.root } : undefined, modules: a.module, hosts: Object.fromEntries(a.host.map((h) => [h, '10.0.2.100'])) });
    const accel = a.dryRun && !a.kvm && a.accel === 'auto' ? { accel: 'tcg' as const, reason: 'a dry run does not probe KVM' } : await chooseAccel(a.kvm ? 'kvm' : a.accel, kernel, { cacheDir: cacheDir(), progress });
    const opts: BootOptions = { kernel, plan, runDir, forwards, memoryMb: a.memory, cpus: a.cpus, accel: accel.accel, timeoutMs: a.timeout, onLine: (l) => process.stderr.write(`${l}\n`) };
    if (a.dryRun) {
      const scratch = mkdtempSync(join(tmpdir(), 'flowmill-vm-dry-'));
      try {
        const p = await prepareVm(opts, scratch);
        process.stdout.write(`# qemu command line (the initramfs and relay are rebuilt in a scratch directory for a real run)\n${p.argv.map(shellWord).join(' ')}\n\n# guest /init\n${p.init}`);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      return 0;
    }
    progress(`booting ${kernel.release} (${kernel.package} ${kernel.version}) under ${accel.accel.toUpperCase()} (${accel.reason})`);
    const vm = await startVm(opts);
    const killOnExit = () => vm.kill();
    process.on('exit', killOnExit);
    const remove = onStopSignal(async () => void (await vm.stop()), log);
    const exit = await vm.exited;
    remove();
    process.off('exit', killOnExit);
    const r = vmOutcome(opts, exit);
    process.stdout.write(`${JSON.stringify({ status: exit.status, ms: exit.ms, bootSeconds: r.bootSeconds, console: runLayout(runDir).path('vmConsole'), kernelView: r.view && { connections: r.view.connections, byPort: r.view.byPort } })}\n`);
    return exit.status === 0 ? 0 : 1;
  },
});

const shellWord = (s: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export const vmCommand = subcommands({
  name: 'vm',
  description: 'Boot Debian kernels under qemu (no root, no KVM needed) and run programs in the guest: kernels, fetch, preflight, run.',
  cmds: { kernels, fetch, preflight: preflightCmd, run },
});
