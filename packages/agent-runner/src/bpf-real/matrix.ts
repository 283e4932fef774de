/**
 * The real BPF half over several kernels: one build, then one guest per kernel, each in its own run directory
 * (the directory itself for a single kernel). A kernel whose guest fails is reported and the others still run.
 * Shared by `agent-runner bpf-real` and `recipe run --vm --bpf real`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBpf, type BpfBuild } from './build.js';
import { defaultBundle, formatRealBpf, recordRealBpf, type RealBpfResult, type RealBpfRunOptions } from './run.js';

export interface RealBpfMatrixOptions extends Omit<RealBpfRunOptions, 'kernel' | 'build' | 'runDir'> {
  kernels: string[];
  runDir: string;
  bpfSrc?: string;
  /** BPF build cache (default build.sh's). */
  bpfCacheDir?: string;
  /** build.sh's environment. */
  env?: NodeJS.ProcessEnv;
  /** Each kernel's text summary as it is done (formatRealBpf, or the failure). */
  onKernel?: (text: string) => void;
  onBuildLog?: (line: string) => void;
}

export interface RealBpfMatrix {
  build: BpfBuild;
  results: RealBpfResult[];
  failed: { kernel: string; runDir: string; error: string }[];
  ok: boolean;
}

export async function runRealBpfMatrix(o: RealBpfMatrixOptions): Promise<RealBpfMatrix> {
  const build = await buildBpf({ bpfSrc: o.bpfSrc, cacheDir: o.bpfCacheDir, env: o.env, onLog: o.onBuildLog });
  // one copy of the bundle for every kernel: a rebuild of dist/ between two guests cannot take it away
  const scratch = mkdtempSync(join(tmpdir(), 'flowmill-bpf-matrix-'));
  try {
    const bundle = join(scratch, 'agent-runner.js');
    copyFileSync(o.bundle ?? defaultBundle(), bundle);
    return await eachKernel({ ...o, bundle }, build);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function eachKernel(o: RealBpfMatrixOptions, build: BpfBuild): Promise<RealBpfMatrix> {
  const results: RealBpfResult[] = [];
  const failed: RealBpfMatrix['failed'] = [];
  for (const kernel of o.kernels) {
    const runDir = resolve(o.kernels.length > 1 ? join(o.runDir, kernel.replace(/[^A-Za-z0-9.]/g, '_')) : o.runDir);
    mkdirSync(runDir, { recursive: true });
    try {
      const r = await recordRealBpf({ ...o, kernel, build, runDir });
      results.push(r);
      o.onKernel?.(`${runDir}\n${formatRealBpf(r)}`);
    } catch (err) {
      if (o.kernels.length === 1) throw err;
      failed.push({ kernel, runDir, error: (err as Error).message });
      o.onKernel?.(`${runDir}\n${kernel}: FAILED: ${(err as Error).message.split('\n')[0]}\n  verdict: FAIL\n`);
    }
  }
  return { build, results, failed, ok: failed.length === 0 && results.every((r) => r.ok) };
}

/** The JSON form of a matrix (agent-runner bpf-real --json). */
export function realBpfJson(m: RealBpfMatrix): unknown {
  return {
    build: m.build.info,
    kernels: [
      ...m.results.map((r) => ({ kernel: r.summary.kernel, ok: r.ok, summary: r.summary, records: r.records, checks: r.checks, ms: r.vm.exit.ms })),
      ...m.failed.map((f) => ({ kernel: f.kernel, ok: false, error: f.error, runDir: f.runDir })),
    ],
    ok: m.ok,
  };
}
