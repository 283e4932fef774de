// Capture throughput and CPU of @flowmill/tls-sink against the pipeline it replaces, measured in the same run.
//
// How it measures (`node tools/bench/tls-sink.mjs [MB=512] [RUNS=5]`, after `npm run build`; peers from setup.sh):
// - Client, the same for every sink: `socat -u -b 131072 OPEN:/dev/zero,readbytes=SIZE OPENSSL:127.0.0.1:PORT`,
//   TLS 1.2 with the agent's only suite (ECDHE-RSA-AES256-GCM-SHA384) or TLS 1.3 (TLS_AES_256_GCM_SHA384).
//   A C client with a 128 KiB buffer costs the shared 2 cores far less than a Node one would.
// - Sinks, a fresh process per run, ready once its port is in LISTEN in /proc/net/tcp (a probe connection would be
//   the one socat without fork serves, or --once's):
//     tls-sink         node packages/tls-sink/dist/tls-sink.js PORT --cert --key --out FILE --quiet
//     stunnel+nc       stunnel (TLS :P -> :Q) + `nc -k -l 127.0.0.1 Q > FILE` (the recipe's pipeline)
//     socat>file       socat -u -b 131072 OPENSSL-LISTEN:P CREATE:FILE        (C: decrypt + file write)
//     tls-sink>null    tls-sink with stdout on /dev/null                      (Node: decrypt only)
//     socat>null       socat -u -b 131072 OPENSSL-LISTEN:P OPEN:/dev/null     (the ceiling: C decrypt only)
// - Time: from the client's spawn until the sink's writing process has handed SIZE bytes to write(2) (its
//   /proc/PID/io wchar, polled every 2 ms; for stunnel+nc, nc's). CPU: utime+stime of the sink's processes
//   (/proc/PID/stat; stunnel + nc for the pipeline) over the same span, as CPU seconds per GiB: much less sensitive
//   to other load on the machine than MB/s.
// - `sync` before each run (the page cache's writeback from one run slows the next by up to ~15% otherwise); a
//   64 MB warm-up run of each sink first, not counted; runs alternate between the sinks (run r starts with sink r);
//   medians of RUNS; MB = 10^6 bytes. The output file is removed after each run.
// - Then 1000 concurrent TLS 1.3 connections (Node clients here, handshaken first, then all sending at once, 512 KiB
//   each): every byte checked (each connection's payload carries its number; --out-dir's files one by one, --out's
//   file as 1000 whole payloads), --out-dir against --out FILE, medians of 3, alternating.
// - Then peak RSS of tls-sink and of stunnel holding 1000 idle TLS connections.
// By hand, one run the same way: see the README's "Benchmarks" (the same commands, timed with a shell loop on wchar).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

