import { randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { AuthzUsageError, ListenError, TlsMaterialError } from './errors.js';
import { AGENT_ID_HEADER, keyIdOf, strictRefusal } from './rules.js';
import type { AuthzFaults, AuthzLogEntry, AuthzOptions, AuthzServer } from './types.js';

/** The recipe's agent command uses `--authz-server=https://localhost:8001` (docs/recorder-recipe.md, local.sh). */
export const DEFAULT_PORT = 8001;
export const DEFAULT_HOST = '127.0.0.1';
/** An hour: a future expiry keeps the agent's refresh timer away from its unsigned-jitter wrap (docs/agent-protocol.md §1.6). */
export const DEFAULT_TTL_S = 3600;
/** The agent's default intake TLS name in local runs (local.sh: FLOWMILL_INTAKE_NAME=localhost). */
export const DEFAULT_INTAKE = 'localhost';
const DEFAULT_FAIL_STATUS = 503;
const DEFAULT_DELAY_MS = 2000;

/** The extra TLS option fields the CLI passes so errors can name files (AuthzOptions may grow). */
type TlsInput = { cert: string | Uint8Array; key: string | Uint8Array; certPath?: string; keyPath?: string };

/** The URL an agent should use: `localhost` when bound to loopback/any with TLS, since the cert names localhost. */
export function authzUrl(host: string, port: number, tls: boolean): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = tls && (host === '127.0.0.1' || host === '::1' || wildcard) ? 'localhost' : wildcard ? '127.0.0.1' : host;
  return `${tls ? 'https' : 'http'}://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

function validate(o: AuthzOptions): void {
  const f = o.faults ?? {};
  if (o.ttlS !== undefined && (!Number.isInteger(o.ttlS) || o.ttlS < 0)) throw new AuthzUsageError('ttlS', `must be a whole number of seconds >= 0, not ${o.ttlS}`);
  if (f.failFirst !== undefined && (!Number.isInteger(f.failFirst) || f.failFirst < 0)) throw new AuthzUsageError('failFirst', `must be a whole number >= 0, not ${f.failFirst}`);
  if (f.failStatus !== undefined && (!Number.isInteger(f.failStatus) || f.failStatus < 300 || f.failStatus > 599)) throw new AuthzUsageError('failStatus', `must be 300-599 (anything but 200 fails the agent's fetch), not ${f.failStatus}`);
  if (f.failMode !== undefined && !['status', 'delay', 'hang', 'close'].includes(f.failMode)) throw new AuthzUsageError('failMode', `must be status, delay, hang or close, not ${f.failMode}`);
  if (o.token === '') throw new AuthzUsageError('token', 'must not be empty');
}

const pemOf = (x: string | Uint8Array): string | Buffer => (typeof x === 'string' ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength));

function tlsContext(tls: TlsInput) {
  try {
    createSecureContext({ cert: pemOf(tls.cert), key: pemOf(tls.key) });
  } catch (err) {
    const msg = (err as Error).message;
    const isKey = /key|PEM_read_bio_PrivateKey|DECODER/i.test(msg) && !/certificate/i.test(msg);
    throw new TlsMaterialError('ERR_BAD_KEY', isKey || /mismatch/.test(msg) ? `${tls.keyPath ?? 'key'}${/mismatch/.test(msg) ? ` and ${tls.certPath ?? 'cert'}` : ''}` : tls.certPath ?? 'cert', msg, { cause: err });
  }
}

