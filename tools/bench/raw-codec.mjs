// raw-codec end to end, against peers measured in the same run (BENCHMARKS.md):
//   capture: ≥ 200 MB of agent-shaped records (mostly socket_stats / new_sock_info, 16 KiB flushes, one LZ4 frame
//            each after a raw version_info), made with raw-codec's own RecordEncoder + encodeIntake framing;
//   stats:   `raw-codec stats --json capture`  vs  `lz4 -d` of the same frames into nothing (decompression alone);
//   decode:  `raw-codec decode capture > /dev/null` (NDJSON) in records/s, vs `jq -c .` over a slice of that NDJSON
//            (a JSON throughput reference: lines/s jq needs just to parse and print it again);
//   memory:  peak RSS of decode on the full capture vs on a 10× smaller one (flat memory ⇒ ratio ≈ 1).
// Figures: wall and CPU seconds from GNU time, MB = 10^6 bytes, ratios ours/peer. Results also in tools/bench/out/raw-codec.json.
// Run after `npm run build`: node tools/bench/raw-codec.mjs [MB of records, default 200]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const lib = await import(join(root, 'packages/raw-codec/dist/lib/index.js'));
const bin = join(root, 'packages/raw-codec/dist/raw-codec.js');
const outDir = join(root, 'tools/bench/out');
mkdirSync(outDir, { recursive: true });
const MB = Number(process.argv[2] ?? 200);
const tmp = mkdtempSync(join(tmpdir(), 'raw-codec-bench-'));

/** Writes a capture of ~`mb` MB of records; returns { file, records, recordBytes, frames }. */
function makeCapture(mb, name) {
  const s = lib.builtinSchema('flowmill');
  const e = new lib.RecordEncoder(s.apps.ingest);
  const T = 1_700_000_000_000_000_000n;
  const pool = [];
  for (let i = 0; i < 4096; i++) {
    const sk = 0xffff888012340000n + BigInt(i * 64);
    const k = i % 20;
    pool.push(k < 13 ? e.encode('socket_stats', T, { sk, diff_bytes: BigInt(i * 1448 % 100000), diff_delivered: i % 300, diff_retrans: i % 7 === 0 ? 1 : 0, max_srtt: 200 + i % 5000, is_rx: i & 1 })
      : k < 16 ? e.encode('new_sock_info', T, { pid: 1000 + (i % 700), sk })
      : k < 18 ? e.encode('close_sock_info', T, { sk })
      : k < 19 ? e.encode('set_state_ipv4', T, { dest: 0x0100007f, src: 0x0a00020f, dport: 443, sport: 32768 + i, sk, tx_rx: 1 })
      : e.encode('pid_info_create', T, { pid: 1000 + i, comm: Array.from({ length: 16 }, (_, j) => (j < 6 ? 97 + ((i + j) % 26) : 0)), cgroup: BigInt(i), parent_pid: 1, cmdline: `/usr/bin/worker --id ${i}` }));
  }
  const file = join(tmp, name);
  const fd = openSync(file, 'w');
  const vi = e.encode('version_info', T, { major: 0, minor: 9, build: 4321 });
  writeSync(fd, vi);
  const head = [e.encode('authz_authenticate', T, { token: 'TOKEN', collector_type: 1, hostname: 'bench' })];
  let records = 2, recordBytes = vi.length + head[0].length, frames = 0, i = 0;
  const flush = new Uint8Array(16384); // the agent's BufferedWriter (agent-protocol.md §2.6)
  const dv = new DataView(flush.buffer);
  let n = head[0].length;
  flush.set(head[0]);
  let t = T;
  while (recordBytes < mb * 1e6) {
    const r = pool[i++ & 4095];
    if (n + r.length > flush.length) { writeSync(fd, lib.lz4EncodeFrame(flush.subarray(0, n))); frames++; n = 0; }
    flush.set(r, n);
    dv.setBigUint64(n, (t += 997n), true);
    n += r.length;
    records++;
    recordBytes += r.length;
  }
  writeSync(fd, lib.lz4EncodeFrame(flush.subarray(0, n)));
  frames++;
  closeSync(fd);
  return { file, records, recordBytes, frames, bytes: statSync(file).size };
}

/** Runs a shell command under GNU time; returns { wall, cpu, rssMB, status }. */
function timed(cmd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'bash', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
  const last = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  return { wall: last[0], cpu: last[1] + last[2], rssMB: last[3] / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function best(cmd, runs = 3) {
  const rs = Array.from({ length: runs }, () => timed(cmd));
  return { wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)), rssMB: Math.max(...rs.map((r) => r.rssMB)) };
}

console.error(`raw-codec bench: generating ~${MB} MB of records…`);
const big = makeCapture(MB, 'big.raw');
const small = makeCapture(MB / 10, 'small.raw');
const frames = join(tmp, 'frames.lz4');
spawnSync('bash', ['-c', `tail -c +25 ${big.file} > ${frames}`]);
// The same records as a record file (no LZ4): made by the lz4 CLI, so it also cross-checks our frames.
const recordFile = join(tmp, 'big.record');
spawnSync('bash', ['-c', `(head -c 24 ${big.file}; lz4 -d -c ${frames}) > ${recordFile}`]);
if (statSync(recordFile).size !== big.recordBytes) throw new Error('lz4 -d of our frames does not give the records back');

