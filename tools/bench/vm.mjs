// recipe run --vm: boot-to-ready and whole-run time per kernel under software emulation (TCG), and the guest's
// memory (docs/development.md "Benchmarks": ratios against a peer measured in the same run).
//   ours:  `recipe run --vm --kernel K` (simulated agent and workload in the guest, fake cloud here, --duration 6s):
//          ready = run.json's `telemetry` milestone (the agent in the guest said "Telemetry is flowing!"); total = its
//          exit; qemu's peak RSS (VmHWM, polled from /proc while it runs).
//   peers: the same kernel booted bare (`agent-runner vm run -- true`: boot, init, power-off, nothing else), and
//          the host's own `recipe run` (simulated agent in-process, no VM).
// One round per kernel (a TCG run takes about a minute on 2 shared cores). Kernels from argv (default 6.1 5.10 6.12),
// fetched into the cache when missing. Run after `npm run build`: node tools/bench/vm.mjs [KERNEL...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const RECIPE = join(root, 'packages/recipe/dist/recipe.js');
const RUNNER = join(root, 'packages/agent-runner/dist/agent-runner.js');
const kernels = process.argv.slice(2).length ? process.argv.slice(2) : ['6.1', '5.10', '6.12'];
const tmp = mkdtempSync(join(tmpdir(), 'bench-vm-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Peak VmHWM (KiB) of qemu processes whose command line names `dir`, polled until `done` settles. */
function qemuPeak(dir, done) {
  let peak = 0;
  const t = setInterval(() => {
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('qemu-system') || !readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) continue;
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]));
      } catch {}
    }
  }, 200);
  return done.then((v) => (clearInterval(t), { ...v, qemuPeakKiB: peak }));
}

/** Runs a command; ms to the first stderr line matching `ready`, ms to exit, its stdout. */
function timed(argv, cwd, ready) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '', err = '', readyMs;
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => {
      err += b;
      if (readyMs === undefined && ready && ready.test(err)) readyMs = performance.now() - t0;
    });
    c.on('exit', (code) => resolve({ code, readyMs, totalMs: performance.now() - t0, out, err }));
  });
}

const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const host = await timed([RECIPE, 'run', '--json', '--keys', join(tmp, 'keys'), '--runs', join(tmp, 'host-runs')], tmp);
host.readyMs = JSON.parse(host.out || '{}').milestones?.telemetry;
console.log(`host recipe run (simulated agent in-process, no VM): ready ${s(host.readyMs)}, total ${s(host.totalMs)}, exit ${host.code}`);
const rows = [];
for (const k of kernels) {
  const bareDir = mkdtempSync(join(tmp, `bare-${k}-`));
  const bare = await qemuPeak(bareDir, timed([RUNNER, 'vm', 'run', '--kernel', k, '--run-dir', bareDir, '--', 'true'], tmp));
  const bj = JSON.parse(bare.out.trim().split('\n').pop() || '{}');
  const runs = mkdtempSync(join(tmp, `runs-${k}-`));
  const ours = await qemuPeak(runs, timed([RECIPE, 'run', '--vm', '--kernel', k, '--json', '--duration', '6s', '--keys', join(tmp, 'keys'), '--runs', runs], tmp));
  const rj = JSON.parse(ours.out || '{}');
  ours.readyMs = rj.milestones?.telemetry;
  rows.push({ k, bare, bj, ours, rj });
  console.log(`${k}: bare boot to power-off ${s(bare.totalMs)} (guest uptime at its command ${bj.bootSeconds ?? '-'} s), qemu peak ${(bare.qemuPeakKiB / 1024).toFixed(0)} MiB`);
  console.log(`${k}: recipe run --vm ${rj.status ?? `exit ${ours.code}`} (${rj.checks ? `${rj.checks.passed} passed, ${rj.checks.failed} failed` : '-'}): ready ${s(ours.readyMs)}, total ${s(ours.totalMs)}, qemu peak ${(ours.qemuPeakKiB / 1024).toFixed(0)} MiB`);
}
console.log('\nkernel  release              bare boot  ready   total   ready/bare  total/host run  qemu peak (run)');
for (const r of rows) {
  console.log([r.k.padEnd(7), String(r.rj.flags?.vm?.release ?? '-').padEnd(20), s(r.bare.totalMs).padEnd(10), s(r.ours.readyMs).padEnd(7), s(r.ours.totalMs).padEnd(7),
    `${(r.ours.readyMs / r.bare.totalMs).toFixed(1)}x`.padEnd(11), `${(r.ours.totalMs / host.totalMs).toFixed(1)}x`.padEnd(15), `${(r.ours.qemuPeakKiB / 1024).toFixed(0)} MiB`].join(' '));
}
process.exit(rows.every((r) => r.ours.code === 0) ? 0 : 1);
