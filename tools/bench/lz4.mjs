// LZ4 frame codec of @flowmill/raw-codec against its peers, measured in the same run (BENCHMARKS.md):
//   decode: ours (streaming Lz4FrameDecoder, 64 KiB pushes) vs `lz4 -d -c file > /dev/null` vs lz4js 0.2.0
//   encode: ours (lz4EncodeFrame) vs `lz4 -1`
// on ~200 MB of agent-shaped plaintext (record-like, moderately compressible) in two shapes:
//   intake: one frame per 16 KiB flush, written by liblz4's frame API with NULL preferences (the agent's frames,
//           via packages/raw-codec/test/fixtures/lz4f-helper.c), i.e. what a tls-sink capture holds after version_info;
//   stream: one big -B4 linked-block stream written by `lz4 -1 -B4 -BD`.
// Figures: MB/s of plaintext (MB = 10^6 bytes), medians of RUNS runs, and ratios ours/peer. Peak RSS of a streaming
// decode in a child process (sampled as it goes, to show it stays flat).
// Run: node --conditions=@flowmill/source --import tsx tools/bench/lz4.mjs [MB]   (or `npm run bench -- lz4`)
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const { Lz4FrameDecoder, lz4EncodeFrame } = await import(join(root, 'packages/raw-codec/src/lz4/index.ts'));

const PUSH = 65536; // bytes per push, like socket reads

if (process.argv[2] === '--rss-child') {
  // Streams a file through the decoder from disk and reports RSS samples as JSON on stdout.
  const file = process.argv[3];
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(PUSH);
  const dec = new Lz4FrameDecoder();
  let read = 0;
  let out = 0;
  const samples = [];
  let next = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, PUSH, null);
    if (n === 0) break;
    read += n;
    const chunk = buf.subarray(0, n);
    for (let p = 0; p < n; ) {
      const r = dec.push(chunk, p);
      p += r.consumed;
      for (const o of r.output) out += o.length;
    }
    if (read >= next) {
      samples.push({ at: +(read / size).toFixed(2), rssMB: +(process.memoryUsage().rss / 1e6).toFixed(1) });
      next += size / 10;
    }
  }
  dec.finish();
  closeSync(fd);
  console.log(JSON.stringify({ out, samples, maxRssMB: +(process.resourceUsage().maxRSS / 1e3).toFixed(1) }));
  process.exit(0);
}

const MB = Number(process.argv[2] ?? 200);
const RUNS = 5;
const dir = mkdtempSync(join(tmpdir(), 'lz4-bench-'));
const outDir = join(root, 'tools/bench/out');
mkdirSync(outDir, { recursive: true });

