import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MissingInputError } from './errors.js';
import type { CheckInputs } from './types.js';

/** File names inside a run directory (CONTRACTS.md, agent-runner section). */
export const RUN_DIR_FILES = {
  wireFile: 'intake.raw',
  wireDir: 'intake',
  record: 'intake.record',
  bpf: 'bpf.raw',
  manifest: 'manifest.json',
  authzLog: 'authz.jsonl',
  /** Tolerances the recipe checked the run with (e.g. a simulated agent's scaled timers); used unless --config. */
  config: 'check-config.json',
} as const;

/** The tolerance file a run directory carries, if any (recipe writes one when it checked with non-default ones). */
export function configFromRunDir(dir: string): string | undefined {
  const p = join(dir, RUN_DIR_FILES.config);
  return existsSync(p) ? p : undefined;
}

/** A wire capture file; each is one or more connections (raw version_info starts each). */
export interface WireFile { path: string; bytes: number }

export interface ResolvedInputs {
  wire: WireFile[];
  /** tls-sink out dirs' connections.jsonl files, to hold the captures against the sink's own index. */
  wireIndexes: string[];
  /** The names given for the wire (files or tls-sink out dirs), for the report. */
  wireNames: string[];
  record?: string;
  bpf?: string;
  manifest?: string;
  authzLog?: string;
}

/** The inputs a run directory holds, by the CONTRACTS.md names (only those present). */
export function inputsFromRunDir(dir: string): CheckInputs {
  if (!existsSync(dir)) throw new MissingInputError('run directory', dir, 'no such directory');
  if (!statSync(dir).isDirectory()) throw new MissingInputError('run directory', dir, 'is a file, not a directory');
  const has = (n: string) => existsSync(join(dir, n));
  const out: CheckInputs = {};
  if (has(RUN_DIR_FILES.wireDir)) out.wire = join(dir, RUN_DIR_FILES.wireDir);
  else if (has(RUN_DIR_FILES.wireFile)) out.wire = join(dir, RUN_DIR_FILES.wireFile);
  if (has(RUN_DIR_FILES.record)) out.record = join(dir, RUN_DIR_FILES.record);
  if (has(RUN_DIR_FILES.bpf)) out.bpf = join(dir, RUN_DIR_FILES.bpf);
  if (has(RUN_DIR_FILES.manifest)) out.manifest = join(dir, RUN_DIR_FILES.manifest);
  if (has(RUN_DIR_FILES.authzLog)) out.authzLog = join(dir, RUN_DIR_FILES.authzLog);
  return out;
}

function mustBeFile(input: string, path: string): number {
  if (!existsSync(path)) throw new MissingInputError(input, path, 'no such file');
  const st = statSync(path);
  if (st.isDirectory()) throw new MissingInputError(input, path, 'is a directory, not a file');
  return st.size;
}

/** tls-sink --out-dir: conn-0001.raw, conn-0002.raw, … in connection order (CONTRACTS.md tls-sink). */
function wireDirFiles(dir: string): WireFile[] {
  const names = readdirSync(dir).filter((n) => /^conn-\d+\.raw$/.test(n));
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
      if (files.length === 0) throw new MissingInputError('wire', w, 'directory has no conn-*.raw files');
      wire.push(...files);
      if (existsSync(join(w, 'connections.jsonl'))) wireIndexes.push(join(w, 'connections.jsonl'));
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
