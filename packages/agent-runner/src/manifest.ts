/**
 * The workload manifest: what `agent-runner workload` did, measured from the workload's own side. It is the
 * checker's oracle for the "workload" checks (docs/checker-facts.md §8 items 9-13) and is written to `manifest.json` in
 * a run directory (run-layout.ts). Also the simulated agent's fault switches, because a checker test needs both.
 *
 * Conventions (all of them chosen so the checker can match items in the recordings without guessing):
 * - Timestamps are `NsString`: decimal nanoseconds, Unix epoch, built exactly like the agent's own clock
 *   (docs/wire-format.md (e), docs/checker-facts.md §0 "Clock"): `CLOCK_MONOTONIC + adjustment`, where the adjustment
 *   (REALTIME − MONOTONIC) is sampled once when the workload starts and recorded in `clock`. The agent samples its
 *   own adjustment at *its* start, so both differ by at most the sampling error (~1 ms) plus NTP slew since then.
 *   To compare exactly, convert with `monotonic = ts − clock.adjustmentNs` and the agent's adjustment.
 * - Every item has `startNs` (taken just before the first syscall of the item) and `endNs` (just after the last
 *   one was observed to complete). The kernel's event timestamps lie inside [startNs, endNs] up to that clock
 *   offset: allow a tolerance of a few ms.
 * - Addresses are dotted IPv4 strings (the workload only uses 127.0.0.1); ports are host-order numbers. In the
 *   intake, `set_state_ipv4.dest/src` are raw u32 in network byte order and `dport/sport` host order
 *   (docs/checker-facts.md §1).
 * - Byte counts are what the sockets reported (`bytesWritten`/`bytesRead`), i.e. application payload, not headers.
 * - `comm` is what the kernel shows in /proc/<pid>/comm and in BPF `comm[16]` fields: at most 15 bytes.
 */

/** Decimal nanoseconds since the Unix epoch, on the agent's clock base (see the module comment). */
export type NsString = string;

/** Manifest format marker and version; bump the version on any incompatible change. */
export const MANIFEST_FORMAT = 'flowmill-workload-manifest';
export const MANIFEST_VERSION = 1;

/** File names inside a run directory (run-layout.ts fixes `manifest.json`; the event log is ours). */
export const MANIFEST_FILE = 'manifest.json';
/**
 * NDJSON event log the workload appends to while it runs (one `WorkloadEvent` per line, flushed per item), so the
 * simulated agent can emit telemetry for an item as soon as it happened (`agent-runner sim --manifest FILE`).
 */
export const MANIFEST_EVENTS_FILE = 'manifest.events.jsonl';

export interface Endpoint {
  /** Dotted IPv4 address, e.g. "127.0.0.1". */
  ip: string;
  /** Host-order port number. */
  port: number;
}

/** A socket's 4-tuple as seen from the socket's own side (local = the side that owns the socket). */
export interface FourTuple {
  local: Endpoint;
  remote: Endpoint;
}

/** A process the workload ran in or started. */
export interface ProcessRef {
  /** tgid (what BPF and the intake call `pid`). */
  pid: number;
  /** /proc/<pid>/comm at the time (≤ 15 bytes), e.g. "node". */
  comm: string;
}

export interface TimeSpan {
  startNs: NsString;
  endNs: NsString;
}

/** How the workload's timestamps were made (see module comment). */
export interface ClockInfo {
  /** Always this: CLOCK_MONOTONIC (process.hrtime.bigint) + adjustmentNs. */
  base: 'monotonic+realtime-adjustment';
  /** REALTIME − MONOTONIC in ns, sampled once at workload start. */
  adjustmentNs: NsString;
  /** The paired samples the adjustment came from. */
  monotonicAtStartNs: NsString;
  realtimeAtStartNs: NsString;
}

// The profile (input) is in workload/profile-types.ts; the resolved profile is echoed into the manifest.
export type { WorkloadProfile } from './workload/profile-types.js';
import type { WorkloadProfile } from './workload/profile-types.js';

// ---------------------------------------------------------------------------------------------------------------
// Items (output). Each array is in the order the items were done.

