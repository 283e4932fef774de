import { readFile } from 'node:fs/promises';
import type { AuthzLogEntry } from '@flowmill/mock-authz';

/**
 * The small JSON inputs: the workload manifest (agent-runner's WorkloadManifest; only the fields the checks read are
 * typed here, so the checker stays usable with older or newer manifests) and the mock-authz request log.
 */
export interface Endpoint { ip: string; port: number }
export interface ProcSide { pid: number; comm: string; tuple: { local: Endpoint; remote: Endpoint } }
export interface Manifest {
  format?: string;
  version?: number;
  simulated?: boolean;
  started?: string;
  ended?: string;
  startedNs?: string;
  endedNs?: string;
  workload?: { pid: number; comm: string };
  servers?: Record<string, Endpoint>;
  tcp?: { index: number; startNs: string; endNs: string; client: ProcSide; server: ProcSide; clientSentBytes: number; clientReceivedBytes: number; serverSentBytes: number; serverReceivedBytes: number }[];
  udp?: { index: number; startNs: string; endNs: string; client: ProcSide; server: ProcSide; sentDatagrams: number; bytesPerDatagram: number; receivedDatagrams: number; receivedBytes: number }[];
  dns?: { index: number; startNs: string; endNs: string; queryId: number; name: string; answers: { type: string; address: string }[]; client: ProcSide; server: ProcSide; visibleToAgent: boolean }[];
  processes?: { index: number; startNs: string; endNs: string; pid: number; comm: string; parent: { pid: number; comm: string } }[];
  http?: { index: number; startNs: string; endNs: string; status: number; client: ProcSide; server: ProcSide }[];
}

/** One mock-authz request log line: mock-authz owns the shape (CONTRACTS.md mock-authz), the checker reads it. */
export type { AuthzLogEntry };

export interface SideInputError { line?: number; message: string }

export async function loadManifest(path: string): Promise<{ manifest?: Manifest; error?: SideInputError }> {
  const text = await readFile(path, 'utf8');
  try {
    const m = JSON.parse(text) as unknown;
    if (!m || typeof m !== 'object' || Array.isArray(m)) return { error: { message: 'not a JSON object' } };
    return { manifest: m as Manifest };
  } catch (err) {
    return { error: { message: `not JSON: ${(err as Error).message}` } };
  }
}

/** NDJSON; a bad line is reported (with its number) and skipped. Blank lines are fine. */
export async function loadAuthzLog(path: string): Promise<{ entries: AuthzLogEntry[]; errors: SideInputError[] }> {
  const text = await readFile(path, 'utf8');
  const entries: AuthzLogEntry[] = [];
  const errors: SideInputError[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const e = JSON.parse(line) as AuthzLogEntry;
      if (!e || typeof e !== 'object' || typeof e.status !== 'number' || typeof e.path !== 'string') errors.push({ line: i + 1, message: 'not an authz log entry (needs status, path)' });
      else entries.push(e);
    } catch (err) {
      errors.push({ line: i + 1, message: `not JSON: ${(err as Error).message}` });
    }
  });
  return { entries, errors };
}
