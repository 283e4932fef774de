// Capture throughput of @flowmill/tls-sink against the sinks it replaces, measured in the same run (BENCHMARKS.md):
//   ours:  the built bin `node packages/tls-sink/dist/tls-sink.js PORT --out FILE`
//   peer1: the recipe's pipeline, stunnel (TLS :P1 -> :P2) + `nc -k -l 127.0.0.1 P2 > FILE` (recorder-recipe.md)
//   peer2: `socat -u OPENSSL-LISTEN:P,... CREATE:FILE` (the best C sink measured in BENCHMARKS.md)
// Client (the same for all three): a Node TLS client in this process writing SIZE bytes from memory with
// backpressure, then a clean close; TLS 1.2 with the agent's only suite (ECDHE-RSA-AES256-GCM-SHA384) and TLS 1.3.
// Time = from the handshake's end until the sink's file holds SIZE bytes (stat every 2 ms). CPU = the sink's processes'
// utime+stime from /proc. Medians of ROUNDS; MB = 10^6 bytes; ratios ours/peer. Also peak RSS of tls-sink (and of
// stunnel) holding 1000 idle TLS connections. 127.0.0.1 only. Keys from the openssl CLI in a temp dir.
// Run after `npm run build`: node tools/bench/tls-sink.mjs [SIZE_MB] [ROUNDS]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

const root = new URL('../..', import.meta.url).pathname;
const SIZE = Number(process.argv[2] ?? 1024) * 1_000_000;
const ROUNDS = Number(process.argv[3] ?? 3);
const IDLE = 1000;
const BIN = join(root, 'packages/tls-sink/dist/tls-sink.js');
const HZ = 100; // USER_HZ for /proc/<pid>/stat ticks on Linux

const tmp = mkdtempSync(join(tmpdir(), 'bench-tls-sink-'));
const children = new Set();
const stopAll = () => { for (const c of children) { try { c.kill('SIGKILL'); } catch {} } };
process.on('exit', () => { stopAll(); rmSync(tmp, { recursive: true, force: true }); });
process.on('SIGINT', () => process.exit(130));

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: tmp, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench CA']);
sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
writeFileSync(join(tmp, 'leaf.ext'), 'subjectAltName=DNS:localhost\n');
sh('openssl', ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'leaf.ext']);
const CERT = join(tmp, 'cert.pem'), KEY = join(tmp, 'key.pem'), CA = readFileSync(join(tmp, 'ca.pem'));

