import { builtinSchema, FLUSH_SIZE, type AppSchema } from '@flowmill/raw-codec';
import { Evidence, plural, type CheckDef } from '../framework.js';
import { scanWire } from './wire-scan.js';

/**
 * The wire capture's framing, as the agent sends it:
 * - each connection starts with version_info, written and flushed with compression off (kernel_collector.cc@3598385a:
 *   324-331; main:318-325): 24 raw bytes (u64 ts + the 16-byte message), not an LZ4 frame;
 * - then every flush of the 16 KiB BufferedWriter (collector/constants.h@3598385a:23) is one send(), which the LZ4
 *   channel makes one complete frame (channel/lz4_channel.cc@3598385a:47-67): so a frame holds 1..16384 plaintext
 *   bytes (an empty buffer is never sent, buffered_writer.cc@3598385a:82-89) and only whole records (a record that
 *   does not fit flushes the buffer first, :44-68).
 */
interface Where { file: string; offset: number; connection: number; frame?: number }

export const wireFrames: CheckDef = {
  id: 'wire-frames',
  title: 'the wire capture is framed as the agent sends it: each connection a raw version_info, then one LZ4 frame per flush, 1..16384 plaintext bytes of whole records',
  needs: ['wire'],
  create(ctx) {
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    return {
      async finish() {
        const era = ctx.era === 'flowmill' || ctx.era === 'ebpf_net' ? ctx.era : undefined;
        const app = era ? builtinSchema(era).apps.ingest : undefined;
        const fig = { connections: 0, frames: 0, plaintextBytes: 0, maxFramePlaintext: 0, oversizedFrames: 0, emptyFrames: 0, framesSplittingRecords: 0, badConnectionStarts: 0, recordBoundariesChecked: !!app, flg: {} as Record<string, number> };
        for (const f of ctx.inputs.wire) await scanFile(f.path, app, ev, fig);
        if (fig.connections === 0 && fig.frames === 0) return { status: 'not-run', reason: 'the wire capture holds no connection', figures: fig };
        if (ev.empty) return { status: 'pass', figures: fig };
        const parts = [
          fig.badConnectionStarts && `${plural(fig.badConnectionStarts, 'connection')} not starting with a raw version_info`,
          fig.oversizedFrames && `${plural(fig.oversizedFrames, 'frame')} over ${FLUSH_SIZE} plaintext bytes`,
          fig.emptyFrames && `${plural(fig.emptyFrames, 'empty frame')}`,
          fig.framesSplittingRecords && `${plural(fig.framesSplittingRecords, 'frame')} not ending on a record boundary`,
        ].filter(Boolean);
        return { status: 'fail', reason: parts.join('; ') || `${plural(ev.total, 'framing problem')}`, evidence: ev.items, figures: { ...fig, findings: ev.total } };
      },
    };
  },
};

type Fig = { connections: number; frames: number; plaintextBytes: number; maxFramePlaintext: number; oversizedFrames: number; emptyFrames: number; framesSplittingRecords: number; badConnectionStarts: number; flg: Record<string, number> };

/** Where the last whole record of a flush's plaintext ends; -1 when an id is unknown (the decode check says so). */
function recordsEnd(plain: Uint8Array, app: AppSchema): number {
  const dv = new DataView(plain.buffer, plain.byteOffset, plain.length);
  let p = 0;
  while (p + 10 <= plain.length) {
    const m = app.byId.get(dv.getUint16(p + 8, true));
    if (!m) return -1;
    const size = 8 + (m.dynamic ? (p + 12 <= plain.length ? dv.getUint16(p + 10, true) : Infinity) : m.wireSize);
    if (p + size > plain.length) break;
    p += size;
  }
  return p;
}

async function scanFile(path: string, app: AppSchema | undefined, ev: Evidence, fig: Fig): Promise<void> {
  const viId = app?.byName.get('version_info')?.rpcId;
  let connection = -1;
  let started = false; // the file's current connection began with a raw version_info
  const where = (offset: number, frame?: number): Where => ({ file: path, offset, connection, ...(frame !== undefined ? { frame } : {}) });
  await scanWire(path, {
    raw(offset, rpc) {
      connection++;
      fig.connections++;
      started = true;
      if (viId === undefined || rpc === viId) return true;
      fig.badConnectionStarts++;
      ev.add({ ...where(offset), note: `raw bytes with rpc id ${rpc} where a raw version_info (${viId}) or an LZ4 frame must be: framing lost, the rest of the file is not checked` });
      return false;
    },
    frame(offset, chunks, flgByte) {
      if (!started) { fig.badConnectionStarts++; started = true; connection++; fig.connections++; ev.add({ ...where(offset), note: 'the connection starts with an LZ4 frame: version_info must come first, uncompressed' }); }
      const flg = `0x${flgByte.toString(16).padStart(2, '0')}`; // the frame descriptor's FLG byte: a figure only
      fig.flg[flg] = (fig.flg[flg] ?? 0) + 1;
      const n = chunks.reduce((a, o) => a + o.length, 0);
      fig.frames++;
      fig.plaintextBytes += n;
      if (n > fig.maxFramePlaintext) fig.maxFramePlaintext = n;
      const at = where(offset, fig.frames - 1);
      if (n === 0) { fig.emptyFrames++; ev.add({ ...at, note: 'an LZ4 frame with no plaintext: the agent never sends an empty buffer' }); }
      if (n > FLUSH_SIZE) { fig.oversizedFrames++; ev.add({ ...at, note: `an LZ4 frame of ${n} plaintext bytes: one flush holds at most ${FLUSH_SIZE}`, plaintextBytes: n }); }
      if (!app || n === 0 || n > 1 << 20) return;
      const plain = new Uint8Array(n);
      let o = 0;
      for (const x of chunks) { plain.set(x, o); o += x.length; }
      const end = recordsEnd(plain, app);
      if (end >= 0 && end !== n) { fig.framesSplittingRecords++; ev.add({ ...at, note: `the frame's plaintext ends ${n - end} bytes into a record: a flush holds whole records`, plaintextBytes: n, lastRecordAt: end }); }
    },
  });
}
