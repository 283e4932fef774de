/**
 * Every threshold and tolerance the checks use, in one declarative object. A user overrides any part with
 * `--config FILE` (JSON, deep-merged over the preset; arrays replace). Sources: docs/checker-facts.md (§ numbers below),
 * docs/agent-protocol.md. Times in milliseconds unless the name says otherwise.
 */
export interface Tolerances {
  report: {
    /** Evidence items kept per check (the figures still count all of them). */
    maxEvidence: number;
    /** Width of a timeline bin in the HTML plot; 0 = pick so the run spans ~120 bins. */
    timelineBinMs: number;
    /** Message types shown per timeline lane (the busiest). */
    timelineTypes: number;
  };
  decode: {
    /** A record cut off by the end of the file is tolerated (the agent or sink stopped mid-write; §8.1). */
    allowTruncatedTail: boolean;
  };
  startup: {
    /** Once-only metadata messages that must precede metadata_complete (docs/agent-protocol.md §2.4 steps 3-6). */
    metadata: string[];
    /** Once-only steady-state markers in this order after metadata_complete (docs/checker-facts.md §5 O1). */
    markers: string[];
    /** A segment cut short before all markers (e.g. the run stopped during probe load) fails unless this is true. */
    allowIncompleteLastSegment: boolean;
  };
  taps: {
    /** The record file is written after the network send (§0), so it may lack the last flush when the agent was killed. */
    allowRecordShorterBytes: number;
  };
  bpfIntake: {
    /** Latency histogram bucket upper bounds (ms); one more bucket collects the rest. */
    latencyBucketsMs: number[];
    /** Userspace-stamped records derived from a sample may not precede it by more than this (clock granularity). */
    derivedSkewMs: number;
    /** BPF samples this long after the last intake record of a session are "in flight at stop", not orphans. */
    tailGraceMs: number;
    /** A slow-poll dns_timeout comes 10 s after its request plus up to this (a 1 s poll + slack; §3.3 says ~1.2 s). */
    dnsTimeoutLateMs: number;
    /**
     * The stats slot: null = the era's (1 s Flowmill, buffered_poller.cc@3598385a:75; 10 s OpenTelemetry main, its
     * --socket-stats-interval-sec default, entrypoint.cc@main:284). Set it when the agent ran with another interval.
     */
    statsSlotMs: number | null;
    /** socket-stats-live: how much later than one slot a live socket's bytes may reach the intake (poll + load). */
    statsLagSlackMs: number;
  };
  lifecycles: {
    /** reset_tcp_counters always writes new_sock_info, so a second start for a tracked sk is possible (§1, L1). */
    allowDuplicateTcpStart: boolean;
    /** clone_children can be read by others during the scan: duplicate cgroup_create (§5 L4). */
    allowDuplicateCgroupCreate: boolean;
    /** cgroup v2 hosts get no existing-cgroup scan (§7 Q7), so a close may name a cgroup never created. */
    allowCgroupCloseWithoutCreate: boolean;
    /** pid_set_comm before pid_info_create while the initial process scan runs (before process_steady_state) is a race, not a bug (§2.6b). */
    allowScanRaces: boolean;
    /**
     * How long a process record read before its pid_info_create may wait for it: samples from different CPUs are read
     * a poll apart at worst (perf_reader.cc@3598385a:172-194, 100 ms fast poll), so the start carries the earlier
     * timestamp but arrives later. Counted as processReadOutOfOrder, not failed.
     */
    reorderWindowMs: number;
  };
  workload: {
    /** A manifest item matches spans that start within its [startNs, endNs] widened by this (clocks differ, §0). */
    matchWindowMs: number;
    /** TCP byte totals may exceed the workload's by this many bytes (a FIN counted before the close, §3.1). */
    tcpBytesSlack: number;
    /** Bytes added per UDP datagram on the tx hook (IP + UDP headers, §3.2); null = only check they are constant. */
    udpTxHeaderBytes: number | null;
    /** Exact process count (true) or a lower bound (false); system() adds a shell (§3.4). */
    exactProcesses: boolean;
  };
  cadence: {
    /** Heartbeat period (docs/agent-protocol.md §2.4 step 7; collector/constants.h). */
    heartbeatMs: number;
    /**
     * Allowed gap range around the period (shorter by timers run first, longer while the loop is busy). The one gap
     * outside it is the short one after the probe load (see checks/cadence.ts).
     */
    heartbeatMinGapMs: number;
    heartbeatMaxGapMs: number;
    /**
     * The longest BPF compile + probe load accepted, from the earliest the hold-off can fire (version_info + one
     * period) to collector_health (kernel_collector.cc@3598385a:279-322). Heartbeats wait for it; they have no long gap.
     */
    probeLoadMaxGapMs: number;
  };
  health: {
    /** Σ bpf_lost_samples.count allowed (§8.15). */
    maxLostSamples: number;
    /** bpf_log records allowed, intake and dump (the otel test requires 0, §6). */
    maxBpfLog: number;
    /** log_message levels at or above this fail after begin_telemetry (spdlog: 3 warn, 4 err, 5 critical). */
    failLogLevel: number;
    /** Reconnects (segments - 1) allowed (§8.15 "no reconnect"). */
    maxReconnects: number;
  };
  disableSend: {
    /** After DISABLE_SEND reached the agent, a slow poll already running may still write (one 1 s period + slack). */
    graceMs: number;
  };
  authz: {
    /** Slack between the agent's clock and mock-authz's when comparing issue/expiry times (seconds). */
    clockSkewS: number;
  };
  upstream: {
    /** Only the `upstream` preset turns this check on. */
    enabled: boolean;
    /** Lower bounds by intake message name (otel collector/kernel/kernel_collector_test.cc, docs/checker-facts.md §6). */
    minCounts: Record<string, number>;
    /** The test's stop checks: bpf_log count == 0. */
    maxBpfLog: number;
  };
}

