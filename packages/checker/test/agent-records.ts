/**
 * Test support: recordings built record by record with raw-codec's encoder, from facts read in the agent's source
 * (each test cites the file:line it relies on). Not a simulator: a test lays out exactly the records it means.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinSchema, encodeIntake, packFlushes, RecordEncoder, type MessageSchema } from '@flowmill/raw-codec';

export type Era = 'flowmill' | 'ebpf_net';
export interface R { name: string; ts: bigint; data?: Record<string, unknown> }

export const MS = 1_000_000n;
export const S = 1_000_000_000n;
/** A plausible agent clock (wall-clock ns at agent start, kernel_collector.cc@3598385a:120 boot-time adjustment). */
export const T0 = 1_764_900_000n * S;

const dirs: string[] = [];
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'checker-real-'));
  dirs.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Default for a field the test does not care about: zero, an empty string, or an all-zero array. */
function fill(m: MessageSchema, data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of m.fields) {
    let v = data[f.name];
    const n = f.arrayLength;
    if (v === undefined) v = f.type === 'string' ? '' : n !== null ? new Array(n).fill(/^string</.test(f.type) ? '' : 0) : 0;
    else if (typeof v === 'string' && n !== null && f.type === 'u8') v = Array.from({ length: n }, (_, i) => (i < v.length ? (v as string).charCodeAt(i) : 0));
    else if (v instanceof Uint8Array && n !== null && f.type === 'u8') v = Array.from({ length: n }, (_, i) => (v as Uint8Array)[i] ?? 0);
    out[f.name] = v;
  }
  return out;
}

export class Encoders {
  readonly ingest: RecordEncoder;
  readonly bpf: RecordEncoder;
  constructor(readonly era: Era) {
    const s = builtinSchema(era);
    this.ingest = new RecordEncoder(s.apps.ingest);
    this.bpf = new RecordEncoder(s.apps.agent_internal);
  }
  intake(r: R): Uint8Array {
    return this.ingest.encode(r.name, r.ts, fill(this.ingest.message(r.name), r.data ?? {}));
  }
  dump(r: R): Uint8Array {
    return this.bpf.encode(r.name, r.ts, fill(this.bpf.message(r.name), r.data ?? {}));
  }
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * One session (connection): `records` starting with version_info (sent raw and flushed alone,
 * kernel_collector.cc@3598385a:327-331), the rest grouped into flushes as the agent's 16 KiB BufferedWriter does
 * (collector/constants.h@3598385a:23); or `flushes` given exactly (after version_info), one LZ4 frame each.
 */
export interface Session { records: R[]; flushes?: R[][] }

export interface RunFiles { dir: string; wire: string; record: string; bpf?: string }

/**
 * Writes the run: the wire capture (each session: raw version_info, then one LZ4 frame per flush,
 * channel/lz4_channel.cc@3598385a:47-67), the record file (the same records before LZ4) and, when given, the BPF
 * dump (timestamp + message per sample, buffered_poller.cc@3598385a:183-213).
 */
export function writeRun(e: Encoders, sessions: Session[], bpf?: R[], dir = tmp()): RunFiles {
  const wire: Uint8Array[] = [], record: Uint8Array[] = [];
  for (const s of sessions) {
    const [first, ...rest] = s.records;
    if (first?.name !== 'version_info') throw new Error('a session starts with version_info');
    const vi = e.intake(first);
    const groups = s.flushes ? s.flushes.map((f) => f.map((r) => e.intake(r))) : [...packFlushes(rest.map((r) => e.intake(r)))];
    wire.push(encodeIntake(groups, vi));
    record.push(vi, ...groups.flat());
  }
  const files: RunFiles = { dir, wire: join(dir, 'intake.raw'), record: join(dir, 'intake.record') };
  writeFileSync(files.wire, cat(wire));
  writeFileSync(files.record, cat(record));
  if (bpf) {
    files.bpf = join(dir, 'bpf.raw');
    writeFileSync(files.bpf, cat(bpf.map((r) => e.dump(r))));
  }
  return files;
}

/** The version_info of an era (its fields differ: build vs patch). */
export function versionInfo(era: Era, ts: bigint): R {
  return { name: 'version_info', ts, data: era === 'flowmill' ? { major: 0, minor: 9, build: 1 } : { major: 0, minor: 10, patch: 0 } };
}

/**
 * A session's connection metadata as the agent writes it in send_connection_metadata (kernel_collector.cc@3598385a:
 * 324-528; main: connect instead of authz_authenticate), all within a few ms of `s0`.
 */
export function metadata(era: Era, s0: bigint, token = 'tok'): R[] {
  return [
    versionInfo(era, s0),
    era === 'flowmill' ? { name: 'authz_authenticate', ts: s0 + 1n * MS, data: { token, collector_type: 1, hostname: 'h' } } : { name: 'connect', ts: s0 + 1n * MS, data: { collector_type: 1, hostname: 'h' } },
    { name: 'os_info', ts: s0 + 2n * MS, data: { os: 1, os_version: 'unknown', kernel_version: '6.1.0' } },
    { name: 'report_cpu_cores', ts: s0 + 2n * MS, data: { cpu_core_count: 2 } },
    { name: 'kernel_headers_source', ts: s0 + 2n * MS, data: { source: 0 } },
    { name: 'cloud_platform', ts: s0 + 3n * MS, data: { cloud_platform: 0 } },
    { name: 'set_node_info', ts: s0 + 3n * MS, data: {} },
    { name: 'metadata_complete', ts: s0 + 3n * MS, data: { time: 0 } },
  ];
}
