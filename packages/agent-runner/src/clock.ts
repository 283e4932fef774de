import type { ClockInfo } from './manifest.js';

/**
 * The agent's clock construction (docs/wire-format.md (e); docs/checker-facts.md §0 "Clock"): CLOCK_MONOTONIC ns plus
 * REALTIME − MONOTONIC sampled once at start. Node's process.hrtime.bigint() is CLOCK_MONOTONIC on Linux.
 */
export class AgentClock {
  readonly adjustmentNs: bigint;
  readonly monotonicAtStartNs: bigint;
  readonly realtimeAtStartNs: bigint;
  constructor(private readonly mono: () => bigint = () => process.hrtime.bigint(), realtimeNs: () => bigint = defaultRealtimeNs) {
    this.monotonicAtStartNs = mono();
    this.realtimeAtStartNs = realtimeNs();
    this.adjustmentNs = this.realtimeAtStartNs - this.monotonicAtStartNs;
  }
  /** Now, on the agent's clock base. */
  now(): bigint { return this.mono() + this.adjustmentNs; }
  info(): ClockInfo {
    return {
      base: 'monotonic+realtime-adjustment',
      adjustmentNs: String(this.adjustmentNs),
      monotonicAtStartNs: String(this.monotonicAtStartNs),
      realtimeAtStartNs: String(this.realtimeAtStartNs),
    };
  }
}

/** Realtime ns with sub-ms resolution: performance.timeOrigin (ms since epoch, fractional) + performance.now(). */
function defaultRealtimeNs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6));
}

export function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}
