import type { NsString } from '../manifest.js';

// Simulated agent fault switches (for testing the checker). Every applied fault is logged by the sim as one NDJSON
// line `{"fault": ..., ...}` (SimFaultRecord) on its log stream and kept in `SimAgent.stats.faults`.

/** Which messages a fault applies to. */
export interface MessageSelector {
  /** Render message name in the stream the fault acts on, e.g. "pid_set_comm", "heartbeat", "new_sock_created". */
  name: string;
  /** 1-based occurrences of that name (within the whole run, all sessions); omitted = every occurrence. */
  nth?: number[];
  /**
   * Where: 'intake' = the TLS stream (and with it the record file, which gets the same records),
   * 'bpf' = the BPF dump only. Default 'intake'.
   */
  stream?: 'intake' | 'bpf';
}

export interface SimFaults {
  /** Leave the selected messages out. */
  drop?: MessageSelector[];
  /** Send the selected messages twice, back to back. */
  duplicate?: MessageSelector[];
  /** Swap each selected message with the next message in the same stream. */
  reorder?: MessageSelector[];
  /**
   * Damage the selected messages so a decoder must notice: the rpc_id is replaced by 0, an id in no app's range.
   * Applied before LZ4, so the frames stay valid and the damage shows in the decoded stream.
   */
  corrupt?: MessageSelector[];
  /**
   * Lose BPF samples like a full perf ring: the selected agent_internal messages are written neither to the dump
   * nor translated, and the next slot rollover sends `bpf_lost_samples(count)` (docs/checker-facts.md §1 last row).
   * `name` is the agent_internal name, `stream` is ignored.
   */
  loseBpf?: MessageSelector[];
  /** Skip these heartbeats (1-based occurrence), leaving a ~4 s gap (docs/checker-facts.md §4). */
  skipHeartbeat?: number[];
  /**
   * Send this token in authz_authenticate instead of the one mock-authz issued (for the checker's authz check).
   * Flowmill era only.
   */
  wrongToken?: string;
}

/** One applied fault, as logged. */
export interface SimFaultRecord {
  fault: 'drop' | 'duplicate' | 'reorder' | 'corrupt' | 'loseBpf' | 'skipHeartbeat' | 'wrongToken';
  /** Message name (or 'heartbeat' / 'authz_authenticate'). */
  name: string;
  /** 1-based occurrence of that name. */
  nth: number;
  stream: 'intake' | 'bpf';
  /** The message's timestamp. */
  timestampNs: NsString;
  /** 0-based connection (session) number. */
  session: number;
}
