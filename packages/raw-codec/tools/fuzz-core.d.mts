// Types of fuzz-core.mjs (plain JavaScript, shared with tools/bench/raw-codec-fuzz.mjs), for the tests that import it.

/** A deterministic PRNG (mulberry32): numbers in [0, 1). */
export function rng(seed: number): () => number;

/** A real-looking recording the fuzzer mutates. */
export interface FuzzSeed { kind: 'intake' | 'record' | 'bpf'; bytes: Uint8Array }

/** `lib` is the library module (src or dist). */
export function makeSeeds(lib: unknown): FuzzSeed[];
export function mutate(bytes: Uint8Array, r: () => number, others: Uint8Array[]): Uint8Array;
export function runCase(lib: unknown, bytes: Uint8Array, r: () => number, seed: FuzzSeed): string;
export function fuzz(lib: unknown, n: number, seed0?: number): { ok: number; ERR_TRUNCATED: number; ERR_CORRUPT: number } & Record<string, number>;
