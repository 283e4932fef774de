import { arch, platform, release } from 'node:os';
import { AGENT_SIGTERM_EXIT } from '@flowmill/agent-runner';
import type { AgentChoice } from './agent.js';
import { countChecks, missingRecordings, verdictPassed } from './decode-check.js';
import type { CheckReportLike } from './deps.js';
import { InterruptedError, RecipeError } from './errors.js';
import type { FileEntry } from './run-dir.js';
import type { Era } from './types.js';
import { VERSION } from './version.js';

export type RunStatus = 'passed' | 'failed' | 'error' | 'interrupted';

/** run.json: what ran, how, how long, and what it produced. */
export interface RunJson {
  tool: '@flowmill/recipe';
  version: string;
  command: 'run';
  argv: string[];
  status: RunStatus | 'running';
  exitCode?: number;
  error?: { code?: string; message: string; step?: string };
  era: Era;
  simulated: boolean;
  agent: { kind: AgentChoice['kind']; path?: string; image?: string; argv?: string[]; pid?: number; exit?: { code: number | null; signal: string | null }; expectedExit: number };
  flags: Record<string, unknown>;
  versions: Record<string, string>;
  runtime: { name: string; version: string; platform: string; arch: string; kernel: string };
  servers: { authz?: string; intake?: string; tls: boolean; intakeName: string; keys?: { ca: string; cert: string; created: string[] } };
  started: string;
  ended?: string;
  ms?: number;
  timings: { step: string; ms: number; status: string }[];
  /** The points the bench reads: ms from start to all servers listening + keys present, to telemetry flowing. */
  milestones: Record<string, number>;
  checks?: { ok: boolean; passed: number; failed: number; notRun: number; failedIds: string[]; /** the checks not run, each with its reason */ notRunIds?: string[] };
  /** Recordings the agent should have produced and did not (the run fails). */
  missing?: string[];
  records?: Record<string, number>;
  files: Record<string, FileEntry>;
}

/** run.json as written when a run starts (status `running`); the run fills in the rest as it goes. */
export function initialRunJson(o: {
  argv: string[]; era: Era; simulated: boolean; agent: AgentChoice; started: string; flags: Record<string, unknown>; versions: Record<string, string>;
  timings: RunJson['timings']; milestones: Record<string, number>; tls: boolean; intakeName: string;
}): RunJson {
  const a = o.agent;
  return {
    tool: '@flowmill/recipe',
    version: VERSION,
    command: 'run',
    argv: o.argv,
    status: 'running',
    era: o.era,
    simulated: o.simulated,
    agent: { kind: a.kind, path: a.kind === 'binary' ? a.path : undefined, image: a.kind === 'docker' ? a.image : undefined, expectedExit: AGENT_SIGTERM_EXIT },
    flags: o.flags,
    versions: { '@flowmill/recipe': VERSION, ...o.versions },
    runtime: { name: (globalThis as { Deno?: unknown }).Deno ? 'deno' : 'node', version: process.version, platform: platform(), arch: arch(), kernel: release() },
    servers: { tls: o.tls, intakeName: o.intakeName },
    started: o.started,
    timings: o.timings,
    milestones: o.milestones,
    files: {},
  };
}

/**
 * The verdict, written into run.json: passed means every recording is there, checks ran and none failed (a report
 * with nothing checked is no pass); an error's code and step; the exit code (`exitCodeFor` maps errors).
 */
export function settleVerdict(
  runJson: RunJson,
  o: { dir: string; error: unknown; report?: CheckReportLike; exitCodeFor?: (err: unknown) => number; step?: string },
): { status: RunStatus; exitCode: number } {
  const { error, report } = o;
  const missing = report ? missingRecordings(o.dir) : [];
  if (missing.length) runJson.missing = missing;
  const passed = verdictPassed(report, missing);
  const status: RunStatus = error instanceof InterruptedError ? 'interrupted' : error ? 'error' : passed ? 'passed' : 'failed';
  const exitCode = status === 'passed' ? 0 : status === 'failed' ? 1 : (o.exitCodeFor ?? ((e: unknown) => ((e as { exitCode?: unknown })?.exitCode as number | undefined) ?? 70))(error);
  runJson.status = status;
  runJson.exitCode = exitCode;
  if (error) {
    const e = error as { code?: string; message?: string; step?: string };
    runJson.error = { code: e.code, message: e.message ?? String(error), step: e.step ?? (error instanceof RecipeError ? error.step : undefined) ?? o.step };
  }
  if (report) runJson.checks = countChecks(report);
  return { status, exitCode };
}
