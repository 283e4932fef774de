// `agent-runner bpf-real`: cmd-ts wiring of the real BPF half (part of the bin: reads env, writes stdio).
import { command, flag, option, optional, string, multioption, array } from 'cmd-ts';
import { Duration } from '@flowmill/cli';
import { UsageError } from '../errors.js';
import { kernelCacheDir } from '../vm/kernel-cache.js';
import { DEFAULT_KERNEL } from '../vm/kernels.js';
import { realBpfJson, runRealBpfMatrix } from './matrix.js';

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
    const m = await runRealBpfMatrix({
      kernels, runDir: a.runDir, bpfSrc: a.bpfSrc, bpfCacheDir: process.env.FLOWMILL_BPF_CACHE, env: process.env, kernelCacheDir: kernelCacheDir(process.env),
      fetch: !a.noFetch, node: process.execPath, workloadArgs: a.workloadArg, timeoutMs: a.timeout, force: a.force, progress: log,
      onBuildLog: (l) => process.stderr.write(`${l}\n`), onKernel: (t) => { if (!a.json) process.stdout.write(t); },
    });
    if (a.json) process.stdout.write(`${JSON.stringify(realBpfJson(m), null, 2)}\n`);
    return m.ok ? 0 : 1;
  },
});
