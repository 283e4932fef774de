import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WireFile } from './inputs.js';

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

/**
 * One mock-authz request log line, as far as the checker reads it. mock-authz owns the shape (its `AuthzLogEntry`);
 * this is the reader's own type of the line, so the checker does not depend on mock-authz (nor on its node-forge).
 */
export interface AuthzLogEntry {
  time?: string;
  method?: string;
  path: string;
  keyId?: string | null;
  agentId?: string | null;
  /** The HTTP status sent; 0 when none was. */
  status: number;
  latencyMs?: number;
  token?: string;
  /** Decimal strings (seconds). */
  issuedAtS?: string;
  expirationS?: string;
  intake?: string;
  fault?: string;
  reason?: string;
}

/**
 * One line of tls-sink's per-directory connection index (tls-sink owns the shape: its `ConnectionInfo`): the capture
 * file, its size, and — when the sink sent the agent DISABLE_SEND — when it did (`disableSend`: the capture's byte
 * count and the sink's wall clock at that moment).
 */
export interface SinkConnection {
  id?: number;
  file?: string;
  bytes?: number;
  start?: string;
  end?: string;
  disableSend?: { bytes?: number; at?: string };
  /** The capture file this line names, resolved (set by the reader). */
  path?: string;
}

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

/**
 * NDJSON; a bad line is reported (with its number) and skipped. Blank lines are fine, and so are mock-authz's own
 * stderr lines (`mock-authz: ready: …`, `mock-authz: created …`): without --log the request lines go to stderr beside
 * them, so `mock-authz 2> authz.log` is a log this reader takes as it is.
 */
export async function loadAuthzLog(path: string): Promise<{ entries: AuthzLogEntry[]; errors: SideInputError[] }> {
  const text = await readFile(path, 'utf8');
  const entries: AuthzLogEntry[] = [];
  const errors: SideInputError[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('mock-authz: ')) return;
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

/**
 * A tls-sink connection index (one JSON line per ended connection): its lines, and where they do not describe the
 * capture files as they are (a listed file missing, a size that differs).
 */
export async function loadWireIndex(path: string, wire: WireFile[]): Promise<{ connections: SinkConnection[]; errors: SideInputError[] }> {
  const errors: SideInputError[] = [];
  const connections: SinkConnection[] = [];
  const dir = dirname(path);
  (await readFile(path, 'utf8')).split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let c: SinkConnection;
    try { c = JSON.parse(line) as SinkConnection; } catch { errors.push({ line: i + 1, message: 'not JSON' }); return; }
    if (!c || typeof c !== 'object') { errors.push({ line: i + 1, message: 'not a JSON object' }); return; }
    if (!c.file) { connections.push(c); return; }
    const f = wire.find((w) => w.path === join(dir, c.file!));
    if (!f) errors.push({ line: i + 1, message: `${c.file} is listed but missing` });
    else if (typeof c.bytes === 'number' && c.bytes !== f.bytes) errors.push({ line: i + 1, message: `${c.file}: the sink counted ${c.bytes} bytes, the file has ${f.bytes}` });
    connections.push({ ...c, path: join(dir, c.file) });
  });
  return { connections, errors };
}
