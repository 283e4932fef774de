import { readFileSync } from 'node:fs';
import { TimeoutError } from '../errors.js';

/** What the workload learns about its own runtime and process, and its one timeout helper. */

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new TimeoutError(what, ms)), ms); })]).finally(() => clearTimeout(t));
}

export function ownComm(): string {
  try { return readFileSync('/proc/self/comm', 'utf8').trim(); } catch { return 'node'; }
}

export function runtimeVersion(): string {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
  return deno?.version?.deno ? `deno ${deno.version.deno}` : process.version;
}

export function runtimeName(): 'node' | 'deno' | 'unknown' {
  if ((globalThis as { Deno?: unknown }).Deno) return 'deno';
  return process.release?.name === 'node' ? 'node' : 'unknown';
}
