import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startAuthz, type AuthzLogEntry } from '../src/index.js';
import { AGENT_ID, KEY_ID, agentHeaders, curlAgent, get, tempDir, tlsMaterial, until } from './helpers.js';

const t = tempDir();
let tls: Awaited<ReturnType<typeof tlsMaterial>>;
test.before(async () => { tls = await tlsMaterial(t.dir); });
test.after(() => t.done());

const tokenPath = `/api/v1/auth/keys/${KEY_ID}`;

test('answers the agent with a token, string timestamps now and now+ttl, and intake; logs the request', async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, token: 'XYZ', ttlS: 600, intake: 'localhost', onRequest: (e) => log.push(e), now: () => 1_590_626_143_500 });
  try {
    assert.is(s.url, `https://localhost:${s.port}`);
    assert.is(s.host, '127.0.0.1');
    const r = await get(`${s.url}${tokenPath}`, { ca: tls.ca, headers: agentHeaders() });
    assert.is(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const body = JSON.parse(r.body);
    assert.equal(body, { token: 'XYZ', issuedAtS: '1590626143', expirationS: '1590626743', intake: 'localhost' });
    assert.is(log.length, 1);
    const e = log[0];
    assert.is(e.method, 'GET');
    assert.is(e.path, tokenPath);
    assert.is(e.keyId, KEY_ID);
    assert.is(e.agentId, AGENT_ID);
    assert.is(e.status, 200);
    assert.is(e.token, 'XYZ');
    assert.is(e.issuedAtS, '1590626143');
    assert.is(e.expirationS, '1590626743');
    assert.is(e.intake, 'localhost');
    assert.ok(e.latencyMs >= 0);
    assert.is(e.time, new Date(1_590_626_143_500).toISOString());
    assert.equal(s.issued, [e]);
  } finally { await s.close(); }
});

test('defaults: random token per server, ttl 3600, intake localhost, real clock', async () => {
  const a = await startAuthz({ port: 0, tls: false });
  const b = await startAuthz({ port: 0, tls: false });
  try {
    assert.is(a.url, `http://127.0.0.1:${a.port}`);
    const before = Math.floor(Date.now() / 1000);
    const x = JSON.parse((await get(`${a.url}${tokenPath}`)).body);
    const y = JSON.parse((await get(`${b.url}${tokenPath}`)).body);
    const after = Math.floor(Date.now() / 1000);
    assert.is.not(x.token, y.token);
    assert.ok(Number(x.issuedAtS) >= before && Number(x.issuedAtS) <= after);
    assert.is(Number(x.expirationS) - Number(x.issuedAtS), 3600);
    assert.is(x.intake, 'localhost');
  } finally { await a.close(); await b.close(); }
});

test("curl (the agent's own HTTP client) gets the token over TLS with the agent's exact headers, verifying localhost", async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, onRequest: (e) => log.push(e), strict: true });
  try {
    const r = await curlAgent(s.url, tls.paths.caCert);
    assert.is(r.status, 0, r.stderr);
    const [json, code] = r.stdout.split('\n');
    assert.is(code, '200');
    const body = JSON.parse(json);
    assert.type(body.issuedAtS, 'string');
    assert.type(body.expirationS, 'string');
    assert.match(body.issuedAtS, /^\d+$/);
    assert.is(body.intake, 'localhost');
    assert.is(log[0].agentId, AGENT_ID);
    // without the CA curl refuses: the server really is TLS with our leaf
    const bad = await curlAgent(s.url, null);
    assert.is.not(bad.status, 0);
  } finally { await s.close(); }
});

test('other paths answer 404 and other methods 405, without a body; non-strict also serves a prefixed path', async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, onRequest: (e) => log.push(e) });
  try {
    for (const p of ['/', '/api/v1/auth/keys/', '/api/v1/auth/keys/KFII/extra', '/health']) {
      const r = await get(`${s.url}${p}`, { ca: tls.ca });
      assert.is(r.status, 404, p);
      assert.is(r.body, '');
    }
    const post = await get(`${s.url}${tokenPath}`, { ca: tls.ca, method: 'POST' });
    assert.is(post.status, 405);
    assert.is(post.headers.allow, 'GET');
    assert.is((await get(`${s.url}/prefix${tokenPath}`, { ca: tls.ca })).status, 200);
    assert.equal(log.map((e) => e.status), [404, 404, 404, 404, 405, 200]);
    assert.equal(s.issued.length, 1);
  } finally { await s.close(); }
});

