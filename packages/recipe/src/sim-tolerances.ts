/**
 * Checker tolerances for a simulated agent whose timers run `scale` times the agent's: the heartbeat period
 * (docs/agent-protocol.md §2.4 step 7: 2 s) and the probe-load gap scale. The gap window is half a period below and
 * three quarters above: room for the event loop the in-process agent shares with the workload (375 ms at the
 * default scale, on a loaded 2-core box), still short of the two periods a skipped heartbeat leaves.
 */
export function scaledTolerances(scale: number): object {
  const hb = 2000 * scale;
  return { cadence: { heartbeatMs: hb, heartbeatMinGapMs: hb / 2, heartbeatMaxGapMs: hb * 1.75, probeLoadMaxGapMs: 130_000 * scale + 1000 } };
}