// --- Agent-shaped plaintext: u64 timestamp | u16 rpc id | fields, ids and values drawn from small pools. ---------
function makeRecords(total) {
  const buf = new Uint8Array(total + 4096);
  const dv = new DataView(buf.buffer);
  let s = 0x2545f491;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
  const pick = (n) => Math.floor(rnd() * n);
  const socks = Array.from({ length: 400 }, () => [0xffff8880 >>> 0, (pick(1 << 24) << 6) >>> 0]);
  const pids = Array.from({ length: 120 }, () => 1000 + pick(60000));
  const ips = Array.from({ length: 80 }, () => [10, pick(4), pick(256), pick(256)]);
  const names = ['nginx', 'curl', 'kube-proxy', 'coredns', 'postgres', 'java', 'python3', 'envoy', 'containerd-shim', 'sshd'];
  const te = new TextEncoder();
  const nameBytes = names.map((n) => te.encode(n));
  let ts = 0x16b8000000000000n;
  let p = 0;
  while (p < total) {
    ts += BigInt(1 + pick(50000));
    dv.setBigUint64(p, ts, true);
    const kind = pick(10);
    if (kind < 5) {
      // tcp/udp socket stats: id, sk, pid, addresses, ports, counters (fixed 56 B)
      dv.setUint16(p + 8, 420 + pick(3), true);
      const sk = socks[pick(socks.length)];
      dv.setUint32(p + 16, sk[1], true); dv.setUint32(p + 20, sk[0], true);
      dv.setUint32(p + 24, pids[pick(pids.length)], true);
      buf.set(ips[pick(ips.length)], p + 28); buf.set(ips[pick(ips.length)], p + 32);
      dv.setUint16(p + 36, 443, true); dv.setUint16(p + 38, 32768 + pick(28000), true);
      dv.setUint32(p + 40, pick(1 << 20), true); dv.setUint32(p + 44, pick(4096), true);
      dv.setUint32(p + 48, pick(200), true); dv.setUint32(p + 52, 0, true);
      p += 56;
    } else if (kind < 8) {
      // process/container info with strings (dynamic): id, len, pid, comm
      const nb = nameBytes[pick(nameBytes.length)];
      dv.setUint16(p + 8, 300 + pick(6), true);
      dv.setUint16(p + 10, 16 + nb.length, true);
      dv.setUint32(p + 12, pids[pick(pids.length)], true);
      dv.setUint32(p + 16, pick(1 << 30), true);
      buf.set(nb, p + 20);
      p += 20 + nb.length;
    } else {
      // heartbeat-like / small fixed records
      dv.setUint16(p + 8, 257 + pick(2), true);
      p += 10;
    }
  }
  return buf.subarray(0, total);
}

function median(xs) {
  const a = [...xs].sort((x, y) => x - y);
  return a[a.length >> 1];
}
function timeIt(fn) {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}
function mbps(bytes, s) {
  return bytes / 1e6 / s;
}

const plain = makeRecords(MB * 1e6);
const plainFile = join(dir, 'plain.bin');
writeFileSync(plainFile, plain);

// Peers' files.
const helper = join(dir, 'lz4f');
execFileSync('cc', ['-O2', '-o', helper, join(root, 'packages/raw-codec/test/fixtures/lz4f-helper.c'), '-llz4']);
const intakeFile = join(dir, 'intake.lz4');
execFileSync('sh', ['-c', `"${helper}" reuse 16384 < "${plainFile}" > "${intakeFile}"`]);
const streamFile = join(dir, 'stream.lz4');
execFileSync('lz4', ['-q', '-f', '-1', '-B4', '-BD', plainFile, streamFile]);

const lz4js = createRequire(import.meta.url)(join(root, 'node_modules/lz4js/lz4.js'));
const devnull = openSync('/dev/null', 'w');

function oursDecode(data) {
  const dec = new Lz4FrameDecoder();
  let out = 0;
  for (let s = 0; s < data.length; s += PUSH) {
    const chunk = data.subarray(s, Math.min(data.length, s + PUSH));
    for (let p = 0; p < chunk.length; ) {
      const r = dec.push(chunk, p);
      p += r.consumed;
      for (const o of r.output) out += o.length;
    }
  }
  dec.finish();
  return out;
}
function cliDecode(file) {
  const r = spawnSync('lz4', ['-d', '-c', '-q', file], { stdio: ['ignore', devnull, 'inherit'] });
  if (r.status !== 0) throw new Error(`lz4 -d exit ${r.status}`);
}

