import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { UnreachableError } from '../errors.js';

/** TLS 1.2 cipher list of the agent (docs/agent-protocol.md §2.3): only ECDHE-RSA-AES256-GCM-SHA384; TLS 1.3 default suites. */
export const AGENT_TLS12_CIPHERS = 'ECDHE-RSA-AES256-GCM-SHA384';

/**
 * The agent's name check (docs/agent-protocol.md §2.3): the leaf's CN first, then its DNS SANs; exact case-sensitive
 * comparison or one leading `*.` wildcard whose rest equals everything after the name's first dot; IP SANs are
 * ignored. Returns the reason on failure.
 */
export function agentNameCheck(name: string, cert: { subject?: { CN?: string | string[] }; subjectaltname?: string }): string | undefined {
  const matches = (pattern: string) => {
    if (pattern === name) return true;
    if (pattern.startsWith('*.')) {
      const dot = name.indexOf('.');
      return dot >= 0 && pattern.slice(2) === name.slice(dot + 1);
    }
    return false;
  };
  const cn = cert.subject?.CN;
  for (const c of Array.isArray(cn) ? cn : cn ? [cn] : []) if (matches(c)) return undefined;
  const sans = (cert.subjectaltname ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  for (const s of sans) if (matches(s)) return undefined;
  return `Could not validate any of the hostnames in the cert (name ${JSON.stringify(name)}, CN ${JSON.stringify(cn ?? '')}, DNS SANs ${JSON.stringify(sans)})`;
}

export interface IntakeConnectOptions {
  host: string;
  port: number;
  /** TLS on (Flowmill default) or plain TCP (`--disable-tls`; always for the OTel era). */
  tls: boolean;
  /** SNI and verify name (FLOWMILL_INTAKE_NAME or the token's intake); empty = no SNI, chain check only. */
  name: string;
  /** CA PEM the intake certificate must chain to (the agent's OpenSSL default verify paths). */
  ca?: string | Uint8Array;
  timeoutMs?: number;
}

/**
 * Connects like the agent (docs/agent-protocol.md §2.3): TCP with TCP_NODELAY, then a TLS client handshake with
 * minimum TLS 1.2, the TLS 1.2 suite restricted to ECDHE-RSA-AES256-GCM-SHA384, SNI = name (if non-empty), no
 * client certificate, no ALPN, chain verified against `ca`, then the CN-then-DNS-SAN check.
 */
export async function connectIntake(o: IntakeConnectOptions): Promise<Socket | TLSSocket> {
  const where = `${o.name || '(no name)'} @ ${o.host}:${o.port} (${o.tls ? 'tls' : 'tcp'})`;
  const timeout = o.timeoutMs ?? 10_000; // agent: 10 s connect timeout until authenticated (§2.8)
  let sock: Socket | TLSSocket;
  if (!o.tls) {
    sock = netConnect({ host: o.host, port: o.port, noDelay: true });
    await wait(sock, 'connect', timeout, where);
    return sock;
  }
  // TCP first (TCP_NODELAY, "TCP connected"), then the TLS handshake over it (docs/agent-protocol.md §2.3)
  const tcp = netConnect({ host: o.host, port: o.port, noDelay: true });
  await wait(tcp, 'connect', timeout, where);
  const t = tlsConnect({
    socket: tcp,
    servername: o.name === '' ? undefined : o.name,
    minVersion: 'TLSv1.2',
    ciphers: AGENT_TLS12_CIPHERS,
    ca: o.ca ? Buffer.from(o.ca as Uint8Array) : undefined,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      if (o.name === '') return undefined;
      const why = agentNameCheck(o.name, cert);
      return why ? new Error(why) : undefined;
    },
  });
  await wait(t, 'secureConnect', timeout, where);
  t.setNoDelay(true);
  return t;
}

async function wait(sock: Socket, ev: string, ms: number, where: string): Promise<void> {
  const timer = setTimeout(() => sock.destroy(new Error(`no connection in ${ms} ms`)), ms);
  try {
    await Promise.race([once(sock, ev), once(sock, 'error').then(([e]) => { throw e; })]);
  } catch (err) {
    sock.destroy();
    throw new UnreachableError(where, `TLSChannel: handshake failed or TCP error: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
