import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { encodeResponse, parseQuestion } from './dns-wire.js';

/** What the responder saw, for tests and logs. */
export interface DnsQueryLog { id: number; name: string; qtype: number; from: { ip: string; port: number }; rcode: number; answers: string[] }

export interface DnsResponder { host: string; port: number; queries: DnsQueryLog[]; close(): Promise<void> }

/** TTL of every answer (the value is arbitrary; the agent does not look at it). */
export const DNS_TTL = 60;

/**
 * The address the responder gives `q<n>.<domain>`: 10.53.<n div 256 mod 256>.<n mod 256> (10/8: private, never
 * routed; 53 for DNS). Other names under the domain get NXDOMAIN, names outside it REFUSED.
 */
export function answerFor(name: string, domain: string): { rcode: number; addresses: string[] } {
  const n = name.toLowerCase();
  const d = domain.toLowerCase();
  if (n !== d && !n.endsWith(`.${d}`)) return { rcode: 5, addresses: [] };
  const m = /^q(\d+)\./.exec(n);
  if (!m) return { rcode: 3, addresses: [] };
  const i = Number(m[1]);
  return { rcode: 0, addresses: [`10.53.${(i >> 8) & 255}.${i & 255}`] };
}

/** A tiny authoritative DNS server over UDP for the test domain (A queries only; others get an empty NOERROR). */
export async function startDnsResponder(opts: { host?: string; port?: number; domain: string }): Promise<DnsResponder> {
  const host = opts.host ?? '127.0.0.1';
  const sock: Socket = createSocket('udp4');
  const queries: DnsQueryLog[] = [];
  sock.on('message', (msg, rinfo) => {
    let q;
    try { q = parseQuestion(msg); } catch { return; } // not DNS: ignore, as a server would
    if (q.flags & 0x8000) return; // a response, not a query
    const a = q.qtype === 1 ? answerFor(q.name, opts.domain) : { rcode: 0, addresses: [] };
    queries.push({ id: q.id, name: q.name, qtype: q.qtype, from: { ip: rinfo.address, port: rinfo.port }, rcode: a.rcode, answers: a.addresses });
    sock.send(encodeResponse(msg, a.rcode, a.addresses, DNS_TTL), rinfo.port, rinfo.address);
  });
  sock.bind(opts.port ?? 0, host);
  await Promise.race([once(sock, 'listening'), once(sock, 'error').then(([e]) => { throw e; })]);
  return {
    host,
    port: sock.address().port,
    queries,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
