export { ExitCode, exitCodeFor, signalExitCode } from './exit-codes.js';
export { Port, Count, ListenHost, Duration, ExistingFile, NewFile, PemFile, FileArgumentError, parseDuration } from './arg-types.js';
export { openOutput, writeOutput, outputError, OutputFileError, type OutputOptions } from './output-file.js';
export { runMain, errorLine, exitCodeOfError, usageLine, trailingOptionWithoutValue, versionRequested, type MainOptions } from './run-main.js';
export { isSystemError, systemErrorMessage, rewriteRawSystemText } from './system-error.js';
export { onStopSignal } from './signals.js';
export { announceReady, READY_LINE, ReadyFileError } from './ready.js';
export { flowmillVersions } from './versions.js';
export { watchLauncher, startedByNpmExec, type LauncherWatch } from './launcher.js';