/**
 * One TCP connection to the workload's TCP server (docs/checker-facts.md §3.1). Expect per connection: a client
 * lifetime (new_sock_info, set_state_ipv4 tx_rx=1, dport=server.port) and an accepted lifetime (tx_rx=2,
 * sport=server.port), paired by 4-tuple (client local port = server remote port); client tx and server rx byte
 * totals ∈ {clientSentBytes, +1}, server tx and client rx ∈ {serverSentBytes, +1}.
 */
export interface TcpItem extends TimeSpan {
  /** 0-based index within `tcp`. */
  index: number;
  /** The connecting side. `tuple.remote` = the server's listening endpoint. */
  client: ProcessRef & { tuple: FourTuple };
  /** The accepted socket. `tuple.local` = the listening endpoint, `tuple.remote` = the client's endpoint. */
  server: ProcessRef & { tuple: FourTuple };
  clientSentBytes: number;
  clientReceivedBytes: number;
  serverSentBytes: number;
  serverReceivedBytes: number;
  /** When connect() completed (client side), between startNs and endNs. */
  connectedNs: NsString;
}

/**
 * One UDP client socket that sent `datagrams` datagrams of `bytesPerDatagram` bytes to the receiver
 * (docs/checker-facts.md §3.2). BPF tx Σ packets for that socket = sentDatagrams; intake udp_new_socket lport =
 * client.tuple.local.port; the first udp_stats_addr_changed_v4 raddr/rport = receiver. Bytes per packet at the
 * hook may include IP+UDP headers (+28): calibrate, don't assert the exact per-packet figure.
 */
export interface UdpItem extends TimeSpan {
  index: number;
  client: ProcessRef & { tuple: FourTuple };
  /** The receiving socket (bound to the receiver endpoint; tuple.remote = the client's endpoint). */
  server: ProcessRef & { tuple: FourTuple };
  sentDatagrams: number;
  bytesPerDatagram: number;
  receivedDatagrams: number;
  receivedBytes: number;
}

/** One DNS answer record. */
export interface DnsAnswer {
  type: 'A';
  address: string;
  ttl: number;
}

/**
 * One A lookup against the bundled responder (docs/checker-facts.md §3.3). Each lookup yields four dns_packets in BPF
 * (client send, server receive, server send, client receive) and — because the matcher ignores direction (§7 Q1)
 * — two dns_response with client_server=1 on the *server's* socket. Visible to the real agent only when
 * `server.port` is 53 (`visibleToAgent`).
 */
export interface DnsItem extends TimeSpan {
  index: number;
  /** Query id (16 bits) in the DNS header. */
  queryId: number;
  /** Full query name, no trailing dot, e.g. "q3.flowmill.test". */
  name: string;
  /** Query type (1 = A). */
  qtype: 1;
  /** DNS response code the responder sent (0 = NOERROR, 3 = NXDOMAIN). */
  rcode: number;
  answers: DnsAnswer[];
  client: ProcessRef & { tuple: FourTuple };
  server: ProcessRef & { tuple: FourTuple };
  /** Size in bytes of the query and of the response datagrams. */
  queryBytes: number;
  responseBytes: number;
  /** true when the responder is on port 53, the only port the agent's DNS probe looks at. */
  visibleToAgent: boolean;
}

/**
 * One child process (docs/checker-facts.md §3.4): pid_info with parent_pid = parent.pid and comm = parent.comm (the
 * fork happens before exec, §7 Q8), then pid_set_comm(pid, command[:15]) and pid_close(pid, command[:15]).
 */
export interface ProcessItem extends TimeSpan {
  index: number;
  pid: number;
  /** The comm after exec (= the executable's base name cut to 15 bytes). */
  comm: string;
  /** Full path that was exec'd. */
  path: string;
  argv: string[];
  /** The workload process that forked it (its pid and comm, which pid_info carries). */
  parent: ProcessRef;
  exitCode: number | null;
  signal: string | null;
}

/**
 * One HTTP/1.1 exchange on its own TCP connection (docs/checker-facts.md §3.5): http_response cs=0 on the client sk
 * and cs=1 on the server sk, code = status. These connections also show as TCP lifetimes (dport = server port).
 */
