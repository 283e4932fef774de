/** Anything with a `write` (process.stderr, a file stream, a test's array collector). */
export interface Writable {
  write(s: string): unknown;
}

export type Era = 'flowmill' | 'otel';
