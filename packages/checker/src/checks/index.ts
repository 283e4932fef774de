import type { CheckDef } from '../framework.js';
import { authz } from './authz.js';
import { bpfIntake } from './bpf-intake.js';
import { cadence } from './cadence.js';
import { DECODE_CHECK } from './decode.js';
import { disableSend } from './disable-send.js';
import { dnsPort } from './dns-port.js';
import { health } from './health.js';
import { lifecycles } from './lifecycles.js';
import { socketStatsLive } from './socket-stats-live.js';
import { startupOrder } from './startup-order.js';
import { tapsAgree } from './taps-agree.js';
import { udpConservation } from './udp-conservation.js';
import { upstream } from './upstream.js';
import { wireFrames } from './wire-frames.js';
import { workload } from './workload.js';

/** Every check, in report order (the numbering; the checks of issue 14 item 12 after the first ten). */
export const allChecks: CheckDef[] = [DECODE_CHECK, startupOrder, tapsAgree, bpfIntake, lifecycles, workload, cadence, health, authz, upstream, wireFrames, socketStatsLive, udpConservation, dnsPort, disableSend];

export { DECODE_CHECK, decodeOutcome, type StreamStatus } from './decode.js';
