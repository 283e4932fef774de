// LZ4 frame codec of @flowmill/raw-codec against its peers, measured in the same run (docs/development.md "Benchmarks"):
//   decode: ours (streaming Lz4FrameDecoder, 64 KiB pushes; output 'copy' (default) and 'view'; blocks by liblz4
//           built to WebAssembly (default; with `wasmWindow`, as the intake demux runs it: output decoded in place)
//           and by our TypeScript block decoder (the fallback)) vs
//           `lz4 -d -c file > /dev/null` vs lz4js 0.2.0 (frame by frame into one reused buffer: it has no streaming
//           or multi-frame API, and it verifies nothing, so this flatters it)
//   encode: ours (lz4EncodeFrame) vs `lz4 -1`
// on ~200 MB of agent-shaped plaintext (record-like, moderately compressible) in two shapes:
//   intake: one frame per 16 KiB flush, written by liblz4's frame API with NULL preferences (the agent's frames,
//           via packages/raw-codec/test/fixtures/lz4f-helper.c), i.e. what a tls-sink capture holds after version_info;
//   stream: one big -B4 linked-block stream written by `lz4 -1 -B4 -BD`.
// Figures: MB/s of plaintext (MB = 10^6 bytes), medians of RUNS runs, and ratios ours/peer, both by wall clock and by
// CPU time of the decoding process (GNU time for the CLI): the machine is shared, and CPU time is the steadier one. Peak RSS of a streaming
// decode in a child process (sampled as it goes, to show it stays flat).
// Run: node --conditions=@flowmill/source --import tsx tools/bench/lz4.mjs [MB]   (or `npm run bench -- lz4`)
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const { Lz4FrameDecoder, Lz4FrameEncoder, lz4EncodeFrame } = await import(join(root, 'packages/raw-codec/src/lz4/index.ts'));

const PUSH = 65536; // bytes per push, like socket reads

