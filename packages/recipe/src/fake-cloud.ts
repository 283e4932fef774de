import { readFileSync } from 'node:fs';
import { DEFAULT_PORTS } from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import type { AuthzLike, CertFiles, RecipeDeps, SinkLike } from './deps.js';
import { PortBusyError } from './errors.js';
import type { PrefixedLog } from './log-prefix.js';
import type { Era, Writable } from './types.js';

/** How the fake cloud (mock-authz + tls-sink) is set up. */
export interface CloudConfig {
  era: Era;
  /** Plain TCP intake and plain HTTP authz (Flowmill era; the OTel era is always plain). */
  plain: boolean;
  /**
   * https authz (with TLS intake only). Off for a real agent by default: its libcurl verifies against the system
   * store, which SSL_CERT_FILE may not change (agent-runner's authzTrustSteps); plain http works
   * (util/url.cc@3598385a:19-25). The simulated agent takes the CA directly, so it keeps https.
   */
  authzTls?: boolean;
  /** Listen address (127.0.0.1 by default, docs/development.md §8). */
  host: string;
  /** The name the agent connects to and verifies: the leaf certificate's name and the token's `intake`. */
  intakeName: string;
  /** undefined = the era's default (8001); 0 = any free port. */
  authzPort?: number;
  /** undefined = the era's default (7001 TLS, 8000 plain); 0 = any free port. */
  intakePort?: number;
}

export function tlsFor(cfg: Pick<CloudConfig, 'era' | 'plain'>): boolean {
  return cfg.era === 'flowmill' && !cfg.plain;
}

/** https authz: TLS intake and `authzTls`. */
export function authzTlsFor(cfg: Pick<CloudConfig, 'era' | 'plain' | 'authzTls'>): boolean {
  return tlsFor(cfg) && !!cfg.authzTls;
}

export function defaultPorts(cfg: Pick<CloudConfig, 'era' | 'plain'>): { authz?: number; intake: number } {
  if (cfg.era === 'otel') return { intake: DEFAULT_PORTS.intakePlain };
  return { authz: DEFAULT_PORTS.authz, intake: cfg.plain ? DEFAULT_PORTS.intakePlain : DEFAULT_PORTS.intakeTls };
}

export interface FakeCloud {
  authz?: AuthzLike;
  sink: SinkLike;
  /** `http://localhost:8001` (what the agent gets as --authz-server; https with `authzTls`), Flowmill era only. */
  authzUrl?: string;
  intakePort: number;
}

export interface CloudLogs {
  /** mock-authz's request log (authz.jsonl): one JSON line per request. */
  authzJsonl: Writable;
  authz: PrefixedLog;
  /** tls-sink's events, one JSON line each (sink.log) and a short line on the console. */
  sinkJsonl: Writable;
  sink: PrefixedLog;
}

const busy = (err: unknown) => {
  const code = (err as { code?: string })?.code;
  return code === 'ERR_PORT_BUSY' || code === 'EADDRINUSE';
};

/**
 * Starts mock-authz (Flowmill era) and tls-sink, each registered with `onStarted` as soon as it listens, so a
 * failure of the second leaves nothing of the first behind. Busy ports become PortBusyError (exit 69).
 */
export async function startFakeCloud(
  cfg: CloudConfig,
  dir: string,
  certs: CertFiles | undefined,
  deps: Pick<RecipeDeps, 'startAuthz' | 'startSink'>,
  logs: CloudLogs,
  onStarted: (name: string, close: () => Promise<void>) => void,
): Promise<FakeCloud> {
  const ports = defaultPorts(cfg);
  // PEM text, not paths: mock-authz and tls-sink take the material itself
  const tls = tlsFor(cfg) && certs ? { cert: readFileSync(certs.cert, 'utf8'), key: readFileSync(certs.key, 'utf8') } : false;
  let authz: AuthzLike | undefined;
  if (cfg.era === 'flowmill') {
    const port = cfg.authzPort ?? ports.authz!;
    try {
      authz = await deps.startAuthz({
        host: cfg.host,
        port,
        tls: authzTlsFor(cfg) ? tls : false,
        intake: cfg.intakeName,
        onRequest: (e) => {
          logs.authzJsonl.write(`${JSON.stringify(e)}\n`);
          logs.authz.line(`${e.method} ${e.path} → ${e.status}${e.fault ? ` (fault ${e.fault})` : ''}`);
        },
      });
    } catch (err) {
      throw busy(err) ? new PortBusyError(cfg.host, port, 'authz', err) : err;
    }
    const a = authz;
    onStarted('mock-authz', () => a.close());
    logs.authz.line(`ready: listening on ${authz.url}`);
  }
  const intakePort = cfg.intakePort ?? ports.intake;
  let sink: SinkLike;
  try {
    sink = await deps.startSink({
      host: cfg.host,
      port: intakePort,
      tls,
      dir: runLayout(dir).path('intakeDir'),
      onEvent: (e) => {
        logs.sinkJsonl.write(`${JSON.stringify(e)}\n`);
        logs.sink.line(describeSinkEvent(e));
      },
    });
  } catch (err) {
    throw busy(err) ? new PortBusyError(cfg.host, intakePort, 'intake', err) : err;
  }
  onStarted('tls-sink', () => sink.close());
  logs.sink.line(`ready: listening on ${sink.url}`);
  const authzUrl = authz ? `${authzTlsFor(cfg) && tls ? 'https' : 'http'}://${cfg.intakeName}:${authz.port}` : undefined;
  return { authz, sink, authzUrl, intakePort: sink.port };
}

function describeSinkEvent(e: { type: string; [k: string]: unknown }): string {
  const c = e.conn as { id?: number; peer?: string; bytes?: number; ended?: string; tlsVersion?: string } | undefined;
  switch (e.type) {
    case 'connection':
      return `connection ${c?.id} from ${c?.peer}${c?.tlsVersion ? ` (${c.tlsVersion})` : ''}`;
    case 'end':
      return `connection ${c?.id} ended (${c?.ended}): ${c?.bytes} bytes`;
    case 'fault':
      return `connection ${c?.id}: fault ${String(e.fault)}`;
    case 'tls-error':
      return `TLS error from ${String(e.peer)}: ${String(e.message)}`;
    default:
      return JSON.stringify(e);
  }
}