test("--strict: KFIA is an API key (the agent's wording), other prefixes invalid, bearer required, FAID+32 agent id, exact path", async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, strict: true, onRequest: (e) => log.push(e) });
  try {
    const at = (key: string, headers: Record<string, string>) => get(`${s.url}/api/v1/auth/keys/${key}`, { ca: tls.ca, headers });
    const api = await at('KFIAVU75RGHY7EC7JABW', agentHeaders());
    assert.is(api.status, 401);
    // the agent's wording (docs/agent-protocol.md §1.1): KFIA "looks like an API key", any other prefix
    // "doesn't look like a valid agent key"
    const apiError = JSON.parse(api.body).error;
    assert.match(apiError, /API key/);
    assert.not.match(apiError, /valid agent key/);
    const other = await at('XXXXVU75RGHY7EC7JABW', agentHeaders());
    assert.is(other.status, 401);
    assert.match(JSON.parse(other.body).error, /doesn't look like a valid agent key/);
    assert.is((await at(KEY_ID, { 'grpc-metadata-agent-id': AGENT_ID })).status, 401);
    assert.is((await at(KEY_ID, agentHeaders(''))).status, 401);
    assert.is((await at(KEY_ID, { authorization: 'Bearer s' })).status, 400);
    assert.is((await at(KEY_ID, agentHeaders('s', 'FAID0123'))).status, 400);
    assert.is((await at(KEY_ID, agentHeaders('s', AGENT_ID.toLowerCase()))).status, 400);
    assert.is((await at(KEY_ID, agentHeaders('s'))).status, 200);
    // the recipe's key id and a 4-char one: only the prefix is checked (docs/agent-protocol.md §1.1)
    assert.is((await at('KFII', agentHeaders('s'))).status, 200);
    assert.is((await get(`${s.url}/prefix${tokenPath}`, { ca: tls.ca, headers: agentHeaders() })).status, 404);
    assert.is(log[0].reason, apiError, 'the log says why, in the words the client got');
    assert.is(log[0].keyId, 'KFIAVU75RGHY7EC7JABW');
    assert.is(s.issued.length, 2);
  } finally { await s.close(); }
});

test('fault status: the first N fail with 503 and an EMPTY body (the agent keeps one buffer, §1.5); then tokens', async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, faults: { failFirst: 2 }, onRequest: (e) => log.push(e) });
  try {
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await get(`${s.url}${tokenPath}`, { ca: tls.ca, headers: agentHeaders() }));
    assert.equal(rs.map((r) => r.status), [503, 503, 200]);
    assert.is(rs[0].body, '');
    assert.is(rs[0].headers['content-length'], '0');
    assert.ok(JSON.parse(rs[2].body).token);
    assert.equal(log.map((e) => e.fault), ['status', 'status', undefined]);
    assert.equal(log.map((e) => e.token === undefined), [true, true, false]);
  } finally { await s.close(); }
});

test('fault status with --fail-body and a custom status: the error has a body (what poisons the agent)', async () => {
  const s = await startAuthz({ port: 0, tls: false, faults: { failFirst: 1, failStatus: 500, failBody: true } });
  try {
    const r = await get(`${s.url}${tokenPath}`);
    assert.is(r.status, 500);
    assert.ok(r.body.length > 0);
    assert.is(JSON.parse(r.body).attempt, 1);
    assert.is((await get(`${s.url}${tokenPath}`)).status, 200);
  } finally { await s.close(); }
});

