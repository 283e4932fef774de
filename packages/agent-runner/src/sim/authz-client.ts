import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AuthzRejectedError, UnreachableError } from '../errors.js';

/** A token as the agent keeps it (docs/agent-protocol.md §1.4). */
export interface AuthzToken { token: string; issuedAtS: number; expirationS: number; intake: string; raw: string }

/** `FAID` + 32 chars of [A-Z0-9], new per process start (docs/agent-protocol.md §1.2, util/agent_id.cc). */
export function makeAgentId(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = 'FAID';
  for (let i = 0; i < 32; i++) s += chars[randomInt(chars.length)];
  return s;
}

/**
 * The agent's URL rule (docs/agent-protocol.md §1.2): `https://` prepended only when there is no `://`, a `/` appended
 * when missing, then `api/v1/auth/keys/<key id>` with the key id not escaped.
 */
export function authzUrl(server: string, keyId: string): string {
  if (server === '') throw new AuthzRejectedError('(empty)', 'missing authz server hostname');
  let base = server.includes('://') ? server : `https://${server}`;
  if (!base.endsWith('/')) base += '/';
  return `${base}api/v1/auth/keys/${keyId}`;
}

/** strtoll(s, 10) as the agent reads issuedAtS/expirationS: leading space, optional sign, digits, junk ignored. */
function strtoll(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/**
 * Validates a response body exactly like util/authz_token.cc (docs/agent-protocol.md §1.4): a JSON object with string
 * `token`, **string** `issuedAtS` and `expirationS` (numbers are rejected), expiration ≥ issued, and a string
 * `intake` (required). Expiry is not compared with now.
 */
export function decodeAuthzToken(body: string, url: string): AuthzToken {
  let v: unknown;
  try { v = JSON.parse(body); } catch (err) {
    throw new AuthzRejectedError(url, `invalid authz token encoding format: json: '${body.slice(0, 200)}'`, { cause: err });
  }
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o) || typeof o.token !== 'string' || typeof o.issuedAtS !== 'string' || typeof o.expirationS !== 'string' || typeof o.intake !== 'string') {
    throw new AuthzRejectedError(url, 'missing metadata from authz token response');
  }
  const issuedAtS = strtoll(o.issuedAtS), expirationS = strtoll(o.expirationS);
  if (expirationS < issuedAtS) throw new AuthzRejectedError(url, 'missing metadata from authz token response (expirationS < issuedAtS)');
  return { token: o.token, issuedAtS, expirationS, intake: o.intake, raw: body };
}

export interface FetchTokenOptions {
  server: string;
  keyId: string;
  secret: string;
  agentId: string;
  /** CA certificate(s) PEM to trust for an https authz server (the agent uses its libcurl CA store, §1.3). */
  ca?: string | Uint8Array;
  /** Attempts (agent: 10, AUTHZ_MAX_INITIAL_FETCH_RETRIES = 9 retries, §1.5). */
  attempts?: number;
  /** Multiplies the back-off (agent: 200 ms ×2 up to 60 s, §1.5); tests use e.g. 0.01. */
  timeScale?: number;
  log?: (level: 'info' | 'warning' | 'error', msg: string) => void;
  /** Per-attempt timeout (the agent has none; a simulated agent should not hang forever). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

function get(url: string, headers: Record<string, string>, ca: string | Uint8Array | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
    method: 'GET', headers, timeout: timeoutMs, agent: false,
    // libcurl default: verify peer and host (docs/agent-protocol.md §1.3)
    ...(u.protocol === 'https:' ? { ca: ca ? Buffer.from(ca as Uint8Array) : undefined, rejectUnauthorized: true } : {}),
  });
  return new Promise((resolve, reject) => {
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.end();
  });
}

/**
 * Fetches the initial token the way the agent does (docs/agent-protocol.md §1.2-§1.5): GET with exactly
 * `Authorization: Bearer <secret>` and `Grpc-Metadata-Agent-ID: <agent id>`, status must be exactly 200 (no
 * redirects), up to 10 attempts with 200 ms ×2 back-off capped at 60 s (scaled by timeScale).
 * Not reproduced: the agent's shared-body-buffer bug (§1.5), which makes every retry after a bodied failure fail.
 */
export async function fetchToken(o: FetchTokenOptions): Promise<AuthzToken> {
  const url = authzUrl(o.server, o.keyId);
  const attempts = o.attempts ?? 10;
  const scale = o.timeScale ?? 1;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = o.log ?? (() => {});
  let backoffMs = 200; // agent: initial back-off 200 ms (§1.5)
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      const r = await get(url, { Authorization: `Bearer ${o.secret}`, 'Grpc-Metadata-Agent-ID': o.agentId, Accept: '*/*' }, o.ca, o.timeoutMs ?? 10_000);
      if (r.status !== 200) throw new AuthzRejectedError(url, `HTTP status ${r.status}`);
      return decodeAuthzToken(r.body, url);
    } catch (err) {
      last = err as Error;
      if (i === attempts - 1) break;
      log('warning', `backing-off for ${backoffMs}ms before trying again after failing to fetch initial authz token: ${last.message}`);
      await sleep(backoffMs * scale);
      backoffMs = Math.min(backoffMs * 2, 60_000); // ×2, capped at 60 s (§1.5)
    }
  }
  if (last instanceof AuthzRejectedError) throw last;
  throw new UnreachableError(url, `authz token fetch failed after ${attempts} attempts: ${last?.message}`, { cause: last });
}
