/**
 * bpf-recorder's JSON report (bpf/recorder/report.c): what attached, what the existing-state walks touched, the
 * sample counters and the guest's clock at ready and first sample. Read back here for summaries and checks.
 */
import { readFileSync } from 'node:fs';
import { AgentRunnerError, MissingInputError } from '../errors.js';

export interface ProbeAttach {
  /** The collector's prober: cgroup, process, nat, socket, steady (bpf_handler.cc@68f0c23f:79-239). */
  phase: string;
  kind: 'kprobe' | 'kretprobe';
  program: string;
  function: string;
  /** The ProbeAlternatives group it belongs to, or null. */
  alternatives: string | null;
  attached: boolean;
  /** Detached once the existing-state walk that needed it was done (as the collector does). */
  removed_after_walk: boolean;
  error: string | null;
}

export interface AttachReport {
  /** `uname -r` of the kernel the programs ran on. */
  kernel: string;
  status: string;
  error: string | null;
  /** As the collector counts them: a group of alternatives fails once, when none of it attached. */
  probes_attached: number;
  probes_failed: number;
  probes: ProbeAttach[];
  tail_calls: { index: number; program: string; error: string | null }[];
  walks: {
    tasks: number; socket_inodes: number; inode_update_failures: number; network_namespaces: number; proc_net_files: number; cgroups: number;
    conntrack_dump_error: string | null;
    /** Every process the get_pid_task walk touched: each must get a pid_info. */
    existing_tgids: number[];
  };
  samples: number;
  bytes: number;
  lost_samples: number;
  malformed_samples: number;
  /** Samples the per-CPU merge put back in timestamp order. */
  arrived_out_of_order: number;
  /** Samples written after one with a later timestamp: they reached their ring later than the reorder window. */
  written_out_of_order: number;
  cpus: number;
  boot_time_adjustment_ns: number;
  /** CLOCK_BOOTTIME (since the guest booted) when the probes were all attached, the first sample came, the recorder stopped. */
  ready_boottime_ns: number;
  first_sample_boottime_ns: number;
  end_boottime_ns: number;
}

/** The report is not the recorder's JSON. */
export class AttachReportError extends AgentRunnerError {
  constructor(readonly path: string, why: string) {
    super('ERR_CORRUPT', `bad attach report: ${path}: ${why}`);
  }
}

export function readAttachReport(path: string): AttachReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MissingInputError(path, (err as Error).message, { cause: err });
  }
  let r: AttachReport;
  try {
    r = JSON.parse(text) as AttachReport;
  } catch (err) {
    throw new AttachReportError(path, (err as Error).message);
  }
  if (typeof r?.kernel !== 'string' || !Array.isArray(r.probes) || typeof r.samples !== 'number') throw new AttachReportError(path, 'not bpf-recorder\'s report (kernel, probes, samples)');
  return r;
}

export interface AttachSummary {
  kernel: string;
  attached: number;
  failed: number;
  /** `kprobe kill_css` for single probes, `kill_css: kill_css|css_clear_dir|…` for a group where none attached. */
  failedProbes: string[];
  /** Alternatives that did not attach while a later one of their group did: `kill_css [kill_css]`. */
  fellBack: string[];
  samples: number;
  lost: number;
  outOfOrderFixed: number;
  bootToReadyMs: number;
  bootToFirstSampleMs: number | null;
}

export function summarizeAttach(r: AttachReport): AttachSummary {
  const failedProbes: string[] = [];
  const fellBack: string[] = [];
  const groups = new Map<string, ProbeAttach[]>();
  for (const p of r.probes) {
    if (p.alternatives === null) {
      if (!p.attached) failedProbes.push(`${p.kind} ${p.function}`);
      continue;
    }
    const g = groups.get(p.alternatives) ?? [];
    g.push(p);
    groups.set(p.alternatives, g);
  }
  for (const [name, g] of groups) {
    if (g.some((p) => p.attached)) fellBack.push(...g.filter((p) => !p.attached).map((p) => `${p.function} [${name}]`));
    else failedProbes.push(`${name}: ${g.map((p) => p.function).join('|')}`);
  }
  return {
    kernel: r.kernel,
    attached: r.probes_attached,
    failed: r.probes_failed,
    failedProbes,
    fellBack,
    samples: r.samples,
    lost: r.lost_samples,
    outOfOrderFixed: r.arrived_out_of_order,
    bootToReadyMs: Math.round(r.ready_boottime_ns / 1e6),
    bootToFirstSampleMs: r.first_sample_boottime_ns ? Math.round(r.first_sample_boottime_ns / 1e6) : null,
  };
}
