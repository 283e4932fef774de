import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { runLayout } from '../run-layout.js';
import type { Address, ConnEvents, IntakeConn } from '../sim/conn.js';

/**
 * Where a deterministic run's intake connections land: as `tls-sink --out-dir <run>/intake` writes them (one
 * `conn-NNNN.raw` per connection and a `connections.jsonl` line when each ends), or as `tls-sink --out <run>/intake.raw`
 * (all connections back to back). The bytes are what the agent sent, after TLS: version_info then LZ4 frames.
 */
export class CaptureSink {
  private readonly layout;
  private readonly single?: number;
  private readonly index?: number;
  private id = 0;
  private offset = 0;
  private current?: { ev: ConnEvents; end: (how: 'eof' | 'reset') => void };
  constructor(dir: string, readonly mode: 'dir' | 'file', private readonly isoOf: () => string, private readonly intakePort = 7000) {
    this.layout = runLayout(dir);
    if (mode === 'file') this.single = openSync(this.layout.path('intakeFile'), 'wx', 0o600);
    else {
      mkdirSync(this.layout.path('intakeDir'), { recursive: true, mode: 0o700 });
      this.index = openSync(this.layout.intakeIndex(), 'wx', 0o600);
    }
  }

  /** The path the checker reads the wire from. */
  get wirePath(): string { return this.layout.path(this.mode === 'file' ? 'intakeFile' : 'intakeDir'); }

  /** A new connection from `local`; `ev.lost` tells the agent when this end hangs up (`hangUp`). */
  accept(local: Address, ev: ConnEvents): IntakeConn {
    const id = ++this.id;
    const fd = this.single ?? openSync(this.layout.intakeCapture(id), 'wx', 0o600);
    const info: Record<string, unknown> = { id, ...(this.mode === 'dir' ? { file: this.layout.intakeCapture(id).split('/').pop() } : { offset: this.offset }), peer: `${local.ip}:${local.port}`, start: this.isoOf(), bytes: 0 };
    let open = true;
    let written = 0;
    const end = (how: 'eof' | 'reset') => {
      if (!open) return;
      open = false;
      if (this.mode === 'dir') closeSync(fd);
      Object.assign(info, { end: this.isoOf(), bytes: written, ended: how });
      if (this.index !== undefined) writeSync(this.index, `${JSON.stringify(info)}\n`);
    };
    this.current = { ev, end };
    return {
      write: (b) => { if (!open) return; writeSync(fd, b); written += b.length; this.offset += b.length; },
      get open() { return open; },
      local, remote: { ip: '127.0.0.1', port: this.intakePort }, ipv4: true,
      bytesWritten: () => written, bytesRead: () => 0,
      close: async () => end('eof'),
      destroy: () => end('reset'),
    };
  }

  /** The server sends bytes down the current connection (a command word: tls-sink's disable-send fault). */
  send(bytes: Uint8Array): void { this.current?.ev.data(bytes); }

  /** The server closes the current connection: the agent sees EOF and reconnects later. */
  hangUp(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.end('eof');
    c.ev.lost('connection closed by the server (EOF)');
  }

  close(): void {
    if (this.single !== undefined) closeSync(this.single);
    if (this.index !== undefined) closeSync(this.index);
  }
}

