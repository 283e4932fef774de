import { closeSync, fsyncSync, writeSync, writevSync } from 'node:fs';

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

/** Bytes gathered before one writev(2). */
export const DEFAULT_BATCH = 1 << 20;
/** Chunks per writev(2): Linux's IOV_MAX. */
const MAX_IOV = 1024;

/** A minimal sleep for the EAGAIN retry below, without spinning a core. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A file descriptor written with fs.writevSync (docs/development.md #14: a write stream is ~4× slower here; #13: Deno's
 * node:tls needs the socket never paused, which synchronous writes guarantee). Chunks (TLS records are at most
 * 16 KiB) are held by reference, not copied, and written with one writev(2) when they reach the batch size or at the
 * end of the current event-loop turn, so the process never holds more than one turn's bytes; sync() and close() write
 * them first. Callers hand over their chunks: a chunk must not be changed after write(). Partial writes are
 * continued; EAGAIN (a pipe someone else made non-blocking, e.g. stdout sharing a pipe with stderr) is retried
 * after 1 ms.
 */
export class FdTarget implements Target {
  position = 0;
  private chunks: Uint8Array[] = [];
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
    if (b.length === 0) return;
    this.position += b.length;
    this.chunks.push(b);
    this.held += b.length;
    if (this.held >= this.batchBytes || this.chunks.length >= MAX_IOV) return this.flush();
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

  /** Writes what is held. */
  flush(): void {
    if (this.held === 0) return;
    const chunks = this.chunks;
    this.chunks = [];
    this.held = 0;
    this.writeAll(chunks);
  }

  private writeAll(chunks: Uint8Array[]): void {
    let i = 0;
    while (i < chunks.length) {
      let n: number;
      try {
        n = chunks.length - i === 1 ? writeSync(this.fd, chunks[i]) : writevSync(this.fd, i === 0 ? chunks : chunks.slice(i));
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      // A partial write: drop what went out, continue inside the chunk it stopped in.
      while (i < chunks.length && n >= chunks[i].length) n -= chunks[i++].length;
      if (n > 0) chunks[i] = chunks[i].subarray(n);
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
