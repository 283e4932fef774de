import { readFile } from 'node:fs/promises';
import { MissingInputError, UsageError } from './errors.js';
import { shapeOfExample, shapeProblem } from '@flowmill/agent-runner';
import { deepMerge, defaultTolerances, presets, type Tolerances } from './tolerances.js';

/** Tolerances for a preset plus an override (object or JSON file), validated. */
export async function resolveTolerances(preset = 'default', config?: string | object): Promise<Tolerances> {
  const p = presets[preset];
  if (!p) throw new UsageError(`unknown preset: ${preset}: expected one of ${Object.keys(presets).join(', ')}`);
  let tol = deepMerge(defaultTolerances, p);
  if (config === undefined) return tol;
  let over: unknown = config;
  if (typeof config === 'string') {
    let text: string;
    try {
      text = await readFile(config, 'utf8');
    } catch (err) {
      throw new MissingInputError('config', config, (err as Error).message, { cause: err });
    }
    try {
      over = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`cannot use the config: ${config}: not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  // one shape, derived from the defaults: an unknown key or a wrong type names its path and the valid keys
  const bad = shapeProblem(over, shapeOfExample(defaultTolerances, ['minCounts']));
  if (bad) throw new UsageError(`cannot use the config: ${typeof config === 'string' ? config : 'object'}: ${bad}`);
  tol = deepMerge(tol, over);
  return tol;
}
