/**
 * Checker tolerances for a simulated agent whose timers run `scale` times the agent's: the heartbeat period
 * (agent-protocol.md §2.4 step 7: 2 s) and the probe-load gap scale. The gap window is half a period either way:
 * wide enough for the event loop the in-process agent shares with the workload (250 ms at the default scale), and
 * still narrow enough that one skipped heartbeat (a gap of two periods) fails.
 */
export function scaledTolerances(scale: number): object {
  const hb = 2000 * scale;
  return { cadence: { heartbeatMs: hb, heartbeatMinGapMs: hb / 2, heartbeatMaxGapMs: hb * 1.5, probeLoadMaxGapMs: 130_000 * scale + 1000 } };
}
