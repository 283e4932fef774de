// raw-codec end to end, whole processes, each figure a ratio against its peer measured in the same run (issue 17):
//   captures: ~1 GB and ~100 MB of plaintext records in one intake connection: the raw version_info, then one LZ4
//             frame per ≤ 16 KiB flush, as the agent frames them (our Lz4FrameEncoder, which the interop tests hold
//             byte-identical to liblz4's frame API with NULL preferences, the agent's calls). Records: every ingest
//             message of the Flowmill schema once per 4096, the rest an agent-shaped mix (socket_stats, new_sock_info,
//             close_sock_info, set_state_ipv4, pid_info_create), timestamps rising.
//   stats:    `raw-codec stats --json FILE > /dev/null` vs `lz4 -dc FRAMES > /dev/null` on the same frames (the
//             capture without its 24-byte version_info); 1 GB (throughput) and 100 MB (start-up included).
//   decode:   `raw-codec decode FILE | wc -l` (NDJSON into a pipe), 1 GB: records/s, and peak RSS of the node process.
//   start:    `raw-codec --version` vs `node -e 0`, medians of 21 alternating runs.
// Figures: medians of RUNS (default 3) wall-clock runs (GNU time: also CPU and peak RSS), MB = 10^6 bytes.
// Results also in tools/bench/out/raw-codec.json. Run after `npm run build`:
//   node tools/bench/raw-codec.mjs [MB of the big capture, default 1000] [runs, default 3]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const lib = await import(join(root, 'packages/raw-codec/dist/lib/index.js'));
const bin = join(root, 'packages/raw-codec/dist/raw-codec.js');
const outDir = join(root, 'tools/bench/out');
mkdirSync(outDir, { recursive: true });
const MB = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 3);
const tmp = mkdtempSync(join(tmpdir(), 'raw-codec-bench-'));

/** A pool of encoded records: every ingest message once, then the agent-shaped mix. */
function recordPool(e, schema) {
  const T = 1_700_000_000_000_000_000n;
  const val = (f, i) => {
    const one = f.type === 'string' ? `value-${i}` : f.type.startsWith('string<') ? 'ab' : (i % 100) + 1;
    return f.arrayLength ? Array.from({ length: f.arrayLength }, () => (f.type === 'string' ? 'x' : 1)) : one;
  };
  const pool = schema.apps.ingest.messages.map((m) => e.encode(m.name, T, Object.fromEntries(m.fields.map((f, i) => [f.name, val(f, i)]))));
  for (let i = pool.length; i < 4096; i++) {
    const sk = 0xffff888012340000n + BigInt(i * 64);
    const k = i % 20;
    pool.push(k < 13 ? e.encode('socket_stats', T, { sk, diff_bytes: BigInt(i * 1448 % 100000), diff_delivered: i % 300, diff_retrans: i % 7 === 0 ? 1 : 0, max_srtt: 200 + i % 5000, is_rx: i & 1 })
      : k < 16 ? e.encode('new_sock_info', T, { pid: 1000 + (i % 700), sk })
      : k < 18 ? e.encode('close_sock_info', T, { sk })
      : k < 19 ? e.encode('set_state_ipv4', T, { dest: 0x0100007f, src: 0x0a00020f, dport: 443, sport: 32768 + i, sk, tx_rx: 1 })
      : e.encode('pid_info_create', T, { pid: 1000 + i, comm: Array.from({ length: 16 }, (_, j) => (j < 6 ? 97 + ((i + j) % 26) : 0)), cgroup: BigInt(i), parent_pid: 1, cmdline: `/usr/bin/worker --id ${i}` }));
  }
  return pool;
}