export const defaultTolerances: Tolerances = {
  report: { maxEvidence: 20, timelineBinMs: 0, timelineTypes: 12 },
  decode: { allowTruncatedTail: true },
  startup: {
    metadata: ['os_info', 'report_cpu_cores', 'kernel_headers_source', 'cloud_platform', 'set_node_info'],
    markers: ['bpf_compiled', 'system_wide_process_settings', 'process_steady_state', 'socket_steady_state', 'begin_telemetry', 'collector_health'],
    allowIncompleteLastSegment: false,
  },
  taps: { allowRecordShorterBytes: 0 },
  bpfIntake: {
    latencyBucketsMs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    derivedSkewMs: 0,
    tailGraceMs: 1000,
    dnsTimeoutLateMs: 2500,
    statsSlotMs: null,
    statsLagSlackMs: 1000,
  },
  lifecycles: { allowDuplicateTcpStart: true, allowDuplicateCgroupCreate: true, allowCgroupCloseWithoutCreate: true, allowScanRaces: true, reorderWindowMs: 1000 },
  workload: { matchWindowMs: 1000, tcpBytesSlack: 1, udpTxHeaderBytes: null, exactProcesses: true },
  cadence: { heartbeatMs: 2000, heartbeatMinGapMs: 1800, heartbeatMaxGapMs: 2500, probeLoadMaxGapMs: 130_000 },
  health: { maxLostSamples: 0, maxBpfLog: 0, failLogLevel: 4, maxReconnects: 0 },
  disableSend: { graceMs: 1500 },
  authz: { clockSkewS: 5 },
  upstream: {
    enabled: false,
    minCounts: {
      bpf_compiled: 1, begin_telemetry: 1, cloud_platform: 1, metadata_complete: 1, os_info: 1, process_steady_state: 1,
      set_config_label: 1, set_node_info: 1, socket_steady_state: 1,
      dns_response: 10, http_response: 10,
      pid_close_info: 5, pid_info_create: 5, pid_set_comm: 5, set_cgroup: 5, set_command: 5, set_tgid: 5,
      close_sock_info: 100, new_sock_info: 100, socket_stats: 100,
    },
    maxBpfLog: 0,
  },
};

/** Presets: named partial overrides of the defaults. */
export const presets: Record<string, DeepPartial<Tolerances>> = {
  default: {},
  // Reproduces kernel_collector_test.cc's `binary` test: its count thresholds and bpf_log == 0 (docs/checker-facts.md §6).
  upstream: { upstream: { enabled: true } },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays too) replaces. Returns a new object. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlain(over) || !isPlain(base)) return (over === undefined ? structuredClone(base) : over) as T;
  const out: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) out[k] = k in out && isPlain(out[k]) ? deepMerge(out[k], v) : structuredClone(v);
  return out as T;
}

/** Unknown keys in an override are almost always typos: name them. Returns the dotted paths. */
export function unknownKeys(base: unknown, over: unknown, prefix = ''): string[] {
  if (!isPlain(over) || !isPlain(base)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(over)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!(k in base)) {
      // minCounts is an open map of message names.
      if (!prefix.endsWith('minCounts')) out.push(path);
    } else out.push(...unknownKeys(base[k], v, path));
  }
  return out;
}
