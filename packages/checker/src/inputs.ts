import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INTAKE_CAPTURE, INTAKE_INDEX, RUN_FILES, runLayout } from '@flowmill/agent-runner/run-layout';
import { MissingInputError } from './errors.js';
import type { CheckInputs } from './types.js';

/**
 * The run-directory files the checker reads, by role; the names themselves are spelled once, in agent-runner's
 * run-layout module (the run directory's one contract).
 */
export const RUN_DIR_FILES = {
  wireFile: RUN_FILES.intakeFile,
  wireDir: RUN_FILES.intakeDir,
  record: RUN_FILES.record,
  bpf: RUN_FILES.bpf,
  manifest: RUN_FILES.manifest,
  authzLog: RUN_FILES.authzLog,
  /** Tolerances the recipe checked the run with (e.g. a simulated agent's scaled timers); used unless --config. */
  config: RUN_FILES.checkConfig,
} as const;

/** The tolerance file a run directory carries, if any (recipe writes one when it checked with non-default ones). */
export function configFromRunDir(dir: string): string | undefined {
  const p = runLayout(dir).path('checkConfig');
  return existsSync(p) ? p : undefined;
}

/** A wire capture file; each is one or more connections (raw version_info starts each). */
export interface WireFile { path: string; bytes: number }

export interface ResolvedInputs {
  wire: WireFile[];
  /** tls-sink out dirs' connection index files (run-layout INTAKE_INDEX), to hold the captures against the sink's own index. */
  wireIndexes: string[];
  /** The names given for the wire (files or tls-sink out dirs), for the report. */
  wireNames: string[];
  record?: string;
  bpf?: string;
  manifest?: string;
  authzLog?: string;
}

/** The inputs a run directory holds, by the run-layout names (only those present). */
export function inputsFromRunDir(dir: string): CheckInputs {
  if (!existsSync(dir)) throw new MissingInputError('run directory', dir, 'no such directory');
  if (!statSync(dir).isDirectory()) throw new MissingInputError('run directory', dir, 'is a file, not a directory');
  const run = runLayout(dir);
  const present = (role: 'intakeDir' | 'intakeFile' | 'record' | 'bpf' | 'manifest' | 'authzLog') => (existsSync(run.path(role)) ? run.path(role) : undefined);
  const out: CheckInputs = {};
  const wire = present('intakeDir') ?? present('intakeFile');
  if (wire) out.wire = wire;
  const record = present('record'), bpf = present('bpf'), manifest = present('manifest'), authzLog = present('authzLog');
  if (record) out.record = record;
  if (bpf) out.bpf = bpf;
  if (manifest) out.manifest = manifest;
  if (authzLog) out.authzLog = authzLog;
  return out;
}

function mustBeFile(input: string, path: string): number {
  if (!existsSync(path)) throw new MissingInputError(input, path, 'no such file');
  const st = statSync(path);
  if (st.isDirectory()) throw new MissingInputError(input, path, 'is a directory, not a file');
  return st.size;
}

/** tls-sink --out-dir: its per-connection captures in connection order (run-layout's INTAKE_CAPTURE). */
function wireDirFiles(dir: string): WireFile[] {
  const names = readdirSync(dir).filter((n) => INTAKE_CAPTURE.test(n));
  names.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  return names.map((n) => ({ path: join(dir, n), bytes: statSync(join(dir, n)).size }));
}

/** Checks every named input exists (MissingInputError otherwise) and expands wire directories. */
export function resolveInputs(i: CheckInputs): ResolvedInputs {
  const wireNames = i.wire === undefined ? [] : Array.isArray(i.wire) ? i.wire : [i.wire];
  const wire: WireFile[] = [];
  const wireIndexes: string[] = [];
  for (const w of wireNames) {
    if (!existsSync(w)) throw new MissingInputError('wire', w, 'no such file or directory');
    if (statSync(w).isDirectory()) {
      const files = wireDirFiles(w);
      if (files.length === 0) throw new MissingInputError('wire', w, `directory has no connection captures (${INTAKE_CAPTURE.source})`);
      wire.push(...files);
      if (existsSync(join(w, INTAKE_INDEX))) wireIndexes.push(join(w, INTAKE_INDEX));
    } else wire.push({ path: w, bytes: statSync(w).size });
  }
  const out: ResolvedInputs = { wire, wireNames, wireIndexes };
  if (i.record !== undefined) { mustBeFile('record', i.record); out.record = i.record; }
  if (i.bpf !== undefined) { mustBeFile('bpf', i.bpf); out.bpf = i.bpf; }
  if (i.manifest !== undefined) { mustBeFile('manifest', i.manifest); out.manifest = i.manifest; }
  if (i.authzLog !== undefined) { mustBeFile('authz log', i.authzLog); out.authzLog = i.authzLog; }
  return out;
}

/** A file's bytes as a stream of 256 KiB chunks, so a recording is never held whole in memory (the decoder holds one chunk's records at a time: bigger chunks cost memory, smaller ones speed). */
export async function* fileChunks(path: string, highWaterMark = 1 << 18): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark })) yield chunk as Uint8Array;
}

export function fileSize(path: string): number {
  return statSync(path).size;
}
