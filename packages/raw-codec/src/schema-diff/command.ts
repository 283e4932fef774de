// `raw-codec schema diff OLD NEW`: the CLI half of the schema diff (imported by cli.ts only; writes stdout).
import { isatty } from 'node:tty';
import { flag, option, optional, positional, string } from 'cmd-ts';
import { loadSchema } from '../schema/load.js';
import { UsageError } from '../errors.js';
import { diffFails, diffSchemas, renderSchemaDiffTable, type FailOn } from './index.js';

/** The arguments `raw-codec schema` takes for `diff` (spread into its args). */
export const schemaDiffArgs = {
  action: positional({ type: optional(string), displayName: 'diff', description: '"diff OLD NEW": what changed between two schemas (built-in names or .render paths)' }),
  old: positional({ type: optional(string), displayName: 'OLD', description: 'with diff: flowmill, ebpf_net or PATH.render' }),
  new: positional({ type: optional(string), displayName: 'NEW', description: 'with diff: flowmill, ebpf_net or PATH.render' }),
  json: flag({ long: 'json', description: 'with diff: the changes as JSON (also when stdout is not a terminal)' }),
  failOn: option({ long: 'fail-on', type: optional(string), description: 'with diff: exit 1 on breaking changes or on any change (breaking|any; default: never)' }),
};

type Args = { action?: string; old?: string; new?: string; json: boolean; failOn?: string; app?: string };

const specOk = (v: string) => v === 'flowmill' || v === 'ebpf_net' || v.endsWith('.render') || v.includes('/');

/** Runs `schema diff`; returns the exit code (0, or 1 when --fail-on matched). */
export async function runSchemaDiff(a: Args): Promise<number> {
  if (a.action !== 'diff') throw new UsageError(`bad usage: schema ${a.action}: the only action is "diff OLD NEW" (or none, with --schema)`);
  if (!a.old || !a.new) throw new UsageError('bad usage: schema diff: needs OLD and NEW (flowmill, ebpf_net or PATH.render)');
  for (const v of [a.old, a.new]) if (!specOk(v)) throw new UsageError(`bad usage: schema diff ${v}: flowmill, ebpf_net or a path to a .render file`);
  const failOn = (a.failOn ?? 'never') as FailOn;
  if (!['breaking', 'any', 'never'].includes(failOn)) throw new UsageError(`bad flags: --fail-on ${a.failOn}: breaking or any`);
  const d = diffSchemas(await loadSchema(a.old), await loadSchema(a.new), { app: a.app });
  process.stdout.write(a.json || !isatty(1) ? `${JSON.stringify(d)}\n` : renderSchemaDiffTable(d));
  return diffFails(d, failOn) ? 1 : 0;
}
