// `recipe run --vm`: Debian's 6.1 kernel booted under qemu (software emulation, no root needed, no KVM), the
// simulated agent AND the workload inside the guest, the fake cloud (mock-authz, tls-sink) on this host reached only
// through the forwarded ports, decode and check here. Shown: every check passes on the recordings the guest wrote
// into the shared run directory; the manifest was written by a workload that ran on the guest's kernel; the guest
// kernel's own tcp_connect count (a tracefs kprobe, kernel-view.json) agrees with the manifest; the guest cannot
// reach anything but the forwarded ports (a listener here that nobody may reach, probed from inside the guest);
// and no qemu is left running afterwards. Needs tools/test/setup-vm.sh (qemu, busybox-static, the 6.1 kernel).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareKernelView, type KernelView, type WorkloadManifest } from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-vm-'));
test.after(() => rmSync(cwd, { recursive: true, force: true }));

/** Every qemu process whose command line names `dir`. */
function qemusFor(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.startsWith('qemu-system') && cmd.includes(dir);
    } catch {
      return false;
    }
  }).map(Number);
}

test('6.1 guest: agent and workload inside, every check passes, the kernel agrees, nothing else reachable, no qemu left', async () => {
  // a listener on every address of this host: a guest that could reach the host's network would connect here
  let reached = 0;
  const server = createServer((s) => (reached++, s.destroy()));
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  const port = (server.address() as { port: number }).port;
  const hostIp = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '192.0.2.1';
  // 10.0.2.2 is slirp's way to the host, 10.0.2.100 the forwards' address on a port nobody declared, then this
  // host's own address and an outside one
  const probes = [`10.0.2.2:${port}`, `10.0.2.100:${port}`, `${hostIp}:${port}`, '1.1.1.1:80'];
  const probe = probes.map((t) => `timeout 5 bash -c 'echo > /dev/tcp/${t.replace(':', '/')}' 2>/dev/null && echo "reach-probe ${t} REACHED" || echo "reach-probe ${t} blocked"`).join('; ');

  const r = spawnSync(process.execPath, [BUNDLE, 'run', '--vm', '--kernel', '6.1', '--json', '--duration', '6s', '--vm-after', probe], {
    cwd, encoding: 'utf8', timeout: 240_000, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NO_COLOR: '1', ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}) },
  });
  server.close();
  const out = JSON.parse(r.stdout || '{}');
  const dir = join(cwd, 'runs', 'current');
  const l = runLayout(dir);
  const tail = existsSync(l.path('vmConsole')) ? readFileSync(l.path('vmConsole'), 'utf8').split('\n').slice(-15).join('\n') : r.stderr.slice(-3000);
  assert.is(r.status, 0, `exit ${r.status}: ${out.error?.message ?? `failed checks: ${(out.checks?.failedIds ?? []).join(', ')}`}\n${tail}`);
  assert.is(out.status, 'passed');
  assert.is(out.checks.failed, 0);
  assert.ok(out.checks.passed >= 8, `${out.checks.passed} checks passed`);
  assert.match(out.flags.vm.release, /^6\.1\.0-/);
  assert.is(out.agent.exit.code, 241, 'the guest stopped the agent the agent\'s way');

  // the recordings: the wire capture on this host, the record file, BPF dump and manifest from inside the guest
  for (const f of ['intake/conn-0001.raw', 'intake.record', 'bpf.raw', 'manifest.json', 'vm-console.log', 'kernel-view.json']) assert.ok(out.files[f]?.bytes > 0, `${f} is there and not empty`);
  const manifest = JSON.parse(readFileSync(l.path('manifest'), 'utf8')) as WorkloadManifest;
  assert.is(manifest.tools.kernel, out.flags.vm.release, 'the workload ran on the guest kernel');
  assert.is(manifest.tools.hostname, '(none)', 'the workload ran in the guest (no hostname set there)');

  // the guest kernel's own count of tcp_connect calls per destination port agrees with the manifest
  const view = JSON.parse(readFileSync(l.path('kernelView'), 'utf8')) as KernelView;
  const cmp = compareKernelView(manifest, view);
  assert.ok(cmp.ok, JSON.stringify(cmp.items));
  assert.is(cmp.items.reduce((n, i) => n + i.manifest, 0), manifest.tcp.length + manifest.http.length);
  const intakePort = Number(new URL(out.servers.intake.replace(/^tls:/, 'https:')).port);
  assert.ok((view.byDestination[`10.0.2.100:${intakePort}`] ?? 0) >= 1, 'the agent reached the intake through its forward');

  // nothing but the forwarded ports: every probe from inside the guest was refused, and nobody reached the listener
  const consoleText = readFileSync(l.path('vmConsole'), 'utf8');
  for (const t of probes) assert.match(consoleText, new RegExp(`reach-probe ${t.replace(/\./g, '\\.')} blocked`), `${t} blocked`);
  assert.not.match(consoleText, /REACHED/);
  assert.is(reached, 0, 'the host listener was never reached');

  // and no qemu left behind
  assert.equal(qemusFor(dir), []);
  assert.equal(qemusFor(cwd), []);
});

test.run();
