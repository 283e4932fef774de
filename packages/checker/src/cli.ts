#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { array, boolean, command, flag, multioption, option, optional, string } from 'cmd-ts';
import { ExitCode, runMain, writeOutput } from '@flowmill/cli';
import { allChecks } from './checks/index.js';
import { MissingInputError, UsageError, WouldOverwriteError } from './errors.js';
import { configFromRunDir, inputsFromRunDir, RUN_DIR_FILES as F } from './inputs.js';
import { diffCmd } from './diff/command.js';
import { renderHtml } from './report/html.js';
import { renderJson, renderText } from './report/text.js';
import { runChecks } from './run.js';
import { presets } from './tolerances.js';
import type { CheckInputs } from './types.js';

const BIN = 'checker';
/** What --run-dir looks for, by the run-layout names. */
const RUN_DIR_INPUTS = `${F.wireFile} or ${F.wireDir}/, ${F.record}, ${F.bpf}, ${F.manifest}, ${F.authzLog}`;
const RUN_DIR_LIST = `${F.wireDir}/, ${F.wireFile}, ${F.record}, ${F.bpf}, ${F.manifest}, ${F.authzLog}`;

const cmd = command({
  name: BIN,
  description: `Consistency checks over a Flowmill kernel-collector run: the BPF dump, the intake wire capture, the record file, the workload manifest and the mock-authz log, held against each other. One line per check on stdout (or --json), exit 1 if any check failed; \`checker diff RUN_A RUN_B\` compares two runs. Checks: ${allChecks.map((c) => c.id).join(', ')}.`,
  args: {
    wire: multioption({ long: 'wire', type: array(string), description: 'intake wire capture: a file (raw version_info + LZ4 frames) or a tls-sink --out-dir (one capture per connection); repeatable, in connection order' }),
    record: option({ long: 'record', type: optional(string), description: 'the record file (FLOWMILL_RECORD_INTAKE_OUTPUT_PATH)' }),
    bpf: option({ long: 'bpf', type: optional(string), description: 'the BPF dump (--bpf-dump-file)' }),
    manifest: option({ long: 'manifest', type: optional(string), description: "the workload manifest agent-runner writes" }),
    authzLog: option({ long: 'authz-log', type: optional(string), description: 'the mock-authz request log (NDJSON)' }),
    runDir: option({ long: 'run-dir', type: optional(string), description: `a run directory: finds ${RUN_DIR_INPUTS} (explicit flags win)` }),
    schema: option({ long: 'schema', type: optional(string), description: 'auto (default: told from the recording), flowmill, ebpf_net, or a .render file' }),
    preset: option({ long: 'preset', type: optional(string), description: `tolerance preset: ${Object.keys(presets).join(' | ')} (upstream adds the kernel_collector_test.cc thresholds)` }),
    config: option({ long: 'config', type: optional(string), description: 'JSON file deep-merged over the preset tolerances (see README)' }),
    json: flag({ long: 'json', type: boolean, description: 'print the machine report (JSON) on stdout instead of the text one' }),
    html: option({ long: 'html', type: optional(string), description: 'also write a self-contained HTML report to FILE (refused if it exists)' }),
    force: flag({ long: 'force', type: boolean, description: 'replace an existing --html FILE' }),
    only: multioption({ long: 'only', type: array(string), description: 'run only these check ids (repeatable or comma-separated)' }),
  },
  async handler(a) {
    const fromDir: CheckInputs = a.runDir ? inputsFromRunDir(a.runDir) : {};
    const inputs: CheckInputs = {
      wire: a.wire.length ? a.wire : fromDir.wire,
      record: a.record ?? fromDir.record,
      bpf: a.bpf ?? fromDir.bpf,
      manifest: a.manifest ?? fromDir.manifest,
      authzLog: a.authzLog ?? fromDir.authzLog,
      schema: a.schema,
    };
    if (!inputs.wire && !inputs.record && !inputs.bpf && !inputs.manifest && !inputs.authzLog) {
      if (a.runDir) throw new MissingInputError('run directory', a.runDir, `holds none of ${RUN_DIR_LIST}`);
      throw new UsageError('nothing to check: give --run-dir or at least one of --wire, --record, --bpf, --manifest, --authz-log');
    }
    if (a.force && !a.html) throw new UsageError('bad flags: --force: only with --html FILE');
    // Refuse before the checks run, so nobody waits for a report that cannot be written.
    if (a.html && !a.force && existsSync(a.html)) throw new WouldOverwriteError(a.html);
    const only = a.only.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    const dirConfig = a.config === undefined && a.runDir ? configFromRunDir(a.runDir) : undefined;
    if (dirConfig) process.stderr.write(`checker: tolerances from ${dirConfig} (what the run was recorded with; --config overrides)\n`);
    const report = await runChecks(inputs, { preset: a.preset, config: a.config ?? dirConfig, only });
    process.stdout.write(a.json ? renderJson(report) : renderText(report));
    // The page is written whole or not at all, exclusively unless --force (the one output helper of every bin); if it
    // cannot be, the report is already on stdout and the error line says why (73 exists, 66 no directory, 74 disk).
    if (a.html) writeOutput(a.html, renderHtml(report), { force: a.force });
    return report.ok ? ExitCode.ok : ExitCode.checksFailed;
  },
});

// `checker diff RUN_A RUN_B` (src/diff/command.ts); everything else is the checks
if (process.argv[2] === 'diff') await runMain(diffCmd, { bin: BIN, argv: process.argv.slice(3) });
else await runMain(cmd, { bin: BIN });
