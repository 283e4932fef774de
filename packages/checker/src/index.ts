export { runChecks, resolveTolerances } from './run.js';
export type { StreamStatus } from './checks/decode.js';
export { renderText, renderJson } from './report/text.js';
export { renderHtml } from './report/html.js';
export { defaultTolerances, presets, deepMerge, type Tolerances } from './tolerances.js';
export { configFromRunDir, inputsFromRunDir, resolveInputs, RUN_DIR_FILES, type ResolvedInputs } from './inputs.js';
export { allChecks } from './checks/index.js';
export { wirePlaintext, compareStreams } from './checks/taps-agree.js';
export { BadInputError, CheckerError, MissingInputError, UsageError, WouldOverwriteError } from './errors.js';
export type { CheckDef, CheckContext, Observer, Outcome, Rec } from './framework.js';
export type { Manifest, AuthzLogEntry, SinkConnection } from './side-inputs.js';
export type { CheckInputs, CheckOptions, CheckReport, CheckResult, CheckStatus, InputKind, ReportFigures } from './types.js';
export {
  diffRuns, diffRunPaths, profileRun, renderRunDiffText, renderRunDiffJson, renderRunDiffHtml, defaultThresholds as defaultDiffThresholds,
  type DiffThresholds, type RunDiff, type RunProfile, type RunChange,
} from './diff/index.js';
