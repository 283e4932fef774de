// Constants of the LZ4 frame format (lz4_Frame_format.md, v1.6.x; liblz4 lz4frame.c).

/** Magic number of an LZ4 frame, 0x184D2204, stored little-endian: 04 22 4D 18 (lz4_Frame_format.md §"Magic Number"). */
export const LZ4_FRAME_MAGIC = 0x184d2204;
/** Skippable frames use magic 0x184D2A50..0x184D2A5F, then a u32 LE size and that many bytes (§"Skippable Frames"). */
export const LZ4_SKIPPABLE_MAGIC_MIN = 0x184d2a50;
export const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
/** Legacy frame magic 0x184C2102 (§"Legacy frame"): u32 LE compressed block sizes, blocks of up to 8 MB, no end mark. */
export const LZ4_LEGACY_MAGIC = 0x184c2102;
/** Decoded size of a full legacy block (§"Legacy frame": "blocks of 8 MB"). */
export const LZ4_LEGACY_BLOCK_SIZE = 8 << 20;
/** A data block size of 0 is the EndMark (§"EndMark"). */
export const LZ4_ENDMARK = 0;
/** Bit 31 of a block size: the block is stored uncompressed (§"Data Blocks"). */
export const LZ4_BLOCK_UNCOMPRESSED = 0x80000000;
/** Matches reach at most 65 535 bytes back (lz4_Block_format.md §"Offset"), so linked blocks keep a 64 KB window. */
export const LZ4_WINDOW = 65536;

/** Block Maximum Size by BD id 4..7: 64 KB, 256 KB, 1 MB, 4 MB (§"BD byte"). */
export function blockMaxSize(id: number): number {
  return 1 << (8 + 2 * id);
}

/** True when buf holds, at offset, the 4 bytes of an LZ4 frame magic number (standard or skippable). */
export function isLz4FrameStart(buf: Uint8Array, offset = 0): boolean {
  if (offset < 0 || buf.length - offset < 4) return false;
  const m = (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
  return m === LZ4_FRAME_MAGIC || ((m & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC_MIN;
}
