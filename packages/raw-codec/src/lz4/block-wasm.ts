// LZ4 block decoding by liblz4 itself (lz4.c v1.10.0 built for wasm32: tools/lz4-wasm/build.sh, vendor/lz4/), about
// native speed and 2-5× the TypeScript decoder here. WebAssembly runs on Node, Deno and browsers alike; the module
// (3.4 KB) is embedded as base64 and compiled on first use. Where WebAssembly is missing, callers use block-decode.ts.
import { LZ4_BLOCK_WASM_BASE64 } from './wasm/lz4-block-wasm.js';

const PAGE = 65536;
/** The module's own stack and data live below this (its initial memory: build.sh --initial-memory). */
const BASE = 2 * PAGE;

interface Lz4Wasm {
  memory: WebAssembly.Memory;
  decode: (src: number, srcLen: number, dst: number, dstCap: number, historyLen: number) => number;
  u8: Uint8Array;
}

let wasm: Lz4Wasm | null | undefined;

function load(): Lz4Wasm | null {
  try {
    const bin = atob(LZ4_BLOCK_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = inst.exports.memory as WebAssembly.Memory;
    return { memory, decode: inst.exports.lz4_decode_block as Lz4Wasm['decode'], u8: new Uint8Array(memory.buffer) };
  } catch {
    return null;
  }
}

/** Whether liblz4's decoder is available here (WebAssembly present and the module compiled). */
export function wasmBlockDecoderAvailable(): boolean {
  if (wasm === undefined) wasm = load();
  return wasm !== null;
}

/** A decoder whose output window lives in the module's memory (no copy out); told when it loses or moves it. */
export interface WasmWindowOwner {
  /** Another decoder takes the memory: copy what you still need out of `window` now (it is about to be overwritten). */
  evicted(window: Uint8Array): void;
  /** The memory grew (its old views are detached): here is the window's new view. */
  moved(view: Uint8Array): void;
}

// The module's memory: [BASE, BASE + ownLen) the owner's window, then ownIn bytes for its compressed blocks, then
// scratch for decoders without the window (their output is copied out).
let owner: WasmWindowOwner | null = null;
let ownLen = 0;
let ownIn = 0;

function ensure(w: Lz4Wasm, need: number): void {
  if (need <= w.memory.buffer.byteLength) return;
  w.memory.grow(Math.ceil((need - w.memory.buffer.byteLength) / PAGE));
  w.u8 = new Uint8Array(w.memory.buffer);
  owner?.moved(w.u8.subarray(BASE, BASE + ownLen));
}

/**
 * The window of `who` in the module's memory (`size` bytes, room for compressed blocks of up to `inMax` bytes after
 * it), or null without WebAssembly. One decoder at a time has it: the previous owner copies out what it needs.
 */
export function wasmWindow(who: WasmWindowOwner, size: number, inMax: number): Uint8Array | null {
  if (wasm === undefined) wasm = load();
  const w = wasm;
  if (!w) return null;
  if (owner && owner !== who) owner.evicted(w.u8.subarray(BASE, BASE + ownLen));
  owner = null;
  ownLen = size;
  ownIn = (inMax + 15) & ~15;
  ensure(w, BASE + ownLen + ownIn);
  owner = who;
  return w.u8.subarray(BASE, BASE + ownLen);
}

/**
 * Same contract as decodeBlockInto: decodes src[sStart..sEnd) into dst[dStart..dEnd) with dst[low..dStart) as the
 * history matches may reach (linked blocks). Returns the end of the output, or -1 when liblz4 rejects the block (the
 * caller asks the TypeScript decoder why, for a precise message) or WebAssembly is not available. When dst is the
 * window from wasmWindow, the output is written in place; otherwise it is copied in and out of scratch memory.
 */
export function wasmDecodeBlockInto(src: Uint8Array, sStart: number, sEnd: number, dst: Uint8Array, dStart: number, dEnd: number, low: number): number {
  if (wasm === undefined) wasm = load();
  const w = wasm;
  if (!w) return -1;
  const srcLen = sEnd - sStart;
  const hist = Math.min(dStart - low, 65536);
  const cap = dEnd - dStart;
  if (dst.buffer === w.memory.buffer && srcLen <= ownIn) {
    const inAt = BASE + ownLen;
    w.u8.set(src.subarray(sStart, sEnd), inAt);
    const n = w.decode(inAt, srcLen, dst.byteOffset + dStart, cap, hist);
    return n < 0 ? -1 : dStart + n;
  }
  const inAt = BASE + ownLen + ownIn;
  const outAt = inAt + ((srcLen + 15) & ~15);
  ensure(w, outAt + hist + cap);
  const u8 = w.u8;
  u8.set(src.subarray(sStart, sEnd), inAt);
  if (hist > 0) u8.set(dst.subarray(dStart - hist, dStart), outAt);
  const n = w.decode(inAt, srcLen, outAt + hist, cap, hist);
  if (n < 0) return -1;
  dst.set(u8.subarray(outAt + hist, outAt + hist + n), dStart);
  return dStart + n;
}