/** Starts the token endpoint; resolves once it listens (use `port: 0` in tests, then read `.port`/`.url`). */
export async function startAuthz(opts: AuthzOptions = {}): Promise<AuthzServer> {
  validate(opts);
  const host = opts.host ?? DEFAULT_HOST;
  const tls = opts.tls === undefined ? false : opts.tls;
  const now = opts.now ?? Date.now;
  const token = opts.token ?? `mock-${randomBytes(12).toString('hex')}`;
  const ttlS = opts.ttlS ?? DEFAULT_TTL_S;
  const intake = opts.intake ?? DEFAULT_INTAKE;
  const faults: AuthzFaults = opts.faults ?? {};
  const issued: AuthzLogEntry[] = [];
  let tokenRequests = 0;
  let requests = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = req.url ?? '/';
    const agentIdRaw = req.headers[AGENT_ID_HEADER];
    const agentId = typeof agentIdRaw === 'string' ? agentIdRaw : null;
    const keyId = keyIdOf(path, !!opts.strict);
    const entry: AuthzLogEntry = { time: new Date(now()).toISOString(), method: req.method ?? '', path, keyId, agentId, status: 0, latencyMs: 0 };
    const fault: string[] = [];
    let logged = false;
    // Logged as soon as the answer is handed to the socket (so a client that got it can read the entry), or when
    // the connection ends without an answer (faults hang/close, a client that gave up).
    const log = () => {
      if (logged) return;
      logged = true;
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (fault.length) entry.fault = fault.join(',');
      if (entry.token !== undefined && entry.status === 200) issued.push(entry);
      opts.onRequest?.(entry);
    };
    res.on('close', log);
    req.resume(); // a GET has no body; drain whatever comes
    requests++;

    const send = (status: number, body: string, headers: Record<string, string | number> = {}) => {
      res.writeHead(status, body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } : { 'content-length': '0', ...headers });
      res.end(body);
      log();
    };
    const bodiless = (status: number, headers: Record<string, string> = {}) => send(status, '', headers);
    if (keyId === null) return bodiless(404);
    if (req.method !== 'GET') return bodiless(405, { allow: 'GET' });

    const serve = () => {
      if (opts.strict) {
        const refusal = strictRefusal(keyId, req.headers.authorization, agentId ?? undefined);
        if (refusal) {
          entry.reason = refusal.reason;
          // A body, unlike injected faults: a strict refusal repeats on every attempt anyway (§1.5 does not matter).
          return send(refusal.status, JSON.stringify({ error: refusal.reason }));
        }
      }
      const nowS = Math.floor(now() / 1000);
      // An expired token: issued one TTL before it expired, a minute ago (the agent accepts it, §1.4).
      const iat = faults.expired ? nowS - 60 - ttlS : nowS;
      const exp = faults.expired ? nowS - 60 : nowS + ttlS;
      if (faults.expired) fault.push('expired');
      const body: Record<string, unknown> = {
        token,
        // Strings of decimal seconds: the agent looks the strings up and rejects JSON numbers (§1.4).
        issuedAtS: faults.numericTimestamps ? iat : String(iat),
        expirationS: faults.numericTimestamps ? exp : String(exp),
      };
      if (faults.numericTimestamps) fault.push('numeric-timestamps');
      // `intake` is required by this agent version (util/authz_token.cc, §0.1).
      if (faults.omitIntake) fault.push('omit-intake');
      else body.intake = intake;
      Object.assign(entry, { token, issuedAtS: String(iat), expirationS: String(exp) }, faults.omitIntake ? {} : { intake });
      send(200, JSON.stringify(body));
    };

    const n = tokenRequests++;
    if (n < (faults.failFirst ?? 0)) {
      const mode = faults.failMode ?? 'status';
      fault.push(mode);
      if (mode === 'status') {
        const status = faults.failStatus ?? DEFAULT_FAIL_STATUS;
        if (!faults.failBody) return bodiless(status); // bodiless: the agent's shared buffer stays clean (§1.5)
        fault.push('body');
        return send(status, JSON.stringify({ error: 'injected failure', attempt: n + 1 }));
      }
      if (mode === 'close') return void req.socket.destroy();
      if (mode === 'hang') return; // answered never; close() or the client ends it
      const timer = setTimeout(serve, faults.delayMs ?? DEFAULT_DELAY_MS);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    serve();
  };

  let server: Server;
  if (tls) {
    tlsContext(tls as TlsInput);
    // TLS 1.2 minimum, like the agent's own client (docs/agent-protocol.md §2.3); libcurl negotiates 1.3 when it can.
    server = createHttpsServer({ cert: pemOf(tls.cert), key: pemOf(tls.key), minVersion: 'TLSv1.2' }, handle);
  } else {
    server = createHttpServer(handle);
  }
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(host, opts.port ?? DEFAULT_PORT, err));
    server.once('error', onError);
    server.listen({ host, port: opts.port ?? DEFAULT_PORT }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port ?? DEFAULT_PORT;

  let closing: Promise<void> | undefined;
  return {
    url: authzUrl(host, port, !!tls),
    host,
    port,
    issued,
    get requests() { return requests; },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** One NDJSON line for the log (stderr or --log FILE). */
export function logLine(e: AuthzLogEntry): string {
  return `${JSON.stringify(e)}\n`;
}
