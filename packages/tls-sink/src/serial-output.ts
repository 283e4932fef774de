import type { Spool, SpoolBudget } from './spool.js';
import { Spool as SpoolImpl } from './spool.js';
import type { Target } from './target.js';
import type { ConnectionInfo } from './types.js';

/** What the sink calls for one connection's bytes. */
export interface ConnWriter {
  write(chunk: Uint8Array): void;
  /** The connection is over and its ConnectionInfo is final. */
  end(): void;
}

export interface Output {
  open(info: ConnectionInfo): ConnWriter;
  /** Everything is written: flush to disk and release the output. */
  close(): void;
}

interface Entry {
  info: ConnectionInfo;
  spool: Spool;
  ended: boolean;
}

/**
 * Connections one after another on one target (stdout, a file, a stream), each whole, never interleaved. The first
 * connection writes straight through; a connection that arrives while another one has the output is spooled
 * (memory, then a temp file) and written out, in accept order, when its turn comes. Nobody is ever paused.
 */
export class SerialOutput implements Output {
  private active: Entry | null = null;
  private readonly queue: Entry[] = [];

  constructor(private readonly target: Target, private readonly budget: SpoolBudget) {}

  open(info: ConnectionInfo): ConnWriter {
    const e: Entry = { info, spool: new SpoolImpl(this.budget), ended: false };
    if (this.active === null && this.queue.length === 0) {
      this.active = e;
      info.offset = this.target.position;
    } else {
      this.queue.push(e);
    }
    return {
      write: (chunk) => {
        if (e === this.active) this.target.write(chunk);
        else e.spool.push(chunk);
      },
      end: () => {
        e.ended = true;
        if (e === this.active) {
          this.active = null;
          this.advance();
        }
      },
    };
  }

  /** Gives the output to the waiting connections in accept order: finished ones are written whole, the first live one
   * has its backlog written and then writes straight through. */
  private advance(): void {
    while (this.active === null && this.queue.length > 0) {
      const e = this.queue.shift()!;
      e.info.offset = this.target.position;
      e.spool.drainTo(this.target);
      if (!e.ended) this.active = e;
    }
  }

  close(): void {
    // The sink ends every connection before closing, so the queue is empty here; write anything left regardless.
    this.active = null;
    this.advance();
    this.active = null;
    this.target.sync();
    this.target.close();
  }
}
