// LZ4 block decoder (lz4_Block_format.md): sequences of token | literal length bytes | literals | offset (u16 LE) |
// match length bytes. This is the hot loop of every intake decode, so it works on plain indices into Uint8Arrays,
// allocates nothing per sequence, and reports failures as negative return codes (the caller builds the error
// object with the absolute offset). Checks: every read stays inside [sStart, sEnd), every write inside
// [dStart, dEnd), every match source inside [dLow, dp).

/**
 * Failure codes of decodeBlockInto. A failure returns -(position * 16 + code): the source position where decoding
 * stopped and the reason in one negative number, so the hot loop keeps no state outside its registers.
 */
export const BlockFail = {
  LiteralLengthTruncated: 1,
  LiteralsPastEnd: 2,
  OutputOverflow: 3,
  OffsetZero: 4,
  OffsetOutOfWindow: 5,
  OffsetTruncated: 6,
  MatchLengthTruncated: 7,
  EndsWithMatch: 8,
} as const;

const FAIL_REASONS: Record<number, string> = {
  [BlockFail.LiteralLengthTruncated]: 'literal length runs past the end of the block',
  [BlockFail.LiteralsPastEnd]: 'literals run past the end of the block',
  [BlockFail.OutputOverflow]: 'decoded data exceeds the block maximum size (output overflow)',
  [BlockFail.OffsetZero]: 'match offset 0',
  [BlockFail.OffsetOutOfWindow]: 'match offset reaches before the start of the window',
  [BlockFail.OffsetTruncated]: 'match offset runs past the end of the block',
  [BlockFail.MatchLengthTruncated]: 'match length runs past the end of the block',
  [BlockFail.EndsWithMatch]: 'block ends with a match instead of literals',
};

/** Splits a negative decodeBlockInto result into the reason and the source position. */
export function blockFailure(result: number): { reason: string; pos: number } {
  const v = -result;
  const code = v % 16;
  return { reason: FAIL_REASONS[code] ?? `block decode failure ${code}`, pos: (v - code) / 16 };
}

/**
 * Decodes the block src[sStart, sEnd) into dst at dStart, writing nothing at or after dEnd; a match may copy from
 * as far back as dLow (the start of the window: the previous 64 KB of linked blocks, or a dictionary).
 * Returns the end position in dst, or a negative failure (see BlockFail and blockFailure).
 */
