import { relative } from 'node:path';
import { authzTrustSteps, DEFAULT_KEY_ID, type AgentSetup, type ProfileInput } from '@flowmill/agent-runner';
import { RUN_FILES, type RunFile } from '@flowmill/agent-runner/run-layout';
import { checkAgentChoice, SIM_TIME_SCALE, startAgent, type AgentChoice, type AgentRun } from './agent.js';
import { connectHost } from './agent-env.js';
import type { CertFiles, CheckReportLike, RecipeDeps } from './deps.js';
import { InterruptedError, RecipeError, StepTimeoutError } from './errors.js';
import { startFakeCloud } from './fake-cloud.js';
import { fileLog, tee, type FileLog } from './file-log.js';
import { Flow } from './flow-control/flow.js';
import { decodeAndCheck } from './decode-check.js';
import { killOthers } from './flow-control/kill-others.js';
import { runStep } from './flow-control/start.js';
import { sleep, waitReady } from './flow-control/wait-ready.js';
import { initialRunJson, settleVerdict, type RunJson, type RunStatus } from './run-json.js';
import { scaledTolerances } from './sim-tolerances.js';
import { workloadProfiles } from './workload-profile.js';
import { VM_SIM_TIME_SCALE, vmTargetOf, vmTolerances, type RecipeVm } from './vm.js';
import { prefixedLog, type PrefixedLog } from './log-prefix.js';
import { createReporter, fmtMs, type ProgressMode, type Reporter } from './progress.js';
import { createRunDir, hashRunFiles, writeJsonAtomic, type RunDir } from './run-dir.js';
import type { Era, Writable } from './types.js';

export interface RunOptions {
  deps: RecipeDeps;
  era?: Era;
  /** Plain TCP intake and plain HTTP authz (Flowmill era). */
  plain?: boolean;
  /**
   * https authz with a TLS intake. Default: on for the simulated agent, off for a real one (plain http authz: its
   * libcurl may not trust the CA given in SSL_CERT_FILE; when on, the trust steps are printed).
   */
  authzTls?: boolean;
  agent?: AgentChoice;
  /** Run directory; default `<runsDir>/<timestamp>/`. */
  out?: string;
  runsDir?: string;
  /** Reuse an --out directory that already holds a run. */
  force?: boolean;
  keysDir?: string;
  /** Listen address of the servers. */
  host?: string;
  /** Name the agent connects to (certificate name, token `intake`). */
  intakeName?: string;
  /** undefined: 0 (any free port) for the simulated agent, the recipe's fixed defaults for a real one. */
  authzPort?: number;
  intakePort?: number;
  /** Workload profile overrides. */
  profile?: ProfileInput;
  /** Decode and check whatever was recorded even after a failure (agent ended early, a decode error). */
  keepGoing?: boolean;
  /** Bound on the whole run (ms). */
  timeoutMs?: number;
  /** Bound on waiting for "Telemetry is flowing!" (ms). */
  readyTimeoutMs?: number;
  /** How long the agent gets to report the workload after it ended (ms). */
  catchUpMs?: number;
  /** Least time from "Telemetry is flowing!" to stopping the agent (ms); default six heartbeats (12 s × time scale). */
  durationMs?: number;
  /** SIGTERM → SIGKILL grace per child (ms). */
  graceMs?: number;
  /** The checker's preset (`default`, `upstream`). */
  checkPreset?: string;
  /** The checker's tolerance overrides (a JSON file or an object); default: cadence scaled for the simulated agent. */
  checkConfig?: string | object;
  /** Progress on `stderr`: human lines, NDJSON (`--json`), or nothing. */
  progress?: ProgressMode;
  stderr?: Writable;
  color?: boolean;
  /** First Ctrl-C / SIGTERM: abort with its reason (InterruptedError) and tear down in reverse order. */
  signal?: AbortSignal;
  /** Second Ctrl-C: kill everything still running at once. */
  forceSignal?: AbortSignal;
  /** Maps an error to the exit code recorded in run.json (the CLI passes the shared table). */
  exitCodeFor?: (err: unknown) => number;
  /** What was typed, for run.json. */
  argv?: string[];
  uid?: number;
  now?: () => Date;
  /** recipe run --vm: the agent and the workload run in a guest on this kernel (vm.ts). */
  vm?: RecipeVm;
}

