import { scaledCadence } from '@flowmill/agent-runner';

/**
 * Checker tolerances for the simulated agent at time scale `scale`: agent-runner's scaledCadence (the values
 * `agent-runner sim --time-scale` writes too), so a run checked by the recipe and re-checked by hand agree.
 */
export function scaledTolerances(scale: number): { cadence: Record<string, number> } {
  return scaledCadence(scale);
}
