// `checker diff RUN_A RUN_B`: the CLI half (imported by cli.ts only; writes stdout and the --html file).
import { existsSync, writeFileSync } from 'node:fs';
import { array, boolean, command, flag, multioption, option, optional, positional, string } from 'cmd-ts';
import { ExitCode } from '@flowmill/cli';
import { RUN_FILES } from '@flowmill/agent-runner/run-layout';
import { RUN_DIR_FILES as F } from '../inputs.js';
import { UsageError, WouldOverwriteError } from '../errors.js';
import { diffRunPaths, parseThresholds } from './diff-runs.js';
import { renderRunDiffHtml } from './html.js';
import { renderRunDiffJson, renderRunDiffText } from './text.js';
import { defaultThresholds } from './types.js';

export const diffCmd = command({
  name: 'checker diff',
  description: `What changed between two runs: per-message counts and rates normalised by run length and by the workload's size (from each ${F.manifest}), messages in one run only, the startup sequence, identity fields (version_info, os_info, config labels), BPF→intake latency, heartbeat gaps, LZ4 frame sizes, and every check's verdict side by side (from each run's ${RUN_FILES.checkJson}, else computed). A difference is a change only past a noise threshold (printed with the report). RUN_A/RUN_B: two run directories, or two recordings of one kind (intake capture, record file, BPF dump).`,
  args: {
    a: positional({ type: string, displayName: 'RUN_A', description: 'the reference run (directory or recording)' }),
    b: positional({ type: string, displayName: 'RUN_B', description: 'the run compared with it' }),
    json: flag({ long: 'json', type: boolean, description: 'the machine report (JSON) on stdout instead of the text one' }),
    html: option({ long: 'html', type: optional(string), description: 'also write a self-contained HTML page with side-by-side plots to FILE (refused if it exists)' }),
    force: flag({ long: 'force', type: boolean, description: 'replace an existing --html FILE' }),
    failOnChange: flag({ long: 'fail-on-change', type: boolean, description: 'exit 1 when anything changed past the thresholds (a CI regression gate)' }),
    schema: option({ long: 'schema', type: optional(string), description: 'auto (default), flowmill, ebpf_net, or a .render file, for both runs' }),
    recheck: flag({ long: 'recheck', type: boolean, description: `run the checks again even where a run holds ${RUN_FILES.checkJson}` }),
    noChecks: flag({ long: 'no-checks', type: boolean, description: 'leave the check verdicts out (faster)' }),
    threshold: multioption({ long: 'threshold', type: array(string), description: `NAME=VALUE over the defaults (${Object.entries(defaultThresholds).map(([k, v]) => `${k}=${v}`).join(', ')}); repeatable` }),
  },
  async handler(a) {
    if (a.force && !a.html) throw new UsageError('bad flags: --force: only with --html FILE');
    if (a.html && !a.force && existsSync(a.html)) throw new WouldOverwriteError(a.html);
    if (a.recheck && a.noChecks) throw new UsageError('bad flags: --recheck and --no-checks: one or the other');
    const d = await diffRunPaths(a.a, a.b, { schema: a.schema, recheck: a.recheck, noChecks: a.noChecks, thresholds: parseThresholds(a.threshold.flatMap((s) => s.split(','))) });
    process.stdout.write(a.json ? renderRunDiffJson(d) : renderRunDiffText(d));
    if (a.html) {
      try {
        writeFileSync(a.html, renderRunDiffHtml(d), { flag: a.force ? 'w' : 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new WouldOverwriteError(a.html, { cause: err });
        throw Object.assign(new Error(`cannot write the HTML report: ${a.html}: ${(err as Error).message}`, { cause: err }), { exitCode: ExitCode.cantCreate });
      }
    }
    return a.failOnChange && d.changed ? ExitCode.checksFailed : ExitCode.ok;
  },
});
