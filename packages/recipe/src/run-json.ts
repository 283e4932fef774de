import type { AgentChoice } from './agent.js';
import type { FileEntry } from './run-dir.js';
import type { Era } from './types.js';

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
  checks?: { ok: boolean; passed: number; failed: number; notRun: number; failedIds: string[] };
  /** Recordings the agent should have produced and did not (the run fails). */
  missing?: string[];
  records?: Record<string, number>;
  files: Record<string, FileEntry>;
}
