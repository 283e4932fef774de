// The guest's scripts without a guest: the init passes busybox's shell parser and does what the plan says; the
// recording script RUNS here under /bin/sh with a fake agent and a fake workload (shell scripts standing in for
// node + bundle), so its order (ready before workload, SIGTERM after) and its exit statuses are real behaviour.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GUEST_EXIT, guestAgentCommand, guestRecordingScript, type GuestRecordingOptions } from '../src/vm/agent-guest.js';
import { guestInit, KPROBE_EVENT } from '../src/vm/guest-init.js';
import { parseMark } from '../src/vm/console-tail.js';
import { planGuest } from '../src/vm/plan.js';
import { recorderHooks } from '../src/bpf-real/guest.js';

const syntaxOk = (script: string) => spawnSync('/bin/busybox', ['sh', '-n'], { input: script, encoding: 'utf8' });

test('init: parses; loads the listed modules; mounts /usr and /etc read-only, the run share read-write at its own path', () => {
  const plan = planGuest({ runDir: '/srv/run 1', command: 'echo hi', readOnly: ['/opt/agent/kc'], hosts: { localhost: '10.0.2.100' }, modules: ['nf_conntrack'], hooks: { before: ['echo before-hook'], after: ['echo after-hook'] } });
  const init = guestInit(plan);
  const r = syntaxOk(init);
  assert.is(r.status, 0, r.stderr);
  assert.ok(init.startsWith('#!/bin/busybox sh\n'));
  assert.match(init, /for m in \$\(cat \/modules\.load 2>\/dev\/null\); do modprobe \$m/);
  assert.match(init, /-t 9p -o trans=virtio,version=9p2000\.L,msize=512000,ro,cache=loose 'usr' \/newroot\/usr/);
  assert.match(init, /-t 9p -o trans=virtio,version=9p2000\.L,msize=512000 'run' \/newroot'\/srv\/run 1'/);
  assert.match(init, /'ro0' \/newroot'\/opt\/agent'/);
  assert.match(init, /mount --bind \/files\/hosts \/newroot'\/etc\/hosts'/);
  assert.ok(init.includes(KPROBE_EVENT));
  assert.match(init, /echo before-hook\necho hi\nFLOWMILL_COMMAND_END/);
  assert.match(init, /chroot \/newroot \/bin\/sh -c 'echo after-hook'/);
  assert.match(init, /echo \$RC > \/newroot'\/srv\/run 1\/vm-exit-status'\.partial && mv /);
  assert.match(init, /poweroff -f/);
  assert.ok(plan.modules.includes('nf_conntrack') && plan.modules.includes('9p') && !plan.modules.includes('overlay'));
});

test('init with a directory as root: read-only share under a tmpfs overlay, hosts written into it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-rootfs-'));
  const plan = planGuest({ runDir: '/srv/r', command: 'true', root: { kind: 'dir', path: dir }, hosts: { cloud: '10.0.2.100' } });
  const init = guestInit(plan);
  assert.is(syntaxOk(init).status, 0);
  assert.match(init, /mount -t overlay overlay -o lowerdir=\/lower,upperdir=\/upper\/u,workdir=\/upper\/w \/newroot/);
  assert.not.match(init, /'usr' \/newroot\/usr/);
  assert.ok(plan.modules.includes('overlay'));
  assert.equal(plan.rootShares.map((s) => [s.tag, s.hostPath, s.readonly]), [['rootfs', dir, true]]);
});

// ------------------------------------------------------------------------------------------------ recording script
const dir = mkdtempSync(join(tmpdir(), 'vm-guest-script-'));
const fakeAgent = join(dir, 'agent.sh');
const fakeWorkload = join(dir, 'workload.sh');
writeFileSync(fakeAgent, `echo "args: $*" > ${dir}/agent.args
[ "$FAKE_DIE" = 1 ] && { echo dying; exit 9; }
trap 'echo "term at $(cat ${dir}/order 2>/dev/null)"; exit 241' TERM
echo "Agent connected successfully. Telemetry is flowing!"
echo ready >> ${dir}/order
while :; do sleep 0.05; done
`);
writeFileSync(fakeWorkload, `echo "args: $*" > ${dir}/workload.args; echo workload >> ${dir}/order; echo did-work; exit \${FAKE_WL_RC:-0}\n`);

function runScript(o: Partial<GuestRecordingOptions>, env: Record<string, string> = {}) {
  writeFileSync(join(dir, 'order'), '');
  const script = guestRecordingScript({
    setup: { era: 'flowmill', runDir: dir, intakePort: 7001, tls: true, intakeName: 'localhost', authzUrl: 'https://localhost:8001', ca: true },
    agent: { kind: 'simulated', node: '/bin/sh', bundle: fakeAgent, timeScale: 0.25 },
    workload: { node: '/bin/sh', bundle: fakeWorkload, profile: false },
    readyTimeoutMs: 5000, catchUpMs: 100, durationMs: 300, ...o,
  });
  const t0 = Date.now();
  const r = spawnSync("/bin/sh", ["-c", script], { encoding: 'utf8', env: { PATH: process.env.PATH, FAKE_DIE: env.FAKE_DIE ?? '', FAKE_WL_RC: env.FAKE_WL_RC ?? '' }, timeout: 20_000 });
  if (process.env.VM_TEST_TIMING) console.error("script ms", Date.now() - t0);
  const lines = r.stdout.split('\n');
  return { status: r.status, lines, marks: lines.map(parseMark).filter(Boolean).map((m) => m!.text), order: readFileSync(join(dir, 'order'), 'utf8').trim().split('\n') };
}

