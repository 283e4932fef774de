// The recipe as a library: run the whole recipe (`runRecipe`), or the fake cloud in the background for your own
// agent (`up`, `envScript`, `status`, `down`), with the real packages (`defaultDeps`) or your own (`RecipeDeps`).
// Agents are started through @flowmill/agent-runner's `startAgent`; the run directory's names are
// @flowmill/agent-runner/run-layout's.
export { runRecipe, type RunOptions, type RunResult } from './recipe-run.js';
export type { RunJson, RunStatus } from './run-json.js';
export { SIM_TIME_SCALE, type AgentChoice } from './agent.js';
export { scaledTolerances } from './sim-tolerances.js';
export { renderSummary } from './summary.js';
export { up, down, status, renderStatus, envScript, ServeFailedError, type UpOptions, type StatusReport } from './up-down.js';
export { serveCloud, type ServeOptions, type Serving } from './serve.js';
export type { CloudConfig } from './fake-cloud.js';
export { readState, resolveStateDir, type CloudState } from './state.js';
export type { ProgressMode, ProgressEvent } from './progress.js';
export { defaultDeps } from './default-deps.js';
export type { RecipeDeps, CertFiles, AuthzLike, SinkLike, SimAgentLike, CheckReportLike, CheckInputs } from './deps.js';
export { RecipeError, PortBusyError, KeysError, AgentNotFoundError, ChildExitedError, StepTimeoutError, InterruptedError, StateError, RunDirExistsError, UsageError } from './errors.js';
export { VERSION } from './version.js';
export type { Era, Writable } from './types.js';
