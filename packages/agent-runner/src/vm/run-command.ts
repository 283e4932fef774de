/**
 * One guest run to the end: boot, the command, power-off; then the kernel's own view is read back from the run
 * share. Throws GuestTimeoutError or GuestFailedError (with the console's last lines) unless the command exited 0.
 */
import { runLayout } from '../run-layout.js';
import { startVm, type BootOptions, type Vm, type VmExit } from './boot.js';
import { GuestFailedError, GuestTimeoutError } from './errors.js';
import { writeKernelView, type KernelView } from './kernel-view.js';

export interface VmRunResult {
  exit: VmExit;
  view?: KernelView;
  /** Boot to the command's start, from the guest's uptime marks (s). */
  bootSeconds?: number;
}

/** Turns a finished guest into a result, or the error that says why it failed. */
export function vmOutcome(o: Pick<BootOptions, 'runDir' | 'kernel' | 'timeoutMs'>, exit: VmExit): VmRunResult {
  const view = writeKernelView(o.runDir, o.kernel.release);
  const console = runLayout(o.runDir).path('vmConsole');
  if (exit.timedOut) throw new GuestTimeoutError(`the guest (${o.kernel.release}) to power off`, o.timeoutMs, exit.tail);
  if (exit.status === undefined) throw new GuestFailedError(`no exit status: qemu ${exit.qemuSignal ?? `exit ${exit.qemuCode}`}${exit.stopped ? ' after a stop request' : ''}`, exit.tail, console);
  if (exit.status !== 0 && !exit.stopped) throw new GuestFailedError(`the command exited ${exit.status}`, exit.tail, console);
  const start = exit.marks.find((m) => m.text === 'command starts');
  return { exit, view, bootSeconds: start?.uptime };
}

export async function runVm(o: BootOptions, started?: (vm: Vm) => void): Promise<VmRunResult> {
  const vm = await startVm(o);
  started?.(vm);
  return vmOutcome(o, await vm.exited);
}
