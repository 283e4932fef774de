/**
 * The real packages behind RecipeDeps. Kept out of the library's core so tests can pass fakes, and so the core
 * type-checks against the narrow interfaces in deps.ts.
 */
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';
import { runWorkload } from '@flowmill/agent-runner';
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
    runSimAgent: missing('the simulated agent (@flowmill/agent-runner runSimAgent)'),
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
    runChecks: missing('the checker (@flowmill/checker)'),
    renderHtml: () => '',
  };
}
