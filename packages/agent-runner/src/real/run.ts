import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { TimeoutError, UnreachableError } from '../errors.js';
import type { Era } from '../sim/encoding.js';
import { buildAgentCommand, type AgentCommand, type RealAgentOptions } from './command.js';
import { describeAgentExit } from './exit-status.js';

/** The agent's readiness line (agent-protocol.md §5.3). */
export const AGENT_READY = 'Agent connected successfully. Telemetry is flowing!';

export interface RunRealOptions extends RealAgentOptions {
  /** Give up waiting for "Telemetry is flowing!" after this long (default 120 s: compile + 5-15 s connect, §5.4). */
  readyTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this long (default 15 s). */
  graceMs?: number;
  /** Each agent output line, already prefixed `agent| ` or `agent! ` (stderr). */
  onLine?: (line: string) => void;
  spawn?: (cmd: string, args: string[], opts: SpawnOptions) => ChildProcess;
  /** Replace an existing record file (the agent truncates it anyway) — default refuse. */
  force?: boolean;
}

export interface AgentExit { code: number | null; signal: string | null; meaning: string; expected: boolean }

export interface RealAgent {
  command: AgentCommand;
  pid: number | undefined;
  ready: Promise<void>;
  exited: Promise<AgentExit>;
  stop(): Promise<AgentExit>;
}

/**
 * Runs the real kernel collector (binary or docker) with `buildAgentCommand`: deletes a stale BPF dump first (the
 * agent appends, agent-protocol.md §3.1), keeps its stdout/stderr prefixed in agent.log, resolves `ready` on the
 * readiness line, stops with SIGTERM then SIGKILL, and reports the exit in the agent's terms (§5.2).
 */
export async function runRealAgent(o: RunRealOptions): Promise<RealAgent> {
  const command = buildAgentCommand(o);
  await rm(command.files.bpf, { force: true });
  const log = await open(command.files.log, o.force ? 'w' : 'wx', 0o600);
  const spawn = o.spawn ?? nodeSpawn;
  const child = spawn(command.argv[0], command.argv.slice(1), { env: command.env, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { readyResolve = res; readyReject = rej; });
  ready.catch(() => {});
  let isReady = false;
  let stopping = false;
  const lineOf = (prefix: string) => {
    let rest = '';
    return (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        const line = `${prefix} ${l}`;
        void log.write(`${line}\n`);
        o.onLine?.(line);
        if (!isReady && l.includes(AGENT_READY)) { isReady = true; readyResolve(); }
      }
    };
  };
  child.stdout?.on('data', lineOf('agent|'));
  child.stderr?.on('data', lineOf('agent!'));
  const exited = new Promise<AgentExit>((resolve) => {
    child.on('error', (err) => {
      readyReject(new UnreachableError(command.argv[0], `cannot start the agent: ${err.message}`, { cause: err }));
      resolve({ code: null, signal: null, meaning: `could not start: ${err.message}`, expected: false });
    });
    child.on('exit', (code, signal) => {
      const meaning = describeAgentExit(code, signal);
      if (!isReady) readyReject(new UnreachableError(command.argv[0], `the agent ended before telemetry was flowing: ${meaning} (see ${command.files.log})`));
      resolve({ code, signal, meaning, expected: stopping && (code === 241 || signal === 'SIGKILL') });
    });
  }).finally(() => log.close().catch(() => {}));
  const timeoutMs = o.readyTimeoutMs ?? 120_000;
  const timer = setTimeout(() => { if (!isReady) readyReject(new TimeoutError(`waiting for "${AGENT_READY}" in ${command.files.log}`, timeoutMs)); }, timeoutMs);
  void exited.then(() => clearTimeout(timer));
  void ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
  const stop = async (): Promise<AgentExit> => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // the agent: on_close, then exit(-15) = 241 (agent-protocol.md §5.1)
      const k = setTimeout(() => child.kill('SIGKILL'), o.graceMs ?? 15_000);
      const r = await exited;
      clearTimeout(k);
      return r;
    }
    return exited;
  };
  return { command, pid: child.pid, ready, exited, stop };
}

/**
 * Guesses the era of a kernel collector binary from the environment variable names compiled into it
 * (FLOWMILL_INTAKE_HOST vs EBPF_NET_INTAKE_HOST, eras.md §2.1), or of an image from its name. Undefined = unknown.
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
