/**
 * One supervised child process: its own process group, its output split into lines, its exit recorded, and an
 * orderly stop (docs/development.md §10): ask it to end (SIGTERM to the whole group unless told another way), SIGKILL the group
 * after a grace period, then SIGKILL whatever of the group outlived its leader. Every agent target that runs a
 * process (binary, docker, and a VM runner's) goes through here, so a stop means the same thing for all of them.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { AgentRunnerError } from '../errors.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type SpawnFn = (cmd: string, args: readonly string[], opts: SpawnOptions) => ChildProcess;
export type OutputStream = 'stdout' | 'stderr';

/** The program could not be started at all (missing or not executable): exit 66 in the CLIs. */
export class StartError extends AgentRunnerError {
  constructor(readonly path: string, readonly why: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_INPUT', `cannot start: ${path}: ${why}`, options);
  }
}

export interface SuperviseOptions {
  /** The complete environment (nothing is inherited when given). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Each output line (CR stripped), per stream in order; a last unterminated line comes when the pipes close. */
  onLine?: (line: string, stream: OutputStream) => void;
  /** SIGTERM → SIGKILL grace (default 15 s). */
  graceMs?: number;
  spawn?: SpawnFn;
}

export interface StopOptions {
  /** How to ask it to end; default SIGTERM to its process group. A throw falls back to the default. */
  terminate?: () => void | Promise<void>;
  /** Runs when the grace period is over, before SIGKILL goes to the group (e.g. `docker kill`). */
  beforeKill?: () => void;
}

export interface Supervised {
  readonly pid: number;
  readonly argv: string[];
  readonly exited: Promise<ExitInfo>;
  /** Its exit status once it ended. */
  readonly exit?: ExitInfo;
  /** True once stop/kill was called: its exit is then expected. */
  readonly stopping: boolean;
  /** Resolves with the first line that contains `needle`; rejects if the process ends (and its output is read) first. */
  waitForLine(needle: string | RegExp): Promise<string>;
  /** Sends `sig` to its whole process group (to the process alone when the group is gone). */
  signalGroup(sig: NodeJS.Signals): void;
  /** The orderly stop; idempotent (a second call returns the first call's promise). */
  stop(o?: StopOptions): Promise<ExitInfo>;
  /** SIGKILL to the group at once; never throws. */
  kill(): void;
}

/** How long after the exit we still wait for output the pipes hold (a line written just before exiting). */
const DRAIN_MS = 200;

/**
 * Spawns `argv` detached (a process group of its own, so a stop reaches what it started: sudo → agent, a shell's
 * `sleep &`) with stdout and stderr piped. Rejects with StartError if it cannot be executed at all.
 */
export async function supervise(argv: string[], o: SuperviseOptions = {}): Promise<Supervised> {
  const spawn = o.spawn ?? nodeSpawn;
  const child = spawn(argv[0], argv.slice(1), { env: o.env as NodeJS.ProcessEnv | undefined, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' || err.code === 'EACCES' ? new StartError(argv[0], err.code === 'ENOENT' ? 'no such executable' : 'not executable', { cause: err }) : err),
    );
  });
  child.on('error', () => {}); // after the spawn: a kill of a gone process, nothing to report
  const listeners = new Set<(line: string) => void>();
  const split = (stream: OutputStream) => {
    let tail = '';
    const decoder = new TextDecoder();
    const emit = (l: string) => {
      o.onLine?.(l, stream);
      for (const cb of listeners) cb(l);
    };
    return {
      data: (d: Uint8Array) => {
        const lines = (tail + decoder.decode(d, { stream: true })).split('\n');
        tail = lines.pop() ?? '';
        for (const l of lines) emit(l.replace(/\r$/, ''));
      },
      end: () => {
        if (tail) emit(tail);
        tail = '';
      },
    };
  };
  const out = split('stdout');
  const err = split('stderr');
  child.stdout!.on('data', out.data);
  child.stderr!.on('data', err.data);
  // 'close' (every pipe at EOF) may never come while a grandchild holds the pipes; the exit is what matters
  const closed = new Promise<void>((resolve) => child.once('close', () => (out.end(), err.end(), resolve())));
  let exit: ExitInfo | undefined;
  let stopping = false;
  const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve((exit = { code, signal }))));
  const drained = exited.then(() => Promise.race([closed, new Promise((r) => setTimeout(r, DRAIN_MS))]));

  const signalGroup = (sig: NodeJS.Signals) => {
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
  const graceMs = o.graceMs ?? 15_000;
  let stopped: Promise<ExitInfo> | undefined;
  const stop = (so: StopOptions = {}): Promise<ExitInfo> => {
    stopping = true;
    stopped ??= (async () => {
      if (!exit) {
        const timer = setTimeout(() => {
          try {
            so.beforeKill?.();
          } catch {
            /* best effort: the group's SIGKILL follows anyway */
          }
          signalGroup('SIGKILL');
        }, graceMs);
        try {
          if (so.terminate) await so.terminate();
          else signalGroup('SIGTERM');
        } catch {
          signalGroup('SIGTERM');
        }
        await exited;
        clearTimeout(timer);
      }
      signalGroup('SIGKILL'); // whatever of its group outlived it
      return exit!;
    })();
    return stopped;
  };
  return {
    pid: child.pid!,
    argv,
    exited,
    get exit() {
      return exit;
    },
    get stopping() {
      return stopping;
    },
    waitForLine(needle) {
      const hit = (l: string) => (typeof needle === 'string' ? l.includes(needle) : needle.test(l));
      return new Promise<string>((resolve, reject) => {
        const cb = (l: string) => {
          if (hit(l)) {
            listeners.delete(cb);
            resolve(l);
          }
        };
        listeners.add(cb);
        void drained.then(() => {
          if (!listeners.has(cb)) return;
          listeners.delete(cb);
          reject(new Error(`ended before saying "${String(needle)}": ${describeExit(exit)}`));
        });
      });
    },
    signalGroup,
    stop,
    kill() {
      stopping = true;
      signalGroup('SIGKILL');
    },
  };
}

/** `exit 241` or `signal SIGKILL`, or `running`. */
export function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'running';
  return e.signal ? `signal ${e.signal}` : `exit ${e.code}`;
}
