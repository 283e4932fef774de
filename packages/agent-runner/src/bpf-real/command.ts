// `agent-runner bpf-real`: cmd-ts wiring of the real BPF half (part of the bin: reads env, writes stdio).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { command, flag, option, optional, string, multioption, array } from 'cmd-ts';
import { Duration } from '@flowmill/cli';
import { UsageError } from '../errors.js';
import { kernelCacheDir } from '../vm/kernel-cache.js';
import { DEFAULT_KERNEL } from '../vm/kernels.js';
import { buildBpf } from './build.js';
import { formatRealBpf, recordRealBpf, type RealBpfResult } from './run.js';

const log = (s: string) => process.stderr.write(`agent-runner: ${s}\n`);

export const bpfRealCommand = command({
  name: 'bpf-real',
  description: 'Record the agent\'s own BPF programs on real kernels: build them (or --bpf-src CHECKOUT\'s) with the recorder, boot each kernel under qemu, run the workload with bpf-recorder attached the collector\'s way, decode the dump and check it. Prints a summary per kernel; exit 1 if a check fails.',
  args: {
    kernel: option({ long: 'kernel', type: string, defaultValue: () => DEFAULT_KERNEL, description: 'comma-separated: 6.1, 5.10, 6.12 or PATH/vmlinuz' }),
    bpfSrc: option({ long: 'bpf-src', type: optional(string), description: 'an opentelemetry-network checkout: its render_bpf.c and render file instead of the vendored ones' }),
    runDir: option({ long: 'run-dir', type: string, description: 'where the recordings go (one subdirectory per kernel when several)' }),
    force: flag({ long: 'force', description: 'replace recordings already in --run-dir' }),
    workloadArg: multioption({ long: 'workload-arg', type: array(string), description: 'passed to the guest\'s `agent-runner workload` (repeatable, e.g. --workload-arg=--tcp=5)' }),
    timeout: option({ long: 'timeout', type: Duration, defaultValue: () => 300_000, description: 'per kernel, boot to power-off' }),
    noFetch: flag({ long: 'no-fetch', description: 'fail instead of downloading a kernel that is not cached' }),
    json: flag({ long: 'json', description: 'print the results as JSON' }),
  },
  handler: async (a) => {
    const kernels = a.kernel.split(',').map((k) => k.trim()).filter(Boolean);
    if (!kernels.length) throw new UsageError('bad --kernel: give at least one');
    if (!process.execPath.startsWith('/usr/')) throw new UsageError(`node ${process.execPath} is not under /usr: the guest sees only the host's /usr`);
    const build = await buildBpf({ bpfSrc: a.bpfSrc, cacheDir: process.env.FLOWMILL_BPF_CACHE, env: process.env, onLog: (l) => process.stderr.write(`${l}\n`) });
    log(`BPF build: ${build.dir}`);
    const results: RealBpfResult[] = [];
    const failed: { kernel: string; error: string }[] = [];
    for (const k of kernels) {
      const runDir = resolve(kernels.length > 1 ? join(a.runDir, k.replace(/[^A-Za-z0-9.]/g, '_')) : a.runDir);
      mkdirSync(runDir, { recursive: true });
      try {
        const r = await recordRealBpf({
          kernel: k, build, runDir, kernelCacheDir: kernelCacheDir(process.env), fetch: !a.noFetch, node: process.execPath,
          workloadArgs: a.workloadArg, timeoutMs: a.timeout, force: a.force, progress: log,
        });
        results.push(r);
        if (!a.json) process.stdout.write(`${runDir}\n${formatRealBpf(r)}`);
      } catch (err) {
        // one kernel's failure (a guest that did not finish, a recorder that could not load) does not hide the others
        if (kernels.length === 1) throw err;
        failed.push({ kernel: k, error: (err as Error).message });
        if (!a.json) process.stdout.write(`${runDir}\n${k}: FAILED: ${(err as Error).message.split('\n')[0]}\n  verdict: FAIL\n`);
      }
    }
    if (a.json) process.stdout.write(`${JSON.stringify([...results.map((r) => ({ kernel: r.summary.kernel, summary: r.summary, records: r.records, checks: r.checks, ok: r.ok, ms: r.vm.exit.ms })), ...failed.map((f) => ({ kernel: f.kernel, ok: false, error: f.error }))], null, 2)}\n`);
    if (failed.length) return 1;
    return results.every((r) => r.ok) ? 0 : 1;
  },
});