if (process.argv[2] === '--rss-child') {
  // Streams a file through the decoder from disk and reports RSS samples as JSON on stdout.
  const file = process.argv[3];
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(PUSH);
  const dec = new Lz4FrameDecoder();
  const rssBeforeMB = +(process.memoryUsage().rss / 1e6).toFixed(1);
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
  // VmHWM (peak RSS of this process image); getrusage's maxRSS would include the parent's size at fork time.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(JSON.stringify({ out, rssBeforeMB, samples, peakRssMB: hwm ? +(Number(hwm[1]) / 1e3).toFixed(1) : null }));
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
  // Pools, as a host has: a few hundred sockets, ~100 processes, a few dozen peers, a handful of server ports.
  // A socket's fields (sk, pid, addresses, ports) stay the same from one report to the next.
  const pids = Array.from({ length: 100 }, () => 1000 + pick(60000));
  const ips = Array.from({ length: 40 }, () => [10, pick(4), pick(256), pick(256)]);
  const ports = [443, 80, 53, 5432, 8080, 6443, 9090, 2379];
  const socks = Array.from({ length: 300 }, () => {
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setUint32(0, (pick(1 << 22) << 6) >>> 0, true); v.setUint32(4, 0xffff8880, true);
    v.setUint32(8, pids[pick(pids.length)], true);
    b.set(ips[pick(ips.length)], 12); b.set(ips[pick(ips.length)], 16);
    v.setUint16(20, ports[pick(ports.length)], true); v.setUint16(22, 32768 + pick(28000), true);
    return b;
  });
  const names = ['nginx', 'curl', 'kube-proxy', 'coredns', 'postgres', 'java', 'python3', 'envoy', 'containerd-shim', 'sshd'];
  const nameBytes = names.map((n) => new TextEncoder().encode(n));
  let ts = 0x16b8000000000000n;
  let p = 0;
  while (p < total) {
    ts += BigInt(1 + pick(20000));
    dv.setBigUint64(p, ts, true);
    const kind = pick(10);
    if (kind < 5) {
      // socket stats (fixed 72 B): id, sk, pid, addresses, ports, then u64 counters (small values), rtt, flags
      dv.setUint16(p + 8, 420 + pick(3), true);
      buf.set(socks[Math.min(pick(socks.length), pick(socks.length))], p + 12); // some sockets are busier
      buf.fill(0, p + 36, p + 72);
      dv.setUint32(p + 40, pick(1 << 16), true); // bytes (u64)
      dv.setUint16(p + 48, pick(64), true); // packets (u64)
      if (pick(4) === 0) dv.setUint16(p + 56, pick(200), true); // retransmits (u64)
      dv.setUint32(p + 64, 20000 + pick(2000), true); // srtt µs (u32)
      p += 72;
    } else if (kind < 8) {
      // process / container info with a string (dynamic): id, len, pid, cgroup, comm
      const nb = nameBytes[pick(nameBytes.length)];
      dv.setUint16(p + 8, 300 + pick(6), true);
      dv.setUint16(p + 10, 20 + nb.length, true);
      dv.setUint32(p + 12, pids[pick(pids.length)], true);
      dv.setUint32(p + 16, 0x1000 + pick(64), true);
      dv.setUint32(p + 20, 0, true); dv.setUint32(p + 24, 0, true);
      buf.set(nb, p + 28);
      p += 28 + nb.length;
    } else {
      // heartbeat-like small fixed records
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
/** Runs fn; returns [wall seconds, CPU seconds of this process]. */
function timeIt(fn) {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const cu = process.cpuUsage(c);
  return [(performance.now() - t) / 1000, (cu.user + cu.system) / 1e6];
}
/** Runs a command with stdout to /dev/null; returns [wall seconds, CPU seconds of the child] (GNU time, 10 ms grain). */
const HAVE_TIME = existsSync('/usr/bin/time'); // Debian package `time`; without it CPU figures of peers are NaN
function timeCmd(cmd, args) {
  const t = performance.now();
  const r = HAVE_TIME
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' })
    : spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  if (!HAVE_TIME) return [wall, NaN];
  const [u, sy] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return [wall, u + sy];
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

function oursDecode(data, output = 'copy', blockDecoder = 'liblz4', wasmWindow = false) {
  const dec = new Lz4FrameDecoder({ output, blockDecoder, wasmWindow });
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
// null where a figure cannot be had (no GNU time, or a run under its 10 ms grain).
function fig(x) {
  return Number.isFinite(x) && x > 0 ? x : null;
}
function figures(bytes, times) {
  const w = fig(mbps(bytes, median(times.map((t) => t[0]))));
  const c = fig(mbps(bytes, median(times.map((t) => t[1]))));
  return { wall: w && +w.toFixed(0), cpu: c && +c.toFixed(0) };
}
function ratio(a, b) {
  return { wall: a.wall && b.wall && +(a.wall / b.wall).toFixed(2), cpu: a.cpu && b.cpu && +(a.cpu / b.cpu).toFixed(2) };
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
  const t = { ours: [], oursView: [], oursTs: [], oursViewTs: [], oursViewWindow: [], cli: [], lz4js: [] };
  for (let i = 0; i < RUNS; i++) {
    t.cli.push(timeCmd('lz4', ['-d', '-c', '-q', file]));
    t.ours.push(timeIt(() => oursDecode(data)));
    t.oursView.push(timeIt(() => oursDecode(data, 'view')));
    t.oursTs.push(timeIt(() => oursDecode(data, 'copy', 'typescript')));
    t.oursViewTs.push(timeIt(() => oursDecode(data, 'view', 'typescript')));
    t.oursViewWindow.push(timeIt(() => oursDecode(data, 'view', 'liblz4', true)));
    t.lz4js.push(timeIt(lz4jsDecode));
  }
  const ours = figures(plain.length, t.ours);
  const oursView = figures(plain.length, t.oursView);
  const oursTs = figures(plain.length, t.oursTs);
  const oursViewTs = figures(plain.length, t.oursViewTs);
  const oursViewWindow = figures(plain.length, t.oursViewWindow);
  const cli = figures(plain.length, t.cli);
  const js = figures(plain.length, t.lz4js);
  results.shapes[shape] = {
    compressedBytes: data.length, frames: frameEnds.length, ratio: +(plain.length / data.length).toFixed(2),
    decodeMBps: { ours, oursView, oursTypescriptBlocks: oursTs, oursViewTypescriptBlocks: oursViewTs, oursViewWasmWindow: oursViewWindow, lz4cli: cli, lz4js: js },
    oursVsLz4cli: ratio(ours, cli), oursVsLz4js: ratio(ours, js), oursViewVsLz4cli: ratio(oursView, cli),
    oursTypescriptBlocksVsLz4cli: ratio(oursTs, cli), liblz4WasmVsTypescriptBlocks: ratio(ours, oursTs),
    viewWasmWindowVsLz4cli: ratio(oursViewWindow, cli), viewWasmWindowVsViewTypescriptBlocks: ratio(oursViewWindow, oursViewTs),
  };
}

// Encode: ours per 16 KiB flush (the agent's shape) and as one -B4 linked stream, vs `lz4 -1` on the whole file.
{
  const t = { flush: [], stream: [], cli: [] };
  let flushBytes = 0;
  let streamBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    t.cli.push(timeCmd('lz4', ['-q', '-c', '-1', '-B4', '-BD', plainFile]));
    t.flush.push(timeIt(() => {
      flushBytes = 0;
      const enc = new Lz4FrameEncoder();
      for (let s = 0; s < plain.length; s += 16384) flushBytes += enc.encode(plain.subarray(s, s + 16384)).length;
    }));
    t.stream.push(timeIt(() => { streamBytes = lz4EncodeFrame(plain).length; }));
  }
  const cliBytes = statSync(streamFile).size;
  const helperBytes = statSync(intakeFile).size;
  const cli = figures(plain.length, t.cli);
  const flush = figures(plain.length, t.flush);
  const stream = figures(plain.length, t.stream);
  results.encode = {
    MBps: { ours16KiBFrames: flush, oursOneStream: stream, lz4cli_1: cli },
    oursStreamVsLz4cli: ratio(stream, cli), ours16KiBVsLz4cli: ratio(flush, cli),
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
