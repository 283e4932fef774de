// @flowmill/recipe: time to "ready", total time of the default run, peak memory (docs/development.md "Benchmarks": ratios against a
// peer measured in the same run).
//   ours:  `recipe run` (simulated agent, defaults) from a fresh directory: ready = its "[2/9] ✓" progress line
//          (keys exist, mock-authz and tls-sink listen); total = its exit; peak RSS from /usr/bin/time -v.
//          `recipe up` the same way: ready = its return (cloud.json written), RSS = the background server's VmHWM.
//   peer:  the original recipe's fake cloud (docs/recorder-recipe.md): openssl CA + leaf (cold only), Python token
//          server, two stunnels (authz 8001→8000, telemetry 7001→7000) and `nc -k -l` to a file; ready = all four
//          ports accept; RSS = the sum of the four processes' VmHWM.
// Cold = no keys yet (both create them), warm = keys present. Medians of ROUNDS rounds.
// Run after `npm run build`: node tools/bench/recipe.mjs [ROUNDS]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const BUNDLE = join(root, 'packages/recipe/dist/recipe.js');
const ROUNDS = Number(process.argv[2] ?? 3);
const tmp = mkdtempSync(join(tmpdir(), 'bench-recipe-'));
const live = new Set();
process.on('exit', () => {
  for (const c of live) try { process.kill(-c.pid, 'SIGKILL'); } catch {}
  rmSync(tmp, { recursive: true, force: true });
});

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const accepts = (port) => new Promise((r) => { const c = connect(port, '127.0.0.1'); c.once('connect', () => { c.destroy(); r(true); }); c.once('error', () => r(false)); });
const hwmKiB = (pid) => { try { return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return NaN; } };

/** `recipe run` once: ms to ready, ms total, peak RSS (KiB), exit code. */
function ourRun(cwd) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn('/usr/bin/time', ['-v', process.execPath, BUNDLE, 'run', '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    let err = '';
    let ready;
    c.stderr.on('data', (d) => {
      err += d;
      if (ready === undefined && /"step":"servers","status":"done"/.test(err)) ready = performance.now() - t0;
    });
    c.stdout.resume();
    c.on('close', (code) => resolve({ ready, total: performance.now() - t0, rssKiB: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1]), code }));
  });
}

/** `recipe up` once (fixed ports like the peer), then down: ms to ready, the server's peak RSS. */
async function ourUp(cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BUNDLE, 'up', '--json', '--authz-port', '0', '--intake-port', '0', '--dir', join(cwd, 'up')], { cwd, encoding: 'utf8' });
  const ready = performance.now() - t0;
  if (r.status !== 0) throw new Error(`recipe up: ${r.stderr}\n${readFileSync(join(cwd, "up", "serve.log"), "utf8")}`);
  const state = JSON.parse(r.stdout);
  await sleep(200); // let the steady state settle before reading the high-water mark
  const rssKiB = hwmKiB(state.pid);
  spawnSync(process.execPath, [BUNDLE, 'down', '--dir', join(cwd, 'up')], { cwd });
  rmSync(join(cwd, 'up'), { recursive: true, force: true });
  return { ready, rssKiB };
}

const MOCK = `import http.server, json, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        now = int(time.time())
        body = json.dumps({"token": "XYZ", "issuedAtS": str(now), "expirationS": str(now + 600), "intake": "localhost"}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
import sys
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
`;

/** The recipe's fake cloud: keys with openssl when cold, python + 2 stunnels + nc. */
async function peer(dir, cold) {
  const keys = join(dir, 'keys');
  const t0 = performance.now();
  if (cold || !existsSync(join(keys, 'localhost', 'cert.pem'))) {
    rmSync(keys, { recursive: true, force: true });
    mkdirSync(join(keys, 'localhost'), { recursive: true });
    const sh = (args) => { const r = spawnSync('openssl', args, { cwd: keys, stdio: 'ignore' }); if (r.status !== 0) throw new Error(`openssl ${args[0]} failed`); };
    // what minica does: an RSA CA and an RSA leaf for localhost signed by it (the agent's TLS 1.2 cipher needs RSA)
    sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'minica-key.pem', '-out', 'minica.pem', '-days', '30', '-subj', '/CN=minica root ca']);
    sh(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'localhost/key.pem', '-out', 'localhost/req.pem', '-subj', '/CN=localhost']);
    writeFileSync(join(keys, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
    sh(['x509', '-req', '-in', 'localhost/req.pem', '-CA', 'minica.pem', '-CAkey', 'minica-key.pem', '-CAcreateserial', '-out', 'localhost/cert.pem', '-days', '30', '-extfile', 'ext.cnf']);
  }
  const [pA, pAs, pT, pTs] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  writeFileSync(join(dir, 'mock.py'), MOCK);
  const conf = (name, accept, to) => {
    const p = join(dir, `${name}.conf`);
    writeFileSync(p, `foreground = yes\npid =\n[${name}]\naccept = 127.0.0.1:${accept}\nconnect = 127.0.0.1:${to}\ncert = ${join(keys, 'localhost/cert.pem')}\nkey = ${join(keys, 'localhost/key.pem')}\n`);
    return p;
  };
  const procs = [
    spawn('python3', [join(dir, 'mock.py'), String(pA)], { stdio: 'ignore', detached: true }),
    spawn('stunnel', [conf('authz', pAs, pA)], { stdio: 'ignore', detached: true }),
    spawn('stunnel', [conf('telemetry', pTs, pT)], { stdio: 'ignore', detached: true }),
    spawn('sh', ['-c', `exec nc -k -l 127.0.0.1 ${pT} > ${join(dir, 'telemetry.raw')}`], { stdio: 'ignore', detached: true }),
  ];
  for (const p of procs) live.add(p);
  // stunnel accepts before its backend is up, so every port is polled (every 5 ms), not just the front ones
  for (const port of [pA, pAs, pT, pTs]) {
    for (let i = 0; !(await accepts(port)); i++) { if (i > 4000) throw new Error(`peer port ${port} never listened`); await sleep(5); }
  }
  const ready = performance.now() - t0;
  await sleep(200);
  const rssKiB = procs.reduce((a, p) => a + hwmKiB(p.pid), 0);
  for (const p of procs) { try { process.kill(-p.pid, 'SIGTERM'); } catch {} live.delete(p); }
  return { ready, rssKiB };
}

