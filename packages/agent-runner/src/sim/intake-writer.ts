import { writeSync } from 'node:fs';
import type { Lz4FrameEncoder } from '@flowmill/raw-codec';
import type { IntakeConn } from './conn.js';
import type { FaultStream, Rec } from './faults.js';

/** The agent's BufferedWriter size (docs/agent-protocol.md §2.6, collector/constants.h: WRITE_BUFFER_SIZE = 16 KiB). */
export const WRITE_BUFFER_SIZE = 16384;

export interface WriterStats { intake: Record<string, number>; records: number; frames: number; plainBytes: number; wireBytes: number }

/**
 * One connection's writer: `version_info` raw, then records buffered up to 16 KiB, each flush one LZ4 frame
 * (docs/agent-protocol.md §2.4-§2.6), and the same plaintext appended to the record file after the network send
 * (§2.9). Faults act on records before they enter the buffer.
 */
export class IntakeWriter {
  private buf = new Uint8Array(WRITE_BUFFER_SIZE);
  private len = 0;
  private names: string[] = [];
  /** `lz4Frames` outlives the connection: the agent's Lz4Channel is a member of its one UpstreamConnection, so one
   * liblz4 context serves every connection of the process (channel/upstream_connection.h, lz4_channel.cc), and a
   * reused context writes other (valid) bytes than a fresh one. */
  constructor(private readonly conn: IntakeConn, private readonly recordFd: number | undefined, private readonly lz4: boolean, private readonly faults: FaultStream, readonly stats: WriterStats, private readonly lz4Frames: Lz4FrameEncoder) {}

  private count(name: string): void { this.stats.intake[name] = (this.stats.intake[name] ?? 0) + 1; this.stats.records++; }

  /** The first record of a connection, uncompressed, flushed alone (docs/wire-format.md (d)). */
  writeRaw(r: Rec): void {
    for (const x of this.faults.apply(r)) {
      this.send(x.bytes, false);
      this.count(x.name);
    }
  }

  write(r: Rec): void {
    for (const x of this.faults.apply(r)) this.put(x);
  }

  private put(x: Rec): void {
    if (x.bytes.length > WRITE_BUFFER_SIZE) return; // the agent refuses it (no_buffer_space)
    if (this.len + x.bytes.length > WRITE_BUFFER_SIZE) this.flush(); // flush when the next record does not fit
    this.buf.set(x.bytes, this.len);
    this.len += x.bytes.length;
    this.names.push(x.name);
  }

  /** One flush = one send = one LZ4 frame; empty buffers are never sent (buffered_writer.cc). */
  flush(): void {
    if (this.len === 0) return;
    const plain = this.buf.slice(0, this.len);
    this.send(plain, this.lz4);
    for (const n of this.names) this.count(n);
    this.len = 0;
    this.names = [];
  }

  /** Bytes written but not yet flushed. */
  get pending(): number { return this.len; }

  /** connect()/close() discard pending data (docs/agent-protocol.md §2.6, §5.1). */
  discard(): number { const n = this.names.length; this.len = 0; this.names = []; return n; }

  /** Records held by a reorder fault when the run ends are sent last. */
  end(): void { for (const x of this.faults.flushHeld()) this.put(x); this.flush(); }

  private send(plain: Uint8Array, lz4: boolean): void {
    if (!this.conn.open) return; // written while the channel is closed: dropped
    const wire = lz4 ? this.lz4Frames.encode(plain) : plain;
    this.conn.write(wire);
    this.stats.frames += lz4 ? 1 : 0;
    this.stats.plainBytes += plain.length;
    this.stats.wireBytes += wire.length;
    if (this.recordFd !== undefined) writeSync(this.recordFd, plain); // after the network send (double_write_channel.cc)
  }
}
