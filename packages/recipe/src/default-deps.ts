/**
 * The real packages behind RecipeDeps. Kept out of the library's core so tests can pass fakes, and so the core
 * type-checks against the narrow interfaces in deps.ts.
 */
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';
import { runWorkload } from '@flowmill/agent-runner';
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
    decodeToNdjson: missing('decoding (@flowmill/raw-codec)'),
    runChecks: missing('the checker (@flowmill/checker)'),
    renderHtml: () => '',
  };
}
