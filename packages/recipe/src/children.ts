import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { AgentNotFoundError } from './errors.js';
import type { PrefixedLog } from './log-prefix.js';
import type { Stoppable } from './flow-control/teardown.js';
import type { LineSource } from './flow-control/wait-ready.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type SpawnFn = (cmd: string, args: readonly string[], opts: SpawnOptions) => ChildProcess;

/** A child process we started: its own process group, its output prefixed, stoppable as a group. */
export interface ChildHandle extends Stoppable, LineSource {
  readonly role: string;
  readonly pid: number;
  readonly argv: string[];
  readonly exited: Promise<ExitInfo>;
  /** True once `stop`/`kill` was called (its exit is then expected, not a failure). */
  readonly stopping: boolean;
  /** The exit status once it ended. */
  exit?: ExitInfo;
}

export interface SpawnChildOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  log: PrefixedLog;
  /** SIGTERM → SIGKILL grace (the teardown also has one; this one is per child). */
  graceMs?: number;
  spawn?: SpawnFn;
}

/**
 * Spawns one child in its own process group (`detached`), so a stop reaches whatever it started (`sudo` → agent,
 * `docker run` → its client), pipes its stdout and stderr line by line through its prefixed log, and records its exit.
 * A missing executable rejects with AgentNotFoundError (exit 66) before anything else is started.
 */
export async function spawnChild(role: string, argv: string[], opts: SpawnChildOptions): Promise<ChildHandle> {
  const spawn = opts.spawn ?? nodeSpawn;
  const child = spawn(argv[0], argv.slice(1), { env: opts.env as NodeJS.ProcessEnv, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' || err.code === 'EACCES' ? new AgentNotFoundError(argv[0], err.code === 'ENOENT' ? 'no such executable' : 'not executable', err) : err),
    );
  });
  const listeners = new Set<(l: string) => void>();
  let tail = '';
  const onData = (d: Buffer) => {
    opts.log.write(d);
    const text = tail + d.toString('utf8');
    const lines = text.split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) for (const cb of listeners) cb(l);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let stopping = false;
  // 'exit', not 'close': a grandchild that inherited the pipes (sudo's child, a `sleep &`) keeps them open after
  // the agent itself is gone, and the agent being gone is what matters.
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      handle.exit = { code, signal };
      resolve({ code, signal });
    });
  });
  child.once('close', () => opts.log.end());
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  const graceMs = opts.graceMs ?? 5000;
  const handle: ChildHandle = {
    role,
    name: role,
    pid: child.pid!,
    argv,
    exited,
    get stopping() {
      return stopping;
    },
    onLine(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async stop() {
      stopping = true;
      if (handle.exit) {
        group('SIGKILL'); // the leader is gone; what is left of its group goes too
        return;
      }
      group('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      group('SIGKILL'); // anything of the group that outlived its leader
    },
    kill() {
      stopping = true;
      group('SIGKILL');
    },
  };
  return handle;
}

/** A child's readable summary: `exit 241` or `signal SIGKILL`. */
export function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'running';
  return e.signal ? `signal ${e.signal}` : `exit ${e.code}`;
}
