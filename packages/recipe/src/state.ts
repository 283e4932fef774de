import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from './errors.js';
import { isAlive } from '@flowmill/agent-runner';
import { INTAKE_CAPTURE, runLayout } from '@flowmill/agent-runner/run-layout';
import { readJson } from './run-dir.js';
import type { Era } from './types.js';

/**
 * `cloud.json`, written by `recipe serve` (the background fake cloud `recipe up` starts) once both servers listen,
 * removed when it stops. Everything another shell needs: who to signal, where to connect, where the files go.
 */
export interface CloudState {
  format: 'flowmill-recipe-cloud';
  version: 1;
  pid: number;
  dir: string;
  era: Era;
  plain: boolean;
  tls: boolean;
  host: string;
  intakeName: string;
  started: string;
  authz?: { url: string; port: number };
  intake: { url: string; port: number };
  keys?: { ca: string; cert: string; key: string };
  /** Where the agent should write (the run directory's contract names). */
  paths: { intakeDir: string; record: string; bpf: string; authzLog: string; serveLog: string };
}


/** The run directory `recipe env/down/status` use: `--dir`, else `<runs>/current` (the latest `up` or `run`). */
export function resolveStateDir(dir: string | undefined, runsDir = 'runs'): string {
  const d = dir ?? join(runsDir, 'current');
  try {
    return realpathSync(d);
  } catch {
    return d;
  }
}

/** Reads the state file; StateError (exit 66) if there is none. */
export function readState(dir: string): CloudState {
  const p = runLayout(dir).path('state');
  if (!existsSync(p)) throw new StateError(p, 'nothing running there (start it with `recipe up`)');
  try {
    return readJson<CloudState>(p);
  } catch (err) {
    throw new StateError(p, 'unreadable state file', err);
  }
}

/** Whether a process is alive and not a zombie (a container's PID 1 may never reap the orphaned `recipe serve`). */
export const alive = (pid: number): boolean => isAlive(pid);

/** Live figures for `recipe status`: what has arrived so far. */
export function liveCounts(s: CloudState): { authzRequests: number; connections: number; intakeBytes: number; recordBytes: number; bpfBytes: number } {
  const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).length : 0);
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  let connections = 0;
  let intakeBytes = 0;
  if (existsSync(s.paths.intakeDir)) {
    for (const n of readdirSync(s.paths.intakeDir)) {
      if (INTAKE_CAPTURE.test(n)) {
        connections += 1;
        intakeBytes += size(join(s.paths.intakeDir, n));
      }
    }
  }
  return { authzRequests: lines(s.paths.authzLog), connections, intakeBytes, recordBytes: size(s.paths.record), bpfBytes: size(s.paths.bpf) };
}