test('fault close drops the connection without a response; fault delay answers late but well', async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, faults: { failFirst: 1, failMode: 'close' }, onRequest: (e) => log.push(e) });
  try {
    const err = await get(`${s.url}${tokenPath}`, { ca: tls.ca }).then(() => null, (e: NodeJS.ErrnoException) => e);
    assert.ok(err);
    assert.match(String(err!.code), /ECONNRESET|socket hang up/);
    assert.is((await get(`${s.url}${tokenPath}`, { ca: tls.ca })).status, 200);
    const c = await curlAgent(s.url, tls.paths.caCert);
    assert.is(c.status, 0);
    assert.is(log[0].status, 0);
    assert.is(log[0].fault, 'close');
  } finally { await s.close(); }
  const d = await startAuthz({ port: 0, tls, faults: { failFirst: 1, failMode: 'delay', delayMs: 60 } });
  try {
    const started = performance.now();
    const r = await get(`${d.url}${tokenPath}`, { ca: tls.ca });
    assert.ok(performance.now() - started >= 55);
    assert.is(r.status, 200);
    assert.is(d.issued[0].fault, 'delay');
    assert.ok(d.issued[0].latencyMs >= 55);
  } finally { await d.close(); }
});

test('fault hang never answers: the client gives up, the entry has status 0; close() ends hanging requests', async () => {
  const log: AuthzLogEntry[] = [];
  const s = await startAuthz({ port: 0, tls, faults: { failFirst: 2, failMode: 'hang' }, onRequest: (e) => log.push(e) });
  const err = await get(`${s.url}${tokenPath}`, { ca: tls.ca, timeoutMs: 300 }).then(() => null, (e: NodeJS.ErrnoException) => e);
  assert.is(err?.code, 'CLIENT_TIMEOUT');
  // a second one still hangs when the server closes: close() must not wait for it
  const pending = get(`${s.url}${tokenPath}`, { ca: tls.ca }).then(() => null, (e: NodeJS.ErrnoException) => e);
  await until(() => s.requests >= 2, 'the server never counted the second request');
  await s.close();
  assert.ok(await pending);
  await until(() => log.length >= 2, 'the second request never reached the log');
  assert.equal(log.map((e) => [e.status, e.fault]), [[0, 'hang'], [0, 'hang']]);
});

test('fault numeric timestamps serves JSON numbers (the log keeps strings); omit-intake drops intake; expired is in the past', async () => {
  const now = () => 2_000_000_000_000;
  const n = await startAuthz({ port: 0, tls: false, now, ttlS: 100, faults: { numericTimestamps: true, omitIntake: true } });
  try {
    const b = JSON.parse((await get(`${n.url}${tokenPath}`)).body);
    assert.is(b.issuedAtS, 2_000_000_000);
    assert.is(b.expirationS, 2_000_000_100);
    assert.not.ok('intake' in b);
    assert.is(n.issued[0].issuedAtS, '2000000000');
    assert.is(n.issued[0].fault, 'numeric-timestamps,omit-intake');
    assert.is(n.issued[0].intake, undefined);
  } finally { await n.close(); }
  const e = await startAuthz({ port: 0, tls: false, now, ttlS: 100, intake: 'intake.test', faults: { expired: true } });
  try {
    const b = JSON.parse((await get(`${e.url}${tokenPath}`)).body);
    assert.ok(Number(b.expirationS) < 2_000_000_000);
    assert.is(Number(b.expirationS) - Number(b.issuedAtS), 100);
    assert.type(b.expirationS, 'string');
    assert.is(b.intake, 'intake.test');
    assert.is(e.issued[0].fault, 'expired');
  } finally { await e.close(); }
});

test('a busy port is ERR_PORT_BUSY naming the address; a key that does not match the cert is ERR_BAD_KEY', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as AddressInfo).port;
  try {
    await startAuthz({ port, tls }).then(() => assert.unreachable(), (err) => {
      assert.is(err.code, 'ERR_PORT_BUSY');
      assert.match(err.message, `127.0.0.1:${port}`);
    });
  } finally { blocker.close(); }
  const other = await tlsMaterial(join(t.dir, 'other'));
  await startAuthz({ port: 0, tls: { cert: tls.cert, key: other.key } }).then(() => assert.unreachable(), (err) => assert.is(err.code, 'ERR_BAD_KEY'));
  await startAuthz({ port: 0, ttlS: -1 }).then(() => assert.unreachable(), (err) => assert.is(err.code, 'ERR_USAGE'));
});

test.run();