export interface HttpItem extends TimeSpan {
  index: number;
  method: string;
  path: string;
  status: number;
  client: ProcessRef & { tuple: FourTuple };
  server: ProcessRef & { tuple: FourTuple };
  /** Request and response bytes as written on each socket (headers + body). */
  requestBytes: number;
  responseBytes: number;
  /** When the server's handler saw the request and when it finished writing the response. */
  serverReceivedNs: NsString;
  serverRespondedNs: NsString;
  /** When the client got the first byte of the response (client latency ≈ this − startNs). */
  clientResponseNs: NsString;
}

/** The local servers the workload ran (all in the workload process, on 127.0.0.1). */
export interface WorkloadServers {
  tcp: Endpoint;
  udp: Endpoint;
  dns: Endpoint;
  http: Endpoint;
}

/** Which agent observed the run; the workload does not know, the caller (recipe / CLI) says. */
export interface AgentInfo {
  /** 'sim' = agent-runner's simulated agent; 'real' = the kernel collector; 'none' = nothing recorded. */
  kind: 'sim' | 'real' | 'none';
  era?: 'flowmill' | 'otel';
  /** Reported agent version, e.g. "0.9.4137" (sim: the version_info it sends). */
  version?: string;
  /** Binary path or docker image of a real agent. */
  binary?: string;
  image?: string;
}

export interface ToolVersions {
  /** @flowmill/agent-runner version that ran the workload. */
  agentRunner: string;
  /** The runtime's version: process.version under Node (e.g. "v20.20.0"), "deno 2.9.6" under Deno; and which runtime. */
  runtime: string;
  runtimeName: 'node' | 'deno' | 'unknown';
  /** Kernel release (os.release()), e.g. "6.1.0-18-amd64". */
  kernel: string;
  hostname: string;
}

export interface WorkloadManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /**
   * true when the telemetry recorded alongside this manifest came from the SIMULATED agent (agent-runner sim),
   * i.e. no kernel was observed. The workload's own actions are always real.
   */
  simulated: boolean;
  agent: AgentInfo;
  tools: ToolVersions;
  /** The profile used, after defaults and flags were applied. */
  profile: WorkloadProfile;
  clock: ClockInfo;
  /** ISO times, for people. */
  started: string;
  ended: string;
  /** Same instants on the agent's clock base. */
  startedNs: NsString;
  endedNs: NsString;
  /** The workload process (clients and servers all run in it; children are forked from it). */
  workload: ProcessRef;
  servers: WorkloadServers;
  tcp: TcpItem[];
  udp: UdpItem[];
  dns: DnsItem[];
  processes: ProcessItem[];
  http: HttpItem[];
}

/**
 * One line of `manifest.events.jsonl`. `start` carries everything known before the first item (the header
 * fields of WorkloadManifest except the item arrays and `ended*`); each item event carries one item as it
 * completes (`spawn` when a child has started); `end` carries the end times. Replaying the lines gives exactly the
 * final manifest.
 */
export type WorkloadEvent =
  | ({ type: 'start' } & Omit<WorkloadManifest, 'tcp' | 'udp' | 'dns' | 'processes' | 'http' | 'ended' | 'endedNs'>)
  | { type: 'tcp'; item: TcpItem }
  | { type: 'udp'; item: UdpItem }
  | { type: 'dns'; item: DnsItem }
  | { type: 'process'; item: ProcessItem }
  | { type: 'http'; item: HttpItem }
  /** A child exists and has exec'd (Node's spawn returns after the exec: libuv's uv_spawn); its `process` item
   * follows when it exits. Lets a consumer (the simulated agent) see the fork and exec as they happen. Not part of
   * the manifest. */
  | { type: 'spawn'; index: number; pid: number; comm: string; parent: ProcessRef; startNs: NsString; spawnedNs: NsString }
  | { type: 'end'; ended: string; endedNs: NsString };

// The simulated agent's fault switches live with the simulator (sim/fault-types.ts); the manifest's readers get them here too.
export type { MessageSelector, SimFaults, SimFaultRecord } from './sim/fault-types.js';
