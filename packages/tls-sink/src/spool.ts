import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './target.js';

/**
 * Memory shared by every spool of one sink. Past `limit` bytes a spool moves to a temp file, so a burst of
 * concurrent connections is never refused, never blocked (the agent needs no backpressure from us) and never
 * exhausts memory.
 */
export class SpoolBudget {
  used = 0;
  constructor(readonly limit: number, readonly dir: string = tmpdir()) {}
}

/**
 * The bytes of one connection that is waiting for its turn on a shared output. Chunks are kept in memory while the
 * budget allows, then everything goes to an anonymous temp file (created 0600 and unlinked at once, so nothing is
 * left behind even after a crash).
 */
export class Spool {
  private chunks: Uint8Array[] = [];
  private memBytes = 0;
  private fd = -1;
  private fileBytes = 0;
  size = 0;

  constructor(private readonly budget: SpoolBudget) {}

  push(chunk: Uint8Array): void {
    this.size += chunk.length;
    if (this.fd < 0 && this.budget.used + chunk.length <= this.budget.limit) {
      this.chunks.push(chunk);
      this.memBytes += chunk.length;
      this.budget.used += chunk.length;
      return;
    }
    if (this.fd < 0) this.spill();
    this.writeFile(chunk);
  }

  /** Writes everything held, in order, to `out` and empties the spool. */
  drainTo(out: Target): void {
    if (this.fd >= 0) {
      let pos = 0;
      while (pos < this.fileBytes) {
        // A new buffer each time: the target may hold a chunk by reference until the end of the turn.
        const buf = new Uint8Array(Math.min(this.fileBytes - pos, 1 << 20));
        const n = readSync(this.fd, buf, 0, Math.min(buf.length, this.fileBytes - pos), pos);
        if (n <= 0) throw new Error(`spool file ended early at ${pos} of ${this.fileBytes} bytes`);
        out.write(n === buf.length ? buf : buf.subarray(0, n));
        pos += n;
      }
    }
    for (const c of this.chunks) out.write(c);
    this.dispose();
  }

  dispose(): void {
    this.budget.used -= this.memBytes;
    this.chunks = [];
    this.memBytes = 0;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.fileBytes = 0;
    this.size = 0;
  }

  /** Moves the in-memory chunks to a new temp file; from now on this spool only appends to the file. */
  private spill(): void {
    const path = join(this.budget.dir, `tls-sink-spool-${process.pid}-${randomBytes(6).toString('hex')}`);
    this.fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    const held = this.chunks;
    this.chunks = [];
    this.budget.used -= this.memBytes;
    this.memBytes = 0;
    for (const c of held) this.writeFile(c);
  }

  private writeFile(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off, this.fileBytes + off);
    this.fileBytes += chunk.length;
  }
}
