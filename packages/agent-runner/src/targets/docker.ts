import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import type { AgentCommand } from '../real/command.js';
import { cmdline, descendants } from '../process/proc.js';
import type { StopOptions, Supervised } from '../process/supervise.js';
import { startAgentProcess } from './agent-process.js';
import { agentCommandFor } from './command-for.js';
import type { AgentExit, DockerTarget, RunningAgent, StartAgentOptions } from './types.js';

/**
 * The collector's executable in the agent's images: the entrypoint runs `/srv/kernel-collector` in a
 * `( set -x; exec … )` subshell (collector/kernel/entrypoint.sh@3598385a:29, 112; main:19, 83).
 */
export const COLLECTOR_EXECUTABLE = 'kernel-collector';

/**
 * The collector among a container's processes: the first process of the tree under the container's init (the
 * entrypoint's bash) whose program, or script run by an interpreter, is `kernel-collector`.
 */
export function findCollector(initPid: number, proc = '/proc'): number | undefined {
  for (const pid of [initPid, ...descendants(initPid, proc)]) {
    if (cmdline(pid, proc).slice(0, 2).some((a) => basename(a) === COLLECTOR_EXECUTABLE)) return pid;
  }
  return undefined;
}

function docker(c: AgentCommand, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(c.argv[0], args, { env: c.env, timeout: timeoutMs }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
  );
}

/**
 * How a docker agent is stopped. SIGTERM to the `docker run` client reaches only the entrypoint's bash (its PID 1),
 * which dies without passing it on; runc then SIGKILLs the collector, whose shutdown never runs, and the run ends
 * 143. So: find the collector's host PID (visible under `--pid host`) from `docker inspect`'s State.Pid and
 * /proc, SIGTERM it directly (through `docker exec … kill` when we may not signal a root process), and wait for its
 * 241, which the entrypoint and then the client pass on. When no collector is found, the client's process group gets
 * SIGTERM as for any process. After the grace period: `docker kill`. The container is removed in every case.
 */
export function dockerStop(
  c: AgentCommand,
  o: { proc?: string; kill?: (pid: number, sig: NodeJS.Signals) => void } = {},
): (p: Supervised) => StopOptions {
  const kill = o.kill ?? ((pid: number, sig: NodeJS.Signals) => process.kill(pid, sig));
  const name = c.containerName!;
  return () => ({
    async terminate() {
      const init = Number(await docker(c, ['inspect', '--format', '{{.State.Pid}}', name]));
      const pid = init > 0 ? findCollector(init, o.proc) : undefined;
      if (pid === undefined) throw new Error(`no ${COLLECTOR_EXECUTABLE} under container ${name}'s pid ${init}`); // → group SIGTERM
      try {
        kill(pid, 'SIGTERM');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
        await docker(c, ['exec', name, 'sh', '-c', 'kill -TERM "$1"', 'sh', String(pid)]); // a root process: from inside
      }
    },
    beforeKill() {
      void docker(c, ['kill', name]).catch(() => {});
    },
  });
}

/** The kernel collector's docker image (`docker run --rm --pid host …`); see dockerStop for how it is stopped. */
export async function startDocker(t: DockerTarget, o: StartAgentOptions): Promise<RunningAgent> {
  const command = agentCommandFor(t, o);
  const agent = await startAgentProcess('docker', command, o, dockerStop(command));
  const remove = () => docker(command, ['rm', '--force', command.containerName!]).catch(() => '');
  let stopped: Promise<AgentExit> | undefined;
  return {
    kind: agent.kind,
    argv: agent.argv,
    command,
    pid: agent.pid,
    ready: agent.ready,
    exited: agent.exited,
    get stopping() {
      return agent.stopping;
    },
    get exit() {
      return agent.exit;
    },
    stop: () =>
      (stopped ??= agent.stop().then(async (e) => {
        await remove(); // `--rm` already does it after a clean exit; after a kill it may not have
        return e;
      })),
    kill: () => {
      agent.kill();
      void docker(command, ['kill', command.containerName!]).then(remove, remove);
    },
  };
}