const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(cmd, args, opts = {}) {
  const c = spawn(cmd, args, { stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'], cwd: tmp });
  children.add(c);
  let err = '';
  c.stderr.on('data', (d) => (err += d));
  c.exited = new Promise((r) => c.on('close', r));
  c.on('close', () => children.delete(c));
  c.errText = () => err;
  return c;
}
async function waitPort(port) {
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise((res) => { const s = tcpConnect({ host: '127.0.0.1', port }, () => { s.destroy(); res(true); }); s.on('error', () => res(false)); });
    if (ok) return;
    await sleep(10);
  }
  throw new Error(`nothing listens on ${port}`);
}
const cpuTicks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
const rssKb = (pid, field = 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
/** The pids whose CPU counts as the sink's: the processes themselves and their children (socat forks none here). */
const sinkPids = (procs) => procs.map((p) => p.pid);

const CHUNK = Buffer.alloc(1 << 20, 0x5a);
function tlsOpts(version) {
  return version === '1.2'
    ? { maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' } // the agent's only TLS 1.2 suite (agent-protocol.md §2.3)
    : { minVersion: 'TLSv1.3' };
}

/** One transfer: SIZE bytes through a fresh TLS connection; resolves with seconds until the file holds them all. */
async function transfer(port, version, file, pids) {
  const sock = tlsConnect({ host: '127.0.0.1', port, ca: CA, servername: 'localhost', ...tlsOpts(version) });
  sock.on('error', (e) => { throw e; });
  await new Promise((r) => sock.once('secureConnect', r));
  sock.resume(); // drain what the server sends (TOOLCHAIN.md #15)
  const cpu0 = pids.reduce((n, p) => n + cpuTicks(p), 0);
  const t0 = process.hrtime.bigint();
  let sent = 0;
  const pump = () => {
    while (sent < SIZE) {
      const n = Math.min(CHUNK.length, SIZE - sent);
      sent += n;
      if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return sock.once('drain', pump);
    }
    sock.end();
  };
  pump();
  for (;;) {
    if (existsSync(file) && statSync(file).size >= SIZE) break;
    await sleep(2);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (pids.reduce((n, p) => n + cpuTicks(p), 0) - cpu0) / HZ;
  await new Promise((r) => (sock.closed ? r() : sock.once('close', r)));
  return { secs, mbps: SIZE / 1e6 / secs, cpuPerGiB: (cpu * (1 << 30)) / SIZE };
}

const sinks = {
  'tls-sink': async (file) => {
    const port = await freePort();
    const p = start(process.execPath, [BIN, String(port), '--cert', CERT, '--key', KEY, '--out', file, '--quiet']);
    await waitPort(port);
    return { port, procs: [p] };
  },
  'stunnel+nc': async (file) => {
    const port = await freePort(), inner = await freePort();
    const conf = join(tmp, `stunnel-${port}.conf`);
    writeFileSync(conf, `foreground = yes\npid =\ndebug = 3\n[telemetry]\naccept = 127.0.0.1:${port}\nconnect = 127.0.0.1:${inner}\ncert = ${CERT}\nkey = ${KEY}\n`);
    const { openSync } = await import('node:fs');
    const nc = start('nc', ['-k', '-l', '127.0.0.1', String(inner)], { stdout: openSync(file, 'w') });
    await sleep(50);
    const st = start('stunnel', [conf]);
    await waitPort(port);
    return { port, procs: [st, nc] };
  },
  'socat': async (file) => {
    const port = await freePort();
    const p = start('socat', ['-u', '-b', '131072', `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,cert=${CERT},key=${KEY},verify=0`, `CREATE:${file}`]);
    await waitPort(port); // socat's OPENSSL-LISTEN without fork serves one connection: the probe must not be it
    return { port, procs: [p] };
  },
};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const results = {};
for (const version of ['1.2', '1.3']) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(sinks)) {
      const file = join(tmp, `${name}-${version}-${round}.raw`);
      // socat without fork exits after its first connection, so each transfer gets a fresh sink (all three alike)
      const s = await make(file);
      if (name === 'socat') { /* the readiness probe was its one connection: start a second one for the transfer */
        await s.procs[0].exited;
        rmSync(file, { force: true });
        s.procs = [start('socat', ['-u', '-b', '131072', `OPENSSL-LISTEN:${s.port},bind=127.0.0.1,reuseaddr,cert=${CERT},key=${KEY},verify=0`, `CREATE:${file}`])];
        await sleep(100);
      }
      const r = await transfer(s.port, version, file, sinkPids(s.procs));
      for (const p of s.procs) p.kill('SIGTERM');
      await Promise.all(s.procs.map((p) => p.exited));
      rmSync(file, { force: true });
      spawnSync('sync'); // let write-back of this 1 GB finish before the next sink's turn (it slowed later rounds)
      ((results[version] ??= {})[name] ??= []).push(r);
      console.error(`TLS ${version} round ${round + 1} ${name}: ${r.mbps.toFixed(0)} MB/s, ${r.cpuPerGiB.toFixed(2)} CPU-s/GiB`);
    }
  }
}

/** Peak RSS of a sink holding IDLE handshaken TLS connections. */
async function idleRss(name) {
  const file = join(tmp, `idle-${name}.raw`);
  const s = await sinks[name](file);
  const pid = s.procs[0].pid;
  const before = rssKb(pid, 'VmRSS');
  const socks = [];
  for (let i = 0; i < IDLE; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, IDLE - i) }, () => new Promise((res, rej) => {
      const c = tlsConnect({ host: '127.0.0.1', port: s.port, ca: CA, servername: 'localhost' }, () => res());
      c.on('error', rej);
      c.resume();
      socks.push(c);
    })));
  }
  await sleep(300);
  const peak = rssKb(pid, 'VmHWM');
  for (const c of socks) c.destroy();
  for (const p of s.procs) p.kill('SIGTERM');
  await Promise.all(s.procs.map((p) => p.exited));
  return { idleKb: before, peakKb: peak, perConnKb: (peak - before) / IDLE };
}
const rss = { 'tls-sink': await idleRss('tls-sink'), stunnel: await idleRss('stunnel+nc') };

const lines = [`tls-sink capture throughput, ${SIZE / 1e6} MB per transfer, median of ${ROUNDS} (same client, same run)`];
const out = { size: SIZE, rounds: ROUNDS, throughput: {}, rss };
for (const version of ['1.2', '1.3']) {
  const m = Object.fromEntries(Object.entries(results[version]).map(([k, rs]) => [k, { mbps: median(rs.map((r) => r.mbps)), cpuPerGiB: median(rs.map((r) => r.cpuPerGiB)) }]));
  out.throughput[version] = m;
  const ours = m['tls-sink'];
  lines.push(`TLS ${version}: tls-sink ${ours.mbps.toFixed(0)} MB/s (${ours.cpuPerGiB.toFixed(2)} CPU-s/GiB); ` +
    `stunnel+nc ${m['stunnel+nc'].mbps.toFixed(0)} MB/s (${m['stunnel+nc'].cpuPerGiB.toFixed(2)}) -> ratio ${(ours.mbps / m['stunnel+nc'].mbps).toFixed(2)}x; ` +
    `socat ${m.socat.mbps.toFixed(0)} MB/s (${m.socat.cpuPerGiB.toFixed(2)}) -> ratio ${(ours.mbps / m.socat.mbps).toFixed(2)}x`);
  out.throughput[version].ratioVsStunnel = ours.mbps / m['stunnel+nc'].mbps;
  out.throughput[version].ratioVsSocat = ours.mbps / m.socat.mbps;
}
lines.push(`${IDLE} idle TLS connections: tls-sink peak RSS ${(rss['tls-sink'].peakKb / 1024).toFixed(1)} MiB (${rss['tls-sink'].perConnKb.toFixed(1)} KiB/conn over ${(rss['tls-sink'].idleKb / 1024).toFixed(1)} idle); ` +
  `stunnel ${(rss.stunnel.peakKb / 1024).toFixed(1)} MiB (${rss.stunnel.perConnKb.toFixed(1)} KiB/conn) -> ratio ${(rss['tls-sink'].peakKb / rss.stunnel.peakKb).toFixed(2)}x`);
console.log(lines.join('\n'));
mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
writeFileSync(join(root, 'tools/bench/out/tls-sink.json'), `${JSON.stringify(out, null, 2)}\n`);
stopAll();
process.exit(0);
