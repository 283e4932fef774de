import { readFileSync } from 'node:fs';

/**
 * `npx <bin>` / `npm exec <bin>` (npm 7 to 11) runs the bin as `npm exec` → `sh -c '<bin> …'` → node, and forwards no
 * signal: since npm/run-script#142 (npm 9.6) npm only keeps itself alive on SIGINT/SIGTERM, counting on the
 * terminal to signal the whole foreground process group (which Ctrl-C does). A `kill <npm's pid>` (a supervisor, a
 * test, `timeout`) ends npm and the shell and leaves the bin running, reparented to init (npm/cli#6684, #5776).
 *
 * So a bin started by npm exec watches the processes that started it, and when they are gone stops as if it had
 * received the SIGTERM they did not pass on (its own SIGTERM handler runs: orderly stop, exit 0). A bin not started
 * by npm exec (the recipe's children, a `nohup`/`setsid` daemon, `recipe up`'s background server) never does: the
 * marker is removed from the environment, so the bin's own children do not inherit it.
 */
export interface LauncherWatch {
  stop(): void;
}

/** npm exec's marks in the environment of what it runs (npm_command=exec, npm_lifecycle_event=npx). */
export function startedByNpmExec(env: NodeJS.ProcessEnv): boolean {
  return env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx';
}

/** Linux: the parent of `pid` and whether `pid` is a zombie, from /proc/<pid>/stat; undefined elsewhere or if gone. */
function procStat(pid: number): { ppid: number; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces and parentheses
    return { ppid: Number(fields[1]), zombie: fields[0] === 'Z' || fields[0] === 'X' };
  } catch {
    return undefined;
  }
}

/**
 * When npm exec started this process: every `intervalMs`, if our parent changed (the shell died) or npm itself is
 * gone (Linux: /proc says so, a zombie counts as gone), call `onGone` once. Removes npm exec's marks from `env` so
 * children started from here on are not watched. The timer never keeps the process alive.
 */
export function watchLauncher(onGone: () => void, opts: { env?: NodeJS.ProcessEnv; intervalMs?: number } = {}): LauncherWatch | undefined {
  const env = opts.env ?? process.env;
  if (!startedByNpmExec(env)) return undefined;
  delete env.npm_command;
  delete env.npm_lifecycle_event;
  const parent = process.ppid;
  const npm = procStat(parent)?.ppid; // the shell's parent: npm exec itself
  const timer = setInterval(() => {
    const npmGone = npm !== undefined && npm > 1 && (procStat(npm)?.zombie ?? true);
    if (process.ppid === parent && !npmGone) return;
    clearInterval(timer);
    onGone();
  }, opts.intervalMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
