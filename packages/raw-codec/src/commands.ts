// raw-codec's subcommands: thin wiring of flags onto the library; exits only through runMain (cli.ts owns the rest).
// Loaded by cli.ts, the bin's entry, once it is not answering `--version` alone. Its imports stay static: a split
// per subcommand (the codec imported by the handler that uses it) measured ~6-12 ms more CPU at the start of
// `stats` and `decode` (more module files to load) for ~15 ms less on `--help` and `schema`.
import { closeSync, existsSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { command, flag, multioption, option, optional, positional, string, subcommands, array } from 'cmd-ts';
import { flowmillVersions, onStopSignal, runMain } from '@flowmill/cli';
import {
  Stats, StreamDecoder, builtinSchema, TruncatedError, UsageError, decodeNdjson, encodeRecording, loadSchema, schemaToJson,
  type DecodeInfo, type InputKind, type Schema, RawCodecError,
} from './index.js';
import { readFileChunks, readStreamChunks } from './node.js';
import { renderStatsTable } from './stats-table.js';
import { prettifier } from './pretty.js';
import { genCmd } from './bpf-headers/gen-command.js';
import { runSchemaDiff, schemaDiffArgs } from './schema-diff/command.js';

const BIN = 'raw-codec';
const KINDS = ['auto', 'intake', 'record', 'bpf'] as const;

class CliUsageError extends UsageError {}

function kindOf(s: string | undefined, allowAuto = true): InputKind | 'auto' {
  const k = s ?? 'auto';
  if (!(KINDS as readonly string[]).includes(k) || (!allowAuto && k === 'auto')) throw new CliUsageError(`bad flags: --kind ${k}: one of ${(allowAuto ? KINDS : KINDS.slice(1)).join(', ')}`);
  return k as InputKind | 'auto';
}

async function schemaOf(s: string | undefined, allowAuto = true): Promise<Schema | 'auto'> {
  const v = s ?? (allowAuto ? 'auto' : undefined);
  if (v === undefined) throw new CliUsageError('bad flags: --schema: required here (flowmill, ebpf_net or a .render file)');
  if (v === 'auto') { if (!allowAuto) throw new CliUsageError('bad flags: --schema auto: name the schema (flowmill, ebpf_net or a .render file)'); return 'auto'; }
  if (v !== 'flowmill' && v !== 'ebpf_net' && !v.endsWith('.render') && !v.includes('/')) throw new CliUsageError(`bad flags: --schema ${v}: flowmill, ebpf_net, auto or a path to a .render file`);
  return loadSchema(v);
}

function input(file: string | undefined, follow: boolean, signal: AbortSignal): AsyncIterable<Uint8Array> {
  if (!file || file === '-') {
    if (follow) throw new CliUsageError('bad flags: --follow: needs a FILE, not stdin');
    return readStreamChunks(process.stdin as AsyncIterable<Uint8Array>, signal);
  }
  return readFileChunks(file, { follow, signal, reuse: true }); // the decoders copy what they keep
}

function infoLine(i: DecodeInfo): string {
  const kinds: Record<InputKind, string> = { intake: 'intake wire capture', record: 'record file', bpf: 'BPF dump' };
  return `${BIN}: reading ${kinds[i.kind]} (${i.kindConfidence}) with schema ${i.schema} (${i.schemaConfidence})${i.reason ? `: ${i.reason}` : ''}\n`;
}

/** stdout writes that wait for 'drain', so memory stays flat when the reader is slow. */
function stdoutWriter(): (s: string | Uint8Array) => Promise<void> | void {
  return (s) => {
    if (process.stdout.write(s)) return;
    return new Promise<void>((res) => process.stdout.once('drain', () => res()));
  };
}

const common = {
  file: positional({ type: optional(string), displayName: 'FILE', description: 'the recording (default or "-": stdin)' }),
  kind: option({ long: 'kind', type: optional(string), description: 'auto (default), intake (wire capture), record (FLOWMILL_RECORD_INTAKE_OUTPUT_PATH file) or bpf (--bpf-dump-file)' }),
  schema: option({ long: 'schema', type: optional(string), description: 'auto (default), flowmill, ebpf_net, or PATH.render from your agent checkout' }),
  quiet: flag({ long: 'quiet', short: 'q', description: 'no "reading … with schema …" line on stderr' }),
  allowCut: flag({ long: 'allow-cut', description: 'go on past an intake connection cut inside an LZ4 frame (a line on stderr for each; the cut frame\'s records are lost)' }),
};

const cutLine = (e: Error): string => `${BIN}: warning: ${e.message} (going on: --allow-cut)\n`;

const decodeCmd = command({
  name: 'decode',
  description: 'Decode a recording to NDJSON on stdout: {"name","rpc_id","timestamp","ref"?,"data":{…},"segment"} per record.',
  args: {
    ...common,
    names: multioption({ long: 'name', type: array(string), description: 'only records of this message (repeatable)' }),
    follow: flag({ long: 'follow', short: 'f', description: 'keep reading as FILE grows (like tail -f) until SIGINT/SIGTERM' }),
    pretty: flag({ long: 'pretty', description: 'add "pretty":{…} after "segment": text of u8 name arrays (comm…), addresses as IPv4/IPv6 text' }),
  },
  handler: async (a) => {
    const kind = kindOf(a.kind);
    const schema = await schemaOf(a.schema);
    const ac = new AbortController();
    const off = a.follow ? onStopSignal(() => ac.abort()) : () => {};
    const out = stdoutWriter();
    let pretty: ((b: Uint8Array) => Uint8Array) | undefined;
    let d: StreamDecoder | undefined;
    // Records per --name, to say so when a name the app has matched nothing (rather than print nothing at all).
    const seen = a.names.length ? new Map(a.names.map((n) => [`{"name":"${n}"`, 0])) : undefined;
    // Counted only until every name has been seen once: no cost on the rest of a big capture.
    let unseen = seen?.size ?? 0;
    const count = (b: Uint8Array) => {
      for (const l of new TextDecoder().decode(b).split('\n')) {
        const k = l.slice(0, l.indexOf('",') + 1);
        if (seen!.get(k) === 0) { seen!.set(k, 1); unseen--; }
      }
    };
    try {
      d = await decodeNdjson(input(a.file, a.follow, ac.signal), {
        kind, schema, names: a.names.length ? a.names : undefined, write: (b) => { if (seen && unseen > 0) count(b); return out(pretty ? pretty(b) : b); },
        onCut: a.allowCut ? (e) => process.stderr.write(cutLine(e)) : undefined,
        onInfo: (i) => {
          if (!a.quiet) process.stderr.write(infoLine(i));
          // A --name the schema does not know is a typo, not an empty result.
          const sch = schema === 'auto' ? builtinSchema(i.schema as 'flowmill' | 'ebpf_net') : schema;
          const app = sch.apps[i.kind === 'bpf' ? 'agent_internal' : 'ingest'];
          const unknown = a.names.filter((n) => !app?.byName.has(n));
          if (unknown.length) throw new CliUsageError(`bad flags: --name ${unknown.map((n) => `${n}${elsewhere(sch, n)}`).join(', ')}: no such message in ${i.schema}.${app?.name ?? '?'}, the app of ${i.kind === 'bpf' ? 'a BPF dump' : 'an intake capture or record file'}`);
          if (a.pretty && app) pretty = prettifier(app);
        },
      });
    } catch (e) {
      // A stop while following a file that is being written may land mid-record: not an error.
      if (a.follow && ac.signal.aborted && e instanceof TruncatedError) return 0;
      throw e;
    } finally {
      off();
    }
    // An empty input is not corrupt (65): there is nothing to decode, e.g. a sink the agent never connected to.
    if (d && d.bytes === 0 && !ac.signal.aborted) throw emptyInput(a.file);
    const none = [...(seen ?? [])].filter(([, c]) => c === 0).map(([k]) => k.slice(9, -1));
    if (none.length && !a.quiet && d?.info) process.stderr.write(`${BIN}: note: --name ${none.join(', ')}: no such record in this input (${d.info.schema}.${d.info.kind === 'bpf' ? 'agent_internal' : 'ingest'}${none.map((n) => otherApps(d!.info!, n)).join('')})\n`);
    return 0;
  },
});

/** ` (a message of ebpf_net.agent_internal)` when the schema has the name in another app, else ''. */
function elsewhere(s: Schema, name: string): string {
  const apps = Object.values(s.apps).filter((p) => p.byName.has(name)).map((p) => `${s.name}.${p.name}`);
  return apps.length ? ` (a message of ${apps.join(', ')})` : '';
}

/** `; pid_info is also in flowmill.agent_internal (a BPF dump)` when the other app of the built-in schema has it. */
function otherApps(i: DecodeInfo, name: string): string {
  if (i.schema !== 'flowmill' && i.schema !== 'ebpf_net') return '';
  const other = i.kind === 'bpf' ? 'ingest' : 'agent_internal';
  return builtinSchema(i.schema).apps[other]?.byName.has(name) ? `; ${name} is also a message of ${i.schema}.${other} (${other === 'ingest' ? 'an intake capture or record file' : 'a BPF dump'})` : '';
}

function emptyInput(file: string | undefined): Error {
  return Object.assign(new RawCodecError('ERR_EMPTY_INPUT', `nothing to decode: ${!file || file === '-' ? 'stdin' : file}: the input is empty (0 bytes)`), { exitCode: 66 });
}

const statsCmd = command({
  name: 'stats',
  description: 'Counts and bytes per message, time span, segments and frames: a table on a terminal, JSON otherwise (or with --json).',
  args: { ...common, json: flag({ long: 'json', description: 'JSON even on a terminal' }) },
  handler: async (a) => {
    const kind = kindOf(a.kind);
    const schema = await schemaOf(a.schema);
    const st = new Stats();
    const d = new StreamDecoder(st, {
      kind, schema, onInfo: (i) => { if (!a.quiet) process.stderr.write(infoLine(i)); },
      onCut: a.allowCut ? (e) => process.stderr.write(cutLine(e)) : undefined,
    });
    let error: unknown;
    try {
      for await (const c of input(a.file, false, new AbortController().signal)) d.push(c);
      d.end();
    } catch (e) {
      if (!(e instanceof RawCodecError) || e.code === 'ERR_MISSING_INPUT') throw e;
      error = e;
    }
    const rep = st.report({ info: d.info, inputBytes: d.bytes, frames: d.frames, cuts: d.cuts, error: error ? (error as Error).message : undefined });
    process.stdout.write(a.json || !isatty(1) ? `${JSON.stringify(rep)}\n` : renderStatsTable(rep));
    if (error) throw error; // counts are out; the error line and exit 65 follow
    return 0;
  },
});

const encodeCmd = command({
  name: 'encode',
  description: 'Encode NDJSON records (decode\'s output, edited or not) back into a recording of the given kind; intake captures get the raw version_info and one LZ4 frame per ≤16 KiB flush.',
  args: {
    file: positional({ type: optional(string), displayName: 'FILE', description: 'NDJSON input (default or "-": stdin)' }),
    kind: option({ long: 'kind', type: optional(string), description: 'intake (default), record or bpf' }),
    schema: option({ long: 'schema', type: optional(string), description: 'flowmill, ebpf_net or PATH.render (required: NDJSON does not say its era)' }),
    out: option({ long: 'out', short: 'o', type: optional(string), description: 'write FILE (created 0600, refused if it exists) instead of stdout' }),
    force: flag({ long: 'force', description: 'replace an existing --out FILE' }),
    flushSize: option({ long: 'flush-size', type: optional(string), description: 'plaintext bytes per LZ4 frame (default 16384, the agent\'s buffer)' }),
  },
  handler: async (a) => {
    const kind = kindOf(a.kind ?? 'intake', false) as InputKind;
    const schema = (await schemaOf(a.schema, false)) as Schema;
    const flushSize = a.flushSize === undefined ? undefined : Number(a.flushSize);
    if (flushSize !== undefined && (!Number.isInteger(flushSize) || flushSize < 64 || flushSize > 4 << 20)) throw new CliUsageError(`bad flags: --flush-size ${a.flushSize}: a whole number of bytes, 64..4194304`);
    if (a.force && !a.out) throw new CliUsageError('bad flags: --force: only with --out FILE');
    if (!a.out && isatty(1)) throw new CliUsageError('refusing to write binary data to a terminal: stdout: redirect it or use --out FILE');
    // --out is built as FILE.partial and moved into place only when the whole input encoded: a bad line or a
    // missing input leaves no half recording under the real name, and nothing is replaced without --force.
    let fd = 1;
    const partial = a.out ? `${a.out}.partial` : '';
    const exists = () => Object.assign(new RawCodecError('ERR_WOULD_OVERWRITE', `cannot write recording: ${a.out}: exists (use --force to replace it)`), { path: a.out });
    if (a.out) {
      if (!a.force && existsSync(a.out)) throw exists();
      fd = openSync(partial, 'w', 0o600);
    }
    const src = !a.file || a.file === '-' ? readStreamChunks(process.stdin as AsyncIterable<Uint8Array>) : readFileChunks(a.file);
    const write = stdoutWriter();
    let done = false;
    try {
      for await (const chunk of encodeRecording(src, { kind, schema, flushSize })) {
        if (fd === 1) await write(chunk);
        else for (let o = 0; o < chunk.length;) o += writeSync(fd, chunk, o);
      }
      done = true;
    } finally {
      if (fd !== 1) {
        closeSync(fd);
        if (!done) rmSync(partial, { force: true });
      }
    }
    if (a.out) {
      if (a.force) renameSync(partial, a.out);
      else {
        try { linkSync(partial, a.out); } catch (e) { rmSync(partial, { force: true }); if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists(); throw e; }
        rmSync(partial, { force: true });
      }
    }
    return 0;
  },
});

const schemaCmd = command({
  name: 'schema',
  description: 'Print the resolved schema (every message\'s rpc id and byte layout) as JSON; `schema diff OLD NEW`: what changed between two schemas, classified by what it breaks.',
  args: {
    ...schemaDiffArgs,
    schema: option({ long: 'schema', type: optional(string), description: 'flowmill (default), ebpf_net or PATH.render' }),
    app: option({ long: 'app', type: optional(string), description: 'only this app (e.g. ingest, agent_internal)' }),
  },
  handler: async (a) => {
    if (a.action !== undefined) return runSchemaDiff(a);
    const s = (await schemaOf(a.schema ?? 'flowmill', false)) as Schema;
    const j = schemaToJson(s) as { apps: Record<string, unknown> };
    if (a.app) {
      if (!j.apps[a.app]) throw new CliUsageError(`bad flags: --app ${a.app}: schema ${s.name} has ${Object.keys(j.apps).join(', ')}`);
      j.apps = { [a.app]: j.apps[a.app] };
    }
    process.stdout.write(`${JSON.stringify(j, null, 1)}\n`);
    return 0;
  },
});

const cli = subcommands({
  name: BIN,
  version: flowmillVersions()['@flowmill/raw-codec'],
  description: 'Decode and encode the Flowmill / OpenTelemetry eBPF agent\'s recordings (intake wire captures, record files, BPF dumps), schema-driven, both eras.',
  cmds: { decode: decodeCmd, stats: statsCmd, encode: encodeCmd, schema: schemaCmd, gen: genCmd },
});

/** Parses the arguments and runs the subcommand (cli.ts calls it). */
export async function main(): Promise<void> {
  await runMain(cli, { bin: BIN });
}
