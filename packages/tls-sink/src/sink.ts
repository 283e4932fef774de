import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, writeSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { DirOutput } from './dir-output.js';
import { KeylogError, OutputError, PortBusyError, SinkUsageError, TlsSinkError, WouldOverwriteError, reason } from './errors.js';
import { SerialOutput, type ConnWriter, type Output } from './serial-output.js';
import { SpoolBudget } from './spool.js';
import { FdTarget, StreamTarget, type Target } from './target.js';
import { loadKeyMaterial } from './tls-keys.js';
import type { ConnectionInfo, Sink, SinkEvent, SinkOptions } from './types.js';

/**
 * The server → agent command word that makes a binary-encoder agent stop polling: 0xe5c94272c6a3028f sent as 8
 * bytes, most significant first (docs/agent-protocol.md §2.7; docs/wire-format.md (f); agent collector/server_command.h).
 */
export const DISABLE_SEND = Uint8Array.of(0xe5, 0xc9, 0x42, 0x72, 0xc6, 0xa3, 0x02, 0x8f);

/** The recipe's TLS intake port (docs/recorder-recipe.md: stunnel on 7001). */
export const DEFAULT_TLS_PORT = 7001;
/** The OpenTelemetry-era intake default, plain TCP (docs/eras.md: reducer default 8000). */
export const DEFAULT_PLAIN_PORT = 8000;
/** Memory for connections waiting for their turn on a shared output; past it they spool to temp files. */
export const DEFAULT_SPOOL_MEMORY = 64 << 20;

function checkCount(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new SinkUsageError(`bad option: ${name}: not a whole number >= 0: ${v}`);
}

/** Refuses an existing capture before anything binds, so a mistake costs nothing. */
function checkOutput(out: SinkOptions['out']): void {
  if ('file' in out && existsSync(out.file) && !out.append && !out.force) throw new WouldOverwriteError(out.file);
}

function openOutput(out: SinkOptions['out'], budget: SpoolBudget, onError: (err: unknown) => void): Output {
  try {
    return openOutputUnwrapped(out, budget, onError);
  } catch (err) {
    // A missing parent directory, a file where --out-dir should be, no permission: one line naming the path.
    if (err instanceof TlsSinkError) throw err;
    throw new OutputError(outputName(out), err);
  }
}

function openOutputUnwrapped(out: SinkOptions['out'], budget: SpoolBudget, onError: (err: unknown) => void): Output {
  if ('dir' in out) return new DirOutput(out.dir, out.force, onError);
  let target: Target;
  if ('stream' in out) target = new StreamTarget(out.stream);
  else if ('fd' in out) target = new FdTarget(out.fd, out.name ?? `fd ${out.fd}`, false, { onError });
  else {
    // Recordings are created exclusively, 0600; --append continues a file, --force replaces it (docs/development.md §8).
    const fd = openSync(out.file, out.append ? 'a' : out.force ? 'w' : 'wx', 0o600);
    const t = new FdTarget(fd, out.file, true, { onError });
    t.position = fstatSync(fd).size;
    target = t;
  }
  return new SerialOutput(target, budget);
}

function outputName(out: SinkOptions['out']): string {
  return 'dir' in out ? out.dir : 'file' in out ? out.file : 'fd' in out ? (out.name ?? `fd ${out.fd}`) : 'stream';
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new PortBusyError(host, port, err));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

function peerOf(sock: Socket): string {
  const s = sock.remoteAddress ? sock : (sock as Socket & { _parent?: Socket })._parent;
  return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : 'unknown';
}

/**
 * Listens for agent connections and writes each connection's decrypted bytes unchanged. Never writes to the agent
 * unless a fault asks for it (the agent needs no acks, docs/agent-protocol.md §2.7), never pauses a connection unless a
 * fault asks for it.
 */