export interface RunResult {
  dir: string;
  status: RunStatus;
  exitCode: number;
  error?: unknown;
  report?: CheckReportLike;
  runJson: RunJson;
}

const STEPS_TOTAL = 8;

/**
 * `recipe run`: keys, fake cloud, agent, workload, catch-up, stop, decode, check; a run directory with everything
 * and a run.json. Never throws for a run that went wrong: the result says how (status, exitCode, error); the
 * teardown has run and run.json is final when it resolves.
 */
export async function runRecipe(o: RunOptions): Promise<RunResult> {
  const now = o.now ?? (() => new Date());
  const era: Era = o.era ?? 'flowmill';
  const agent: AgentChoice = o.agent ?? { kind: 'simulated' };
  checkAgentChoice(agent, o.vm ? 0 : o.uid); // before anything is created (exit 66); in a VM the agent is root without sudo
  const simulated = agent.kind === 'simulated';
  const timeScale = agent.kind === 'simulated' ? (agent.timeScale ?? (o.vm ? VM_SIM_TIME_SCALE : SIM_TIME_SCALE)) : 1;
  const plain = era === 'otel' || !!o.plain;
  const tls = !plain;
  const host = o.host ?? '127.0.0.1';
  const intakeName = o.intakeName ?? 'localhost';
  // Port 0 for the simulated agent (parallel CI runs never collide); the recipe's fixed ports for a real agent
  // (its command line in docs/recorder-recipe.md, and what people type).
  const authzPort = o.authzPort ?? (simulated ? 0 : undefined);
  const intakePort = o.intakePort ?? (simulated ? 0 : undefined);
  const stderr = o.stderr;
  const reporterOut: Writable | undefined = o.progress === 'quiet' ? undefined : stderr;
  const childConsole = o.progress === 'human' || o.progress === undefined ? stderr : undefined;

  const rd: RunDir = createRunDir({ out: o.out, base: o.runsDir, force: o.force, now: now() });
  const recipeLog = fileLog(rd.path('recipeLog'));
  const reporter: Reporter = createReporter(o.progress ?? 'human', tee(reporterOut, undefined), { color: o.color });
  const fileReporter = createReporter('json', recipeLog);
  const both: Reporter = { emit: (e) => (reporter.emit(e), fileReporter.emit(e)) };
  const flow = new Flow(both, STEPS_TOTAL, { graceMs: o.graceMs });
  const t0 = performance.now();
  const milestones: Record<string, number> = {};
  const mark = (k: string) => (milestones[k] = Math.round(performance.now() - t0));

  const logs: FileLog[] = [recipeLog];
  const open = (name: RunFile) => {
    const l = fileLog(rd.path(name));
    logs.push(l);
    return l;
  };
  const width = 8;
  const plog = (role: string, file?: Writable): PrefixedLog => prefixedLog(role, { console: childConsole, color: o.color, file, width });

  const authzTls = tls && (o.authzTls ?? simulated);
  const runJson: RunJson = initialRunJson({
    argv: o.argv ?? [], era, simulated, agent, started: now().toISOString(), timings: flow.timings, milestones, versions: o.deps.versions, tls, intakeName,
    flags: {
      era, plain, authzTls, host, intakeName, authzPort: authzPort ?? 'default', intakePort: intakePort ?? 'default', keepGoing: !!o.keepGoing,
      timeoutMs: o.timeoutMs, readyTimeoutMs: o.readyTimeoutMs, catchUpMs: o.catchUpMs, durationMs: o.durationMs, timeScale, profile: o.profile ?? 'default', faults: agent.kind === 'simulated' ? agent.faults : undefined,
    },
  });
  writeJsonAtomic(rd.path('runJson'), runJson);

  // Wiring: Ctrl-C, the second Ctrl-C, the whole-run timeout.
  const onAbort = () => flow.abort(o.signal!.reason instanceof Error ? o.signal!.reason : new InterruptedError(String(o.signal!.reason ?? 'SIGINT')));
  const onForce = () => flow.teardown.force();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  o.forceSignal?.addEventListener('abort', onForce, { once: true });
  if (o.signal?.aborted) onAbort();
  const timeoutMs = o.timeoutMs ?? (simulated && !o.vm ? 120_000 : 600_000);
  if (o.vm) runJson.flags.vm = { kernel: o.vm.kernel.id, release: o.vm.kernel.release, package: o.vm.kernel.package, version: o.vm.kernel.version, memoryMb: o.vm.memoryMb, accel: o.vm.accel ?? 'tcg' };
  const overall = setTimeout(() => flow.abort(new StepTimeoutError('the whole run', timeoutMs, 'raise --timeout')), timeoutMs);

  // The simulated agent's timers run `timeScale` times the agent's: the checker's cadence tolerances follow, with
  // an absolute margin for the event loop it shares with the workload. A --check-config still wins.
  // In a VM the simulated agent's timers stall under software emulation: a wider window (vm.ts vmTolerances).
  const checkConfig = o.checkConfig ?? (o.vm && simulated ? vmTolerances(timeScale) : timeScale !== 1 ? scaledTolerances(timeScale) : undefined);
  if (checkConfig && typeof checkConfig === 'object') writeJsonAtomic(rd.path('checkConfig'), checkConfig);
  const incomplete = new Set<string>();
  let recorded = false; // the agent was stopped normally and the sink flushed
  let error: unknown;
  let report: CheckReportLike | undefined;
  const records: Record<string, number> = {};
  let agentRun: AgentRun | undefined;
  const files = { record: rd.path('record'), bpf: rd.path('bpf'), manifest: rd.path('manifest'), authzLog: rd.path('authzLog') };

  try {
    // 1-2. keys, servers
    const certs: CertFiles | undefined = tls
      ? await runStep(flow, { id: 'keys', title: `keys in ${o.keysDir ?? 'keys'}`, detail: (c) => (c.created.length ? `created ${c.created.length} file(s)` : 'reused') }, () =>
          o.deps.ensureCerts({ dir: o.keysDir ?? 'keys', names: [intakeName] }),
        )
      : await runStep(flow, { id: 'keys', title: 'keys (not needed: plain transport)' }, async () => undefined);
    if (certs) runJson.servers.keys = { ca: certs.caCert, cert: certs.cert, created: certs.created };
    const authzJsonl = era === 'flowmill' ? open('authzLog') : undefined;
    const sinkJsonl = open('sinkLog');
    const cloud = await runStep(flow, { id: 'servers', title: era === 'flowmill' ? 'mock-authz and tls-sink' : 'intake sink (plain)', detail: (c) => [c.authzUrl && `authz ${c.authzUrl}`, `intake ${intakeName}:${c.intakePort} (${tls ? 'tls' : 'tcp'})`].filter(Boolean).join(', ') }, () =>
      startFakeCloud(
        { era, plain, authzTls, host, intakeName, authzPort, intakePort },
        rd.dir,
        certs,
        o.deps,
        { authzJsonl: authzJsonl ?? { write() {} }, authz: plog('authz'), sinkJsonl, sink: plog('sink') },
        (name, close) => flow.teardown.push({ name, stop: close }),
      ),
    );
    runJson.servers.authz = cloud.authzUrl;
    if (authzTls && !simulated && cloud.authzUrl) for (const l of authzTrustSteps(certs?.caCert ?? 'ca.pem', cloud.authzUrl)) both.emit({ event: 'info', message: l });
    runJson.servers.intake = `${tls ? 'tls' : 'tcp'}://${intakeName}:${cloud.intakePort}`;
    mark('ready');

    // 3. the agent, until "Telemetry is flowing!"
    const setup: AgentSetup = {
      era, runDir: rd.dir, caFile: certs?.caCert, intake: { host: connectHost(host), port: cloud.intakePort, tls, name: intakeName },
      authz: cloud.authzUrl ? { server: cloud.authzUrl, keyId: DEFAULT_KEY_ID, secret: DEFAULT_KEY_ID } : undefined,
    };
    const agentLog = plog('agent', open('agentLog'));
    // in a VM the agent starts after a boot under software emulation: give it the real agent's time
    const readyTimeoutMs = o.readyTimeoutMs ?? (simulated && !o.vm ? 15_000 : 120_000);
    const workloadLog = plog('workload', open('workloadLog'));
    const { profiles, dnsPort53 } = await workloadProfiles({ simulated, uid: o.vm ? 0 : o.uid, host, profile: o.profile });
    if (dnsPort53) runJson.flags.dnsPort = 53;
    const vm = o.vm && vmTargetOf(o.vm, agent, {
      timeScale, catchUpMs: o.catchUpMs, durationMs: o.durationMs, profiles, dnsPort53,
      onConsoleLine: (l) => (l.startsWith('workload| ') ? workloadLog.line(l.slice('workload| '.length)) : undefined),
    });
    agentRun = await runStep<AgentRun>(flow, { id: 'agent', title: `agent (${agent.kind === 'simulated' ? 'simulated' : agent.kind === 'docker' ? `docker ${agent.image}` : agent.path}) until telemetry flows`, detail: (a) => (a.pid ? `pid ${a.pid}` : undefined) }, async (signal) => {
      const a = await startAgent({
        choice: agent, setup, log: agentLog, deps: o.deps, graceMs: o.graceMs, uid: o.uid, force: o.force, vm,
      });
      flow.teardown.push(a);
      runJson.agent.argv = a.argv;
      runJson.agent.pid = a.pid;
      killOthers((r) => flow.abort(r), 'agent', a.exited, { expected: () => a.stopping, logFile: relative(process.cwd(), rd.path('agentLog')) });
      await waitReady('agent readiness ("Telemetry is flowing!")', a.ready, { timeoutMs: readyTimeoutMs, signal, hint: `see ${rd.path('agentLog')}` });
      return a;
    });
    mark('telemetry');
    const telemetryAt = performance.now();

    // 4-5. the workload, then the agent catches up (in a VM the guest does both itself, then stops the agent)
    const inGuest = agentRun.workloadDone;
    await runStep<unknown>(flow, { id: 'workload', title: inGuest ? 'crafted workload (in the guest)' : 'crafted workload', detail: () => `manifest ${RUN_FILES.manifest}` }, (signal) =>
      inGuest ? waitReady('the workload in the guest', inGuest().then((rc) => { if (rc !== 0) throw new RecipeError('ERR_WORKLOAD', `the workload in the guest exited ${rc}: see ${rd.path('workloadLog')}`, { step: 'workload' }); }), { timeoutMs, signal }) : o.deps.runWorkload({
        profile: profiles.length ? profiles : undefined,
        manifestPath: files.manifest,
        agent: { kind: simulated ? 'sim' : 'real', era, binary: agent.kind === 'binary' ? agent.path : undefined, image: agent.kind === 'docker' ? agent.image : undefined },
        log: (l) => workloadLog.line(l),
        onEvent: agentRun?.onWorkloadEvent,
        signal,
      }),
    );
    // Real agent: one 1 s slow poll plus a 2 s heartbeat flush (docs/agent-protocol.md §2.4 steps 7, 9) and margin.
    // Simulated: until it says every workload item is recorded, then one (scaled) slow poll.
    // Then at least `durationMs` of telemetry in all, so the checker sees a cadence (six heartbeats by default).
    const catchUpMs = o.catchUpMs ?? (simulated ? Math.round(1000 * timeScale) : 3000);
    const durationMs = o.durationMs ?? Math.round(6 * 2000 * timeScale);
    const drained = agentRun.drained;
    await runStep(flow, { id: 'catch-up', title: `agent catches up (${drained ? 'drained + ' : ''}${fmtMs(catchUpMs)}, ≥ ${fmtMs(durationMs)} of telemetry)${inGuest ? ', stopped by the guest' : ''}` }, async (signal) => {
      if (inGuest) return void (await waitReady('the guest to stop its agent', agentRun!.exited, { timeoutMs, signal }));
      if (drained) await waitReady('the simulated agent to record the workload', drained(), { timeoutMs: readyTimeoutMs, signal });
      await sleep(catchUpMs, signal);
      const left = telemetryAt + durationMs - performance.now();
      if (left > 0) await sleep(left, signal);
    });

    // 6. stop the agent (SIGTERM, expect 241), 7. stop the servers (flush + fsync the captures)
    const a = agentRun!;
    await runStep(flow, { id: 'stop', title: 'stop the agent and the servers', detail: () => `agent ${a.exit?.signal ?? `exit ${a.exit?.code}`}` }, async () => {
      await flow.teardown.release(a);
      runJson.agent.exit = a.exit ? { code: a.exit.code, signal: a.exit.signal } : undefined;
      await flow.teardown.run();
    });
    recorded = true;
  } catch (err) {
    error = err;
  }
  // Whatever happened, nothing keeps running: stop what is left, newest first.
  await flow.teardown.run();
  if (agentRun?.exit) runJson.agent.exit = { code: agentRun.exit.code, signal: agentRun.exit.signal };
  if (!recorded) for (const f of [RUN_FILES.record, RUN_FILES.bpf, RUN_FILES.manifest]) incomplete.add(f);

  // 8-9. decode and check: after a clean recording, or with --keep-going after anything but Ctrl-C.
  const interrupted = () => (flow.signal.aborted && flow.signal.reason instanceof InterruptedError) || !!o.signal?.aborted;
  if (recorded || (o.keepGoing && !interrupted())) {
    // A fresh signal for the steps after the recording: Ctrl-C still stops them, an earlier failure does not.
    const post = flow.signal.aborted ? flow.fork() : flow;
    const onPostAbort = () => post.abort(o.signal!.reason instanceof Error ? o.signal!.reason : new InterruptedError('SIGINT'));
    if (post !== flow) o.signal?.addEventListener('abort', onPostAbort, { once: true });
    if (!recorded) incomplete.add(RUN_FILES.intakeDir);
    const dc = await decodeAndCheck(post, { deps: o.deps, dir: rd.dir, era, keepGoing: o.keepGoing, keepGoingAfter: !!error, checkPreset: o.checkPreset, checkConfig });
    Object.assign(records, dc.records);
    report = dc.report;
    error ??= dc.error;
    o.signal?.removeEventListener('abort', onPostAbort);
    if (post !== flow && post.signal.aborted) error = post.signal.reason;
  }

  clearTimeout(overall);
  o.signal?.removeEventListener('abort', onAbort);
  o.forceSignal?.removeEventListener('abort', onForce);
  if (flow.signal.aborted && !error) error = flow.signal.reason;

  const { status, exitCode } = settleVerdict(runJson, { dir: rd.dir, error, report, exitCodeFor: o.exitCodeFor, step: flow.current });
  runJson.records = records;
  runJson.ended = now().toISOString();
  runJson.ms = Math.round(performance.now() - t0);
  both.emit({ event: 'info', message: `run ${status} in ${fmtMs(runJson.ms)}: ${rd.dir}` });
  for (const l of logs) l.close();
  runJson.files = await hashRunFiles(rd.dir, incomplete);
  writeJsonAtomic(rd.path('runJson'), runJson);
  return { dir: rd.dir, status, exitCode, error, report, runJson };
}
