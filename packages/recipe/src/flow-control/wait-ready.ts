import { StepTimeoutError } from '../errors.js';

export interface WaitOptions {
  /** Give up after this long (StepTimeoutError, exit 75). */
  timeoutMs: number;
  /** Abort (Ctrl-C, another child died): rejects with the signal's reason. */
  signal?: AbortSignal;
  /** A hint for the timeout message (where to look). */
  hint?: string;
}

/**
 * Readiness is a contract, not a sleep (docs/development.md §9): waits for `ready` (a server's listen promise, the agent's
 * "Telemetry is flowing!" line), racing a timeout and the flow's abort signal.
 */
export function waitReady<T>(what: string, ready: Promise<T>, opts: WaitOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { signal } = opts;
    if (signal?.aborted) {
      ready.catch(() => {});
      reject(signal.reason);
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      reject(new StepTimeoutError(what, opts.timeoutMs, opts.hint));
    }, opts.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    ready.then(
      (v) => {
        done();
        resolve(v);
      },
      (err) => {
        done();
        reject(err);
      },
    );
  });
}

/** Something that says lines (a child process, the simulated agent's logger). */
export interface LineSource {
  onLine(cb: (line: string) => void): () => void;
}

/** Resolves with the first line matching `re` (the agent's readiness line). */
export function firstLine(src: LineSource, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    const off = src.onLine((l) => {
      const m = re.exec(l);
      if (m) {
        off();
        resolve(m);
      }
    });
  });
}

/** A pause that Ctrl-C cuts short (rejects with the signal's reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
