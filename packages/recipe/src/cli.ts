#!/usr/bin/env node
import { readFileSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { array, boolean, command, extendType, flag, multioption, number, oneOf, option, optional, string, subcommands } from 'cmd-ts';
import { Duration, ExitCode, exitCodeFor, ListenHost, Port, runMain } from '@flowmill/cli';
import { authzTrustSteps } from '@flowmill/agent-runner';
import { readFaults, readProfile } from './inputs.js';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import type { AgentChoice } from './agent.js';
import { defaultDeps } from './default-deps.js';
import { checkStoppedRun } from './decode-check.js';
import { Flow } from './flow-control/flow.js';
import { createReporter } from './progress.js';
import { readJson } from './run-dir.js';
import { InterruptedError, UsageError } from './errors.js';
import { serveCloud } from './serve.js';
import { renderSummary } from './summary.js';
import { readState, resolveStateDir } from './state.js';
import { down, envScript, renderStatus, status, up } from './up-down.js';
import { runRecipe, type RunResult } from './recipe-run.js';
import { checkDownTarget, liveClouds } from './clouds.js';
import { agentRunnerBundle, kernelMatrix, matrixRow, renderMatrix, resolveVms, vmDryRun, type MatrixRow, type RecipeVm } from './vm.js';
import { buildBpf } from '@flowmill/agent-runner';
import { resolveTolerances } from '@flowmill/checker';
import type { Era } from './types.js';
import { VERSION } from './version.js';

const BIN = 'recipe';

/** A positive factor for the simulated agent's timers. */
const TimeScale = extendType(number, {
  displayName: 'factor',
  async from(n) {
    if (!(n > 0 && n <= 10)) throw new Error(`not a time scale (0 < x <= 10): ${n}`);
    return n;
  },
});
const stderr = process.stderr;
const color = !process.env.NO_COLOR && (!!process.env.FORCE_COLOR || !!process.stderr.isTTY);
const codes = { ERR_INTERRUPTED: 130 };
const exitFor = (err: unknown) => exitCodeFor(err, codes);

const era = option({ long: 'era', type: oneOf<Era>(['flowmill', 'otel']), defaultValue: () => 'flowmill' as Era, defaultValueIsSerializable: true, description: 'agent era: flowmill (TLS intake + mock-authz) or otel (plain intake, no authz)' });
const plain = flag({ long: 'plain', type: boolean, description: 'Flowmill era without TLS: plain TCP intake, plain HTTP authz' });
const authzTls = flag({
  long: 'authz-tls', type: boolean,
  description: 'https authz for a real agent (default: plain http, TLS intake unchanged; its libcurl needs the CA installed system-wide: the steps are printed). The simulated agent always uses https',
});
const keys = option({ long: 'keys', type: string, defaultValue: () => 'keys', defaultValueIsSerializable: true, description: 'directory of the CA and leaf certificates (created if missing)' });
const host = option({ long: 'host', type: ListenHost, defaultValue: () => '127.0.0.1', defaultValueIsSerializable: true, description: 'address the servers listen on' });
const intakeName = option({ long: 'intake-name', type: string, defaultValue: () => 'localhost', defaultValueIsSerializable: true, description: 'name the agent connects to and verifies (certificate name)' });
const authzPort = option({ long: 'authz-port', type: optional(Port), description: 'mock-authz port, 0 = any free one (default: any for `run` with the simulated agent, else 8001)' });
const intakePort = option({ long: 'intake-port', type: optional(Port), description: 'intake port, 0 = any free one (default: any for `run` with the simulated agent, else 7001 TLS / 8000 plain)' });
const runs = option({ long: 'runs', type: string, defaultValue: () => 'runs', defaultValueIsSerializable: true, description: 'parent of the timestamped run directories (and of `current`)' });
const json = flag({ long: 'json', type: boolean, description: 'machine output: JSON on stdout, NDJSON progress on stderr' });
const jsonOut = flag({ long: 'json', type: boolean, description: 'machine output: one JSON object on stdout' });
const stateDir = option({ long: 'dir', type: optional(string), description: 'run directory of `recipe up` (default $RECIPE_DIR, else <runs>/current)' });

/**
 * Every child and server of the run is stopped by the time its verdict is printed. Should a leaked handle (a timer
 * or socket of an in-process agent) still keep Node alive, `recipe run` exits anyway 2 s later, saying so: a run
 * never outlives its verdict (issue 12: a crashed simulated agent's reconnect loop once kept it alive for minutes).
 */
function exitSoonAfterVerdict(): void {
  setTimeout(() => {
    stderr.write(`${BIN}: something the run started still held the process 2 s after its verdict; exiting anyway\n`);
    process.exit();
  }, 2000).unref();
}

function selfCommand(): string[] {
  const script = process.argv[1];
  return (globalThis as { Deno?: unknown }).Deno ? [process.execPath, 'run', '-A', script] : [process.execPath, script];
}

const run = command({
  name: 'run',
  description: 'keys, mock-authz, tls-sink, the agent (simulated unless --agent/--docker), the workload, decode, check; one run directory',
  args: {
    era, plain, authzTls, keys, host, intakeName, authzPort, intakePort, runs, json,
    bpf: option({ long: 'bpf', type: optional(oneOf(['sim', 'real'] as const)), description: 'with --vm: real = the agent\'s own BPF programs (bpf-recorder, attached the collector\'s way) record in the guest and the simulated agent\'s userspace half follows their dump live, talking to the fake cloud here (OpenTelemetry era): bpf.raw, intake stream and record file all from what the real kernel saw, every check run; sim (default) = the agent chosen. The BPF half alone, without a cloud: agent-runner bpf-real' }),
    bpfSrc: option({ long: 'bpf-src', type: optional(string), description: 'with --bpf real: an opentelemetry-network checkout whose render_bpf.c and render file are built instead of the vendored ones' }),
    agent: option({ long: 'agent', type: optional(string), description: 'path of a real kernel collector binary (run as root, through sudo -n unless root)' }),
    docker: option({ long: 'docker', type: optional(string), description: 'docker image of a real kernel collector' }),
    noSudo: flag({ long: 'no-sudo', type: boolean, description: 'run --agent directly even when not root' }),
    out: option({ long: 'out', type: optional(string), description: 'run directory (default <runs>/<timestamp>)' }),
    force: flag({ long: 'force', type: boolean, description: 'reuse an --out directory that already holds a run' }),
    profile: option({ long: 'profile', type: optional(string), description: 'workload profile overrides: a YAML/JSON file or inline JSON (agent-runner ProfileInput)' }),
    faults: option({ long: 'faults', type: optional(string), description: 'simulated agent faults: inline JSON or @file (agent-runner SimFaults)' }),
    timeScale: option({ long: 'time-scale', type: optional(TimeScale), description: 'simulated agent: its timers × this (default 0.25: heartbeat every 500 ms; 1 = the real agent\'s timing)' }),
    preset: option({ long: 'preset', type: optional(string), description: 'checker preset: default or upstream' }),
    checkConfig: option({ long: 'check-config', type: optional(string), description: 'checker tolerance overrides, a JSON file (default for the simulated agent: cadence scaled by --time-scale)' }),
    keepGoing: flag({ long: 'keep-going', type: boolean, description: 'decode and check what was recorded even after a failure' }),
    timeout: option({ long: 'timeout', type: optional(Duration), description: 'bound on the whole run (default 2m simulated, 10m real)' }),
    readyTimeout: option({ long: 'ready-timeout', type: optional(Duration), description: 'bound on waiting for "Telemetry is flowing!" (default 15s simulated, 2m real)' }),
    duration: option({ long: 'duration', type: optional(Duration), description: 'least telemetry time, from ready to stop (default six heartbeats: 3s simulated, 12s real)' }),
    catchUp: option({ long: 'catch-up', type: optional(Duration), description: 'time the agent gets after the workload (default: simulated, until it has recorded everything + one slow poll, 250ms; real 3s)' }),
    grace: option({ long: 'grace', type: optional(Duration), description: 'SIGTERM to SIGKILL grace per process (default 5s)' }),
    quiet: flag({ long: 'quiet', short: 'q', type: boolean, description: 'no progress or logs on stderr; stdout: the run directory only' }),
    vm: flag({ long: 'vm', type: boolean, description: 'run the agent and the workload in a qemu guest on a real Debian kernel (no root, no KVM needed); the fake cloud stays here' }),
    kernel: option({ long: 'kernel', type: optional(string), description: 'with --vm: 6.1 (default), 5.10, 6.12, PATH/vmlinuz, or a list (5.10,6.1,6.12: one run directory per kernel, then a summary table)' }),
    vmMemory: option({ long: 'vm-memory', type: optional(number), description: 'with --vm: guest memory in MB (default 2048)' }),
    kvm: flag({ long: 'kvm', type: boolean, description: 'with --vm: KVM without probing (by default a run uses KVM only where a probe boot of the kernel under it worked, cached per kernel, and never with kvm_pvm)' }),
    dryRun: flag({ long: 'dry-run', type: boolean, description: 'with --vm: print the qemu command line, guest init and agent command; start nothing' }),
    vmAfter: multioption({ long: 'vm-after', type: array(string), description: 'with --vm: a shell command run in the guest after the recording, before power-off (repeatable; output in vm-console.log)' }),
  },
  handler: async (a) => {
    if (!a.vm && (a.kernel || a.vmMemory || a.kvm || a.dryRun || a.vmAfter.length)) throw new UsageError('--kernel, --vm-memory, --kvm, --vm-after and --dry-run go with --vm');
    if (a.agent && a.docker) throw new UsageError('choose one agent: --agent PATH or --docker IMAGE');
    if (a.faults && (a.agent || a.docker)) throw new UsageError('--faults applies to the simulated agent only');
    if (a.timeScale !== undefined && (a.agent || a.docker)) throw new UsageError('--time-scale applies to the simulated agent only');
    const agent: AgentChoice = a.agent ? { kind: 'binary', path: a.agent, sudo: a.noSudo ? false : undefined } : a.docker ? { kind: 'docker', image: a.docker } : { kind: 'simulated', faults: readFaults(a.faults), timeScale: a.timeScale };
    if (a.preset !== undefined || a.checkConfig !== undefined) await resolveTolerances(a.preset, a.checkConfig); // a bad config is refused before anything starts
    let bpfReal: RecipeVm['bpfReal'];
    if (a.bpf === 'real' || a.bpfSrc) {
      // the agent's own BPF programs record in the guest and the simulated agent's userspace half follows their dump
      // live, talking to the fake cloud here (agent-runner bpf/README.md); the OpenTelemetry era, whose BPF code it is
      if (!a.vm || a.bpf !== 'real') throw new UsageError('--bpf real goes with --vm, and --bpf-src with --bpf real');
      if (a.agent || a.docker || a.dryRun) throw new UsageError('--bpf real runs the simulated agent\'s userspace on the real BPF programs: no --agent, --docker or --dry-run');
      bpfReal = { build: await buildBpf({ bpfSrc: a.bpfSrc, cacheDir: process.env.FLOWMILL_BPF_CACHE, env: process.env, onLog: (l) => { if (!a.quiet) stderr.write(`${l}\n`); } }) };
    }
    const runEra: Era = bpfReal ? 'otel' : a.era;
    const stop = new AbortController();
    const force = new AbortController();
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        if (!a.quiet) stderr.write(`${BIN}: ${sig}: stopping everything (again to force)\n`);
        stop.abort(new InterruptedError(sig));
      } else {
        stderr.write(`${BIN}: second ${sig}: killing what is left\n`);
        force.abort();
        process.exit(sig === 'SIGTERM' ? 143 : 130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const kernels = a.vm ? kernelMatrix(a.kernel) : [undefined];
    const vms = a.vm ? await resolveVms(kernels as string[], { env: process.env, node: process.execPath, bundle: agentRunnerBundle(import.meta.resolve('@flowmill/agent-runner')), memoryMb: a.vmMemory, accel: a.kvm ? 'kvm' : a.dryRun ? 'tcg' : 'auto', after: a.vmAfter, bpfReal, progress: (l) => !a.quiet && stderr.isTTY && stderr.write(`${BIN}: ${l}\n`) }) : [undefined];
    if (a.dryRun) {
      for (const vm of vms) process.stdout.write(await vmDryRun(vm!, agent, { era: a.era, plain: a.plain, keysDir: a.keys, intakeName: a.intakeName, runsDir: a.runs, authzTls: a.agent ? a.authzTls : undefined }));
      return ExitCode.ok;
    }
    const rows: MatrixRow[] = [];
    let r!: Awaited<ReturnType<typeof runRecipe>>;
    for (const [i, vm] of vms.entries()) {
    r = await runRecipe({
      deps: defaultDeps(),
      era: runEra, plain: a.plain, authzTls: a.agent || a.docker ? a.authzTls : undefined, agent, out: a.out, runsDir: a.runs, force: a.force, keysDir: a.keys, host: a.host, intakeName: a.intakeName,
      authzPort: a.authzPort, intakePort: a.intakePort, profile: await readProfile(a.profile), keepGoing: a.keepGoing, checkPreset: a.preset, checkConfig: a.checkConfig,
      timeoutMs: a.timeout, readyTimeoutMs: a.readyTimeout, catchUpMs: a.catchUp, durationMs: a.duration, graceMs: a.grace,
      progress: a.quiet ? 'quiet' : a.json ? 'json' : 'human', stderr, color,
      signal: stop.signal, forceSignal: force.signal, exitCodeFor: exitFor, argv: process.argv.slice(2),
      uid: process.getuid?.(), vm,
      ...(vms.length > 1 ? { out: `${a.out ?? a.runs}/${new Date().toISOString().replace(/[:.]/g, '-')}-vm-${kernels[i]}` } : {}),
    });
    if (vm) rows.push(matrixRow(kernels[i]!, vm, r));
    if (stop.signal.aborted) break;
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (a.json) process.stdout.write(`${JSON.stringify(r.runJson)}\n`);
    else if (a.quiet) process.stdout.write(`${r.dir}\n`);
    else process.stdout.write(renderSummary(r, { cwd: process.cwd(), color: color && !!process.stdout.isTTY }));
    if (r.error && r.status !== 'failed') stderr.write(`${BIN}: ${(r.error as Error).message ?? String(r.error)}\n`);
    if (rows.length > 1 && !a.json && !a.quiet) process.stdout.write(`\n${renderMatrix(rows)}`);
    exitSoonAfterVerdict();
    return rows.length > 1 ? Math.max(...rows.map((x) => x.exitCode)) : r.exitCode;
  },
});

const serveArgs = { era, plain, authzTls, keys, host, intakeName, authzPort, intakePort };

const serve = command({
  name: 'serve',
  description: '(internal, what `up` starts in the background) mock-authz + tls-sink in one process until SIGTERM',
  args: { ...serveArgs, dir: option({ long: 'dir', type: string, description: 'run directory' }) },
  handler: async (a) => {
    const s = await serveCloud({ deps: defaultDeps(), dir: a.dir, keysDir: a.keys, log: stderr, cloud: { era: a.era, plain: a.plain, authzTls: a.authzTls, host: a.host, intakeName: a.intakeName, authzPort: a.authzPort, intakePort: a.intakePort } });
    stderr.write(`${BIN}: ready: fake cloud in ${a.dir}\n`);
    await new Promise<void>((resolve) => {
      const onSignal = () => resolve();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    await s.close();
    stderr.write(`${BIN}: stopped\n`);
    return ExitCode.ok;
  },
});

const upCmd = command({
  name: 'up',
  description: 'start the fake cloud (mock-authz + tls-sink) in the background; returns once it listens',
  args: {
    ...serveArgs, runs, json: jsonOut,
    dir: option({ long: 'dir', type: optional(string), description: 'run directory (default <runs>/<timestamp>, linked as <runs>/current)' }),
    force: flag({ long: 'force', type: boolean, description: 'reuse a --dir that already holds a run' }),
    timeout: option({ long: 'timeout', type: optional(Duration), description: 'bound on waiting for it to listen (default 30s)' }),
  },
  handler: async (a) => {
    const pass: string[] = ['--era', a.era, '--keys', a.keys, '--host', a.host, '--intake-name', a.intakeName];
    if (a.plain) pass.push('--plain');
    if (a.authzTls) pass.push('--authz-tls');
    if (a.authzPort !== undefined) pass.push('--authz-port', String(a.authzPort));
    if (a.intakePort !== undefined) pass.push('--intake-port', String(a.intakePort));
    const state = await up({ self: selfCommand(), serveArgs: pass, dir: a.dir, runsDir: a.runs, force: a.force, timeoutMs: a.timeout, env: process.env });
    if (state.authz?.url.startsWith('https:') && state.keys) for (const l of authzTrustSteps(state.keys.ca, state.authz.url)) stderr.write(`${BIN}: ${l}\n`);
    if (a.json) process.stdout.write(`${JSON.stringify(state)}\n`);
    else {
      process.stdout.write(renderStatus(status(state.dir)));
      stderr.write(`${BIN}: next: eval "$(${BIN} env${a.dir ? ` --dir ${a.dir}` : ''})", run the agent, then \`${BIN} down\`\n`);
    }
    return ExitCode.ok;
  },
});

const envCmd = command({
  name: 'env',
  description: 'print the agent\'s environment as shell exports (eval "$(recipe env)") and its command line',
  args: {
    dir: stateDir, runs,
    agent: option({ long: 'agent', type: optional(string), description: 'agent path to show in the command line (default ~/agent, or kernel-collector in the otel era)' }),
    keyId: option({ long: 'key-id', type: optional(string), description: 'agent key id (must start with KFII; default the recipe\'s example)' }),
  },
  handler: async (a) => {
    const dir = resolveStateDir(a.dir ?? process.env.RECIPE_DIR, a.runs);
    const { script, command: line } = envScript(readState(dir), { agent: a.agent, keyId: a.keyId });
    process.stdout.write(script);
    stderr.write(`${BIN}: agent command: ${line}\n`);
    return ExitCode.ok;
  },
});

const downCmd = command({
  name: 'down',
  description: 'stop what `up` started, flushing the captures',
  args: {
    dir: stateDir, runs, json: jsonOut,
    grace: option({ long: 'grace', type: optional(Duration), description: 'SIGTERM to SIGKILL grace (default 15s)' }),
    check: flag({ long: 'check', type: boolean, description: 'then decode the recordings and run the checker (exit 1 if a check failed)' }),
    preset: option({ long: 'preset', type: optional(string), description: 'with --check: checker preset' }),
    checkConfig: option({ long: 'check-config', type: optional(string), description: 'with --check: checker tolerance overrides, a JSON file' }),
  },
  handler: async (a) => {
    const dir = resolveStateDir(a.dir ?? process.env.RECIPE_DIR, a.runs);
    if (!(a.dir ?? process.env.RECIPE_DIR)) checkDownTarget(dir, a.runs);
    const r = await down(dir, { graceMs: a.grace });
    let code: number = ExitCode.ok;
    let summary = '';
    if (a.check) {
      const flow = new Flow(createReporter(a.json ? 'json' : 'human', stderr, { color }), 2);
      const c = await checkStoppedRun(flow, { deps: defaultDeps(), dir, keepGoing: true, checkPreset: a.preset, checkConfig: a.checkConfig });
      code = c.exitCode;
      r.runJson = readJson(runLayout(dir).path('runJson'));
      // the same verdict, failed checks with their reasons and next steps as `recipe run` prints
      const rj = r.runJson as RunResult['runJson'];
      summary = renderSummary({ dir, status: rj.status as RunResult['status'], exitCode: code, report: c.result.report, runJson: rj }, { cwd: process.cwd(), color: color && !!process.stdout.isTTY });
    }
    if (a.json) process.stdout.write(`${JSON.stringify({ dir, pid: r.state.pid, wasRunning: r.wasRunning, killed: r.killed, run: r.runJson })}\n`);
    else {
      const files = (r.runJson as { files?: Record<string, { bytes: number }> } | undefined)?.files ?? {};
      const list = Object.entries(files).map(([f, e]) => `  ${f}  ${e.bytes} bytes\n`).join('');
      process.stdout.write(`${r.wasRunning ? `stopped fake cloud pid ${r.state.pid}${r.killed ? ' (killed after the grace period)' : ''}` : `fake cloud pid ${r.state.pid} was not running (stale state)`}: ${relative(process.cwd(), dir) || dir}\n${summary || list}`);
    }
    if (!r.wasRunning) {
      rmSync(runLayout(dir).path('state'), { force: true });
    }
    return code;
  },
});

const statusCmd = command({
  name: 'status',
  description: 'what `up` started, where, and what has arrived (exit 0 running, 69 stale, 66 nothing there)',
  args: { dir: stateDir, runs, json: jsonOut },
  handler: async (a) => {
    // without --dir: every live cloud under the runs directory (there may be more than the one `current` names)
    const live = a.dir ?? process.env.RECIPE_DIR ? [] : liveClouds(a.runs).map((c) => status(c.dir));
    const all = live.length ? live : [status(resolveStateDir(a.dir ?? process.env.RECIPE_DIR, a.runs))];
    process.stdout.write(a.json ? `${JSON.stringify(all.length === 1 ? all[0] : all)}\n` : all.map(renderStatus).join(''));
    return all.some((s) => s.running) ? ExitCode.ok : ExitCode.unavailable;
  },
});

const app = subcommands({
  name: BIN,
  version: VERSION,
  description: 'From nothing to a checked recording in one command (`recipe run`, the default), or the fake cloud in the background for your own agent (`up`, `env`, `down`, `status`).',
  cmds: { run, up: upCmd, env: envCmd, down: downCmd, status: statusCmd, serve },
});

// `recipe` alone, or `recipe --era otel …`, means `recipe run …`.
const argv = process.argv.slice(2);
const names = new Set(['run', 'up', 'env', 'down', 'status', 'serve', '--help', '-h', '--version', '-v', 'help']);
if (argv.length === 0 || !names.has(argv[0])) argv.unshift('run');

await runMain(app, { bin: BIN, codes, argv });
