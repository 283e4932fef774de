/**
 * The agent's timers (agent ms; a live sim multiplies them by its time scale), with where each comes from.
 * - heartbeat 2 s and probe hold-off 2 s, both started at authentication, the hold-off first
 *   (kernel_collector.cc@3598385a:271-277, main:252-258);
 * - polls every 100 ms and 1 s (enter_polling_state, kernel_collector.cc@3598385a:689-704);
 * - nic_stats at most every 5 s (nic_poller.cc@3598385a:26);
 * - first connect after 5 s, every retry after max(5 s, 120 s since the last probe load) plus 0-10 s jitter
 *   (enter_try_connecting, kernel_collector.cc@3598385a:626-652, inter_probe_time_ns_ :46);
 * - compile and probe load: not a timer but the time T the hold-off callback blocks the loop on a real kernel
 *   (seconds there); `compileMs` until bpf_compiled, `probeLoadMs` for load_probes (bpf_handler.cc@3598385a:69-316).
 */
export const TIMERS = {
  heartbeatMs: 2000, holdOffMs: 2000, fastPollMs: 100, slowPollMs: 1000, nicStatsMs: 5000,
  connectDelayMs: 5000, connectJitterMs: 10_000, minSinceProbeLoadMs: 120_000, compileMs: 300, probeLoadMs: 900,
} as const;

/** OpenTelemetry --socket-stats-interval-sec default (entrypoint.cc:284-285 in main); Flowmill: 1 s slots. */
export const OTEL_SOCKET_STATS_INTERVAL_S = 10;

/** The events perf ring's wake-up watermark, per CPU: 512 pages of 4 KiB (probe_handler.cc@3598385a:33-34,119). */
export const RING_WATERMARK_BYTES = 512 * 4096;

/**
 * When the next connection attempt may start (enter_try_connecting): at least the retry timeout, and not before
 * 120 s after the last probe load began, plus the jitter.
 */
export function reconnectDelayMs(nowMs: number, lastProbeLoadMs: number | undefined, jitterMs: number): number {
  const since = lastProbeLoadMs === undefined ? Infinity : nowMs - lastProbeLoadMs;
  return Math.max(TIMERS.connectDelayMs, TIMERS.minSinceProbeLoadMs - since) + jitterMs;
}
