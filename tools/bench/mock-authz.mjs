// Token endpoint throughput, @flowmill/mock-authz against the recipe's peer measured in the same run (docs/development.md "Benchmarks"):
//   ours: the built bin `node packages/mock-authz/dist/mock-authz.js` (HTTPS, NDJSON log to a file)
//   peer: the recipe's shape: a Python http.server answering the token JSON, behind stunnel for TLS
//         (mock_authz_server.py + stunnel-authz.conf, docs/recorder-recipe.md), with the same certificate
// Client: a small Node https client in this process, CONC requests in flight, for SECONDS per measurement, two ways:
//   keep-alive (one TLS session per worker, reused) and a new TCP + full TLS handshake per request (no session
//   resumption), which is what the agent does (one curl handle per fetch). Only 127.0.0.1. Figures: requests/s and
//   p50/p99 latency, medians of ROUNDS rounds, ratios ours/peer.
// Run after `npm run build`: node tools/bench/mock-authz.mjs [SECONDS] [ROUNDS]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createSecureContext } from 'node:tls';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONC = 8;
const PATH = '/api/v1/auth/keys/KFIIVU75RGHY7EC7JABW';
const HEADERS = { authorization: 'Bearer KFIIVU75RGHY7EC7JABW', 'grpc-metadata-agent-id': 'FAID0123456789ABCDEFGHIJKLMNOPQRSTUV' };

const tmp = mkdtempSync(join(tmpdir(), 'bench-authz-'));
const children = [];
const stop = () => { for (const c of children) { try { c.kill('SIGTERM'); } catch {} } };
process.on('exit', () => { stop(); rmSync(tmp, { recursive: true, force: true }); });

function freePort() {
  return new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}
function start(cmd, args, opts, readyRe) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready: ${out}`)), 20_000);
    const on = (d) => { out += d; if (readyRe.test(out)) { clearTimeout(timer); resolve(c); } };
    c.stdout.on('data', on);
    c.stderr.on('data', on);
    c.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited ${code}: ${out}`)); });
  });
}
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => { const s = createServer(); void s; const c = require_net().connect(port, '127.0.0.1'); c.on('connect', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}
import * as net from 'node:net';
const require_net = () => net;

// ---- servers ----
const keys = join(tmp, 'keys');
const ours = spawn(process.execPath, [join(root, 'packages/certs/dist/certs.js'), '-q', '--dir', keys], { stdio: 'ignore' });
await new Promise((r) => ours.on('close', r));
const ca = readFileSync(join(keys, 'ca.pem'));
const secureContext = createSecureContext({ ca }); // built once: a `ca` option per connection would re-parse it every time
const cert = join(keys, 'localhost', 'cert.pem'), key = join(keys, 'localhost', 'key.pem');

const oursPort = await freePort();
await start(process.execPath, [join(root, 'packages/mock-authz/dist/mock-authz.js'), '--port', String(oursPort), '--cert', cert, '--key', key, '--log', join(tmp, 'authz.jsonl'), '--force'], {}, /ready: listening/);

const pyPort = await freePort(), peerPort = await freePort();
writeFileSync(join(tmp, 'mock_authz.py'), `
import json, time
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        now = int(time.time())
        body = json.dumps({"token": "XYZ", "issuedAtS": str(now), "expirationS": str(now + 3600), "intake": "localhost"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", ${pyPort}), H).serve_forever()
`);
children.push(spawn('python3', [join(tmp, 'mock_authz.py')], { stdio: 'ignore' }));
writeFileSync(join(tmp, 'stunnel.conf'), `foreground = yes\npid =\noutput = ${join(tmp, 'stunnel.log')}\n[authz]\naccept = 127.0.0.1:${peerPort}\nconnect = 127.0.0.1:${pyPort}\ncert = ${cert}\nkey = ${key}\n`);
children.push(spawn('stunnel', [join(tmp, 'stunnel.conf')], { stdio: 'ignore' }));
await waitPort(pyPort);
await waitPort(peerPort);

// ---- client ----
function one(port, agent) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: PATH, headers: HEADERS, secureContext, agent }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => (res.statusCode === 200 && n > 0 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
async function load(port, keepAlive) {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: CONC }) : new Agent({ keepAlive: false, maxCachedSessions: 0 });
  const lat = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (performance.now() < end) {
      try { lat.push(await one(port, agent)); } catch { errors++; }
    }
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { rps: lat.length / SECONDS, p50: q(0.5), p99: q(0.99), errors };
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const cases = { 'ours keep-alive': [oursPort, true], 'peer keep-alive': [peerPort, true], 'ours handshake': [oursPort, false], 'peer handshake': [peerPort, false] };
const runs = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, [port, ka]] of Object.entries(cases)) runs[name].push(await load(port, ka));
const res = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { rps: Math.round(median(v.map((x) => x.rps))), p50Ms: +median(v.map((x) => x.p50)).toFixed(2), p99Ms: +median(v.map((x) => x.p99)).toFixed(2), errors: v.reduce((s, x) => s + x.errors, 0) }]));
const ratio = (a, b, f) => +(res[a][f] / res[b][f]).toFixed(2);
const result = {
  seconds: SECONDS, rounds: ROUNDS, concurrency: CONC, results: res,
  ratios: {
    'keep-alive rps ours/peer': ratio('ours keep-alive', 'peer keep-alive', 'rps'),
    'keep-alive p99 ours/peer': ratio('ours keep-alive', 'peer keep-alive', 'p99Ms'),
    'handshake rps ours/peer': ratio('ours handshake', 'peer handshake', 'rps'),
    'handshake p99 ours/peer': ratio('ours handshake', 'peer handshake', 'p99Ms'),
  },
};
console.log([
  `mock-authz: token requests over TLS, ${CONC} in flight, ${SECONDS}s x ${ROUNDS} rounds, medians (peer: python http.server behind stunnel)`,
  ...Object.entries(res).map(([k, v]) => `  ${k.padEnd(16)} ${String(v.rps).padStart(7)} req/s   p50 ${String(v.p50Ms).padStart(7)} ms   p99 ${String(v.p99Ms).padStart(7)} ms${v.errors ? `   errors ${v.errors}` : ''}`),
  ...Object.entries(result.ratios).map(([k, v]) => `  ${k.padEnd(26)} ${v}`),
].join('\n'));
mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
writeFileSync(join(root, 'tools/bench/out/mock-authz.json'), `${JSON.stringify(result, null, 2)}\n`);
stop();
process.exit(0);
