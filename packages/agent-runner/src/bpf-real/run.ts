/**
 * One real-BPF recording: boot a kernel in a guest, start bpf-recorder (the agent's own BPF programs, loaded and
 * attached the collector's way), run the crafted workload under the host's node, stop the recorder, then decode the
 * dump and hold it against the workload's manifest. The run directory ends up with bpf.raw, its decoded NDJSON, the
 * attach report (which names the guest kernel's release), the workload manifest, the VM runner's kernel view, and
 * intake.record: what the simulated agent's userspace half derives from the real records (bpf-real/userspace.ts).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeBytes, loadSchema, toJsonLine } from '@flowmill/raw-codec';
import { MissingInputError } from '../errors.js';
import type { WorkloadManifest } from '../manifest.js';
import { runLayout } from '../run-layout.js';
import { chooseAccel, type AccelRequest } from '../vm/accel.js';
import { resolveKernel } from '../vm/kernel-cache.js';
import type { CachedKernel } from '../vm/kernels.js';
import { planGuest } from '../vm/plan.js';
import { runVm, type VmRunResult } from '../vm/run-command.js';
import { readAttachReport, summarizeAttach, type AttachReport, type AttachSummary } from './attach-report.js';
import { bpfDir, type BpfBuild } from './build.js';
import { checkRealBpf, type RealBpfCheck } from './checks.js';
import { BPF_GUEST_MODULES, withRecorder } from './guest.js';
import { intakeFromRealBpf } from './userspace.js';

export interface RealBpfRunOptions {
  /** Kernel id (6.1, 5.10, 6.12) or a vmlinuz path. */
  kernel: string;
  build: BpfBuild;
  /** Shared read-write with the guest; created by the caller. */
  runDir: string;
  kernelCacheDir: string;
  /** Download a kernel that is not cached (default true). */
  fetch?: boolean;
  /** The node the guest runs the workload with: must live under /usr (the guest sees the host's /usr). */
  node: string;
  /** agent-runner's bin bundle (default: dist/agent-runner.js of this package). */
  bundle?: string;
  /** Extra `agent-runner workload` flags (e.g. --tcp 3). */
  workloadArgs?: string[];
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  /** Default auto: TCG unless a KVM probe boot of this kernel worked (vm/accel.ts). */
  accel?: AccelRequest;
  force?: boolean;
  onLine?: (line: string) => void;
  progress?: (s: string) => void;
}

export interface RealBpfResult {
  kernel: CachedKernel;
  runDir: string;
  vm: VmRunResult;
  report: AttachReport;
  summary: AttachSummary;
  /** Decoded records by message name. */
  records: Record<string, number>;
  /** Intake records the simulated userspace derived from them (intake.record), by message name. */
  intake: Record<string, number>;
  checks: RealBpfCheck[];
  ok: boolean;
}

export function defaultBundle(): string {
  const b = join(dirname(bpfDir()), 'dist', 'agent-runner.js');
  if (!existsSync(b)) throw new MissingInputError(b, 'agent-runner is not built (npm run build in packages/agent-runner)');
  return b;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export async function recordRealBpf(o: RealBpfRunOptions): Promise<RealBpfResult> {
  const layout = runLayout(o.runDir);
  const kernel = await resolveKernel(o.kernel, { cacheDir: o.kernelCacheDir, fetch: o.fetch ?? true, modules: [...BPF_GUEST_MODULES], progress: o.progress });
  // the guest runs a private copy of the (self-contained) bundle: a rebuild of dist/ during the run cannot pull it away
  const scratch = mkdtempSync(join(tmpdir(), 'flowmill-bpf-real-'));
  let vm: VmRunResult;
  try {
    const bundle = join(scratch, 'agent-runner.js');
    copyFileSync(o.bundle ?? defaultBundle(), bundle);
    // DNS on port 53: the only port the agent's DNS probe reports (render_bpf.c@68f0c23f:2266); the guest runs as root
    const workload = [o.node, bundle, 'workload', '--run-dir', o.runDir, '--agent-kind', 'real', '--era', 'otel', '--dns-port', '53', ...(o.force ? ['--force'] : []), ...(o.workloadArgs ?? [])];
    const command = withRecorder(workload.map(sq).join(' '), { build: o.build, runDir: o.runDir, force: o.force });
    const plan = planGuest({ runDir: o.runDir, command, readOnly: [o.build.dir, scratch], modules: [...BPF_GUEST_MODULES] });
    const accel = await chooseAccel(o.accel, kernel, { cacheDir: o.kernelCacheDir, progress: o.progress });
    o.progress?.(`booting ${kernel.release} under ${accel.accel.toUpperCase()} (${accel.reason}) with bpf-recorder (${o.build.info.vendored ? 'vendored BPF sources' : o.build.info.bpf_src})`);
    vm = await runVm({ kernel, plan, runDir: o.runDir, forwards: [], memoryMb: o.memoryMb, cpus: o.cpus, accel: accel.accel, timeoutMs: o.timeoutMs ?? 300_000, onLine: o.onLine });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const report = readAttachReport(layout.path('bpfAttach'));
  const manifest = JSON.parse(readFileSync(layout.path('manifest'), 'utf8')) as WorkloadManifest;
  // the build's own render file: a changed message layout decodes as it was compiled
  const schema = await loadSchema(o.build.info.render);
  const records = decodeBytes(new Uint8Array(readFileSync(layout.path('bpf'))), { kind: 'bpf', schema });
  writeFileSync(layout.path('bpfNdjson'), records.map((r) => `${toJsonLine(r)}\n`).join(''));
  // the simulated agent's userspace half on the real records: intake.record for the checker's BPF→intake checks
  const derived = intakeFromRealBpf(records, schema);
  writeFileSync(layout.path('record'), derived.bytes, { mode: 0o600 });
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.name] = (counts[r.name] ?? 0) + 1;
  const checks = checkRealBpf(records, manifest, report, vm.view);
  return { kernel, runDir: o.runDir, vm, report, summary: summarizeAttach(report), records: counts, intake: derived.counts, checks, ok: checks.every((c) => c.ok) };
}

/** The per-kernel lines `agent-runner bpf-real` prints. */
export function formatRealBpf(r: RealBpfResult): string {
  const s = r.summary;
  const L = [
    `${s.kernel}: ${s.attached} probes attached, ${s.failed} failed${s.failedProbes.length ? ` (${s.failedProbes.join('; ')})` : ''}${s.fellBack.length ? `; fell back past ${s.fellBack.join(', ')}` : ''}`,
    `  records ${Object.values(r.records).reduce((a, b) => a + b, 0)}: ${Object.entries(r.records).sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`).join(', ')}`,
    `  intake.record (the simulated userspace on these records): ${Object.values(r.intake).reduce((a, b) => a + b, 0)} records`,
    `  lost ${s.lost}; boot to ready ${s.bootToReadyMs} ms, to first sample ${s.bootToFirstSampleMs ?? '-'} ms; run ${r.vm.exit.ms} ms`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.id}: ${c.detail}`),
    `  verdict: ${r.ok ? 'pass' : 'FAIL'}`,
  ];
  return `${L.join('\n')}\n`;
}