const rows = { runCold: [], runWarm: [], upCold: [], upWarm: [], peerCold: [], peerWarm: [] };
for (let i = 0; i < ROUNDS; i++) {
  const a = join(tmp, `run-${i}`); mkdirSync(a);
  rows.runCold.push(await ourRun(a));
  rows.runWarm.push(await ourRun(a));
  const b = join(tmp, `up-${i}`); mkdirSync(b);
  rows.upCold.push(await ourUp(b));
  rows.upWarm.push(await ourUp(b));
  const c = join(tmp, `peer-${i}`); mkdirSync(c);
  rows.peerCold.push(await peer(c, true));
  rows.peerWarm.push(await peer(c, false));
}
const m = (k, f) => median(rows[k].map((r) => r[f]));
const fig = {
  rounds: ROUNDS,
  runExitCodes: [...rows.runCold, ...rows.runWarm].map((r) => r.code),
  run: { readyColdMs: m('runCold', 'ready'), readyWarmMs: m('runWarm', 'ready'), totalColdMs: m('runCold', 'total'), totalWarmMs: m('runWarm', 'total'), peakRssMiB: m('runWarm', 'rssKiB') / 1024 },
  up: { readyColdMs: m('upCold', 'ready'), readyWarmMs: m('upWarm', 'ready'), serverRssMiB: m('upWarm', 'rssKiB') / 1024 },
  peer: { readyColdMs: m('peerCold', 'ready'), readyWarmMs: m('peerWarm', 'ready'), rssMiB: m('peerWarm', 'rssKiB') / 1024 },
};
fig.ratios = {
  runReadyColdVsPeer: fig.run.readyColdMs / fig.peer.readyColdMs,
  runReadyWarmVsPeer: fig.run.readyWarmMs / fig.peer.readyWarmMs,
  upReadyColdVsPeer: fig.up.readyColdMs / fig.peer.readyColdMs,
  upReadyWarmVsPeer: fig.up.readyWarmMs / fig.peer.readyWarmMs,
  upServerRssVsPeer: fig.up.serverRssMiB / fig.peer.rssMiB,
};
const f = (x) => (typeof x === 'number' ? (x >= 100 ? x.toFixed(0) : x.toFixed(2)) : String(x));
console.log(`recipe bench (${ROUNDS} rounds, medians; ratios < 1 mean ours is faster/smaller)`);
console.log(`  recipe run   ready cold ${f(fig.run.readyColdMs)} ms, warm ${f(fig.run.readyWarmMs)} ms; whole default run cold ${f(fig.run.totalColdMs)} ms, warm ${f(fig.run.totalWarmMs)} ms; peak RSS ${f(fig.run.peakRssMiB)} MiB; exits ${fig.runExitCodes.join(',')}`);
console.log(`  recipe up    ready cold ${f(fig.up.readyColdMs)} ms, warm ${f(fig.up.readyWarmMs)} ms; server RSS ${f(fig.up.serverRssMiB)} MiB`);
console.log(`  peer         ready cold ${f(fig.peer.readyColdMs)} ms, warm ${f(fig.peer.readyWarmMs)} ms; RSS of 4 processes ${f(fig.peer.rssMiB)} MiB`);
for (const [k, v] of Object.entries(fig.ratios)) console.log(`  ${k.padEnd(22)} ${v.toFixed(2)}×`);
mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
writeFileSync(join(root, 'tools/bench/out/recipe.json'), `${JSON.stringify(fig, null, 2)}\n`);
