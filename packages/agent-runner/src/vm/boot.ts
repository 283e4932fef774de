/**
 * Boots a guest and supervises it: builds the initramfs and the relay in a scratch directory, writes the init and
 * the qemu command line into the run directory, starts qemu, follows the console, and ends it whichever way comes
 * first: the guest powers off (its command's exit status is in the run share), `stop()` (asks the guest to stop its
 * command through the run share, then SIGTERM and SIGKILL to qemu after grace periods), `kill()`, the abort signal,
 * or the outer timeout. Whatever happens, no qemu is left running once `exited` resolves.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLayout } from '../run-layout.js';
import { ConsoleTail, parseMark, type GuestMark } from './console-tail.js';
import { guestInit } from './guest-init.js';
import { buildInitramfs } from './initramfs.js';
import type { CachedKernel } from './kernels.js';
import type { GuestPlan } from './plan.js';
import { qemuArgv, RELAY_SOURCE, type QemuOptions } from './qemu-args.js';
import type { Exec } from './exec.js';

export interface BootOptions extends Omit<QemuOptions, 'vmlinuz' | 'initrd' | 'consoleFile' | 'relay'> {
  kernel: CachedKernel;
  plan: GuestPlan;
  /** The host run directory (the plan's run share): console, init, status and stop files live there. */
  runDir: string;
  /** Node binary the relay runs under (default this process's). */
  node?: string;
  /** Outer bound on the whole guest, boot to power-off (ms); qemu is killed after it. */
  timeoutMs: number;
  /** After stop(): how long the guest gets to end its command and power off before qemu gets SIGTERM. */
  graceMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  onMark?: (mark: GuestMark) => void;
  busybox?: string;
  exec?: Exec;
  spawn?: typeof nodeSpawn;
  /** Parent of the scratch directory (initramfs, relay); removed when the guest ends. */
  tmp?: string;
}

export interface VmExit {
  /** The guest command's exit status, when the guest wrote it. */
  status?: number;
  qemuCode: number | null;
  qemuSignal: NodeJS.Signals | null;
  timedOut: boolean;
  stopped: boolean;
  /** Last console lines (and qemu's own stderr when it said something). */
  tail: string[];
  ms: number;
  marks: GuestMark[];
}

export interface Vm {
  argv: string[];
  pid?: number;
  /** The init's first mark (the kernel booted and ran /init). */
  booted: Promise<GuestMark>;
  /** The command started in the guest. */
  started: Promise<GuestMark>;
  exited: Promise<VmExit>;
  stop(): Promise<VmExit>;
  kill(): void;
}

/** Builds what qemu needs and returns its argv (the dry run's command line) without starting anything. */
export async function prepareVm(o: BootOptions, scratch: string): Promise<{ argv: string[]; init: string; initrdBytes: number; modules: string[] }> {
  const layout = runLayout(o.runDir);
  const init = guestInit(o.plan);
  const initrd = join(scratch, 'initramfs.cpio');
  const relay = join(scratch, 'relay.mjs');
  writeFileSync(relay, RELAY_SOURCE);
  const r = await buildInitramfs({ kernel: o.kernel, plan: o.plan, init, out: initrd, busybox: o.busybox, exec: o.exec, tmp: scratch });
  const argv = qemuArgv(o.plan, { ...o, vmlinuz: o.kernel.vmlinuz, initrd, consoleFile: layout.path('vmConsole'), relay: [o.node ?? process.execPath, '--no-warnings', relay] });
  return { argv, init, initrdBytes: r.bytes, modules: r.modules };
}

export async function startVm(o: BootOptions): Promise<Vm> {
  const layout = runLayout(o.runDir);
  mkdirSync(layout.dir, { recursive: true });
  for (const f of ['vmConsole', 'vmStatus', 'vmStop', 'kernelTrace'] as const) rmSync(layout.path(f), { force: true });
  const scratch = mkdtempSync(join(o.tmp ?? tmpdir(), 'flowmill-vm-'));
  let prepared;
  try {
    prepared = await prepareVm(o, scratch);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  const { argv, init } = prepared;
  writeFileSync(layout.path('vmInit'), init);
  writeFileSync(layout.path('vmJson'), `${JSON.stringify({ kernel: o.kernel, argv, modules: prepared.modules, initrdBytes: prepared.initrdBytes }, null, 2)}\n`);

  const t0 = performance.now();
  const marks: GuestMark[] = [];
  const waiters: { match: (m: GuestMark) => boolean; resolve: (m: GuestMark) => void; reject: (e: Error) => void }[] = [];
  const waitMark = (match: (m: GuestMark) => boolean) => {
    const p = new Promise<GuestMark>((resolve, reject) => waiters.push({ match, resolve, reject }));
    p.catch(() => {});
    return p;
  };
  const booted = waitMark((m) => m.text.startsWith('booted'));
  const started = waitMark((m) => m.text === 'command starts');
  const tail = new ConsoleTail(layout.path('vmConsole'), (line) => {
    o.onLine?.(line);
    const m = parseMark(line);
    if (!m) return;
    marks.push(m);
    o.onMark?.(m);
    for (const w of [...waiters]) if (w.match(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });

  const child: ChildProcess = (o.spawn ?? nodeSpawn)(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const qemuErr: string[] = [];
  child.stderr?.on('data', (b: Buffer) => qemuErr.push(...b.toString('utf8').split('\n').filter((l) => l && !/host doesn't support requested feature/.test(l))));
  tail.start();
  let timedOut = false;
  let stopped = false;
  const exited = new Promise<VmExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      tail.stop();
      rmSync(scratch, { recursive: true, force: true });
      const statusText = existsSync(layout.path('vmStatus')) ? readFileSync(layout.path('vmStatus'), 'utf8').trim() : '';
      const status = /^\d+$/.test(statusText) ? Number(statusText) : undefined;
      const why = new Error(timedOut ? 'timed out' : `qemu ended (${signal ?? `exit ${code}`}) before the mark`);
      for (const w of waiters.splice(0)) w.reject(why);
      resolve({ status, qemuCode: code, qemuSignal: signal, timedOut, stopped, tail: [...tail.last, ...qemuErr.slice(-5).map((l) => `qemu: ${l}`)], ms: Math.round(performance.now() - t0), marks });
    };
    child.on('exit', finish);
    child.on('error', (err) => {
      qemuErr.push(err.message);
      finish(null, null);
    });
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, o.timeoutMs);
  let stopping: Promise<VmExit> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        try {
          writeFileSync(layout.path('vmStop'), 'stop\n');
        } catch {
          // the run directory is gone: qemu gets SIGTERM below
        }
        // before the command started there is nothing to stop gracefully: qemu gets SIGTERM at once
        const commandStarted = marks.some((m) => m.text === 'command starts');
        const grace = commandStarted ? (o.graceMs ?? 15_000) : 0;
        if (!(await Promise.race([exited.then(() => true), delay(grace)]))) {
          child.kill('SIGTERM');
          if (!(await Promise.race([exited.then(() => true), delay(3000)]))) kill();
        }
      }
      return exited;
    })());
  const onAbort = () => void stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) onAbort();
  // a signal that outlives this VM (a matrix of kernels shares one) must not collect a listener per guest
  void exited.finally(() => o.signal?.removeEventListener('abort', onAbort));
  return { argv, pid: child.pid, booted, started, exited, stop, kill };
}

const delay = (ms: number) => new Promise<false>((r) => setTimeout(() => r(false), ms).unref());
