import type { Writable } from './types.js';

export type ProgressMode = 'human' | 'json' | 'quiet';

/** One progress event; `--json` writes these as NDJSON on stderr, humans get one line each. */
export type ProgressEvent =
  | { event: 'step'; step: string; status: 'start'; title: string; index: number; total: number }
  | { event: 'step'; step: string; status: 'done'; title: string; ms: number; detail?: string }
  | { event: 'step'; step: string; status: 'failed'; title: string; ms: number; error: string }
  | { event: 'info'; message: string }
  | { event: 'teardown'; what: string; status: 'stopping' | 'stopped' | 'killed'; ms?: number };

export interface Reporter {
  emit(e: ProgressEvent): void;
}

/**
 * Progress on stderr: `recipe: [2/8] servers …` when a step starts, `recipe: [2/8] servers ready (0.1s): …` when it
 * ends. `json` writes the events as NDJSON; `quiet` writes nothing (errors are still printed by the CLI).
 */
export function createReporter(mode: ProgressMode, out: Writable, opts: { color?: boolean; bin?: string; now?: () => number } = {}): Reporter {
  const bin = opts.bin ?? 'recipe';
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[0m` : s);
  const green = (s: string) => (opts.color ? `\x1b[32m${s}\x1b[0m` : s);
  const red = (s: string) => (opts.color ? `\x1b[31m${s}\x1b[0m` : s);
  const counters = new Map<string, string>();
  return {
    emit(e) {
      if (mode === 'quiet') return;
      if (mode === 'json') {
        out.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
        return;
      }
      if (e.event === 'info') out.write(`${bin}: ${e.message}\n`);
      else if (e.event === 'teardown') {
        if (e.status !== 'stopping') out.write(`${bin}: ${dim(`${e.status} ${e.what}${e.ms !== undefined ? ` (${fmtMs(e.ms)})` : ''}`)}\n`);
      } else if (e.status === 'start') {
        const n = `[${e.index}/${e.total}]`;
        counters.set(e.step, n);
        out.write(`${bin}: ${n} ${e.title}…\n`);
      } else if (e.status === 'done') {
        out.write(`${bin}: ${counters.get(e.step) ?? ''} ${green('✓')} ${e.title} (${fmtMs(e.ms)})${e.detail ? `: ${e.detail}` : ''}\n`);
      } else {
        out.write(`${bin}: ${counters.get(e.step) ?? ''} ${red('✗')} ${e.title} (${fmtMs(e.ms)}): ${e.error}\n`);
      }
    },
  };
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