const results = { MB, runs: RUNS, plainBytes: plain.length, shapes: {} };
for (const [shape, file] of [['intake (16 KiB frames, liblz4 NULL prefs)', intakeFile], ['stream (lz4 -1 -B4 -BD)', streamFile]]) {
  const data = new Uint8Array(readFileSync(file));
  // Correctness first: ours must give the plaintext back.
  {
    const dec = new Lz4FrameDecoder();
    const parts = [];
    for (let p = 0; p < data.length; ) {
      const r = dec.push(data, p);
      p += r.consumed;
      parts.push(...r.output);
    }
    dec.finish();
    const back = Buffer.concat(parts);
    if (Buffer.compare(back, Buffer.from(plain.buffer, plain.byteOffset, plain.length)) !== 0) throw new Error(`${shape}: our decode differs from the plaintext`);
  }
  // lz4js: one frame at a time into a reused buffer (it has no multi-frame API); frame ends found by our decoder.
  const frameEnds = [];
  {
    const dec = new Lz4FrameDecoder();
    for (let p = 0; p < data.length; ) {
      const r = dec.push(data, p);
      p += r.consumed;
      if (r.frameEnded) frameEnds.push(p);
    }
  }
  const jsDst = new Uint8Array(frameEnds.length === 1 ? plain.length : 1 << 20);
  const lz4jsDecode = () => {
    let s = 0;
    let out = 0;
    for (const e of frameEnds) {
      out += lz4js.decompressFrame(data.subarray(s, e), jsDst);
      s = e;
    }
    if (out !== plain.length) throw new Error(`lz4js decoded ${out} bytes, want ${plain.length}`);
  };
  const t = { ours: [], cli: [], lz4js: [] };
  for (let i = 0; i < RUNS; i++) {
    t.cli.push(timeIt(() => cliDecode(file)));
    t.ours.push(timeIt(() => oursDecode(data)));
    t.lz4js.push(timeIt(lz4jsDecode));
  }
  const ours = mbps(plain.length, median(t.ours));
  const cli = mbps(plain.length, median(t.cli));
  const js = mbps(plain.length, median(t.lz4js));
  results.shapes[shape] = {
    compressedBytes: data.length, frames: frameEnds.length, ratio: +(plain.length / data.length).toFixed(2),
    decodeMBps: { ours: +ours.toFixed(0), lz4cli: +cli.toFixed(0), lz4js: +js.toFixed(0) },
    oursVsLz4cli: +(ours / cli).toFixed(2), oursVsLz4js: +(ours / js).toFixed(2),
  };
}

// Encode: ours per 16 KiB flush (the agent's shape) and as one -B4 linked stream, vs `lz4 -1` on the whole file.
{
  const t = { flush: [], stream: [], cli: [] };
  let flushBytes = 0;
  let streamBytes = 0;
  const cliOut = join(dir, 'cli-enc.lz4');
  for (let i = 0; i < RUNS; i++) {
    t.cli.push(timeIt(() => execFileSync('lz4', ['-q', '-f', '-1', '-B4', '-BD', plainFile, cliOut])));
    t.flush.push(timeIt(() => {
      flushBytes = 0;
      for (let s = 0; s < plain.length; s += 16384) flushBytes += lz4EncodeFrame(plain.subarray(s, s + 16384)).length;
    }));
    t.stream.push(timeIt(() => { streamBytes = lz4EncodeFrame(plain).length; }));
  }
  const cliBytes = statSync(cliOut).size;
  const helperBytes = statSync(intakeFile).size;
  const cli = mbps(plain.length, median(t.cli));
  const flush = mbps(plain.length, median(t.flush));
  const stream = mbps(plain.length, median(t.stream));
  results.encode = {
    MBps: { ours16KiBFrames: +flush.toFixed(0), oursOneStream: +stream.toFixed(0), lz4cli_1: +cli.toFixed(0) },
    oursStreamVsLz4cli: +(stream / cli).toFixed(2), ours16KiBVsLz4cli: +(flush / cli).toFixed(2),
    ratio: { ours16KiBFrames: +(plain.length / flushBytes).toFixed(3), liblz4_16KiBFrames: +(plain.length / helperBytes).toFixed(3),
      oursOneStream: +(plain.length / streamBytes).toFixed(3), lz4cli_1: +(plain.length / cliBytes).toFixed(3) },
  };
}

// Peak RSS of a streaming decode (child process reading the intake file in 64 KiB pieces).
{
  const r = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--rss-child', intakeFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
  results.streamingDecodeRss = JSON.parse(r.stdout);
}

closeSync(devnull);
rmSync(dir, { recursive: true, force: true });
const text = JSON.stringify(results, null, 2);
console.log(text);
writeFileSync(join(outDir, 'lz4.json'), text + '\n');
