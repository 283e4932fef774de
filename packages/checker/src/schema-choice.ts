import { decode, loadSchema, MissingInputError as CodecMissingInput, SchemaError, type Schema } from '@flowmill/raw-codec';
import { BadInputError, MissingInputError } from './errors.js';
import { fileChunks, type ResolvedInputs } from './inputs.js';

/**
 * The schema named by `--schema`: `auto`, a built-in name, or a `.render` file. raw-codec's own error classes say
 * what went wrong, so a missing file is a missing input (66) and a file that does not parse is bad input (65), the
 * same exit codes raw-codec's bin gives for the same file.
 */
export async function schemaFromSpec(spec: string): Promise<Schema | 'auto'> {
  if (spec === 'auto') return 'auto';
  try {
    return await loadSchema(spec);
  } catch (err) {
    if (err instanceof CodecMissingInput) throw new MissingInputError('schema', spec, (err.cause as Error | undefined)?.message ?? 'cannot be read', { cause: err });
    if (err instanceof SchemaError) throw new BadInputError(`cannot load the schema: ${spec}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The schema to read the BPF dump with. A dump has no version_info, so 'auto' can only guess its era from the ids;
 * the intake says it for sure (its first records), so with 'auto' the dump is read with the intake's schema.
 */
export async function dumpSchema(res: ResolvedInputs, schema: Schema | 'auto'): Promise<{ schema: Schema | 'auto'; from?: string }> {
  const intakePeek = res.wire[0]?.path ?? res.record;
  if (schema !== 'auto' || !res.bpf || !intakePeek) return { schema };
  const name = await peekSchema(intakePeek, res.wire.length ? 'intake' : 'record');
  if (name === 'flowmill' || name === 'ebpf_net') return { schema: await loadSchema(name), from: name };
  return { schema };
}

/** The schema name the decoder settles on for an intake recording (from its first records), or undefined. */
async function peekSchema(path: string, kind: 'intake' | 'record'): Promise<string | undefined> {
  let name: string | undefined;
  try {
    for await (const _ of decode(fileChunks(path, 1 << 16), { kind, schema: 'auto', onInfo: (i) => { name = i.schema; } })) if (name) break;
  } catch {
    /* the decode check reports it */
  }
  return name;
}
