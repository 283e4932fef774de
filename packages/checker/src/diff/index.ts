// checker diff: two runs (or two recordings of one kind) compared, noise-aware. Library half; command.ts is the CLI's.
export { diffRuns, ratioBand, heartbeatFigures } from './compare.js';
export { diffRunPaths, parseThresholds } from './diff-runs.js';
export { profileRun, workloadSize, type ProfileOptions } from './profile.js';
export { IDENTITY_MESSAGES } from './collect.js';
export { renderRunDiffText, renderRunDiffJson, thresholdLine } from './text.js';
export { renderRunDiffHtml } from './html.js';
export { defaultThresholds, type DiffThresholds, type RunDiff, type RunProfile, type RunChange, type MessageRow, type CheckRow, type FieldSummary, type MessageCount } from './types.js';
