import type { Writable } from './types.js';

/** ANSI colours per tool, concurrently's style: one colour per prefix, only on a TTY (or FORCE_COLOR). */
const COLOURS: Record<string, number> = { authz: 36, sink: 35, agent: 33, workload: 32, checker: 34, serve: 36, recipe: 90 };
const FALLBACK = [36, 35, 33, 32, 34, 31];

export interface PrefixOptions {
  /** Where prefixed lines go (the console, usually stderr); undefined = nowhere (quiet). */
  console?: Writable;
  /** Colour the prefix. */
  color?: boolean;
  /** Also write every line, unprefixed, here (the role's log file in the run directory). */
  file?: Writable;
  /** Width the prefixes are padded to, so the columns line up. */
  width?: number;
}

/** A line-oriented log for one tool: `[agent] text` on the console, `text` in its log file. */
export interface PrefixedLog {
  readonly role: string;
  /** Raw output (a child's stdout/stderr chunk); split into lines, the partial tail is kept for the next chunk. */
  write(chunk: Uint8Array | string): void;
  /** One whole line. */
  line(text: string): void;
  /** Flush a partial last line. */
  end(): void;
}

export function prefixedLog(role: string, opts: PrefixOptions = {}): PrefixedLog {
  let tail = '';
  const decoder = new TextDecoder();
  const pad = ' '.repeat(Math.max(0, (opts.width ?? 0) - role.length));
  const code = COLOURS[role] ?? FALLBACK[[...role].reduce((a, c) => a + c.charCodeAt(0), 0) % FALLBACK.length];
  const prefix = opts.color ? `\x1b[${code}m[${role}]\x1b[0m${pad} ` : `[${role}]${pad} `;
  const emit = (l: string) => {
    opts.console?.write(`${prefix}${l}\n`);
    opts.file?.write(`${l}\n`);
  };
  return {
    role,
    write(chunk) {
      const text = tail + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const l of lines) emit(l.replace(/\r$/, ''));
    },
    line(text) {
      for (const l of text.split('\n')) emit(l);
    },
    end() {
      if (tail) emit(tail);
      tail = '';
    },
  };
}