test('recording: agent ready, then the workload, then SIGTERM; 241 is a clean stop (exit 0); output prefixed for the host', () => {
  const r = runScript({});
  assert.is(r.status, 0, r.lines.join('\n'));
  assert.equal(r.order, ['ready', 'workload']);
  assert.equal(r.marks.map((m) => m.replace(/pid \d+/, 'pid N')), ['agent started pid N', 'agent ready', 'workload exit 0', 'agent exit 241']);
  assert.ok(r.lines.includes('workload| did-work'));
  assert.ok(r.lines.includes('agent| Agent connected successfully. Telemetry is flowing!'));
  assert.ok(r.lines.some((l) => /^agent\| term at ready\s+workload$/.test(l.replace(/\n/g, ' ')) || l === 'agent| term at ready'), r.lines.join('\n'));
  const agentArgs = readFileSync(join(dir, 'agent.args'), 'utf8');
  assert.match(agentArgs, /sim --era flowmill --run-dir \S+ --intake-host 10\.0\.2\.100 --intake-port 7001 --force --intake-name localhost --ca \/run\/flowmill\/ca\.pem --authz-server https:\/\/localhost:8001/);
  assert.match(readFileSync(join(dir, 'workload.args'), 'utf8'), /workload --run-dir \S+ --agent-kind sim --era flowmill/);
});

test('recording: an agent that dies before its readiness line ends the script with agentNotReady, no workload', () => {
  const r = runScript({}, { FAKE_DIE: '1' });
  assert.is(r.status, GUEST_EXIT.agentNotReady);
  assert.equal(r.order, ['']);
  assert.ok(r.marks.includes('agent exit 9 before ready'), r.marks.join(','));
});

test('recording: a failing workload is the script\'s failure, and the agent is still stopped', () => {
  const r = runScript({}, { FAKE_WL_RC: '3' });
  assert.is(r.status, GUEST_EXIT.workload);
  assert.ok(r.marks.includes('workload exit 3') && r.marks.includes('agent exit 241'));
});

test('recording with the real BPF half: the recorder starts once the agent is ready (as the collector loads its probes after connecting) and is stopped (and flushed) before it', () => {
  const before = join(dir, 'before.sh');
  writeFileSync(before, `echo recorder-stopped >> ${dir}/order\n`);
  const after = join(dir, 'after.sh');
  writeFileSync(after, `echo recorder-started >> ${dir}/order\n`);
  const r = runScript({ afterReady: [`sh ${after}`], beforeStop: [`sh ${before}`], agent: { kind: 'simulated', node: '/bin/sh', bundle: fakeAgent, bpfFollow: { dump: '/run dir/bpf.raw', render: '/r/ebpf_net.render' } } });
  assert.is(r.status, 0, r.lines.join('\n'));
  // the agent's SIGTERM comes after the recorder's stop: its last poll could still read the flushed samples
  assert.equal(r.order, ['ready', 'recorder-started', 'workload', 'recorder-stopped']);
  assert.ok(r.lines.some((l) => l === 'agent| term at ready' || /term at ready/.test(l)) && r.marks.includes('agent exit 241'));
  assert.match(readFileSync(join(dir, 'agent.args'), 'utf8'), /--bpf-follow \/run dir\/bpf\.raw --bpf-render \/r\/ebpf_net\.render/);
  const hooks = recorderHooks({ build: { dir: '/b', recorder: '/b/bpf-recorder' }, runDir: '/run' });
  assert.equal(hooks.beforeStop[0], 'kill -TERM $FLOWMILL_BPF; wait $FLOWMILL_BPF');
  assert.ok(hooks.afterReady.some((l) => l.startsWith('trap ')), 'the EXIT trap still stops a recorder the script did not reach');
});

test('a real agent binary in the guest: the era\'s environment and flags, pointed at 10.0.2.100 with the CA carried in', () => {
  const c = guestAgentCommand({ era: 'flowmill', runDir: '/srv/r', intakePort: 7001, tls: true, intakeName: 'localhost', authzUrl: 'http://localhost:8001', ca: true }, { kind: 'binary', path: '/opt/kc/kernel-collector' });
  assert.is(c.argv[0], '/opt/kc/kernel-collector');
  assert.ok(c.argv.includes('--bpf-dump-file=/srv/r/bpf.raw'));
  assert.is(c.env.FLOWMILL_INTAKE_HOST, '10.0.2.100');
  assert.is(c.env.FLOWMILL_INTAKE_NAME, 'localhost');
  assert.is(c.env.SSL_CERT_FILE, '/run/flowmill/ca.pem');
});

test.run();
