/** Where the decrypted bytes go. */
export type SinkOutput =
  /** A caller's stream: connections one after another, each whole. */
  | { stream: { write(b: Uint8Array): unknown } }
  /** An open file descriptor (the bin passes stdout as fd 1), written synchronously; never closed by the sink. */
  | { fd: number; name?: string }
  /** One file, connections one after another. Refused when it exists unless `append` or `force`. */
  | { file: string; append?: boolean; force?: boolean }
  /** One file per connection (conn-0001.raw, …) plus connections.jsonl. Refused when it holds a capture unless `force`. */
  | { dir: string; force?: boolean };

export interface SinkFaults {
  /** Close the connection once it has sent this many bytes (exactly that many are recorded). */
  closeAfterBytes?: number;
  /** Stop reading at once (same as stopReadingAfterBytes: 0): the agent sees TCP backpressure. */
  stopReading?: boolean;
  /** Stop reading once the connection has sent this many bytes. */
  stopReadingAfterBytes?: number;
  /** Send the DISABLE_SEND command word once the connection has sent this many bytes. */
  disableSendAfterBytes?: number;
  /** Send the DISABLE_SEND command word this many milliseconds after the connection is up. */
  disableSendAfterMs?: number;
}

export interface SinkOptions {
  /** Address to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 picks a free port (see Sink.port). Default 7001 with TLS, 8000 plain (the OpenTelemetry-era intake default). */
  port?: number;
  /** PEM text or paths (a string without `-----BEGIN` is a path). `false` = plain TCP. */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array } | false;
  out: SinkOutput;
  /** Stop accepting after the first connection; `done` resolves once it has ended and is written. */
  once?: boolean;
  faults?: SinkFaults;
  /** NSS key log file (appended, created 0600), so a packet capture decrypts in Wireshark. */
  keylog?: string;
  onEvent?: (e: SinkEvent) => void;
  /** Compute each connection's sha256 (always on for `dir` output). */
  hash?: boolean;
  /** Memory for spooling connections that wait for their turn on a shared output, in total; then temp files. */
  spoolMemoryBytes?: number;
  /** Directory for spool files (default: the OS temp dir). */
  spoolDir?: string;
}

export interface ConnectionInfo {
  id: number;
  /** --out-dir: the connection's file name inside the directory. */
  file?: string;
  /** Shared output: where this connection's bytes begin in it (set once its turn comes). */
  offset?: number;
  peer: string;
  start: string;
  end?: string;
  bytes: number;
  sha256?: string;
  tlsVersion?: string;
  cipher?: string;
  sni?: string;
  ended?: 'eof' | 'reset' | 'fault' | 'shutdown';
  /** Set when the sink sent DISABLE_SEND (its fault): the plaintext bytes received on this connection by then, and
   * the sink's clock (ISO time) when it sent the word. */
  disableSend?: { bytes: number; at: string };
  /** For `reset`: the socket error, if there was one. */
  error?: string;
}

export type SinkEvent =
  | { type: 'connection'; conn: ConnectionInfo }
  | { type: 'end'; conn: ConnectionInfo }
  | { type: 'fault'; conn: ConnectionInfo; fault: 'close' | 'stop-reading' | 'disable-send' }
  | { type: 'tls-error'; peer: string; message: string };

export interface Sink {
  /** `tls://host:port` or `tcp://host:port`, with the real port. */
  url: string;
  host: string;
  port: number;
  /** Every accepted connection, in accept order; entries fill in as connections end. */
  connections: ConnectionInfo[];
  /** Resolves once the sink has stopped (after --once's connection, or close()); rejects if the output fails. */
  done: Promise<void>;
  /** Stop accepting, end live connections, write everything spooled, fsync, close. */
  close(): Promise<void>;
}
