/**
 * The real packages behind RecipeDeps. Kept out of the library's core so tests can pass fakes, and so the core
 * type-checks against the narrow interfaces in deps.ts.
 */
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';
import { runSimAgent, runWorkload, type SimFaults, type WorkloadEvent } from '@flowmill/agent-runner';
import { renderHtml, runChecks } from '@flowmill/checker';
import { builtinSchema, decodeNdjson } from '@flowmill/raw-codec';
import { readFileChunks } from '@flowmill/raw-codec/node';
import type { RecipeDeps } from './deps.js';

const V = '0.1.0';

const missing = (what: string) => async (): Promise<never> => {
  throw Object.assign(new Error(`not available: ${what}: this build of recipe does not include it yet`), { code: 'ERR_USAGE' });
};

export function defaultDeps(): RecipeDeps {
  return {
    versions: { '@flowmill/certs': V, '@flowmill/mock-authz': V, '@flowmill/tls-sink': V, '@flowmill/agent-runner': V, '@flowmill/raw-codec': V, '@flowmill/checker': V },
    ensureCerts: (o) => ensureCerts({ dir: o.dir, names: o.names }),
    startAuthz: (o) => startAuthz({ host: o.host, port: o.port, tls: o.tls, intake: o.intake, onRequest: (e) => o.onRequest(e as unknown as Record<string, unknown>) }),
    startSink: (o) => startSink({ host: o.host, port: o.port, tls: o.tls, out: { dir: o.dir }, onEvent: (e) => o.onEvent(e as unknown as { type: string }) }),
    async runSimAgent(o) {
      const sim = await runSimAgent({
        era: o.era,
        intake: { host: o.intake.host, port: o.intake.port, tls: o.intake.tls, name: o.intake.name, ca: o.intake.ca },
        authz: o.era === 'flowmill' ? { server: o.authzUrl!, keyId: o.keyId, secret: o.secret, ca: o.intake.ca } : undefined,
        recordFile: o.recordPath,
        bpfDumpFile: o.bpfDumpPath,
        force: o.force,
        timeScale: o.timeScale,
        // the agent connects as soon as it has its token; the 5 s + jitter is the reconnect delay (§2.8)
        connectDelayMs: 0,
        faults: o.faults as SimFaults | undefined,
        log: o.log,
      });
      return { ready: sim.ready, exited: sim.exited, stop: () => sim.stop(), addEvent: (e) => sim.addEvent(e as WorkloadEvent), drained: () => sim.drained() };
    },
    runWorkload: (o) =>
      runWorkload({
        profile: o.profile as never,
        manifestPath: o.manifestPath,
        eventsPath: o.eventsPath,
        agent: { kind: o.agent.kind, era: o.agent.era, binary: o.agent.binary, image: o.agent.image },
        onEvent: o.onEvent as never,
        log: o.log,
        signal: o.signal,
      }),
    async decodeToNdjson(o) {
      // the files one after another: each wire capture starts with its raw version_info, so the decoder numbers
      // the connections as segments 0, 1, … (CONTRACTS.md, DecodedRecord.segment)
      async function* chunks() {
        for (const f of o.files) yield* readFileChunks(f);
      }
      const d = await decodeNdjson(chunks(), { kind: o.kind, schema: builtinSchema(o.schema), write: (t) => o.out.write(t) });
      return d.records;
    },
    runChecks: (inputs, opts) => runChecks({ ...inputs, schema: inputs.schema as 'flowmill' | 'ebpf_net' | undefined }, { preset: opts?.preset, config: opts?.config }),
    renderHtml: (r) => renderHtml(r as Parameters<typeof renderHtml>[0]),
  };
}
