import { closeSync, fsyncSync, writeSync } from 'node:fs';

/** Where captured bytes go, written synchronously so a chunk is on its way to the kernel before the next one is read. */
export interface Target {
  /** Names the output in error messages (a path, `stdout`, `stream`). */
  readonly name: string;
  /** Bytes written so far through this target. */
  readonly position: number;
  write(b: Uint8Array): void;
  /** Flushes to stable storage where that means something (files); a no-op for pipes and streams. */
  sync(): void;
  close(): void;
}

/** Bytes gathered before one write(2): 16 TLS records. */
export const DEFAULT_BATCH = 256 * 1024;

/** A minimal sleep for the EAGAIN retry below, without spinning a core. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A file descriptor written with fs.writeSync (TOOLCHAIN.md #14: a write stream is ~4× slower here; #13: Deno's
 * node:tls needs the socket never paused, which synchronous writes guarantee). Small chunks (TLS records are at most
 * 16 KiB) are copied into one batch buffer that is written when full or at the end of the current event-loop turn,
 * so the process never holds more than one turn's bytes; sync() and close() write it first. Partial writes are
 * continued; EAGAIN (a pipe someone else made non-blocking, e.g. stdout sharing a pipe with stderr) is retried
 * after 1 ms.
 */
export class FdTarget implements Target {
  position = 0;
  private batch: Uint8Array | null = null; // allocated on the first small write, so idle connections cost nothing
  private readonly batchBytes: number;
  private held = 0;
  private scheduled = false;

  constructor(
    readonly fd: number,
    readonly name: string,
    private readonly owned: boolean,
    opts: { batchBytes?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.batchBytes = opts.batchBytes ?? DEFAULT_BATCH;
    this.onError = opts.onError ?? ((err) => { throw err; });
  }
  private readonly onError: (err: unknown) => void;

  write(b: Uint8Array): void {
    this.position += b.length;
    if (b.length >= this.batchBytes) {
      this.flush();
      return this.writeAll(b);
    }
    if (this.held + b.length > this.batchBytes) this.flush();
    const batch = (this.batch ??= new Uint8Array(this.batchBytes));
    batch.set(b, this.held);
    this.held += b.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        try {
          this.flush();
        } catch (err) {
          this.onError(err);
        }
      });
    }
  }

  /** Writes what the batch holds. */
  flush(): void {
    if (this.held === 0) return;
    const n = this.held;
    this.held = 0;
    this.writeAll(this.batch!.subarray(0, n));
  }

  private writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(this.fd, b, off, b.length - off);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }

  sync(): void {
    this.flush();
    try {
      fsyncSync(this.fd);
    } catch (err) {
      // Pipes, sockets and terminals cannot be fsynced; that is not a failure of the capture.
      const code = (err as { code?: string }).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EROFS' && code !== 'EBADF') throw err;
    }
  }

  close(): void {
    this.flush();
    if (this.owned) closeSync(this.fd);
  }
}

/** A caller's stream (anything with write(bytes)); the caller owns flushing and closing it. */
export class StreamTarget implements Target {
  position = 0;
  readonly name = 'stream';
  constructor(private readonly stream: { write(b: Uint8Array): unknown }) {}
  write(b: Uint8Array): void {
    this.stream.write(b);
    this.position += b.length;
  }
  sync(): void {}
  close(): void {}
}
