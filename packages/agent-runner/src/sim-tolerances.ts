/**
 * Checker tolerances for a simulated agent whose timers run `scale` times the agent's: the heartbeat period
 * (kernel_collector.cc@3598385a:271-322, 2 s) and the probe-load gap scale; the gap window is half a period below
 * and `maxGapPeriods` (default three quarters) above: room for a busy event loop, still short of the two periods a
 * skipped heartbeat leaves. `agent-runner sim --time-scale X --run-dir DIR` writes them as DIR/check-config.json,
 * where the checker's `--run-dir` finds them; the recipe checks its simulated runs with the same values.
 */
export function scaledCadence(scale: number, maxGapPeriods = 1.75): { cadence: Record<string, number> } {
  const hb = 2000 * scale;
  return { cadence: { heartbeatMs: hb, heartbeatMinGapMs: hb / 2, heartbeatMaxGapMs: hb * maxGapPeriods, probeLoadMaxGapMs: 130_000 * scale + 1000 } };
}
