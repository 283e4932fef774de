// XXH32 (xxHash, 32-bit), as the LZ4 frame format uses it for the header, block and content checksums
// (lz4_Frame_format.md §"Header Checksum", "Block checksum", "Content checksum"; constants from the xxHash spec,
// doc/xxhash_spec.md §"XXH32 algorithm description").

const P1 = 0x9e3779b1; // PRIME32_1
const P2 = 0x85ebca77; // PRIME32_2
const P3 = 0xc2b2ae3d; // PRIME32_3
const P4 = 0x27d4eb2f; // PRIME32_4
const P5 = 0x165667b1; // PRIME32_5

function rd32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, P2)) | 0;
  acc = (acc << 13) | (acc >>> 19);
  return Math.imul(acc, P1);
}

function finalize(h: number, b: Uint8Array, i: number, end: number): number {
  while (i + 4 <= end) {
    h = (h + Math.imul(rd32(b, i), P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
    i += 4;
  }
  while (i < end) {
    h = (h + Math.imul(b[i], P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One-shot XXH32 of `data[start, end)` with `seed`; returns an unsigned 32-bit number. */
export function xxh32(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (i <= limit) {
      v1 = round(v1, rd32(data, i));
      v2 = round(v2, rd32(data, i + 4));
      v3 = round(v3, rd32(data, i + 8));
      v4 = round(v4, rd32(data, i + 12));
      i += 16;
    }
    h = ((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14));
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  return finalize(h, data, i, end);
}

/** Streaming XXH32, for the content checksum of a frame decoded block by block. */
export class Xxh32 {
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private readonly seed: number;
  private total = 0;
  private readonly mem = new Uint8Array(16);
  private memSize = 0;

  constructor(seed = 0) {
    this.seed = seed | 0;
    this.v1 = (this.seed + P1 + P2) | 0;
    this.v2 = (this.seed + P2) | 0;
    this.v3 = this.seed;
    this.v4 = (this.seed - P1) | 0;
  }

  update(data: Uint8Array, start = 0, end = data.length): void {
    this.total += end - start;
    let i = start;
    if (this.memSize > 0) {
      const take = Math.min(16 - this.memSize, end - i);
      this.mem.set(data.subarray(i, i + take), this.memSize);
      this.memSize += take;
      i += take;
      if (this.memSize < 16) return;
      const m = this.mem;
      this.v1 = round(this.v1, rd32(m, 0));
      this.v2 = round(this.v2, rd32(m, 4));
      this.v3 = round(this.v3, rd32(m, 8));
      this.v4 = round(this.v4, rd32(m, 12));
      this.memSize = 0;
    }
    let v1 = this.v1, v2 = this.v2, v3 = this.v3, v4 = this.v4;
    const limit = end - 16;
    while (i <= limit) {
      v1 = round(v1, rd32(data, i));
      v2 = round(v2, rd32(data, i + 4));
      v3 = round(v3, rd32(data, i + 8));
      v4 = round(v4, rd32(data, i + 12));
      i += 16;
    }
    this.v1 = v1; this.v2 = v2; this.v3 = v3; this.v4 = v4;
    if (i < end) {
      this.mem.set(data.subarray(i, end), 0);
      this.memSize = end - i;
    }
  }

  digest(): number {
    let h: number;
    if (this.total >= 16) {
      const { v1, v2, v3, v4 } = this;
      h = ((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14));
    } else {
      h = (this.seed + P5) | 0;
    }
    // XXH32 adds the length modulo 2^32.
    h = (h + (this.total % 0x100000000)) | 0;
    return finalize(h, this.mem, 0, this.memSize);
  }
}