const stats = best(`node ${bin} stats -q --json ${big.file} > /dev/null`);
const lz4d = best(`lz4 -d -c ${frames} > /dev/null`);
const statsRec = best(`node ${bin} stats -q --json ${recordFile} > /dev/null`);
const decode = best(`node ${bin} decode -q ${big.file} > /dev/null`);
const decSmall = best(`node ${bin} decode -q ${small.file} > /dev/null`, 1);
// jq peer on a slice of our NDJSON (jq over all of it would take minutes).
const slice = join(tmp, 'slice.ndjson');
const SLICE = 500_000;
spawnSync('bash', ['-c', `node ${bin} decode -q ${big.file} | head -n ${SLICE} > ${slice}`]);
const jq = best(`jq -c . ${slice} > /dev/null`, 1);
const ourSlice = best(`head -c ${Math.ceil(big.bytes * SLICE / big.records)} ${big.file} | node ${bin} decode -q --kind intake --schema flowmill 2>/dev/null > /dev/null; true`, 1);

const r = {
  capture: { records: big.records, recordMB: +(big.recordBytes / 1e6).toFixed(1), fileMB: +(big.bytes / 1e6).toFixed(1), frames: big.frames },
  stats: { wallS: stats.wall, cpuS: stats.cpu, recordsPerS: Math.round(big.records / stats.wall), plaintextMBps: +(big.recordBytes / 1e6 / stats.wall).toFixed(0), rssMB: +stats.rssMB.toFixed(0) },
  statsRecordFile: { wallS: statsRec.wall, cpuS: statsRec.cpu, recordsPerS: Math.round(big.records / statsRec.wall), MBps: +(big.recordBytes / 1e6 / statsRec.wall).toFixed(0) },
  lz4d: { wallS: lz4d.wall, cpuS: lz4d.cpu, plaintextMBps: +(big.recordBytes / 1e6 / lz4d.wall).toFixed(0) },
  decode: { wallS: decode.wall, cpuS: decode.cpu, recordsPerS: Math.round(big.records / decode.wall), recordsPerCpuS: Math.round(big.records / decode.cpu), rssMB: +decode.rssMB.toFixed(0) },
  jq: { lines: SLICE, wallS: jq.wall, cpuS: jq.cpu, linesPerS: Math.round(SLICE / jq.wall) },
  ourSliceWallS: ourSlice.wall,
  memory: { rssSmallMB: +decSmall.rssMB.toFixed(0), rssBigMB: +decode.rssMB.toFixed(0), ratio: +(decode.rssMB / decSmall.rssMB).toFixed(2) },
};
r.ratios = {
  statsVsLz4d_wall: +(lz4d.wall / stats.wall).toFixed(2),
  statsVsLz4d_cpu: +(lz4d.cpu / stats.cpu).toFixed(2),
  ndjsonVsJq_linesPerS: +(r.decode.recordsPerS / r.jq.linesPerS).toFixed(1),
};
writeFileSync(join(outDir, 'raw-codec.json'), `${JSON.stringify(r, null, 1)}\n`);
rmSync(tmp, { recursive: true, force: true });

console.log(`raw-codec bench (${r.capture.records} records, ${r.capture.recordMB} MB of records in ${r.capture.frames} LZ4 frames, ${r.capture.fileMB} MB on disk)
stats:  ${r.stats.wallS} s wall, ${r.stats.cpuS.toFixed(2)} s CPU: ${r.stats.recordsPerS} records/s, ${r.stats.plaintextMBps} MB/s of records, peak RSS ${r.stats.rssMB} MB
stats on the record file (no LZ4: record split + counts only): ${r.statsRecordFile.wallS} s wall: ${r.statsRecordFile.recordsPerS} records/s, ${r.statsRecordFile.MBps} MB/s
lz4 -d: ${r.lz4d.wallS} s wall, ${r.lz4d.cpuS.toFixed(2)} s CPU: ${r.lz4d.plaintextMBps} MB/s (decompression only, native)
  → stats pass (LZ4 + record split + counts, JS) at ${r.ratios.statsVsLz4d_wall}× lz4 -d by wall clock, ${r.ratios.statsVsLz4d_cpu}× by CPU
decode: ${r.decode.wallS} s wall, ${r.decode.cpuS.toFixed(2)} s CPU: ${r.decode.recordsPerS} NDJSON records/s (${r.decode.recordsPerCpuS}/CPU-s), peak RSS ${r.decode.rssMB} MB
jq -c . over ${SLICE} of those lines: ${r.jq.wallS} s: ${r.jq.linesPerS} lines/s → decode is ${r.ratios.ndjsonVsJq_linesPerS}× jq's line rate
memory: peak RSS ${r.memory.rssSmallMB} MB on ${(r.capture.recordMB / 10).toFixed(0)} MB, ${r.memory.rssBigMB} MB on ${r.capture.recordMB} MB (ratio ${r.memory.ratio})`);
