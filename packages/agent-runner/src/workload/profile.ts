import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { MissingInputError, UsageError } from '../errors.js';
import type { WorkloadProfile } from '../manifest.js';
import { PROFILE_SHAPE, shapeProblem } from '../input-schema.js';

/** Defaults: small, quick, and every byte count a multiple of 4 (docs/checker-facts.md §7 Q3). */
export const DEFAULT_PROFILE: WorkloadProfile = {
  name: 'default',
  tcp: { connections: 8, clientBytes: 4096, serverBytes: 8192, port: 0 },
  udp: { datagrams: 16, bytes: 256, port: 0 },
  dns: { lookups: 4, domain: 'flowmill.test', port: 0 },
  // comm = command[:15]; a distinctive name so the checker finds exactly these children
  processes: { count: 4, command: 'fm-wl-child' },
  http: { requests: 6, statuses: [200, 404, 201, 500], method: 'GET', path: '/workload', port: 0 },
  pauseMs: 0,
};

/** A partial profile as given in a file or by flags; sections merge field by field over the defaults. */
export type ProfileInput = { name?: string; pauseMs?: number } & { [K in 'tcp' | 'udp' | 'dns' | 'processes' | 'http']?: Partial<WorkloadProfile[K]> };

export function resolveProfile(...inputs: (ProfileInput | undefined)[]): WorkloadProfile {
  const p: WorkloadProfile = structuredClone(DEFAULT_PROFILE);
  for (const i of inputs) {
    if (!i) continue;
    if (i.name !== undefined) p.name = i.name;
    if (i.pauseMs !== undefined) p.pauseMs = i.pauseMs;
    for (const k of ['tcp', 'udp', 'dns', 'processes', 'http'] as const) {
      const sec = i[k];
      if (sec === undefined) continue;
      if (typeof sec !== 'object' || sec === null) throw new UsageError(`bad workload profile: ${k}: not an object`);
      for (const [f, v] of Object.entries(sec)) {
        if (!(f in p[k])) throw new UsageError(`bad workload profile: ${k}.${f}: unknown field`);
        if (v !== undefined) (p[k] as unknown as Record<string, unknown>)[f] = v;
      }
    }
  }
  validateProfile(p);
  return p;
}

export async function loadProfile(path: string): Promise<ProfileInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MissingInputError(`workload profile ${path}`, (err as Error).message, { cause: err });
  }
  let v: unknown;
  try {
    v = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`bad workload profile: ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`bad workload profile: ${path}: not a mapping`);
  const bad = shapeProblem(v, PROFILE_SHAPE);
  if (bad) throw new UsageError(`bad workload profile: ${path}: ${bad}`);
  const out = v as ProfileInput;
  if (out.name === undefined) out.name = path.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/i, '');
  return out;
}

function count(where: string, n: unknown, max = 1_000_000): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`bad workload profile: ${where}: not a whole number 0-${max}: ${String(n)}`);
}
function port(where: string, n: unknown): void { count(where, n, 65535); }
function mult4(where: string, n: number): void {
  // docs/checker-facts.md §7 Q3: the kernel's final TCP report clears the low 2 bits of byte counts
  if (n % 4 !== 0) throw new UsageError(`bad workload profile: ${where}: ${n} is not a multiple of 4 (docs/checker-facts.md §7 Q3)`);
}

export function validateProfile(p: WorkloadProfile): void {
  count('tcp.connections', p.tcp.connections);
  count('tcp.clientBytes', p.tcp.clientBytes, 1 << 30);
  count('tcp.serverBytes', p.tcp.serverBytes, 1 << 30);
  mult4('tcp.clientBytes', p.tcp.clientBytes);
  mult4('tcp.serverBytes', p.tcp.serverBytes);
  port('tcp.port', p.tcp.port);
  count('udp.datagrams', p.udp.datagrams);
  count('udp.bytes', p.udp.bytes, 65507); // max UDP payload over IPv4
  port('udp.port', p.udp.port);
  count('dns.lookups', p.dns.lookups, 65535);
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(p.dns.domain) || p.dns.domain.length > 200) throw new UsageError(`bad workload profile: dns.domain: not a domain name: ${JSON.stringify(p.dns.domain)}`);
  port('dns.port', p.dns.port);
  count('processes.count', p.processes.count, 10_000);
  if (!/^[A-Za-z0-9._-]{1,15}$/.test(p.processes.command)) throw new UsageError(`bad workload profile: processes.command: 1-15 of [A-Za-z0-9._-] (the kernel's comm is 15 bytes): ${JSON.stringify(p.processes.command)}`);
  count('http.requests', p.http.requests);
  if (!Array.isArray(p.http.statuses) || p.http.statuses.length === 0 || !p.http.statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) throw new UsageError(`bad workload profile: http.statuses: a non-empty list of codes 100-599`);
  if (!/^[A-Z]{3,7}$/.test(p.http.method)) throw new UsageError(`bad workload profile: http.method: an HTTP verb: ${JSON.stringify(p.http.method)}`);
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(p.http.path)) throw new UsageError(`bad workload profile: http.path: /[A-Za-z0-9/_.-]*: ${JSON.stringify(p.http.path)}`);
  port('http.port', p.http.port);
  count('pauseMs', p.pauseMs, 60_000);
}
