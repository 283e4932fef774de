export { startSink, DISABLE_SEND, DEFAULT_TLS_PORT, DEFAULT_PLAIN_PORT, DEFAULT_SPOOL_MEMORY } from './sink.js';
export { connFileName, JOURNAL, makeDirs } from './dir-output.js';
export { TlsSinkError, SinkUsageError, PortBusyError, BadKeyError, WouldOverwriteError, OutputError, KeylogError } from './errors.js';
export type { Sink, SinkOptions, SinkOutput, SinkFaults, SinkEvent, ConnectionInfo } from './types.js';
