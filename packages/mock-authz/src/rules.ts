/**
 * What the agent sends and what its real backend checks (docs/agent-protocol.md §1.1, §1.2); `--strict` applies these.
 */

/** The agent asks `GET <authz-server>/api/v1/auth/keys/<key-id>` (util/authz_fetcher.cc, §1.2). */
export const TOKEN_PATH = /^\/api\/v1\/auth\/keys\/([^/?#]+)$/;
/** Anywhere in a path (non-strict mode also answers when --authz-server carried a path prefix). */
const TOKEN_PATH_ANYWHERE = /\/api\/v1\/auth\/keys\/([^/?#]+)(?:[?#].*)?$/;

/** Agent key ids start with `KFII`; `KFIA` marks an API key (util/authz_fetcher.cc, §1.1). */
export const AGENT_KEY_PREFIX = 'KFII';
export const API_KEY_PREFIX = 'KFIA';
/** The agent id header, `FAID` + 32 of [A-Z0-9], new per process start (util/agent_id.cc, §1.2). */
export const AGENT_ID_HEADER = 'grpc-metadata-agent-id';
export const AGENT_ID = /^FAID[A-Z0-9]{32}$/;

// The agent's own wording for the two key errors (util/authz_fetcher.cc), so a strict refusal reads the same.
export const API_KEY_MESSAGE = "key id doesn't look like an agent key (appears to be an API key instead)";
export const INVALID_KEY_MESSAGE = "key id doesn't look like a valid agent key";

export function keyIdOf(path: string, strict: boolean): string | null {
  const p = path.split('?')[0];
  const m = (strict ? TOKEN_PATH : TOKEN_PATH_ANYWHERE).exec(p);
  return m ? decodeURIComponentSafe(m[1]) : null;
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** The bearer secret of an `Authorization: Bearer <secret>` header, or null. */
export function bearerOf(h: string | undefined): string | null {
  const m = /^Bearer (.*)$/.exec(h ?? '');
  return m ? m[1] : null;
}

/** Why the real backend would refuse this request, or null. Returns the status and the reason. */
export function strictRefusal(keyId: string, auth: string | undefined, agentId: string | undefined): { status: number; reason: string } | null {
  if (keyId.startsWith(API_KEY_PREFIX)) return { status: 401, reason: API_KEY_MESSAGE };
  if (!keyId.startsWith(AGENT_KEY_PREFIX)) return { status: 401, reason: INVALID_KEY_MESSAGE };
  const secret = bearerOf(auth);
  if (!secret) return { status: 401, reason: 'missing or empty bearer secret (Authorization: Bearer <FLOWMILL_AUTH_SECRET>)' };
  if (!agentId || !AGENT_ID.test(agentId)) return { status: 400, reason: 'agent id (Grpc-Metadata-Agent-ID) must be FAID followed by 32 of [A-Z0-9]' };
  return null;
}