export function decodeBlockInto(
  src: Uint8Array,
  sStart: number,
  sEnd: number,
  dst: Uint8Array,
  dStart: number,
  dEnd: number,
  dLow: number,
): number {
  let sp = sStart;
  let dp = dStart;
  // 32-bit loads and stores through DataViews copy 4 bytes per step (unaligned access is fine, and V8 inlines
  // them); a copy may overshoot its end by up to 3 bytes, so it is used only with that much room before dEnd
  // (output) and the end of src (input: reading past sEnd inside src is harmless, the bytes are never used).
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const srcLen = src.length;
  while (sp < sEnd) {
    const token = src[sp++];
    let lit = token >>> 4;
    // Fast path, the common sequence (agent data: ~1,900 sequences per 16 KiB block, literal runs of ~2, matches of
    // ~7): a literal length in the token (≤ 14) with at least 18 input bytes left, so these literals end 4 or more
    // bytes before sEnd (not the last sequence; the offset is inside the block), and 40 bytes of output room, so
    // fixed-size copies of up to 16 literal and 20 match bytes may overshoot without passing dEnd. Fewer
    // data-dependent branches than exact-length loops (what makes short sequences slow), and no per-step checks.
    if (lit !== 15 && sEnd - sp >= 18 && dEnd - dp >= 40) {
      dv.setUint32(dp, sv.getUint32(sp, true), true);
      if (lit > 4) {
        dv.setUint32(dp + 4, sv.getUint32(sp + 4, true), true);
        if (lit > 8) {
          dv.setUint32(dp + 8, sv.getUint32(sp + 8, true), true);
          dv.setUint32(dp + 12, sv.getUint32(sp + 12, true), true);
        }
      }
      sp += lit;
      dp += lit;
    } else {
      if (lit === 15) {
        let b: number;
        do {
          if (sp >= sEnd) return -(sp * 16 + 1); // LiteralLengthTruncated
          b = src[sp++];
          lit += b;
        } while (b === 255);
      }
      if (lit > sEnd - sp) return -(sp * 16 + 2); // LiteralsPastEnd
      if (lit > dEnd - dp) return -(sp * 16 + 3); // OutputOverflow
      if (lit <= 64 && dEnd - dp >= lit + 4 && srcLen - sp >= lit + 4) {
        const e = dp + lit;
        let s = sp;
        let d = dp;
        while (d < e) {
          dv.setUint32(d, sv.getUint32(s, true), true);
          d += 4;
          s += 4;
        }
        sp += lit;
        dp = e;
      } else if (lit < 16) {
        const e = sp + lit;
        while (sp < e) dst[dp++] = src[sp++];
      } else {
        dst.set(src.subarray(sp, sp + lit), dp);
        sp += lit;
        dp += lit;
      }
      // The last sequence of a block has literals only.
      if (sp === sEnd) return dp;
      if (sEnd - sp < 2) return -(sp * 16 + 6); // OffsetTruncated
    }
    const off = sv.getUint16(sp, true);
    // One unsigned compare catches offset 0 (wraps to 2^32 - 1) and offsets before the window.
    if ((off - 1) >>> 0 >= dp - dLow) return -(sp * 16 + (off === 0 ? 4 : 5)); // OffsetZero, OffsetOutOfWindow
    sp += 2;
    let ml = token & 15;
    // Fast path: a match length in the token (4..18 bytes) at offset ≥ 4 with 24 bytes of output room: 8 or 20
    // bytes copied 4 at a time; each step reads bytes already final (off ≥ 4), so overlapping matches come out right.
    if (ml !== 15 && off >= 4 && dEnd - dp >= 24) {
      const mp = dp - off;
      ml += 4; // MINMATCH (lz4_Block_format.md: "the minimum length of a match is 4")
      dv.setUint32(dp, dv.getUint32(mp, true), true);
      dv.setUint32(dp + 4, dv.getUint32(mp + 4, true), true);
      if (ml > 8) {
        dv.setUint32(dp + 8, dv.getUint32(mp + 8, true), true);
        dv.setUint32(dp + 12, dv.getUint32(mp + 12, true), true);
        dv.setUint32(dp + 16, dv.getUint32(mp + 16, true), true);
      }
      dp += ml;
      continue;
    }
    if (ml === 15) {
      let b: number;
      do {
        if (sp >= sEnd) return -(sp * 16 + 7); // MatchLengthTruncated
        b = src[sp++];
        ml += b;
      } while (b === 255);
    }
    ml += 4; // MINMATCH (lz4_Block_format.md: "the minimum length of a match is 4")
    if (ml > dEnd - dp) return -(sp * 16 + 3); // OutputOverflow
    let mp = dp - off;
    const e = dp + ml;
    if (off >= 4 && dEnd - e >= 4 && (ml <= 64 || off < ml)) {
      // Each 4-byte step reads bytes already final (off >= 4), so overlapping matches come out right too.
      do {
        dv.setUint32(dp, dv.getUint32(mp, true), true);
        dp += 4;
        mp += 4;
      } while (dp < e);
      dp = e;
    } else if (off >= ml) {
      dst.copyWithin(dp, mp, mp + ml);
      dp = e;
    } else if (off === 1) {
      dst.fill(dst[mp], dp, e);
      dp = e;
    } else if (ml >= 16 && dEnd - e >= 4) {
      // Period 2 or 3: write one doubled period (4 or 6 bytes) byte by byte, then copy 4 bytes at a time from that
      // distance (the output repeats with period off, so also with period 2 * off).
      const d2 = off * 2;
      const e2 = dp + d2;
      while (dp < e2) dst[dp++] = dst[mp++];
      mp = dp - d2;
      do {
        dv.setUint32(dp, dv.getUint32(mp, true), true);
        dp += 4;
        mp += 4;
      } while (dp < e);
      dp = e;
    } else {
      while (dp < e) dst[dp++] = dst[mp++];
    }
  }
  // Out of input after a match (or an empty block): a block must end with a literals-only sequence.
  return -(sp * 16 + 8); // EndsWithMatch
}
