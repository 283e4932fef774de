import { RawCodecError } from '../errors.js';
import { builtinSchema, type BuiltinSchemaName } from './builtin.js';
import { parseRender } from './parse-render.js';
import type { Schema } from './types.js';

/** A file that cannot be read (code ERR_MISSING_INPUT, exit 66). */
export class MissingInputError extends RawCodecError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super('ERR_MISSING_INPUT', `cannot read ${path}: ${(cause as Error)?.message ?? cause}`, { cause });
    this.path = path;
  }
}

/**
 * `flowmill` / `ebpf_net` (built in) or the path of a `.render` file. File reading uses `node:fs/promises`,
 * imported only when a path is given and no `readFile` is passed, through a specifier bundlers do not follow: the
 * library entry stays free of Node-only imports (a browser bundle builds; Node and Deno read the file).
 */
export async function loadSchema(spec: BuiltinSchemaName | string, opts: { readFile?: (path: string) => Promise<string> } = {}): Promise<Schema> {
  if (spec === 'flowmill' || spec === 'ebpf_net') return builtinSchema(spec);
  const read = opts.readFile ?? (async (p: string) => {
    const fsModule = 'node:fs/promises'; // not a literal import: bundlers leave it to the runtime
    const fs = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    return fs.readFile(p, 'utf8');
  });
  let text: string;
  try {
    text = await read(spec);
  } catch (err) {
    throw new MissingInputError(spec, err);
  }
  return parseRender(text, { source: spec });
}
