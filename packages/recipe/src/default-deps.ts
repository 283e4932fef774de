/**
 * The real packages behind RecipeDeps. Kept out of the library's core so tests can pass fakes.
 */
import { runSimAgent, runWorkload } from '@flowmill/agent-runner';
import { ensureCerts } from '@flowmill/certs';
import { renderHtml, runChecks } from '@flowmill/checker';
import { startAuthz } from '@flowmill/mock-authz';
import { builtinSchema, decodeNdjson } from '@flowmill/raw-codec';
import { readFileChunks } from '@flowmill/raw-codec/node';
import { startSink } from '@flowmill/tls-sink';
import type { RecipeDeps } from './deps.js';

const V = '0.1.0';

export function defaultDeps(): RecipeDeps {
  return {
    versions: { '@flowmill/certs': V, '@flowmill/mock-authz': V, '@flowmill/tls-sink': V, '@flowmill/agent-runner': V, '@flowmill/raw-codec': V, '@flowmill/checker': V },
    ensureCerts: (o) => ensureCerts({ dir: o.dir, names: o.names }),
    startAuthz: (o) => startAuthz(o),
    startSink: (o) => startSink({ host: o.host, port: o.port, tls: o.tls, out: { dir: o.dir }, onEvent: o.onEvent }),
    runSimAgent,
    runWorkload,
    async decodeToNdjson(o) {
      // the files one after another: each wire capture starts with its raw version_info, so the decoder numbers
      // the connections as segments 0, 1, …
      async function* chunks() {
        for (const f of o.files) yield* readFileChunks(f);
      }
      const d = await decodeNdjson(chunks(), { kind: o.kind, schema: builtinSchema(o.schema), write: (t) => o.out.write(t) });
      return d.records;
    },
    runChecks: (inputs, opts) => runChecks(inputs, opts),
    renderHtml,
  };
}
