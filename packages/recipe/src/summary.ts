import { relative } from 'node:path';
import { fmtMs } from './progress.js';
import type { RunResult } from './recipe-run.js';
import { INTAKE_CAPTURE, RUN_FILES } from '@flowmill/agent-runner/run-layout';

/** The short human summary `recipe run` prints on stdout: the verdict and where everything is. */
export function renderSummary(r: RunResult, opts: { cwd?: string; color?: boolean } = {}): string {
  const j = r.runJson;
  const rel = (p: string) => (opts.cwd ? relative(opts.cwd, p) || '.' : p);
  const paint = (code: number, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const verdict =
    r.status === 'passed' ? paint(32, 'PASSED') : r.status === 'failed' ? paint(31, 'FAILED') : r.status === 'interrupted' ? paint(33, 'INTERRUPTED') : paint(31, 'ERROR');
  const c = j.checks;
  // `recipe down --check`: the agent was the user's own (run.json of `up` names none)
  const what = `${j.simulated ? 'simulated agent' : j.agent ? `real agent (${j.agent.path ?? j.agent.image})` : 'your agent, recipe up'}, ${j.era} era`;
  const notRun = c?.notRunIds?.length ? ` (${c.notRunIds.join(', ')})` : '';
  const lines = [`${verdict}${c ? `: ${c.passed} passed, ${c.failed} failed${c.notRun ? `, ${c.notRun} not run${notRun}` : ''}` : ''} (${what})${j.ms !== undefined ? ` in ${fmtMs(j.ms)}` : ''}, exit ${r.exitCode}`];
  if (c?.failedIds.length) {
    for (const ch of r.report?.checks.filter((x) => x.status === 'fail') ?? []) lines.push(`  failed: ${ch.id}: ${ch.title}${ch.reason ? `: ${ch.reason}` : ''}`);
  }
  for (const ch of r.report?.checks.filter((x) => x.status === 'not-run') ?? []) lines.push(`  not run: ${ch.id}: ${ch.reason ?? ch.title}`);
  for (const m of j.missing ?? []) lines.push(`  missing: ${m}`);
  if (j.error && r.status !== 'failed') lines.push(`  error: ${j.error.message}${j.error.step ? ` (step ${j.error.step})` : ''}`);
  const dir = rel(r.dir);
  lines.push(`  run dir   ${dir}/`);
  const has = (f: string) => Object.keys(j.files).some((k) => k === f || k.startsWith(`${f}/`));
  const row = (label: string, f: string, note = '') => has(f) && lines.push(`  ${label.padEnd(9)} ${dir}/${f}${note}`);
  const wire = Object.keys(j.files).filter((k) => k.startsWith(`${RUN_FILES.intakeDir}/`) && INTAKE_CAPTURE.test(k.slice(RUN_FILES.intakeDir.length + 1)));
  row('wire', RUN_FILES.intakeDir, wire.length ? `/ (${wire.length} connection${wire.length === 1 ? '' : 's'})` : '/');
  row('record', RUN_FILES.record);
  row('bpf dump', RUN_FILES.bpf);
  // every decoded file, each with its record count (records: intake, record, bpf)
  const decoded = ([['intake', RUN_FILES.intakeNdjson], ['record', RUN_FILES.recordNdjson], ['bpf', RUN_FILES.bpfNdjson]] as const).filter(([, f]) => has(f));
  decoded.forEach(([k, f], i) => lines.push(`  ${(i ? '' : 'decoded').padEnd(9)} ${dir}/${f}${j.records?.[k] !== undefined ? `  (${j.records[k]} records)` : ''}`));
  row('manifest', RUN_FILES.manifest);
  row('report', RUN_FILES.checkHtml);
  row('checks', RUN_FILES.checkJson);
  lines.push(`  run.json  ${dir}/${RUN_FILES.runJson}`);
  lines.push(...nextSteps(dir, has));
  return `${lines.join('\n')}\n`;
}

/** What to do next with a run: where the report is, and the jq one-liners people reach for first. */
function nextSteps(dir: string, has: (f: string) => boolean): string[] {
  const out = ['next:'];
  if (has(RUN_FILES.checkHtml)) out.push(`  open the report      ${dir}/${RUN_FILES.checkHtml}  (text: npx checker --run-dir ${dir})`);
  if (has(RUN_FILES.intakeNdjson)) {
    out.push(`  count by message     jq -r .name ${dir}/${RUN_FILES.intakeNdjson} | sort | uniq -c | sort -rn`);
    out.push(`  one message type     jq -c 'select(.name == "heartbeat")' ${dir}/${RUN_FILES.intakeNdjson}`);
  }
  if (has(RUN_FILES.bpfNdjson)) out.push(`  BPF side             jq -c 'select(.name == "pid_info") | .data' ${dir}/${RUN_FILES.bpfNdjson}`);
  return out.length > 1 ? out : [];
}
