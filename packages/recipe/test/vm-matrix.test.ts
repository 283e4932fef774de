// recipe run --vm's own pieces without a guest: the kernel list, the profile file the guest's workload reads, the VM
// target a choice becomes, the cadence window, the bundle path, and the matrix table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agentRunnerBundle, kernelMatrix, mergeProfiles, renderMatrix, vmTargetOf, vmTolerances, VM_SIM_TIME_SCALE } from '../src/vm.js';
import { scaledTolerances } from '../src/sim-tolerances.js';

const kernel = { id: '6.1', package: 'p', version: 'v', release: '6.1.0-50-amd64', dir: '/k', vmlinuz: '/k/vmlinuz', modules: [] };
const vm = { kernel, node: '/usr/bin/node', bundle: '/x/agent-runner/dist/agent-runner.js', after: ['echo hi'] };

test('--kernel: a comma list, blanks dropped; nothing means 6.1', () => {
  assert.equal(kernelMatrix('5.10, 6.1,,6.12'), ['5.10', '6.1', '6.12']);
  assert.equal(kernelMatrix(undefined), ['6.1']);
});

test('profile layers merge per section, later wins; no layers, no file', () => {
  assert.equal(mergeProfiles([{ dns: { port: 53 } }, { dns: { lookups: 2 }, tcp: { connections: 3 } }]), { dns: { port: 53, lookups: 2 }, tcp: { connections: 3 } });
  assert.is(mergeProfiles([]), undefined);
});

test('a choice becomes a VM target: the simulated agent at the VM time scale unless told, a binary as is, docker refused', () => {
  const o = { timeScale: VM_SIM_TIME_SCALE, profiles: [], dnsPort53: false };
  const t = vmTargetOf(vm, { kind: 'simulated' }, o);
  assert.equal(t.agent, { kind: 'simulated', timeScale: 1, faults: undefined });
  assert.equal(t.hooks, { after: ['echo hi'] });
  assert.equal(vmTargetOf(vm, { kind: 'binary', path: '/opt/kc' }, o).agent, { kind: 'binary', path: '/opt/kc' });
  assert.throws(() => vmTargetOf(vm, { kind: 'docker', image: 'kc' }, o), /docker export/);
});

test('VM tolerances: the scaled cadence window with its largest gap 2.5 periods, and 3 s of socket_stats slack (a 2 s guest stall each)', () => {
  const t = vmTolerances(1) as { cadence: Record<string, number>; bpfIntake: Record<string, number> };
  const c = t.cadence;
  assert.is(c.heartbeatMaxGapMs, 5000);
  assert.is(t.bpfIntake.statsLagSlackMs, 3000);
  assert.is(c.heartbeatMinGapMs, (scaledTolerances(1) as { cadence: Record<string, number> }).cadence.heartbeatMinGapMs);
});

test('agent-runner\'s bin is dist/agent-runner.js of the package the entry resolves in (built or source)', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'vm-bundle-'));
  mkdirSync(join(pkg, 'dist/lib'), { recursive: true });
  mkdirSync(join(pkg, 'src'));
  writeFileSync(join(pkg, 'package.json'), '{}');
  assert.is(agentRunnerBundle(pathToFileURL(join(pkg, 'dist/lib/index.js')).href), join(pkg, 'dist/agent-runner.js'));
  assert.is(agentRunnerBundle(pathToFileURL(join(pkg, 'src/index.ts')).href), join(pkg, 'dist/agent-runner.js'));
});

test('the matrix table: one row per kernel, aligned, the kernel view\'s verdict in words', () => {
  const t = renderMatrix([
    { kernel: '5.10', release: '5.10.0-46-amd64', status: 'passed', exitCode: 0, ms: 61_234, checks: { passed: 12, failed: 0 }, kernelView: { ok: true, connections: 16 }, dir: 'runs/a' },
    { kernel: '6.12', status: 'error', exitCode: 69, dir: 'runs/b' },
  ]).split('\n');
  assert.match(t[0], /^kernel\s+release\s+status\s+checks\s+kernel view\s+time\s+run directory$/);
  assert.match(t[1], /^5\.10\s+5\.10\.0-46-amd64\s+passed\s+12 passed, 0 failed\s+agrees \(16 connects\)\s+61\.2 s\s+runs\/a$/);
  assert.match(t[2], /^6\.12\s+-\s+error\s+-\s+-\s+-\s+runs\/b$/);
  assert.is(t[1].indexOf('passed'), t[2].indexOf('error'));
});

test.run();