const root = new URL('../..', import.meta.url).pathname;
const SIZE = Number(process.argv[2] ?? 512) * 1_000_000;
const RUNS = Number(process.argv[3] ?? 5);
const WARM = 64_000_000;
const CONNS = 1000, PER_CONN = Number(process.argv[4] ?? 512) * 1024, CONC_RUNS = 3;
const BIN = join(root, 'packages/tls-sink/dist/tls-sink.js');
const HZ = 100; // USER_HZ for /proc/<pid>/stat ticks on Linux
const GiB = 1 << 30;

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
const listening = (port) => {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(hex) && / 0A /.test(l) && l.split(/\s+/)[2].endsWith(hex.trim()));
};
async function waitListen(port, procs) {
  for (let i = 0; i < 1000; i++) {
    if (listening(port)) return;
    for (const p of procs) if (p.exitCode !== null) throw new Error(`${p.spawnargs.join(' ')} exited: ${p.errText()}`);
    await sleep(5);
  }
  throw new Error(`nothing listens on ${port}`);
}
const cpuTicks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
const wchar = (pid) => Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
const rssKb = (pid, field = 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const SOCAT_CLIENT_TLS = {
  '1.2': 'openssl-max-proto-version=TLS1.2,cipher=ECDHE-RSA-AES256-GCM-SHA384', // the agent's only TLS 1.2 suite (docs/agent-protocol.md §2.3)
  '1.3': 'openssl-min-proto-version=TLS1.3',
};
const socatListen = (port, to) => start('socat', ['-u', '-b', '131072', `OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,cert=${CERT},key=${KEY},verify=0`, to]);

/** Each sink: { procs (CPU counted), writer (whose wchar ends the run) }. */
const sinks = {
  'tls-sink': async (port, file) => {
    const p = start(process.execPath, [BIN, String(port), '--cert', CERT, '--key', KEY, '--out', file, '--quiet']);
    return { procs: [p], writer: p };
  },
  'stunnel+nc': async (port, file) => {
    const inner = await freePort();
    const conf = join(tmp, `stunnel-${port}.conf`);
    writeFileSync(conf, `foreground = yes\npid =\ndebug = 3\n[telemetry]\naccept = 127.0.0.1:${port}\nconnect = 127.0.0.1:${inner}\ncert = ${CERT}\nkey = ${KEY}\n`);
    const fd = openSync(file, 'w');
    const nc = start('nc', ['-k', '-l', '127.0.0.1', String(inner)], { stdout: fd });
    closeSync(fd);
    await waitListen(inner, [nc]);
    return { procs: [start('stunnel', [conf]), nc], writer: nc };
  },
  'socat>file': async (port, file) => { const p = socatListen(port, `CREATE:${file}`); return { procs: [p], writer: p }; },
  'tls-sink>null': async (port) => {
    const fd = openSync('/dev/null', 'w');
    const p = start(process.execPath, [BIN, String(port), '--cert', CERT, '--key', KEY, '--quiet'], { stdout: fd });
    closeSync(fd);
    return { procs: [p], writer: p };
  },
  'socat>null': async (port) => { const p = socatListen(port, 'OPEN:/dev/null'); return { procs: [p], writer: p }; },
};
// TLS_SINK_BENCH_B=path/to/other/tls-sink.js adds that build as `tls-sink-B` (an A/B of a change, same runs).
if (process.env.TLS_SINK_BENCH_B) {
  sinks['tls-sink-B'] = async (port, file) => {
    const p = start(process.execPath, [process.env.TLS_SINK_BENCH_B, String(port), '--cert', CERT, '--key', KEY, '--out', file, '--quiet']);
    return { procs: [p], writer: p };
  };
}

/** One run: a fresh sink, `sync`, SIZE bytes from the socat client; seconds and CPU until the sink wrote them all. */
async function run(name, version, size) {
  const port = await freePort(), file = join(tmp, `${name}.raw`);
  rmSync(file, { force: true });
  const s = await sinks[name](port, file);
  await waitListen(port, s.procs);
  spawnSync('sync');
  const w0 = wchar(s.writer.pid), cpu0 = s.procs.reduce((n, p) => n + cpuTicks(p.pid), 0);
  const t0 = process.hrtime.bigint();
  const client = start('socat', ['-u', '-b', '131072', `OPEN:/dev/zero,readbytes=${size}`, `OPENSSL:127.0.0.1:${port},verify=0,${SOCAT_CLIENT_TLS[version]}`]);
  while (wchar(s.writer.pid) - w0 < size) {
    if (client.exitCode !== null && client.exitCode !== 0) throw new Error(`client failed against ${name}: ${client.errText()}`);
    await sleep(2);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (s.procs.reduce((n, p) => n + cpuTicks(p.pid), 0) - cpu0) / HZ;
  await client.exited;
  for (const p of s.procs) p.kill('SIGTERM');
  await Promise.all(s.procs.map((p) => p.exited));
  rmSync(file, { force: true });
  return { secs, mbps: size / 1e6 / secs, cpuPerGiB: (cpu * GiB) / size };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
// TLS_SINK_BENCH_ONLY=tls-sink,stunnel+nc limits the single-connection runs (and skips the rest) while developing.
const only = process.env.TLS_SINK_BENCH_ONLY?.split(',');
const names = Object.keys(sinks).filter((n) => !only || only.includes(n));
const load = [loadavg()];
const results = {};
for (const version of ['1.2', '1.3']) {
  for (const name of names) await run(name, version, WARM);
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length];
      const x = await run(name, version, SIZE);
      ((results[version] ??= {})[name] ??= []).push(x);
      console.error(`TLS ${version} run ${r + 1} ${name}: ${x.mbps.toFixed(0)} MB/s, ${x.cpuPerGiB.toFixed(2)} CPU-s/GiB`);
    }
  }
}
load.push(loadavg());
if (only) {
  for (const v of ['1.2', '1.3']) for (const n of names) console.log(`TLS ${v} ${n}: ${median(results[v][n].map((r) => r.mbps)).toFixed(0)} MB/s ${median(results[v][n].map((r) => r.cpuPerGiB)).toFixed(2)} CPU-s/GiB (load ${load[1].map((x) => x.toFixed(2)).join(' ')})`);
  process.exit(0);
}

