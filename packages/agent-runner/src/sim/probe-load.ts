import type { Era } from './encoding.js';
import type { HostView } from './host.js';
import type { SimKernel } from './kernel.js';
import type { SessionIO } from './session-io.js';
import type { IntakeConn } from './conn.js';

/**
 * The steps of the hold-off callback after compiling (BPFHandler::load_probes, bpf_handler.cc@3598385a:69-316):
 * each prober or group of probes ends with one poll, and every poll flushes (buffered_poller.cc@3598385a:225), so
 * the steady-state markers travel in separate frames. A step returns the markers it writes after its poll's
 * samples; the caller polls (and flushes) after each step.
 */
export function loadSteps(era: Era, kernel: SimKernel, io: SessionIO, host: HostView, conn: IntakeConn, now: () => bigint): (() => void)[] {
  const steps: (() => void)[] = [];
  // CgroupProber: Flowmill scans cgroup v1 only (cgroup_prober.cc@3598385a:55-72), nothing on a v2-only host;
  // OpenTelemetry also scans v2, one existing_cgroup_probe per directory, a poll after each (cgroup_prober.cc in main)
  if (era === 'otel') {
    const dirs = host.cgroups();
    dirs.forEach((_d, i) => steps.push(() => { if (i === 0) kernel.scanCgroups(now(), dirs); }));
  }
  steps.push(() => {});
  // ProcessProber: every process existing now, one pid_info each in /proc order (process_prober.cc@3598385a:60-84,
  // render_bpf.c@3598385a:594-624): the live host's /proc, or the fixed host's seeded machine
  steps.push(() => {
    const t = now();
    host.tasks().forEach((task, i) => kernel.scanProcess(t + BigInt(i), task.pid, task.comm, task.ppid));
  });
  steps.push(() => {}); // NatProber
  steps.push(() => {}); // the poll after the probers (bpf_handler.cc@3598385a:88-92)
  // process_steady_state is written after that poll, so it leads the socket scan's frame
  steps.push(() => {
    io.w('process_steady_state', { time: 0n });
    // SocketProber: the agent's own intake connection is an existing TCP socket
    if (conn.local && conn.remote && conn.ipv4) kernel.scanIntakeSocket(now(), host.pid, conn.local, conn.remote, conn.bytesWritten(), conn.bytesRead());
  });
  steps.push(() => {}); // the poll after the socket prober
  steps.push(() => io.w('socket_steady_state', { time: 0n })); // then the rtt, syn-timeout and reset probes
  steps.push(() => {}); // tcp steady-state probes
  steps.push(() => {}); // udp steady-state probes
  steps.push(() => {}); // end of load_probes
  return steps;
}
