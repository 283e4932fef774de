export { ExitCode, exitCodeFor } from './exit-codes.js';
export { Port, Count, ListenHost, Duration, ExistingFile, NewFile, PemFile, parseDuration } from './arg-types.js';
export { runMain, errorLine, usageLine, trailingOptionWithoutValue, type MainOptions } from './run-main.js';
export { onStopSignal } from './signals.js';
export { announceReady, READY_LINE, ReadyFileError } from './ready.js';