/** Writes a capture of ~`mb` MB of records; returns { file, frames file, records, recordBytes, frames, bytes }. */
function makeCapture(mb, name) {
  const s = lib.builtinSchema('flowmill');
  const e = new lib.RecordEncoder(s.apps.ingest);
  const pool = recordPool(e, s);
  const T = 1_700_000_000_000_000_000n;
  const file = join(tmp, `${name}.raw`);
  const framesFile = join(tmp, `${name}.lz4`);
  const fd = openSync(file, 'w');
  const fdFrames = openSync(framesFile, 'w');
  const vi = e.encode('version_info', T, { major: 0, minor: 9, build: 4321 });
  writeSync(fd, vi);
  const head = e.encode('authz_authenticate', T, { token: 'TOKEN', collector_type: 1, hostname: 'bench' });
  const lz4 = new lib.Lz4FrameEncoder(); // one context for the connection, as the agent keeps one
  const flush = new Uint8Array(16384); // the agent's BufferedWriter (collector/constants.h@3598385a:23)
  const dv = new DataView(flush.buffer);
  let records = 2, recordBytes = vi.length + head.length, frames = 0, i = 0, n = head.length;
  flush.set(head);
  let t = T;
  const emit = () => { const f = lz4.encode(flush.subarray(0, n)); writeSync(fd, f); writeSync(fdFrames, f); frames++; n = 0; };
  while (recordBytes < mb * 1e6) {
    const r = pool[i++ & 4095];
    if (n + r.length > flush.length) emit();
    flush.set(r, n);
    dv.setBigUint64(n, (t += 997n), true);
    n += r.length;
    records++;
    recordBytes += r.length;
  }
  emit();
  closeSync(fd);
  closeSync(fdFrames);
  return { file, framesFile, records, recordBytes, frames, bytes: statSync(file).size };
}

