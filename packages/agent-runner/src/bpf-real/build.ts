/**
 * The BPF build from TypeScript: runs the package's own bpf/build.sh (the collector's clang line, bpftool gen
 * object/skeleton, and the static bpf-recorder) and returns the cache directory it built into. The script's exit
 * code says what failed (65 the source does not compile, 66 a source file is missing, 69 a tool is missing); its
 * stderr, compiler errors with file:line included, is handed to `onLog` line by line and kept in the error.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentRunnerError, MissingInputError, UsageError } from '../errors.js';

/** The build's output files, in the directory build.sh prints. */
export const BPF_BUILD_FILES = { recorder: 'bpf-recorder', object: 'render_bpf.bpf.o', skeleton: 'render_bpf.skel.h', info: 'build.json' } as const;

export interface BpfBuild {
  dir: string;
  recorder: string;
  object: string;
  /** build.json: the cache key, the source it was built from, tool versions. */
  info: { key: string; bpf_src: string; render: string; vendored: boolean; clang: string; bpftool: string };
}

export interface BuildBpfOptions {
  /** An opentelemetry-network checkout to build instead of the vendored sources. */
  bpfSrc?: string;
  /** Cache directory (the CLI passes $FLOWMILL_BPF_CACHE or ~/.cache/flowmill-bpf; build.sh's default otherwise). */
  cacheDir?: string;
  onLog?: (line: string) => void;
  /** build.sh's environment (PATH for clang/bpftool, HOME for its default cache). */
  env?: NodeJS.ProcessEnv;
}

/** The BPF source does not compile, or the recorder does not build against it (build.sh exit 65). */
export class BpfBuildError extends AgentRunnerError {
  constructor(readonly why: string, readonly log: string[]) {
    super('ERR_BAD_INPUT', `BPF build failed: ${why}`);
  }
}

/** A tool or library the build needs is not installed (build.sh exit 69; tools/test/setup-bpf.sh installs them). */
export class BpfToolsMissingError extends AgentRunnerError {
  constructor(readonly missing: string[]) {
    super('ERR_UNREACHABLE', `BPF build cannot run: missing ${missing.join(', ')}`);
  }
}

/** packages/agent-runner/bpf, found from this module's place (src/bpf-real, dist/lib/bpf-real, or the dist bundle). */
export function bpfDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  // this package's own tree, or (bundled into another package's bin, e.g. recipe's) agent-runner beside it in node_modules
  for (let i = 0; i < 5; i++, d = dirname(d)) {
    for (const pkg of [d, join(d, 'node_modules', '@flowmill', 'agent-runner'), join(d, '@flowmill', 'agent-runner')]) {
      if (existsSync(join(pkg, 'bpf', 'build.sh')) && existsSync(join(pkg, 'package.json'))) return realpathSync(join(pkg, 'bpf'));
    }
  }
  throw new MissingInputError('bpf/build.sh', 'not beside this agent-runner (run it from a clone of the repository)');
}

export async function buildBpf(o: BuildBpfOptions = {}): Promise<BpfBuild> {
  const args = [join(bpfDir(), 'build.sh')];
  if (o.bpfSrc) args.push('--bpf-src', o.bpfSrc);
  if (o.cacheDir) args.push('--cache', o.cacheDir);
  const log: string[] = [];
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
    const child = spawn('bash', args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    child.stderr.on('data', (b: Buffer) => {
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) { log.push(l); o.onLog?.(l); }
    });
    child.on('error', reject);
    child.on('close', (c) => {
      if (partial) { log.push(partial); o.onLog?.(partial); }
      resolve({ code: c ?? 1, stdout: out });
    });
  });
  const last = log.filter((l) => l.startsWith('bpf build:')).pop()?.replace(/^bpf build: /, '') ?? `build.sh exit ${code}`;
  if (code === 64) throw new UsageError(last);
  if (code === 66) throw new MissingInputError(o.bpfSrc ?? 'bpf/vendor', last);
  if (code === 69) throw new BpfToolsMissingError(log.filter((l) => l.startsWith('bpf build: missing: ')).map((l) => l.slice('bpf build: missing: '.length)));
  if (code !== 0) throw new BpfBuildError(last, log);
  const dir = stdout.trim().split('\n').pop() ?? '';
  const info = JSON.parse(readFileSync(join(dir, BPF_BUILD_FILES.info), 'utf8')) as BpfBuild['info'];
  return { dir, recorder: join(dir, BPF_BUILD_FILES.recorder), object: join(dir, BPF_BUILD_FILES.object), info };
}
