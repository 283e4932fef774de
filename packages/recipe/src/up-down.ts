import { spawn as nodeSpawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cloudOnPort, CloudRunningError, describeCloud, liveClouds } from './clouds.js';
import { join } from 'node:path';
import { DEFAULT_KEY_ID, shellQuote, type SpawnFn } from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import { agentEnvironment, connectHost, exportLines } from './agent-env.js';
import { RecipeError, StateError, StepTimeoutError } from './errors.js';
import { waitReady } from './flow-control/wait-ready.js';
import { createRunDir, linkCurrent, readJson } from './run-dir.js';
import { alive, liveCounts, readState, type CloudState } from './state.js';

/** `recipe serve` failed before it was ready: its own error line and exit code, passed on. */
export class ServeFailedError extends RecipeError {
  constructor(message: string, readonly exitCode: number, readonly logFile: string) {
    super('ERR_SERVE_FAILED', message);
  }
}

export interface UpOptions {
  /** How to start this tool again: `[process.execPath, <bundle path>]`; `serve` and `serveArgs` are appended. */
  self: string[];
  /** Flags for `recipe serve` (era, ports, keys), already in CLI form. */
  serveArgs: string[];
  dir?: string;
  runsDir?: string;
  force?: boolean;
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  spawn?: SpawnFn;
}

/**
 * `recipe up`: a detached `recipe serve` in a new run directory (its stdout/stderr go to serve.log), returned once
 * its cloud.json exists, i.e. once both servers listen. If it dies first, its error line and exit code come back
 * (port busy → 69, bad keys → 66); on a timeout it is killed, so nothing half-started stays behind.
 */
export async function up(o: UpOptions): Promise<CloudState> {
  // one cloud per runs directory owns `current`: a second would repoint it and hide the first from status/down
  if (!o.dir) {
    const running = liveClouds(o.runsDir ?? 'runs');
    if (running.length) throw new CloudRunningError(running);
  }
  // `current` moves only once this one is up: a second `up` that fails (port busy) must not hide the first
  const existed = !!o.dir && existsSync(o.dir);
  const rd = createRunDir({ out: o.dir, base: o.runsDir, force: o.force, link: false });
  try {
    return await startServe(o, rd);
  } catch (err) {
    // a failed `up` leaves nothing behind: the run directory it made goes (its log's error line is in the error)
    if (!existed) rmSync(rd.dir, { recursive: true, force: true });
    throw err instanceof ServeFailedError ? withHolder(err) : err;
  }
}

/** A busy port held by one of our own clouds: say which, and how to stop it. */
function withHolder(err: ServeFailedError): ServeFailedError {
  const port = /:(\d+): port busy/.exec(err.message)?.[1];
  const holder = port ? cloudOnPort(Number(port)) : undefined;
  return holder ? new ServeFailedError(`${err.message}: held by the fake cloud ${describeCloud(holder)}`, err.exitCode, err.logFile) : err;
}

async function startServe(o: UpOptions, rd: ReturnType<typeof createRunDir>): Promise<CloudState> {
  const logPath = rd.path('serveLog');
  const fd = openSync(logPath, 'a', 0o600);
  const spawn = o.spawn ?? nodeSpawn;
  const child = spawn(o.self[0], [...o.self.slice(1), 'serve', '--dir', rd.dir, ...o.serveArgs], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: o.env as NodeJS.ProcessEnv,
  });
  closeSync(fd);
  const statePath = rd.path('state');
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exit = { code, signal }), resolve())));
  child.once('error', () => {});
  try {
    await waitReady(
      'the fake cloud (recipe serve)',
      new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (existsSync(statePath)) {
            clearInterval(poll);
            resolve();
          }
        }, 25);
        exited.then(() => {
          clearInterval(poll);
          if (existsSync(statePath)) return resolve();
          let log = '';
          try {
            log = readFileSync(logPath, 'utf8');
          } catch {
            /* gone with its directory */
          }
          reject(new ServeFailedError(failureLine(log), exit?.code ?? 70, logPath));
        });
      }),
      { timeoutMs: o.timeoutMs ?? 30_000 },
    );
  } catch (err) {
    if (err instanceof StepTimeoutError) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    throw err;
  }
  child.unref();
  if (!o.dir) linkCurrent(rd.dir);
  return readState(rd.dir);
}