/** Runs a shell command under GNU time; `timed` is the part measured. Returns { wall, cpu, rssMB }. */
function timed(cmd) {
  const r = spawnSync('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  const last = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
  return { wall: last[0], cpu: last[1] + last[2], rssMB: last[3] / 1024 };
}
const T = (cmd) => `/usr/bin/time -f '%e %U %S %M' ${cmd}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Median of RUNS runs of each command, alternating them, so a busy moment hits both alike. */
function pair(cmds) {
  const rs = cmds.map(() => []);
  for (let k = 0; k < RUNS; k++) cmds.forEach((c, j) => rs[j].push(timed(c)));
  return rs.map((r) => ({ wall: median(r.map((x) => x.wall)), cpu: median(r.map((x) => x.cpu)), rssMB: Math.max(...r.map((x) => x.rssMB)) }));
}

function startTimes() {
  const t = (args) => { const s = process.hrtime.bigint(); spawnSync(process.execPath, args, { stdio: 'ignore' }); return Number(process.hrtime.bigint() - s) / 1e6; };
  const a = [], b = [];
  for (let i = 0; i < 21; i++) { a.push(t(['-e', '0'])); b.push(t([bin, '--version'])); }
  return { nodeMs: +median(a).toFixed(1), versionMs: +median(b).toFixed(1) };
}

console.error(`raw-codec bench: generating ~${MB} MB and ~${MB / 10} MB captures…`);
const big = makeCapture(MB, 'big');
const small = makeCapture(MB / 10, 'small');
// The frames must decode with liblz4 to exactly the records: a cross-check of the capture, and lz4's output size.
const check = spawnSync('bash', ['-c', `lz4 -dc ${big.framesFile} | wc -c`]);
if (Number(check.stdout.toString()) !== big.recordBytes - 24) throw new Error('lz4 -dc of our frames does not give the records back');

console.error('raw-codec bench: stats vs lz4 -dc, 1 GB…');
const [statsBig, lz4Big] = pair([T(`node ${bin} stats -q --json ${big.file} > /dev/null`), T(`lz4 -dc ${big.framesFile} > /dev/null`)]);
console.error('raw-codec bench: stats vs lz4 -dc, 100 MB…');
const [statsSmall, lz4Small] = pair([T(`node ${bin} stats -q --json ${small.file} > /dev/null`), T(`lz4 -dc ${small.framesFile} > /dev/null`)]);
console.error('raw-codec bench: decode | wc -l, 1 GB…');
// GNU time wraps node only, so the RSS is the decoder's; wc -l checks every record came out.
const lines = spawnSync('bash', ['-c', `node ${bin} decode -q ${small.file} | wc -l`]).stdout.toString().trim();
if (Number(lines) !== small.records) throw new Error(`decode wrote ${lines} lines for ${small.records} records`);
const [decode] = pair([`bash -c "${T(`node ${bin} decode -q ${big.file}`)} | wc -l > /dev/null"`]);
const [decodeSmall] = pair([`bash -c "${T(`node ${bin} decode -q ${small.file}`)} | wc -l > /dev/null"`]);
console.error('raw-codec bench: start-up…');
const start = startTimes();

const r = {
  capture: { big: { records: big.records, recordMB: +(big.recordBytes / 1e6).toFixed(1), fileMB: +(big.bytes / 1e6).toFixed(1), frames: big.frames }, small: { records: small.records, recordMB: +(small.recordBytes / 1e6).toFixed(1), frames: small.frames } },
  runs: RUNS,
  stats1G: { wallS: statsBig.wall, cpuS: +statsBig.cpu.toFixed(2), rssMB: Math.round(statsBig.rssMB), lz4WallS: lz4Big.wall, lz4CpuS: +lz4Big.cpu.toFixed(2), ratio: +(lz4Big.wall / statsBig.wall).toFixed(2), goal: 0.5 },
  stats100M: { wallS: statsSmall.wall, cpuS: +statsSmall.cpu.toFixed(2), lz4WallS: lz4Small.wall, lz4CpuS: +lz4Small.cpu.toFixed(2), ratio: +(lz4Small.wall / statsSmall.wall).toFixed(2), goal: 0.3 },
  decode1G: { wallS: decode.wall, cpuS: +decode.cpu.toFixed(2), recordsPerS: Math.round(big.records / decode.wall), rssMB: Math.round(decode.rssMB), rss100MBCaptureMB: Math.round(decodeSmall.rssMB), goalRecordsPerS: 1.5e6, goalRssMB: 150 },
  start: { ...start, overMs: +(start.versionMs - start.nodeMs).toFixed(1), goalOverMs: 15 },
};
writeFileSync(join(outDir, 'raw-codec.json'), `${JSON.stringify(r, null, 1)}\n`);
rmSync(tmp, { recursive: true, force: true });

const ok = (b) => (b ? 'met' : 'NOT met');
const load = (await import('node:os')).loadavg()[0];
console.log(`raw-codec bench (medians of ${RUNS}; load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs at the end; big capture ${r.capture.big.records} records, ${r.capture.big.recordMB} MB of records in ${r.capture.big.frames} LZ4 frames, ${r.capture.big.fileMB} MB on disk)
stats 1 GB:   ${r.stats1G.wallS} s (${r.stats1G.cpuS} s CPU, ${r.stats1G.rssMB} MB RSS) vs lz4 -dc ${r.stats1G.lz4WallS} s (${r.stats1G.lz4CpuS} s CPU) → ${r.stats1G.ratio}× by wall clock, ${(r.stats1G.lz4CpuS / r.stats1G.cpuS).toFixed(2)}× by CPU (goal ≥ 0.5×: ${ok(r.stats1G.ratio >= 0.5)})
stats 100 MB: ${r.stats100M.wallS} s (${r.stats100M.cpuS} s CPU) vs lz4 -dc ${r.stats100M.lz4WallS} s (${r.stats100M.lz4CpuS} s CPU) → ${r.stats100M.ratio}× by wall clock, ${(r.stats100M.lz4CpuS / r.stats100M.cpuS).toFixed(2)}× by CPU (goal ≥ 0.3×: ${ok(r.stats100M.ratio >= 0.3)})
decode 1 GB | wc -l: ${r.decode1G.wallS} s (${r.decode1G.cpuS} s CPU): ${(r.decode1G.recordsPerS / 1e6).toFixed(2)} M records/s (${(r.capture.big.records / r.decode1G.cpuS / 1e6).toFixed(2)} M per CPU-second), peak RSS ${r.decode1G.rssMB} MB (${r.decode1G.rss100MBCaptureMB} MB on the 100 MB capture) (goal ≥ 1.5 M/s, < 150 MB: ${ok(r.decode1G.recordsPerS >= 1.5e6 && r.decode1G.rssMB < 150)})
start: raw-codec --version ${r.start.versionMs} ms vs node -e 0 ${r.start.nodeMs} ms → +${r.start.overMs} ms (goal ≤ +15 ms: ${ok(r.start.overMs <= 15)})`);
