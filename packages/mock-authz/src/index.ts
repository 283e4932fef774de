export { startAuthz, authzUrl, logLine, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TTL_S, DEFAULT_INTAKE } from './server.js';
export type { AuthzOptions, AuthzServer, AuthzFaults, AuthzLogEntry } from './types.js';
export { TOKEN_PATH, AGENT_KEY_PREFIX, API_KEY_PREFIX, AGENT_ID, API_KEY_MESSAGE, INVALID_KEY_MESSAGE, strictRefusal } from './rules.js';
export { MockAuthzError, ListenError, TlsMaterialError, AuthzUsageError } from './errors.js';
