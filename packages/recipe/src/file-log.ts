import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from './types.js';

/** A log file in the run directory, written synchronously (nothing is lost when the process is forced down). */
export interface FileLog extends Writable {
  readonly path: string;
  write(s: string | Uint8Array): void;
  close(): void;
}

export function fileLog(path: string): FileLog {
  let fd: number | undefined = openSync(path, 'a', 0o600);
  return {
    path,
    write(s: string | Uint8Array) {
      if (fd === undefined) return;
      if (typeof s === 'string') writeSync(fd, s);
      else writeSync(fd, s);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Writes to several places at once (the console and the recipe's own log file). */
export function tee(...outs: (Writable | undefined)[]): Writable {
  return {
    write(s: string) {
      for (const o of outs) o?.write(s);
    },
  };
}
