// Checker throughput and peak memory on synthetic runs of 1 and 10 simulated minutes (docs/development.md "Benchmarks": ratios against
// peers measured in the same run):
//   checker:  `node packages/checker/dist/checker.js --run-dir DIR --json` (all checks, all five inputs), whole process
//   decode:   the same three recordings only decoded with @flowmill/raw-codec (the floor: every check reads this)
//   native:   `lz4 -dc` of the wire capture piped into `cmp` against the record file (the taps check done in C)
// Peak memory is the process's max RSS (/usr/bin/time %M). A streaming design keeps it nearly flat from 1 to 10 min.
// The runs come from agent-runner's simulated agent in its deterministic mode (simulateRun: the agent's model on a
// fake clock), with a busy host's background traffic. Run after `npm run build`: node tools/bench/checker.mjs [RUNS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { simulateRun } from '../../packages/agent-runner/src/index.ts';
import { RUN_FILES } from '../../packages/agent-runner/src/run-layout.ts';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'packages/checker/dist/checker.js');
const RUNS = Number(process.argv[2] ?? 3);
const BACKGROUND_PER_S = 40; // extra TCP connections + processes per second (a busy host)
const HEAP_CAP_MIB = 128; // --max-old-space-size for the streaming proof

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const last = r.stderr.trim().split('\n').pop();
  const [sec, kb] = last.split(' ').map(Number);
  return { ms: sec * 1000, rssMiB: kb / 1024, status: r.status, stderr: r.stderr };
}

// The decode-only peer, bundled like the checker's bin (same esbuild settings, raw-codec from source, the same
// 256 KiB read chunks as the checker).
const work = mkdtempSync(join(tmpdir(), 'bench-checker-peer-'));
writeFileSync(join(work, 'decode.mjs'), `
import { createReadStream } from 'node:fs';
import { decode } from '@flowmill/raw-codec';
let n = 0;
for (const [p, kind] of [[process.argv[2] + '/${RUN_FILES.bpf}', 'bpf'], [process.argv[2] + '/${RUN_FILES.intakeFile}', 'intake'], [process.argv[2] + '/${RUN_FILES.record}', 'record']])
  for await (const r of decode(createReadStream(p, { highWaterMark: 1 << 18 }), { kind, schema: 'auto' })) n++;
console.log(n);`);
await build({ entryPoints: [join(work, 'decode.mjs')], outfile: join(work, 'decode.bundle.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', conditions: ['@flowmill/source'], nodePaths: [join(root, 'node_modules')], logLevel: 'warning' });
const decodePeer = join(work, 'decode.bundle.mjs');

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const result = { runs: RUNS, backgroundPerS: BACKGROUND_PER_S, sizes: {} };
const lines = [`checker: whole process on synthetic runs, median of ${RUNS} (lower is better)`];
for (const minutes of [1, 10]) {
  const dir = mkdtempSync(join(tmpdir(), `bench-checker-${minutes}m-`));
  try {
    const t0 = performance.now();
    // the workload: 2 items of each kind per simulated second, one after another, as `agent-runner workload` does them
    const n = minutes * 60 * 2;
    await simulateRun({ dir, seed: minutes, durationMs: minutes * 60_000, wire: 'file', background: { tcpPerS: BACKGROUND_PER_S / 2, processesPerS: BACKGROUND_PER_S / 2 }, profile: { tcp: { connections: n }, udp: { datagrams: 16 }, dns: { lookups: n }, processes: { count: n }, http: { requests: n } } });
    const genMs = performance.now() - t0;
    const bytes = [RUN_FILES.bpf, RUN_FILES.intakeFile, RUN_FILES.record].reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    const ck = [], dec = [], nat = [];
    let rss = 0, drss = 0, records = 0;
    for (let i = 0; i < RUNS; i++) {
      const c = timed(process.execPath, [bin, '--run-dir', dir, '--json']);
      if (c.status !== 0) throw new Error(`checker exit ${c.status}: ${c.stderr}`);
      ck.push(c.ms); rss = Math.max(rss, c.rssMiB);
      const d = timed(process.execPath, [decodePeer, dir]);
      if (d.status !== 0) throw new Error(`decode exit ${d.status}: ${d.stderr}`);
      dec.push(d.ms); drss = Math.max(drss, d.rssMiB);
      const nat1 = timed('bash', ['-c', `cmp <(tail -c +25 ${join(dir, RUN_FILES.intakeFile)} | lz4 -dc) <(tail -c +25 ${join(dir, RUN_FILES.record)})`]);
      if (nat1.status !== 0) throw new Error(`lz4|cmp exit ${nat1.status}: ${nat1.stderr}`);
      nat.push(nat1.ms);
    }
    const rep = JSON.parse(spawnSync(process.execPath, [bin, '--run-dir', dir, '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 }).stdout);
    records = rep.inputs.reduce((a, x) => a + (x.records ?? 0), 0);
    // Streaming, shown: the same check with the V8 heap capped (the run fails if the checker needed more).
    const capped = timed(process.execPath, [`--max-old-space-size=${HEAP_CAP_MIB}`, bin, '--run-dir', dir, '--json']);
    const m = { checker: median(ck), decode: median(dec), native: median(nat) };
    result.sizes[`${minutes}min`] = {
      bytes, records, generateMs: Math.round(genMs), medianMs: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v)])),
      peakRssMiB: { checker: Math.round(rss), decode: Math.round(drss) },
      heapCapped: { capMiB: HEAP_CAP_MIB, ok: capped.status === 0, ms: Math.round(capped.ms), rssMiB: Math.round(capped.rssMiB) },
      ratios: { 'checker/decode': +(m.checker / m.decode).toFixed(2), 'checker/native-taps': +(m.checker / m.native).toFixed(2) },
      checkerMBps: +(bytes / 1e6 / (m.checker / 1000)).toFixed(1), recordsPerS: Math.round(records / (m.checker / 1000)),
    };
    const s = result.sizes[`${minutes}min`];
    lines.push(`  ${minutes} min simulated: ${(bytes / 1e6).toFixed(1)} MB, ${records.toLocaleString('en-US')} records (3 recordings)`,
      `    checker ${s.medianMs.checker} ms (${s.checkerMBps} MB/s, ${s.recordsPerS.toLocaleString('en-US')} records/s), peak RSS ${s.peakRssMiB.checker} MiB`,
      `    decode only ${s.medianMs.decode} ms (peak ${s.peakRssMiB.decode} MiB) -> ratio checker/decode ${s.ratios['checker/decode']}`,
      `    lz4 -dc | cmp ${s.medianMs.native} ms -> ratio checker/native-taps ${s.ratios['checker/native-taps']}`,
      `    with the heap capped at ${HEAP_CAP_MIB} MiB: ${s.heapCapped.ok ? `ok in ${s.heapCapped.ms} ms, peak RSS ${s.heapCapped.rssMiB} MiB` : 'FAILED (out of memory)'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const r1 = result.sizes['1min'], r10 = result.sizes['10min'];
result.memoryGrowth10vs1 = +(r10.peakRssMiB.checker / r1.peakRssMiB.checker).toFixed(2);
lines.push(`  peak RSS 10 min / 1 min: ${result.memoryGrowth10vs1} (input grew ${(r10.bytes / r1.bytes).toFixed(1)}x)`);
rmSync(work, { recursive: true, force: true });
console.log(lines.join('\n'));
console.log(JSON.stringify(result));
