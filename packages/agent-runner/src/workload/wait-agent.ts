import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '../errors.js';
import { AGENT_READY } from '../real/exit-status.js';

/**
 * Waits until the agent's log says it is ready ("Telemetry is flowing!", kernel_collector.cc@3598385a:318): what the
 * workload does before that is never recorded (the probes are not loaded yet), so a workload started early only
 * produces a failing check. Polls the file (it may not exist yet) every `pollMs`; throws TimeoutError after
 * `timeoutMs`. The poll's sleep takes the signal, so an abort ends the wait at once and leaves no listener behind.
 */
export async function waitForAgentReady(logFile: string, opts: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000, pollMs = opts.pollMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    if (text.includes(AGENT_READY)) return;
    if (Date.now() >= deadline) throw new TimeoutError(`the agent's readiness line in ${logFile}`, timeoutMs);
    await sleep(pollMs, undefined, { signal: opts.signal });
  }
}
