/** Ways to make the first requests fail, to exercise the agent's retry paths (docs/agent-protocol.md §1.5, §1.6). */
export interface AuthzFaults {
  /** How many requests (counted from server start, token requests only) get `failMode`; default 0. */
  failFirst?: number;
  /** `status`: answer `failStatus` with an EMPTY body (default); `delay`: wait `delayMs`, then answer normally;
   * `hang`: never answer; `close`: drop the connection without a response. */
  failMode?: 'status' | 'delay' | 'hang' | 'close';
  /** Status for `status` mode; default 503. */
  failStatus?: number;
  /** Give the `status` errors a JSON body. The agent keeps ONE response buffer for all attempts of its initial
   * fetch, so after a body, every later attempt fails to parse (docs/agent-protocol.md §1.5): this makes the agent die
   * after 10 attempts even though later answers are good. Default false. */
  failBody?: boolean;
  /** Delay for `delay` mode, ms; default 2000. */
  delayMs?: number;
  /** Serve `issuedAtS`/`expirationS` as JSON numbers (the agent rejects them, §1.4). */
  numericTimestamps?: boolean;
  /** Leave out `intake` (the seed's Python mock did; the agent rejects it, §0.1). */
  omitIntake?: boolean;
  /** Serve a token that expired a minute ago (accepted by the agent, §1.4; refresh then runs at once, §1.6). */
  expired?: boolean;
}

export interface AuthzOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8001 (the recipe's `--authz-server=https://localhost:8001`); 0 = any free port. */
  port?: number;
  /** PEM certificate and key; `false` = plain HTTP (the agent accepts an `http://` authz URL, §1.2). */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array } | false;
  /** The token to hand out; default a random one per server. */
  token?: string;
  /** Token lifetime in seconds; default 3600 (a future expiry keeps the agent's refresh timer sane, §1.6). */
  ttlS?: number;
  /** The `intake` field: the TLS name the agent verifies the intake with (§1.4); default `localhost`. */
  intake?: string;
  /** Apply the real backend's rules: `KFII` key ids, a bearer secret, `FAID` agent ids; 404 elsewhere. */
  strict?: boolean;
  faults?: AuthzFaults;
  /** Called once per request, when it ends (answered, dropped, or the client went away). */
  onRequest?: (e: AuthzLogEntry) => void;
  /** Clock in ms (tests); default Date.now. */
  now?: () => number;
}

export interface AuthzServer {
  /** What to pass as `--authz-server`, e.g. `https://localhost:8001` (localhost, the certificate's name, when
   * listening on 127.0.0.1 with TLS). */
  url: string;
  host: string;
  port: number;
  /** Every entry that handed out a token. */
  issued: AuthzLogEntry[];
  /** Requests received so far (also those not answered yet). */
  readonly requests: number;
  close(): Promise<void>;
}

/** One request; also one NDJSON line of the log the checker reads. */
export interface AuthzLogEntry {
  time: string;
  method: string;
  path: string;
  keyId: string | null;
  agentId: string | null;
  /** The HTTP status sent; 0 when no response was sent (fault `hang`/`close`, or the client went away). */
  status: number;
  latencyMs: number;
  token?: string;
  /** Decimal strings, as the agent needs them, also under the numeric-timestamps fault (the body then had
   * numbers, and `fault` says so). */
  issuedAtS?: string;
  expirationS?: string;
  intake?: string;
  fault?: string;
  /** Why a strict check refused the request. */
  reason?: string;
}
