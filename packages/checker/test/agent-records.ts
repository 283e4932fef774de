/**
 * Test support: recordings built record by record with raw-codec's encoder, from facts read in the agent's source
 * (each test cites the file:line it relies on). Not a simulator: a test lays out exactly the records it means.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTAKE_INDEX, intakeCaptureName, RUN_FILES } from '@flowmill/agent-runner/run-layout';
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
    else if (typeof v === 'string' && n !== null && f.type === 'u8') v = Array.from({ length: n }, (_, i) => (i < (v as string).length ? (v as string).charCodeAt(i) : 0));
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

export function cat(parts: Uint8Array[]): Uint8Array {
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
  const files: RunFiles = { dir, wire: join(dir, RUN_FILES.intakeFile), record: join(dir, RUN_FILES.record) };
  writeFileSync(files.wire, cat(wire));
  writeFileSync(files.record, cat(record));
  if (bpf) {
    files.bpf = join(dir, RUN_FILES.bpf);
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

/** Sorted by timestamp, stable (the intake of one session as the tests lay it out). */
export function byTime(rs: R[]): R[] {
  return rs.map((r, i) => [r, i] as const).sort((a, b) => (a[0].ts < b[0].ts ? -1 : a[0].ts > b[0].ts ? 1 : a[1] - b[1])).map(([r]) => r);
}

/**
 * A healthy session on the agent's timing (see cadence-real.test.ts for the sources): metadata at `s0`, the hold-off
 * callback at s0 + 2 s loading for `loadMs`, the markers, heartbeats, a slow poll every second; `during` are records
 * of the load (the scans), `after` the telemetry, both placed by their own timestamps.
 */
export function steadySession(era: Era, s0: bigint, o: { loadMs?: number; seconds?: number; during?: R[]; after?: R[] } = {}): { records: R[]; telemetry: bigint; compiled: bigint } {
  const T = BigInt(o.loadMs ?? 300) * MS;
  const L = s0 + 2n * S;
  const compiled = L + T / 4n, telemetry = L + T, end = s0 + BigInt(o.seconds ?? 12) * S;
  const rs: R[] = [
    { name: 'bpf_compiled', ts: compiled },
    { name: 'system_wide_process_settings', ts: compiled + 1n * MS, data: { clock_ticks_per_second: 100, memory_page_bytes: 4096 } },
    { name: 'process_steady_state', ts: L + T / 2n, data: { time: 0 } },
    { name: 'socket_steady_state', ts: L + (T * 9n) / 10n, data: { time: 0 } },
    { name: 'begin_telemetry', ts: telemetry },
    { name: 'collector_health', ts: telemetry, data: { status: 0, detail: 0 } },
    { name: 'heartbeat', ts: telemetry + 200_000n },
  ];
  for (let b = L + 2n * S + 300_000n; b < end; b += 2n * S) rs.push({ name: 'heartbeat', ts: b > telemetry ? b : telemetry + 1n * MS });
  for (let u = telemetry + 1n * S; u < end; u += 1n * S) rs.push({ name: 'agent_resource_usage', ts: u + 2n * MS });
  return { records: [...metadata(era, s0), ...byTime([...rs, ...(o.during ?? []), ...(o.after ?? [])])], telemetry, compiled };
}

/** A DNS message (RFC 1035 §4): one question, then answer records; names uncompressed. */
export function dnsMessage(o: { id: number; response: boolean; name: string; qtype?: number; answers?: { name: string; type: 'A' | 'AAAA' | 'CNAME'; data: string }[] }): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number) => out.push(v >> 8, v & 255);
  const name = (n: string) => { for (const l of n.split('.')) out.push(l.length, ...Array.from(l, (c) => c.charCodeAt(0))); out.push(0); };
  u16(o.id); u16(o.response ? 0x8180 : 0x0100); u16(1); u16(o.answers?.length ?? 0); u16(0); u16(0);
  name(o.name); u16(o.qtype ?? 1); u16(1);
  for (const a of o.answers ?? []) {
    name(a.name);
    u16(a.type === 'A' ? 1 : a.type === 'AAAA' ? 28 : 5); u16(1); out.push(0, 0, 0, 60);
    if (a.type === 'CNAME') {
      const at = out.length; u16(0); name(a.data); const len = out.length - at - 2; out[at] = len >> 8; out[at + 1] = len & 255;
    } else if (a.type === 'A') { u16(4); out.push(...a.data.split('.').map(Number)); }
    else { u16(16); for (let i = 0; i < 16; i++) out.push(i === 15 ? Number(a.data) : 0); }
  }
  return Uint8Array.from(out);
}

/** An IPv4 address as the agent's v4-mapped laddr[16] (::ffff:a.b.c.d). */
export function v4mapped(ip: string): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.split('.').map(Number)];
}

/**
 * A tls-sink out dir of one connection, split at `splitTs`: the frames of the records before it, then those after,
 * and the sink's connection index line (tls-sink owns its shape), which says DISABLE_SEND was sent when the capture
 * held exactly the first part, if `disableSend`.
 */
export function writeSinkDir(e: Encoders, records: R[], splitTs: bigint, disableSend: boolean | 'time only', dir = tmp()): { dir: string; capture: string; splitAt: number } {
  const [vi, ...rest] = records;
  const before = rest.filter((r) => r.ts < splitTs).map((r) => e.intake(r));
  const after = rest.filter((r) => r.ts >= splitTs).map((r) => e.intake(r));
  const a = encodeIntake([...packFlushes(before)], e.intake(vi));
  const b = encodeIntake([...packFlushes(after)], new Uint8Array(0));
  const outDir = join(dir, RUN_FILES.intakeDir);
  mkdirSync(outDir);
  const capture = join(outDir, intakeCaptureName(1));
  writeFileSync(capture, cat([a, b]));
  const line = { id: 1, file: intakeCaptureName(1), peer: '127.0.0.1:40000', start: new Date().toISOString(), bytes: a.length + b.length, ...(disableSend === true ? { disableSend: { bytes: a.length, at: new Date(Number(splitTs / 1_000_000n)).toISOString() } } : disableSend ? { disableSend: { at: new Date(Number(splitTs / 1_000_000n)).toISOString() } } : {}) };
  writeFileSync(join(outDir, INTAKE_INDEX), `${JSON.stringify(line)}\n`);
  return { dir: outDir, capture, splitAt: a.length };
}
