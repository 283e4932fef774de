/**
 * The workload profile (input): sizes and counts; `agent-runner workload` resolves it (profile.ts) and echoes the
 * resolved profile into the manifest (manifest.ts). References to docs/checker-facts.md are to the docs' numbering.
 */
export interface WorkloadProfile {
  /** Label for reports, e.g. "default" or the profile file's base name. */
  name: string;
  tcp: {
    /** N connections, one after another (or `concurrency` at a time). */
    connections: number;
    /** C: bytes the client sends on each connection. Must be a multiple of 4 (docs/checker-facts.md §7 Q3). */
    clientBytes: number;
    /** S: bytes the server replies after it has read all C bytes. Must be a multiple of 4 (§7 Q3). */
    serverBytes: number;
    /** Server port; 0 = any free port (recorded in the manifest). */
    port: number;
  };
  udp: {
    /** M datagrams from one client socket. */
    datagrams: number;
    /** B payload bytes per datagram (constant). */
    bytes: number;
    /** Q: receiver port; 0 = any. */
    port: number;
  };
  dns: {
    /** K lookups (A queries), each for a distinct name `q<i>.<domain>`. */
    lookups: number;
    /** Test domain the bundled responder is authoritative for, e.g. "flowmill.test". */
    domain: string;
    /** Responder port. The agent only sees DNS on port 53 (docs/checker-facts.md §3.3), which needs root; 0 = any. */
    port: number;
  };
  processes: {
    /** P short-lived single-threaded children (single-threaded: docs/checker-facts.md §7 Q2). */
    count: number;
    /** Command name X the children exec (a copy of a tiny single-threaded binary under that name); ≤ 15 bytes. */
    command: string;
  };
  http: {
    /** H requests, each on its own TCP connection (Connection: close). */
    requests: number;
    /** Status codes the server answers with, used round-robin (request i gets statuses[i % length]). */
    statuses: number[];
    method: string;
    path: string;
    /** Server port; 0 = any. */
    port: number;
  };
  /** Pause between items in ms (lets the agent's 1 s slots separate items); 0 = none. */
  pauseMs: number;
}
