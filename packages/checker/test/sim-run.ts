import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimAgent, runWorkload, scaledCadence, type SimFaults } from '@flowmill/agent-runner';
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';

/** The sim's timers run this many times the agent's (0.05: a 2 s heartbeat every 100 ms). */
export const TIME_SCALE = 0.05;

/**
 * Cadence tolerances for a time-scaled sim: the gap band around the scaled period. A skipped heartbeat makes a gap
 * of 2 periods, so the skip test uses a band ending at 1.75; a clean run allows 2.5 periods, because a busy event
 * loop (the workload runs in the same process, two suites share two cores) can stall one beat.
 */
export function scaledTolerances(scale = TIME_SCALE, maxGapPeriods = 2.5): object {
  return scaledCadence(scale, maxGapPeriods);
}

export interface SimRunFiles { dir: string; wire: string; record: string; bpf: string; manifest: string; authzLog: string; faults: unknown[] }

/**
 * One simulated run through the real peers (run-layout.ts names): mock-authz (TLS, strict, its request
 * log as authz.jsonl), tls-sink (--out-dir intake/), agent-runner's simulated agent (record file, BPF dump) and its
 * workload (manifest.json).
 */
export async function simRun(dir: string, opts: { faults?: SimFaults; keysDir: string; workload?: object; settleMs?: number }): Promise<SimRunFiles> {
  mkdirSync(dir, { recursive: true });
  const certs = await ensureCerts({ dir: opts.keysDir });
  const tls = { cert: readFileSync(certs.cert), key: readFileSync(certs.key) };
  const ca = readFileSync(certs.caCert);
  const files = { dir, wire: join(dir, 'intake'), record: join(dir, 'intake.record'), bpf: join(dir, 'bpf.raw'), manifest: join(dir, 'manifest.json'), authzLog: join(dir, 'authz.jsonl') };
  const authz = await startAuthz({ port: 0, tls, strict: true, onRequest: (e) => appendFileSync(files.authzLog, JSON.stringify(e) + '\n') });
  const sink = await startSink({ port: 0, tls, out: { dir: files.wire } });
  let sim;
  try {
    sim = await runSimAgent({
      intake: { host: '127.0.0.1', port: sink.port, ca }, authz: { server: authz.url, keyId: 'KFIIVU75RGHY7EC7JABW', secret: 's3cret', ca },
      recordFile: files.record, bpfDumpFile: files.bpf, timeScale: TIME_SCALE, connectDelayMs: 0, jitter: false, faults: opts.faults, log: () => {},
    });
    await sim.ready;
    await runWorkload({
      onEvent: (e) => sim!.addEvent(e), agent: { kind: 'sim', era: 'flowmill' }, manifestPath: files.manifest,
      profile: (opts.workload ?? { tcp: { connections: 3 }, udp: { datagrams: 5 }, processes: { count: 2 }, http: { requests: 3, statuses: [200, 404, 500] }, dns: { lookups: 2 } }) as never,
    });
    await sim.drained();
    // A few more heartbeats so the cadence has something to measure after the workload.
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 400));
  } finally {
    await sim?.stop();
    await sink.close();
    await authz.close();
  }
  return { ...files, faults: sim?.stats.faults ?? [] };
}
