/**
 * The simulated agent's kernel side replaced by a real one: the samples bpf-recorder writes into its dump (in
 * timestamp order, flushed at every poll: bpf/recorder/merge.c) are read as the file grows and handed to the
 * simulated userspace half (the BufferedPoller translation, sim/poller.ts) at its polls, as the collector's poller
 * reads its perf rings. The simulator's own probes emit nothing (`emit` drops their samples): only what the real
 * kernel saw reaches the intake stream and the record file. The dump is the recorder's: the agent writes no
 * bpf.raw of its own (runSimAgent with `bpfFollow` and no `bpfDumpFile`).
 *
 * Timestamps: the recorder sets the BPF programs' `boot_time_adjustment` to realtime − monotonic
 * (render_bpf.c's get_timestamp; util/boot_time.c@68f0c23f:10-17), the agent's clock is monotonic + the same
 * adjustment (clock.ts), both taken in the same guest: a sample is due at a poll whose time is past its timestamp.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StreamDecoder, type Schema } from '@flowmill/raw-codec';
import { SimKernel, type BpfMsg } from '../sim/kernel.js';
import { toBpfMsg } from './userspace.js';

export interface FollowStats {
  /** Dump bytes read and samples handed to the poller so far. */
  bytes: number;
  samples: number;
}

export class FollowedKernel extends SimKernel {
  private fd?: number;
  private offset = 0;
  private seqNo = 0;
  private readonly decoder: StreamDecoder;
  private readonly buf = Buffer.alloc(1 << 16);
  readonly follow: FollowStats = { bytes: 0, samples: 0 };

  /** `dump`: the recorder's --out, possibly not there yet; `schema`: the render file the BPF code was built from. */
  constructor(private readonly dump: string, schema: Schema) {
    super();
    this.decoder = new StreamDecoder({
      record: (m, dv, u8, off, size) => {
        const r = { name: m.name, timestamp: dv.getBigUint64(off, true), data: m.data(dv, u8, off, size - 8) as Record<string, unknown> };
        this.out.push(toBpfMsg(r, this.seqNo++));
        this.follow.samples++;
      },
    }, { kind: 'bpf', schema });
  }

  /** The simulator's probes are not the kernel here: their samples are dropped. */
  override emit(_name: string, _ts: bigint, _data: Record<string, unknown>): void {}

  /** Reads what the recorder appended since the last call; a sample cut at the end waits for its rest. */
  pull(): void {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.dump, 'r');
      } catch {
        return; // the recorder has not created it yet
      }
    }
    while (this.offset < fstatSync(this.fd).size) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.follow.bytes += n;
      this.decoder.push(new Uint8Array(this.buf.subarray(0, n)));
    }
  }

  override takeDue(t: bigint): BpfMsg[] {
    this.pull();
    return super.takeDue(t);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
