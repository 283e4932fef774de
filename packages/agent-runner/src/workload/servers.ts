import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AgentClock } from '../clock.js';

/** What the TCP server saw per accepted connection (for the manifest's server side and for tests). */
export interface TcpServerConn { remotePort: number; localPort: number; received: number; sent: number; acceptedNs: bigint; closedNs?: bigint }
export interface HttpServerExchange { remotePort: number; localPort: number; method: string; path: string; status: number; receivedNs: bigint; respondedNs?: bigint; responseBytes?: number; requestBytes?: number }
export interface UdpServerLog { from: { ip: string; port: number }; bytes: number }

async function listen(s: Server | HttpServer, host: string, port: number): Promise<number> {
  s.listen(port, host);
  await Promise.race([once(s, 'listening'), once(s, 'error').then(([e]) => { throw e; })]);
  const a = s.address();
  return typeof a === 'object' && a ? a.port : port;
}

/**
 * TCP server: reads exactly `clientBytes` from each connection, then replies `serverBytes` (an application-level
 * reply, so the client's data is acknowledged before close: docs/checker-facts.md §3.1) and ends.
 */
export async function startTcpServer(o: { host: string; port: number; clientBytes: number; serverBytes: number; clock: AgentClock }) {
  const conns: TcpServerConn[] = [];
  const open = new Set<Socket>();
  const server = createServer((sock) => {
    open.add(sock);
    const c: TcpServerConn = { remotePort: sock.remotePort ?? 0, localPort: sock.localPort ?? 0, received: 0, sent: 0, acceptedNs: o.clock.now() };
    conns.push(c);
    let replied = false;
    const reply = () => {
      if (replied) return;
      replied = true;
      sock.end(new Uint8Array(o.serverBytes).fill(0x53)); // 'S'
    };
    sock.on('data', (d) => { c.received += d.length; if (c.received >= o.clientBytes) reply(); });
    if (o.clientBytes === 0) reply();
    sock.on('error', () => {});
    sock.on('close', () => { c.sent = sock.bytesWritten; c.closedNs = o.clock.now(); open.delete(sock); });
  });
  const port = await listen(server, o.host, o.port);
  return { port, conns, close: () => closeServer(server, open) };
}

/** HTTP server: `<path>/<status>` answers with that status and a short body; Connection: close. */
export async function startHttpServer(o: { host: string; port: number; clock: AgentClock }) {
  const exchanges: HttpServerExchange[] = [];
  const open = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    const m = /\/(\d{3})$/.exec(req.url ?? '');
    const status = m ? Number(m[1]) : 200;
    const sock = req.socket;
    const ex: HttpServerExchange = { remotePort: sock.remotePort ?? 0, localPort: sock.localPort ?? 0, method: req.method ?? '', path: req.url ?? '', status, receivedNs: o.clock.now() };
    exchanges.push(ex);
    const body = `workload ${status}\n`;
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
    res.on('finish', () => { ex.respondedNs = o.clock.now(); });
    sock.on('close', () => { ex.responseBytes = sock.bytesWritten; ex.requestBytes = sock.bytesRead; });
    req.resume();
  });
  server.on('connection', (s: Socket) => { open.add(s); s.on('close', () => open.delete(s)); });
  const port = await listen(server, o.host, o.port);
  return { port, exchanges, close: () => closeServer(server, open) };
}

/** UDP receiver: counts datagrams per sender. */
export async function startUdpServer(o: { host: string; port: number }) {
  const log: UdpServerLog[] = [];
  const sock: UdpSocket = createSocket('udp4');
  sock.on('message', (m, r) => { log.push({ from: { ip: r.address, port: r.port }, bytes: m.length }); });
  sock.bind(o.port, o.host);
  await Promise.race([once(sock, 'listening'), once(sock, 'error').then(([e]) => { throw e; })]);
  return { port: sock.address().port, log, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

function closeServer(server: Server | HttpServer, open: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const s of open) s.destroy();
    server.close(() => resolve());
  });
}
