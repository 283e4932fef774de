import type { CheckDef } from '../framework.js';
import { authz } from './authz.js';
import { bpfIntake } from './bpf-intake.js';
import { cadence } from './cadence.js';
import { health } from './health.js';
import { lifecycles } from './lifecycles.js';
import { startupOrder } from './startup-order.js';
import { tapsAgree } from './taps-agree.js';
import { upstream } from './upstream.js';
import { workload } from './workload.js';

/** Built into the runner: every given input decodes completely (checker-facts.md §8.1). */
export const DECODE_CHECK: CheckDef = {
  id: 'decode',
  title: 'every input decodes completely: known ids, right lengths, no trailing bytes; manifest and authz log parse',
  needs: [],
  create() {
    throw new Error('decode is run by the runner');
  },
};

/** Every check, in report order (the numbering). */
export const allChecks: CheckDef[] = [DECODE_CHECK, startupOrder, tapsAgree, bpfIntake, lifecycles, workload, cadence, health, authz, upstream];
