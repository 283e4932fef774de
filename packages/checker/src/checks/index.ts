import type { CheckDef } from '../framework.js';
import { authz } from './authz.js';
import { bpfIntake } from './bpf-intake.js';
import { cadence } from './cadence.js';
import { DECODE_CHECK } from './decode.js';
import { health } from './health.js';
import { lifecycles } from './lifecycles.js';
import { startupOrder } from './startup-order.js';
import { tapsAgree } from './taps-agree.js';
import { upstream } from './upstream.js';
import { workload } from './workload.js';

/** Every check, in report order (the numbering). */
export const allChecks: CheckDef[] = [DECODE_CHECK, startupOrder, tapsAgree, bpfIntake, lifecycles, workload, cadence, health, authz, upstream];

export { DECODE_CHECK, decodeOutcome, type StreamStatus } from './decode.js';