export async function startSink(opts: SinkOptions): Promise<Sink> {
  const host = opts.host ?? '127.0.0.1';
  const useTls = opts.tls !== undefined && opts.tls !== false;
  const port = opts.port ?? (useTls ? DEFAULT_TLS_PORT : DEFAULT_PLAIN_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SinkUsageError(`bad option: port: not a port (0-65535): ${port}`);
  const f = opts.faults ?? {};
  for (const k of ['closeAfterBytes', 'stopReadingAfterBytes', 'disableSendAfterBytes', 'disableSendAfterMs'] as const) checkCount(k, f[k]);
  const stopAfter = f.stopReadingAfterBytes ?? (f.stopReading ? 0 : undefined);
  const hashing = opts.hash ?? 'dir' in opts.out;
  const emit = (e: SinkEvent) => opts.onEvent?.(e);
  // Deno's node:tls emits no 'keylog' events (Deno 2.9): an empty key log would mislead whoever opens the capture.
  if (opts.keylog && 'Deno' in globalThis) throw new SinkUsageError(`cannot write a TLS key log: ${opts.keylog}: Deno's node:tls does not expose TLS secrets; run under Node`);
  checkOutput(opts.out);
  const keys = useTls ? loadKeyMaterial(opts.tls as { cert: string | Uint8Array; key: string | Uint8Array }) : null;

  const server: Server = keys
    ? // TLS 1.2 minimum, as the agent asks (docs/agent-protocol.md §2.3); Node's default suites include the agent's only
      // TLS 1.2 suite, ECDHE-RSA-AES256-GCM-SHA384, and TLS 1.3 is offered, which the agent then uses.
      createTlsServer({ cert: keys.cert, key: keys.key, minVersion: 'TLSv1.2' })
    : createTcpServer();
  const boundPort = await listen(server, host, port);
  let serverClosed = false;
  server.on('close', () => (serverClosed = true));

  let output: Output;
  let keylogFd = -1;
  try {
    if (opts.keylog && keys) {
      try {
        keylogFd = openSync(opts.keylog, 'a', 0o600);
      } catch (err) {
        throw new KeylogError(opts.keylog, err);
      }
    }
    output = openOutput(opts.out, new SpoolBudget(opts.spoolMemoryBytes ?? DEFAULT_SPOOL_MEMORY, opts.spoolDir), (err) => fail(err));
  } catch (err) {
    if (keylogFd >= 0) closeSync(keylogFd);
    server.close();
    throw err;
  }
  if (keylogFd >= 0) {
    server.on('keylog', (line: Buffer) => {
      try {
        writeSync(keylogFd, line);
      } catch {
        // A key log that cannot be written costs the ability to decrypt a packet capture, never the capture itself.
      }
    });
  }

  const connections: ConnectionInfo[] = [];
  const live = new Set<{ sock: Socket; finish(how: ConnectionInfo['ended']): void }>();
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;
  let resolveDone!: () => void, rejectDone!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  done.catch(() => {}); // the caller may only await close(); the rejection is still there for whoever awaits done

  const fail = (err: unknown) => {
    if (failure) return;
    failure = err instanceof OutputError ? err : new OutputError(outputName(opts.out), err);
    void close();
  };

  const onSocket = (sock: Socket) => {
    if (closing || (opts.once && connections.length > 0)) {
      sock.destroy();
      return;
    }
    if (opts.once) server.close(); // nothing after the first connection
    const info: ConnectionInfo = { id: connections.length + 1, peer: peerOf(sock), start: new Date().toISOString(), bytes: 0 };
    if (keys) {
      const t = sock as TLSSocket;
      info.tlsVersion = t.getProtocol() ?? undefined;
      info.cipher = t.getCipher()?.name;
      if (typeof t.servername === 'string' && t.servername) info.sni = t.servername;
    }
    connections.push(info);
    let writer: ConnWriter;
    try {
      writer = output.open(info);
    } catch (err) {
      sock.destroy();
      fail(err);
      return;
    }
    const hash: Hash | null = hashing ? createHash('sha256') : null;
    let finished = false, paused = false, disableSent = false;
    let lastError: Error | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = (how: ConnectionInfo['ended']) => {
      if (finished) return;
      finished = true;
      live.delete(entry);
      clearTimeout(timer);
      info.end = new Date().toISOString();
      info.ended = how;
      if (how === 'reset' && lastError) info.error = reason(lastError);
      if (hash) info.sha256 = hash.digest('hex');
      try {
        writer.end();
      } catch (err) {
        fail(err);
      }
      emit({ type: 'end', conn: info });
      if (opts.once) void close();
    };
    const entry = { sock, finish };
    live.add(entry);

    const record = (c: Uint8Array): boolean => {
      try {
        writer.write(c);
      } catch (err) {
        fail(err);
        return false;
      }
      info.bytes += c.length;
      hash?.update(c);
      return true;
    };
    const sendDisable = () => {
      if (disableSent || finished) return;
      disableSent = true;
      // The checker's disable-send check reads where the capture stood (plaintext bytes so far) and our clock.
      info.disableSend = { bytes: info.bytes, at: new Date().toISOString() };
      sock.write(DISABLE_SEND);
      emit({ type: 'fault', conn: info, fault: 'disable-send' });
    };
    const faultClose = () => {
      emit({ type: 'fault', conn: info, fault: 'close' });
      sock.destroy();
      finish('fault');
    };

    emit({ type: 'connection', conn: info });
    sock.on('data', (chunk: Buffer) => {
      if (finished) return;
      const cut = f.closeAfterBytes;
      if (cut !== undefined && info.bytes + chunk.length >= cut) {
        if (record(chunk.subarray(0, cut - info.bytes))) faultClose();
        return;
      }
      if (!record(chunk)) return;
      if (stopAfter !== undefined && !paused && info.bytes >= stopAfter) {
        paused = true;
        sock.pause();
        emit({ type: 'fault', conn: info, fault: 'stop-reading' });
      }
      if (f.disableSendAfterBytes !== undefined && info.bytes >= f.disableSendAfterBytes) sendDisable();
    });
    sock.on('end', () => finish('eof'));
    sock.on('error', (err) => (lastError = err));
    // A close without a clean end (RST, TLS alert, destroyed) is a reset: the data already received is still written.
    sock.on('close', () => finish('reset'));

    if (f.closeAfterBytes === 0) return faultClose();
    if (stopAfter === 0) {
      paused = true;
      sock.pause();
      emit({ type: 'fault', conn: info, fault: 'stop-reading' });
    }
    if (f.disableSendAfterBytes === 0) sendDisable();
    if (f.disableSendAfterMs !== undefined) timer = setTimeout(sendDisable, f.disableSendAfterMs);
  };

  if (keys) {
    // A client that resets right after its handshake leaves a TLS socket without a peer address; asking the TCP
    // socket at accept time caches it there (Node and Deno keep it as the TLS socket's `_parent`).
    server.on('connection', (raw: Socket) => void raw.remoteAddress);
    server.on('secureConnection', onSocket);
    server.on('tlsClientError', (err: Error, sock: TLSSocket) => {
      // A plain-TCP agent (--disable-tls) talking to a TLS sink is the likely mistake behind a wrong version number.
      const plain = (err as { code?: string }).code === 'ERR_SSL_WRONG_VERSION_NUMBER';
      emit({ type: 'tls-error', peer: peerOf(sock), message: plain ? 'not TLS: the client speaks plain TCP (an agent with --disable-tls needs --plain)' : reason(err) });
    });
  } else {
    server.on('connection', onSocket);
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      const whenServerClosed = serverClosed ? Promise.resolve() : new Promise<void>((res) => server.once('close', () => res()));
      server.close(() => {}); // already closed after --once's first connection: the callback gets an error, ignored
      for (const l of [...live]) {
        l.sock.destroy();
        l.finish('shutdown');
      }
      try {
        output.close();
      } catch (err) {
        failure ??= new OutputError(outputName(opts.out), err);
      }
      if (keylogFd >= 0) closeSync(keylogFd);
      await whenServerClosed;
      if (failure) rejectDone(failure);
      else resolveDone();
    })();
    return closing;
  }

  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${keys ? 'tls' : 'tcp'}://${urlHost}:${boundPort}`,
    host,
    port: boundPort,
    connections,
    done,
    close,
  };
}
