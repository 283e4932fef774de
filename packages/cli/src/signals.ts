import { ExitCode, signalExitCode } from './exit-codes.js';

/**
 * Orderly stop on SIGINT/SIGTERM: the first signal calls `stop` (finish writes, close listeners); a second one while
 * stopping forces exit with 130/143. Returns a function that removes the handlers.
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void | Promise<void>, log: (s: string) => void = () => {}): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`second ${signal}: forcing exit`);
      process.exit(signalExitCode(signal));
    }
    stopping = true;
    Promise.resolve(stop(signal)).catch((err) => {
      log(`error while stopping: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = ExitCode.software;
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
