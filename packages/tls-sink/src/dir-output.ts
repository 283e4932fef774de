import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join, sep } from 'node:path';
import { WouldOverwriteError } from './errors.js';
import type { ConnWriter, Output } from './serial-output.js';
import { FdTarget } from './target.js';
import type { ConnectionInfo } from './types.js';

export const JOURNAL = 'connections.jsonl';
const CAPTURE_FILE = /^conn-\d+\.raw$/;

/** `conn-0001.raw`: four digits keep `ls` in accept order up to 9999 connections. */
export function connFileName(id: number): string {
  return `conn-${String(id).padStart(4, '0')}.raw`;
}

/**
 * One file per connection, written as the bytes arrive (connections never wait for each other), plus
 * connections.jsonl with one line per ended connection. Files are created exclusively with mode 0600.
 */
/**
 * `mkdir -p`, one component at a time: Node's `recursive: true` loops forever where mkdir answers ENOENT under an
 * existing parent (`--out-dir /proc/x`, seen with Node 20); here that is an ENOENT like any other.
 */
export function makeDirs(dir: string, mode: number): void {
  const parts = dir.split(sep).filter(Boolean); // as given, so an error names the path the user typed
  for (let i = 1; i <= parts.length; i++) {
    try {
      mkdirSync((dir.startsWith(sep) ? sep : '') + parts.slice(0, i).join(sep), { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export class DirOutput implements Output {
  private readonly journal: number;
  private readonly force: boolean;

  constructor(readonly dir: string, force = false, private readonly onError?: (err: unknown) => void) {
    this.force = force;
    makeDirs(dir, 0o700);
    const old = readdirSync(dir).filter((n) => n === JOURNAL || CAPTURE_FILE.test(n));
    if (old.length > 0) {
      if (!force) throw new WouldOverwriteError(join(dir, old.includes(JOURNAL) ? JOURNAL : old[0]));
      // A forced new capture must not leave the old one's higher-numbered files behind to be mistaken for its own.
      for (const n of old) rmSync(join(dir, n));
    }
    this.journal = openSync(join(dir, JOURNAL), 'wx', 0o600);
  }

  open(info: ConnectionInfo): ConnWriter {
    const name = connFileName(info.id);
    const path = join(this.dir, name);
    // A smaller batch than a shared output's: many connections may be writing at once.
    const target = new FdTarget(openSync(path, this.force ? 'w' : 'wx', 0o600), path, true, { batchBytes: 64 * 1024, onError: this.onError });
    info.file = name;
    return {
      write: (chunk) => target.write(chunk),
      end: () => {
        target.sync();
        target.close();
        writeSync(this.journal, `${JSON.stringify(info)}\n`);
      },
    };
  }

  close(): void {
    fsyncSync(this.journal);
    closeSync(this.journal);
  }
}
