import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import type { SpawnFn } from '../process/supervise.js';
import type { Era } from '../sim/encoding.js';
import { startAgent } from '../targets/index.js';
import type { AgentExit, AgentTarget } from '../targets/types.js';
import { buildAgentCommand, type AgentCommand, type RealAgentOptions } from './command.js';

export interface RunRealOptions extends RealAgentOptions {
  /** Give up waiting for "Telemetry is flowing!" after this long (default 120 s: compile + 5-15 s connect, §5.4). */
  readyTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this long (default 15 s). */
  graceMs?: number;
  /** Each agent output line, already prefixed `agent| ` or `agent! ` (stderr). */
  onLine?: (line: string) => void;
  spawn?: SpawnFn;
  /** Replace an existing agent.log — default refuse. */
  force?: boolean;
}

export interface RealAgent {
  command: AgentCommand;
  pid: number | undefined;
  ready: Promise<void>;
  exited: Promise<AgentExit>;
  stop(): Promise<AgentExit>;
}

/**
 * `agent-runner run`: the real kernel collector (binary or docker) started with startAgent, its stdout/stderr kept
 * in the run directory's agent log as `agent| ` / `agent! ` lines.
 */
export async function runRealAgent(o: RunRealOptions): Promise<RealAgent> {
  const command = buildAgentCommand(o); // validates before anything is created
  let log: number | undefined = openSync(command.files.log, o.force ? 'w' : 'wx', 0o600);
  const closeLog = () => {
    if (log !== undefined) closeSync(log);
    log = undefined;
  };
  const target: AgentTarget = o.agent
    ? { kind: 'binary', path: o.agent, sudo: o.sudo, envPath: o.path, extraArgs: o.extraArgs, extraEnv: o.extraEnv }
    : { kind: 'docker', image: o.docker!, containerName: o.containerName, dockerCli: o.dockerCli, dockerClientEnv: o.dockerClientEnv, envPath: o.path, extraArgs: o.extraArgs, extraEnv: o.extraEnv };
  let agent;
  try {
    agent = await startAgent(target, {
      era: o.era, runDir: o.runDir, intake: o.intake, authz: o.authz, caFile: o.caFile, graceMs: o.graceMs, spawn: o.spawn,
      readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
      onLine: (l, stream) => {
        const line = `${stream === 'stdout' ? 'agent|' : 'agent!'} ${l}`;
        if (log !== undefined) writeSync(log, `${line}\n`);
        o.onLine?.(line);
      },
    });
  } catch (err) {
    closeLog();
    throw err;
  }
  // the last lines may come shortly after the exit (supervise drains the pipes for up to 200 ms)
  const exited = agent.exited.finally(() => new Promise((r) => setTimeout(r, 250)).then(closeLog));
  return { command: agent.command ?? command, pid: agent.pid, ready: agent.ready, exited, stop: () => agent.stop() };
}

/**
 * Guesses the era of a kernel collector binary from the environment variable names compiled into it
 * (FLOWMILL_INTAKE_HOST vs EBPF_NET_INTAKE_HOST, docs/eras.md §2.1), or of an image from its name. Undefined = unknown.
 */
export async function detectEra(o: { agent?: string; docker?: string }): Promise<Era | undefined> {
  if (o.docker) {
    if (/opentelemetry-ebpf|ebpf-net|ebpf_net/i.test(o.docker)) return 'otel';
    if (/flowmill/i.test(o.docker)) return 'flowmill';
    return undefined;
  }
  if (!o.agent) return undefined;
  const needles = { flowmill: Buffer.from('FLOWMILL_INTAKE_HOST'), otel: Buffer.from('EBPF_NET_INTAKE_HOST') };
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(o.agent, { highWaterMark: 1 << 20 })) {
    const b = Buffer.concat([tail, chunk as Buffer]);
    if (b.includes(needles.otel)) return 'otel';
    if (b.includes(needles.flowmill)) return 'flowmill';
    tail = b.subarray(Math.max(0, b.length - 32));
  }
  return undefined;
}
