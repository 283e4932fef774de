// The TCG/KVM decision (issue 10: TCG by default, KVM only after a probe boot prints its mark within ~20 s, no probe
// at all when kvm_pvm is loaded), on facts and probe results given here: nothing boots.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseAccel, kvmDecision, kvmFacts, KVM_PROBE_FILE, probeKey, readProbeCache, type KvmProbeResult } from '../src/vm/accel.js';
import type { CachedKernel } from '../src/vm/kernels.js';

const kernel = (version: string): CachedKernel => ({ id: '6.1', package: 'linux-image-6.1.0-41-amd64', version, release: '6.1.0-41-amd64', dir: '/k', vmlinuz: '/k/vmlinuz', modules: [] } as unknown as CachedKernel);
const good: KvmProbeResult = { ok: true, ms: 1800, detail: 'booted' };
const bad: KvmProbeResult = { ok: false, ms: 20000, detail: 'no mark within 20 s' };

test('no /dev/kvm, or kvm_pvm loaded: TCG without a probe, whatever a cached probe said', () => {
  const noDev = kvmDecision('auto', { devKvm: false, kvmPvm: false }, good);
  assert.ok(noDev !== 'probe' && noDev.accel === 'tcg' && /no \/dev\/kvm/.test(noDev.reason));
  const pvm = kvmDecision('auto', { devKvm: true, kvmPvm: true }, good);
  assert.ok(pvm !== 'probe' && pvm.accel === 'tcg' && /kvm_pvm/.test(pvm.reason));
});

test('/dev/kvm without kvm_pvm: a probe when none is cached, then the probe decides', () => {
  const f = { devKvm: true, kvmPvm: false };
  assert.is(kvmDecision('auto', f), 'probe');
  assert.equal(kvmDecision('auto', f, good), { accel: 'kvm', reason: 'a KVM probe boot printed its mark in 1800 ms', probe: 'cached' });
  const no = kvmDecision('auto', f, bad);
  assert.ok(no !== 'probe' && no.accel === 'tcg' && no.reason.includes('no mark within 20 s'));
});

test('an explicit accelerator is taken as asked, even where the probe would refuse KVM', () => {
  const k = kvmDecision('kvm', { devKvm: true, kvmPvm: true });
  assert.ok(k !== 'probe' && k.accel === 'kvm');
  const t = kvmDecision('tcg', { devKvm: true, kvmPvm: false }, good);
  assert.ok(t !== 'probe' && t.accel === 'tcg');
});

test('chooseAccel probes once per kernel version and host kernel, and keeps the result in the cache directory', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'vm-accel-'));
  const f = { devKvm: true, kvmPvm: false };
  let probes = 0;
  const probe = async () => { probes++; return good; };
  const a = await chooseAccel(undefined, kernel('6.1.158-1'), { cacheDir, facts: f, probe });
  assert.equal([a.accel, a.probe, probes], ['kvm', 'ran', 1]);
  const b = await chooseAccel('auto', kernel('6.1.158-1'), { cacheDir, facts: f, probe });
  assert.equal([b.accel, b.probe, probes], ['kvm', 'cached', 1]);
  // another package version is another kernel: probed again, and a failed probe means TCG
  const c = await chooseAccel('auto', kernel('6.1.159-1'), { cacheDir, facts: f, probe: async () => { probes++; return bad; } });
  assert.equal([c.accel, c.probe, probes], ['tcg', 'ran', 2]);
  assert.equal(Object.keys(readProbeCache(cacheDir)).sort(), [probeKey(kernel('6.1.158-1')), probeKey(kernel('6.1.159-1'))].sort());
  assert.ok(probeKey(kernel('6.1.158-1'), '6.8.0-1-host').endsWith(' on 6.8.0-1-host'));
});

test('chooseAccel with kvm_pvm never calls the probe; an unreadable cache file counts as empty', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'vm-accel-'));
  writeFileSync(join(cacheDir, KVM_PROBE_FILE), '{ not json');
  const c = await chooseAccel('auto', kernel('6.1.158-1'), { cacheDir, facts: { devKvm: true, kvmPvm: true }, probe: async () => { throw new Error('probed'); } });
  assert.is(c.accel, 'tcg');
  assert.equal(readProbeCache(cacheDir), {});
});

test('kvmFacts reads /dev/kvm and /sys/module/kvm_pvm under a root', () => {
  const root = mkdtempSync(join(tmpdir(), 'vm-accel-root-'));
  assert.equal(kvmFacts(root), { devKvm: false, kvmPvm: false });
  mkdirSync(join(root, 'dev'));
  writeFileSync(join(root, 'dev/kvm'), '');
  mkdirSync(join(root, 'sys/module/kvm_pvm'), { recursive: true });
  assert.equal(kvmFacts(root), { devKvm: true, kvmPvm: true });
});

test.run();
