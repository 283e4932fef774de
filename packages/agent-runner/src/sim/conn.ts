import type { Socket } from 'node:net';

export interface Address { ip: string; port: number }

/**
 * One intake connection as the simulated agent uses it: bytes out, the server's bytes in, the two endpoints (the
 * socket scan reports the agent's own connection) and the byte counters the kernel keeps for it. A live TCP/TLS
 * socket and a virtual connection that writes what a capture would hold both fit.
 */
export interface IntakeConn {
  write(bytes: Uint8Array): void;
  /** False once closed or failed: writes are dropped, as the agent's are on a closed channel. */
  readonly open: boolean;
  readonly local?: Address;
  readonly remote?: Address;
  readonly ipv4: boolean;
  bytesWritten(): number;
  bytesRead(): number;
  /** Orderly close (TLS close_notify, then FIN); resolves once closed. */
  close(): Promise<void>;
  /** Abrupt close after an error. */
  destroy(): void;
}

/** What a connection reports back: the server's bytes, and its end (EOF, error or close) with a log line. */
export interface ConnEvents {
  data(bytes: Uint8Array): void;
  lost(why: string): void;
}

/** Adapts a connected net/tls socket. */
export function socketConn(sock: Socket, ev: ConnEvents): IntakeConn {
  sock.on('data', (d: Buffer) => ev.data(d));
  sock.on('error', (e) => ev.lost(`TCP error: ${e.message}`));
  sock.on('end', () => ev.lost('connection closed by the server (EOF)'));
  sock.on('close', () => ev.lost('connection closed'));
  const addr = (ip?: string, port?: number) => (ip ? { ip, port: port ?? 0 } : undefined);
  return {
    write: (b) => { sock.write(b); },
    get open() { return !sock.destroyed && sock.writable; },
    local: addr(sock.localAddress, sock.localPort),
    remote: addr(sock.remoteAddress, sock.remotePort),
    ipv4: sock.remoteFamily === 'IPv4',
    bytesWritten: () => sock.bytesWritten,
    bytesRead: () => sock.bytesRead,
    close: async () => {
      if (sock.destroyed) return;
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.end();
      const t = setTimeout(() => sock.destroy(), 2000);
      await closed;
      clearTimeout(t);
    },
    destroy: () => sock.destroy(),
  };
}