/** The line that says why `recipe serve` died: its own error line, else a crash's `Error: …` line. */
export function failureLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => l.startsWith('recipe: ') && !l.startsWith('recipe: ready')).pop();
  const crash = lines.find((l) => /^(\w*Error|Uncaught)\b/.test(l));
  return (own ?? (crash ? `recipe serve crashed: ${crash}` : lines.pop() ?? 'no output')).replace(/^recipe: /, '');
}

/**
 * `recipe down`: SIGTERM to the serve process and wait until it is gone (it closes the servers, fsyncs the
 * captures and writes run.json first); SIGKILL after `graceMs`. A stale state file (process already gone) is
 * reported, not an error.
 */
export async function down(dir: string, opts: { graceMs?: number } = {}): Promise<{ state: CloudState; wasRunning: boolean; killed: boolean; runJson?: unknown }> {
  const state = readState(dir);
  if (!alive(state.pid)) return { state, wasRunning: false, killed: false };
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + (opts.graceMs ?? 15_000);
  let killed = false;
  while (alive(state.pid)) {
    if (Date.now() > deadline && !killed) {
      process.kill(state.pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const rj = runLayout(dir).path('runJson');
  return { state, wasRunning: true, killed, runJson: existsSync(rj) ? readJson(rj) : undefined };
}

export interface StatusReport {
  running: boolean;
  state: CloudState;
  counts: ReturnType<typeof liveCounts>;
}

export function status(dir: string): StatusReport {
  const state = readState(dir);
  return { running: alive(state.pid), state, counts: liveCounts(state) };
}

/** `recipe status` for people. */
export function renderStatus(s: StatusReport): string {
  const st = s.state;
  const c = s.counts;
  const lines = [
    `${s.running ? 'running' : 'NOT running (stale state)'}: fake cloud, pid ${st.pid}, ${st.era} era, since ${st.started}`,
    `  dir     ${st.dir}`,
  ];
  if (st.authz) lines.push(`  authz   ${st.authz.url}  (${c.authzRequests} request${c.authzRequests === 1 ? '' : 's'})`);
  lines.push(`  intake  ${st.intake.url}  (${c.connections} connection${c.connections === 1 ? '' : 's'}, ${c.intakeBytes} bytes)`);
  lines.push(`  record  ${st.paths.record}  (${c.recordBytes} bytes)`, `  bpf     ${st.paths.bpf}  (${c.bpfBytes} bytes)`);
  return `${lines.join('\n')}\n`;
}

/**
 * `eval "$(recipe env)"`: exports for the agent (era-aware) plus RECIPE_DIR and RECIPE_AGENT_ARGS, and a comment
 * with the command line to run. The second value is that command line, for stderr.
 */
export function envScript(state: CloudState, opts: { agent?: string; keyId?: string } = {}): { script: string; command: string } {
  const { env, args } = agentEnvironment({
    era: state.era,
    runDir: state.dir,
    intake: { host: connectHost(state.host), port: state.intake.port, tls: state.tls, name: state.intakeName },
    authz: state.authz && { server: state.authz.url, keyId: opts.keyId ?? DEFAULT_KEY_ID },
    caFile: state.keys?.ca,
  });
  const agent = opts.agent ?? (state.era === 'flowmill' ? '~/agent' : 'kernel-collector');
  const command = `sudo -E ${agent} $RECIPE_AGENT_ARGS`;
  const script =
    exportLines({ ...env, RECIPE_DIR: state.dir, RECIPE_AGENT_ARGS: args.join(' ') }) +
    `# the agent's command line (${state.era} era; ${shellQuote(state.dir)}):\n# ${command}\n`;
  return { script, command };
}

export { StateError };
