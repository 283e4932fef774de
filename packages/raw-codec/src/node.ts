// Node-only helpers (file and stdin reading, --follow). Not imported by the library entry; the CLI bundles them.
// Deno runs them too through its node: compatibility layer.
import { open } from 'node:fs/promises';
import { MissingInputError } from './schema/load.js';

export interface ReadOptions {
  /** Keep reading a growing file like `tail -f` until `signal` aborts. */
  follow?: boolean;
  /** How often to look for new bytes when following (ms). */
  pollMs?: number;
  signal?: AbortSignal;
  chunkSize?: number;
  /** Read every chunk into one buffer (valid until the next chunk is asked for): for consumers that copy what they keep, like the decoders. */
  reuse?: boolean;
}

/** A pause that an abort cuts short. Its abort listener leaves with it: `--follow` polls for days on one signal. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((res) => {
  if (signal?.aborted) return res();
  const onAbort = () => { clearTimeout(t); res(); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); res(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** Chunks of a file (or FIFO), each a fresh Uint8Array (unless `reuse`). Throws MissingInputError (exit 66) when it cannot be opened. */
export async function* readFileChunks(path: string, opts: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new MissingInputError(path, err);
  }
  const size = opts.chunkSize ?? 1 << 20;
  const read = (buf: Uint8Array): Promise<number> => fh.read(buf, 0, size, null).then(
    (r) => r.bytesRead,
    (err) => { throw new MissingInputError(path, err); }, // e.g. EISDIR: a directory opens but does not read
  );
  // With `reuse`, two buffers in turn: the next chunk is read (on libuv's thread pool) while the consumer works on
  // this one, so reading and decoding overlap.
  const bufs = opts.reuse ? [new Uint8Array(size), new Uint8Array(size)] : null;
  let turn = 0;
  let pending: { buf: Uint8Array; n: Promise<number> } | null = null;
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const cur = pending ?? (() => { const buf = bufs ? bufs[turn] : new Uint8Array(size); return { buf, n: read(buf) }; })();
      pending = null;
      const n = await cur.n;
      if (n > 0) {
        turn ^= 1;
        const buf = bufs ? bufs[turn] : new Uint8Array(size);
        pending = { buf, n: read(buf) };
        pending.n.catch(() => {}); // awaited on the next turn; not an unhandled rejection meanwhile
        yield cur.buf.subarray(0, n);
        continue;
      }
      if (!opts.follow) return;
      yield new Uint8Array(0); // "idle for now": the decoders hold nothing back, but --follow callers see the pause
      await sleep(opts.pollMs ?? 200, opts.signal);
    }
  } finally {
    if (pending) await pending.n.catch(() => {});
    await fh.close();
  }
}

/** Chunks of a readable stream (process.stdin), until it ends or `signal` aborts. */
export async function* readStreamChunks(stream: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for await (const c of stream) {
    if (signal?.aborted) return;
    yield c;
  }
}