/** 1000 handshaken TLS 1.3 connections, then all send 512 KiB at once; every byte checked afterwards. */
async function concurrent(mode) {
  const port = await freePort();
  const out = join(tmp, mode === 'dir' ? 'conc-dir' : 'conc.raw');
  rmSync(out, { recursive: true, force: true });
  const p = start(process.execPath, [BIN, String(port), '--cert', CERT, '--key', KEY, mode === 'dir' ? '--out-dir' : '--out', out, '--quiet']);
  await waitListen(port, [p]);
  const socks = [];
  for (let i = 0; i < CONNS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, CONNS - i) }, () => new Promise((res, rej) => {
      const c = tlsConnect({ host: '127.0.0.1', port, ca: CA, servername: 'localhost', minVersion: 'TLSv1.3' }, () => res());
      c.on('error', rej);
      c.resume();
      socks.push(c);
    })));
  }
  const total = CONNS * PER_CONN;
  spawnSync('sync');
  const w0 = wchar(p.pid), cpu0 = cpuTicks(p.pid), t0 = process.hrtime.bigint();
  socks.forEach((c, i) => { const b = Buffer.from(BASE); b.writeUInt32BE(i, 0); c.end(b); });
  // Spooled connections (--out) reach the file only as their turn comes; the spool's temp files count in wchar too.
  const doneBytes = () => (mode === 'dir' ? readdirSync(out).filter((f) => f.endsWith('.raw')).reduce((n, f) => n + fileSize(join(out, f)), 0) : fileSize(out));
  while (doneBytes() < total) await sleep(5);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (cpuTicks(p.pid) - cpu0) / HZ;
  const wrote = wchar(p.pid) - w0;
  await Promise.all(socks.map((c) => new Promise((r) => (c.closed ? r() : c.once('close', r)))));
  p.kill('SIGTERM');
  await p.exited;
  const seen = new Set();
  const check = (buf, where) => {
    for (let off = 0; off < buf.length; off += PER_CONN) {
      const b = buf.subarray(off, off + PER_CONN), id = b.readUInt32BE(0);
      if (b.length !== PER_CONN || id >= CONNS || seen.has(id) || !b.subarray(4).equals(BASE.subarray(4))) throw new Error(`${where}: bytes lost, doubled or mixed at ${off}`);
      seen.add(id);
    }
  };
  if (mode === 'dir') {
    const lines = readFileSync(join(out, 'connections.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines) {
      const b = readFileSync(join(out, l.file));
      if (l.bytes !== PER_CONN || createHash('sha256').update(b).digest('hex') !== l.sha256) throw new Error(`${l.file}: journal and file disagree`);
      check(b, l.file);
    }
  } else check(readFileSync(out), out);
  if (seen.size !== CONNS) throw new Error(`${mode}: ${CONNS - seen.size} connections missing`);
  rmSync(out, { recursive: true, force: true });
  return { secs, mbps: total / 1e6 / secs, cpuPerGiB: (cpu * GiB) / total, wcharPerByte: wrote / total };
}
const fileSize = (f) => { try { return statSync(f).size; } catch { return 0; } };
const BASE = randomBytes(PER_CONN);
const conc = { dir: [], file: [] };
for (let r = 0; r < CONC_RUNS; r++) {
  for (const mode of r % 2 ? ['file', 'dir'] : ['dir', 'file']) {
    const x = await concurrent(mode);
    conc[mode].push(x);
    console.error(`${CONNS} connections --out${mode === 'dir' ? '-dir' : ''} run ${r + 1}: ${x.mbps.toFixed(0)} MB/s, ${x.cpuPerGiB.toFixed(2)} CPU-s/GiB, every byte checked`);
  }
}
load.push(loadavg());

