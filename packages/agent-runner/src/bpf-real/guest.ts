/**
 * The real BPF half in a guest: the shell that starts bpf-recorder before the workload, waits until every probe is
 * attached and the existing-state walks are done (its ready file), runs the command, then stops the recorder with
 * SIGTERM so it flushes the dump and writes its report. The recorder writes into the run directory, which the VM
 * runner shares read-write at the same path; the build directory is shared read-only.
 */
import { RUN_FILES } from '../run-layout.js';
import type { BpfBuild } from './build.js';
import { join } from 'node:path';

/**
 * Modules the agent's NAT probes need: nf_conntrack (the VM runner loads its dependencies, crc32c included) and
 * nf_conntrack_netlink, whose conntrack table dump is the NatProber's existing-state walk and whose ctnetlink_dump_*
 * functions its kprobe alternatives attach to (nat_prober.cc@68f0c23f:20-160).
 */
export const BPF_GUEST_MODULES = ['nf_conntrack', 'nf_conntrack_netlink'] as const;
/** How long the guest waits for the recorder to be ready (TCG: load and verify ~100 programs, walk /proc). */
export const RECORDER_READY_TIMEOUT_S = 120;

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface RecorderGuestOptions {
  build: Pick<BpfBuild, 'dir' | 'recorder'>;
  runDir: string;
  /** Replace an existing dump and report. */
  force?: boolean;
  /** bpf-recorder's --filter-ns (default the collector's 1 s). */
  filterNs?: number;
}

/** What the VM runner must give the guest: the build directory (read-only) and the modules. */
export function recorderGuestNeeds(o: RecorderGuestOptions): { readOnly: string[]; modules: string[] } {
  return { readOnly: [o.build.dir], modules: [...BPF_GUEST_MODULES] };
}

/**
 * `command` wrapped so bpf-recorder runs around it. The wrapped command's exit status is the command's; a recorder
 * that fails to start (it cannot load, exit 69) stops everything before the command runs, its log in the run directory.
 */
export function withRecorder(command: string, o: RecorderGuestOptions): string {
  const run = (f: keyof typeof RUN_FILES) => sq(join(o.runDir, RUN_FILES[f]));
  const ready = '/tmp/flowmill-bpf-recorder.ready';
  const args = [sq(o.build.recorder), '--out', run('bpf'), '--report', run('bpfAttach'), '--ready-file', ready];
  if (o.force) args.push('--force');
  if (o.filterNs !== undefined) args.push('--filter-ns', String(o.filterNs));
  return [
    '# bpf-recorder: the agent\'s own BPF programs, recording around the command (agent-runner bpf-real/guest.ts)',
    `rm -f ${ready}; ${args.join(' ')} 2> ${run('bpfRecorderLog')} & FLOWMILL_BPF=$!`,
    `i=0; while [ ! -e ${ready} ]; do`,
    `  kill -0 $FLOWMILL_BPF 2>/dev/null || { echo "bpf-recorder failed: $(tail -n 1 ${run('bpfRecorderLog')})" >&2; wait $FLOWMILL_BPF; exit 69; }`,
    `  i=$((i+1)); [ $i -le ${RECORDER_READY_TIMEOUT_S * 10} ] || { echo 'bpf-recorder: not ready after ${RECORDER_READY_TIMEOUT_S} s' >&2; kill -TERM $FLOWMILL_BPF; wait $FLOWMILL_BPF; exit 75; }`,
    '  sleep 0.1',
    'done',
    `echo "bpf-recorder: ready: $(cat ${ready})" >&2`,
    `( ${command}`,
    '); FLOWMILL_RC=$?',
    'kill -TERM $FLOWMILL_BPF; wait $FLOWMILL_BPF; FLOWMILL_BPF_RC=$?',
    '[ $FLOWMILL_BPF_RC = 0 ] || echo "bpf-recorder: exit $FLOWMILL_BPF_RC" >&2',
    'exit $FLOWMILL_RC',
  ].join('\n');
}

/**
 * The same as `withRecorder`, as hooks for a guest script the VM runner generates (vm/agent-guest.ts, whose every
 * end is an `exit N`): `before` starts the recorder and waits for it, and an EXIT trap stops it with SIGTERM and
 * waits for its flush when the script ends. The guest must see `build.dir` (recorderGuestNeeds) and the script's
 * agent must not write the BPF dump itself.
 */
export function recorderHooks(o: RecorderGuestOptions): { before: string[]; afterReady: string[]; beforeStop: string[] } {
  const lines = withRecorder('true', o).split('\n');
  const start = [...lines.slice(0, lines.indexOf('( true')), "trap 'kill -TERM $FLOWMILL_BPF 2>/dev/null; wait $FLOWMILL_BPF 2>/dev/null' EXIT"];
  return {
    before: start,
    // a live userspace (sim --bpf-follow) starts the recorder where the collector loads its probes: once its intake
    // session is up (kernel_collector.cc@68f0c23f:271-322), so the walks find its own connection as an existing socket
    afterReady: start,
    // a live userspace following the dump (sim --bpf-follow) reads its last samples before it is stopped: the
    // recorder flushes on SIGTERM, then the agent's 100 ms poll (sim/timing.ts) has half a second to take them
    beforeStop: ['kill -TERM $FLOWMILL_BPF; wait $FLOWMILL_BPF', 'sleep 0.5'],
  };
}