/** Peak RSS of a sink holding CONNS handshaken TLS connections. */
async function idleRss(name) {
  const port = await freePort();
  const s = await sinks[name](port, join(tmp, `idle-${name}.raw`));
  await waitListen(port, s.procs);
  const pid = s.procs[0].pid;
  const before = rssKb(pid, 'VmRSS');
  const socks = [];
  for (let i = 0; i < CONNS; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, CONNS - i) }, () => new Promise((res, rej) => {
      const c = tlsConnect({ host: '127.0.0.1', port, ca: CA, servername: 'localhost' }, () => res());
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
  return { idleKb: before, peakKb: peak, perConnKb: (peak - before) / CONNS };
}
const rss = { 'tls-sink': await idleRss('tls-sink'), stunnel: await idleRss('stunnel+nc') };

const f0 = (x) => x.toFixed(0), f2 = (x) => x.toFixed(2);
const lines = [
  `tls-sink, ${SIZE / 1e6} MB per run, socat client -b 131072, sync before each run, 64 MB warm-up, alternating, median of ${RUNS}`,
  `load average (1/5/15 min) before ${load[0].map(f2).join(' ')}, after the single-connection runs ${load[1].map(f2).join(' ')}`,
];
const out = { method: { sizeBytes: SIZE, runs: RUNS, clientBuffer: 131072, warmupBytes: WARM, sync: true, alternating: true }, load, throughput: {}, concurrent: {}, rss };
for (const version of ['1.2', '1.3']) {
  const m = Object.fromEntries(Object.entries(results[version]).map(([k, rs]) => [k, { mbps: median(rs.map((r) => r.mbps)), cpuPerGiB: median(rs.map((r) => r.cpuPerGiB)), runs: rs }]));
  const ours = m['tls-sink'], pipe = m['stunnel+nc'], ceil = m['socat>null'];
  out.throughput[version] = { ...m, ratioVsStunnel: ours.mbps / pipe.mbps, cpuRatioVsStunnel: ours.cpuPerGiB / pipe.cpuPerGiB, ceilingVsStunnel: ceil.mbps / pipe.mbps, oursOfCeiling: ours.mbps / ceil.mbps };
  lines.push(`TLS ${version}: ` + names.map((n) => `${n} ${f0(m[n].mbps)} MB/s ${f2(m[n].cpuPerGiB)} CPU-s/GiB`).join('; '));
  lines.push(`  tls-sink / stunnel+nc: ${f2(ours.mbps / pipe.mbps)}x MB/s, ${f2(ours.cpuPerGiB / pipe.cpuPerGiB)}x CPU per GiB; ` +
    `ceiling (socat>null) ${f2(ceil.mbps / pipe.mbps)}x stunnel+nc; tls-sink at ${f0((100 * ours.mbps) / ceil.mbps)}% of the ceiling; ` +
    `Node decrypt only ${f2(m['tls-sink>null'].cpuPerGiB)} vs C ${f2(ceil.cpuPerGiB)} CPU-s/GiB, the file write adds ${f2(ours.cpuPerGiB - m['tls-sink>null'].cpuPerGiB)} (Node) / ${f2(m['socat>file'].cpuPerGiB - ceil.cpuPerGiB)} (C)`);
}
for (const mode of ['dir', 'file']) out.concurrent[mode] = { mbps: median(conc[mode].map((r) => r.mbps)), cpuPerGiB: median(conc[mode].map((r) => r.cpuPerGiB)), runs: conc[mode] };
lines.push(`${CONNS} concurrent TLS 1.3 connections x ${PER_CONN / 1024} KiB, no byte lost: --out-dir ${f0(out.concurrent.dir.mbps)} MB/s ${f2(out.concurrent.dir.cpuPerGiB)} CPU-s/GiB; ` +
  `--out FILE ${f0(out.concurrent.file.mbps)} MB/s ${f2(out.concurrent.file.cpuPerGiB)} CPU-s/GiB -> dir/file ${f2(out.concurrent.dir.mbps / out.concurrent.file.mbps)}x (load after: ${load[2].map(f2).join(' ')})`);
lines.push(`${CONNS} idle TLS connections: tls-sink peak RSS ${(rss['tls-sink'].peakKb / 1024).toFixed(1)} MiB (${rss['tls-sink'].perConnKb.toFixed(1)} KiB/conn); ` +
  `stunnel ${(rss.stunnel.peakKb / 1024).toFixed(1)} MiB (${rss.stunnel.perConnKb.toFixed(1)} KiB/conn) -> ${f2(rss['tls-sink'].peakKb / rss.stunnel.peakKb)}x`);
console.log(lines.join('\n'));
mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
writeFileSync(join(root, 'tools/bench/out/tls-sink.json'), `${JSON.stringify(out, null, 2)}\n`);
stopAll();
process.exit(0);
