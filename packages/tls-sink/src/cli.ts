#!/usr/bin/env node
// tls-sink: the bin. Thin wiring of flags onto startSink; the one place that exits (through runMain).
import { isatty } from 'node:tty';
import { command, flag, option, optional, positional, string } from 'cmd-ts';
import { Count, Duration, ExitCode, ListenHost, NewFile, PemFile, Port, announceReady, onStopSignal, runMain } from '@flowmill/cli';
import { DEFAULT_PLAIN_PORT, DEFAULT_TLS_PORT, SinkUsageError, startSink, type SinkEvent, type SinkOptions } from './index.js';
import { defaultKeys } from './default-keys.js';

const BIN = 'tls-sink';

const cmd = command({
  name: BIN,
  description:
    'Listen for Flowmill agent intake connections (TLS by default) and write the decrypted bytes unchanged: to stdout, ' +
    '--out FILE (connections one after another, never interleaved) or --out-dir DIR (one file per connection plus ' +
    'connections.jsonl). Replaces `stunnel` + `nc -l > file`.',
  args: {
    port: positional({ type: optional(Port), displayName: 'port', description: `port to listen on (default ${DEFAULT_TLS_PORT}; ${DEFAULT_PLAIN_PORT} with --plain; 0 = any free port)` }),
    host: option({ long: 'host', type: optional(ListenHost), description: 'address to listen on (default 127.0.0.1)' }),
    plain: flag({ long: 'plain', description: 'plain TCP instead of TLS (OpenTelemetry-era agents, --disable-tls)' }),
    cert: option({ long: 'cert', type: optional(PemFile), description: 'server certificate PEM (default keys/localhost/cert.pem)' }),
    key: option({ long: 'key', type: optional(PemFile), description: 'server private key PEM (default keys/localhost/key.pem)' }),
    keys: option({ long: 'keys', type: optional(string), description: 'key directory used when --cert/--key are not given; keys/localhost is created there when missing (default keys)' }),
    out: option({ long: 'out', short: 'o', type: optional(NewFile), description: 'write to FILE instead of stdout (refused if it exists)' }),
    outDir: option({ long: 'out-dir', type: optional(string), description: 'one file per connection in DIR (conn-0001.raw, ...) plus connections.jsonl' }),
    append: flag({ long: 'append', description: 'append to an existing --out FILE' }),
    force: flag({ long: 'force', description: 'replace an existing --out FILE or the capture in --out-dir' }),
    once: flag({ long: 'once', description: 'exit after the first connection ends' }),
    closeAfter: option({ long: 'close-after', type: optional(Count), description: 'fault: close each connection after it has sent N bytes' }),
    stopReading: flag({ long: 'stop-reading', description: 'fault: never read (the agent sees TCP backpressure)' }),
    stopReadingAfter: option({ long: 'stop-reading-after', type: optional(Count), description: 'fault: stop reading after N bytes' }),
    disableSendAfter: option({ long: 'disable-send-after', type: optional(Count), description: 'fault: send the DISABLE_SEND command word after N bytes' }),
    disableSendAfterTime: option({ long: 'disable-send-after-time', type: optional(Duration), description: 'fault: send DISABLE_SEND this long after the connection is up (500ms, 2s, 1m)' }),
    keylog: option({ long: 'keylog', type: optional(NewFile), description: 'append TLS secrets to FILE (NSS key log format, for Wireshark)' }),
    readyFile: option({ long: 'ready-file', type: optional(string), description: 'write {"pid","url","port",...} to FILE once listening' }),
    quiet: flag({ long: 'quiet', short: 'q', description: 'no per-connection lines on stderr (the readiness line and errors stay)' }),
  },
  handler: async (a) => {
    const usage = (m: string) => {
      throw new SinkUsageError(m);
    };
    if (a.out && a.outDir) usage('bad flags: --out and --out-dir: choose one');
    if (a.append && !a.out) usage('bad flags: --append: only with --out FILE');
    if (a.append && a.force) usage('bad flags: --append and --force: choose one');
    if (a.force && !a.out && !a.outDir) usage('bad flags: --force: only with --out or --out-dir');
    if (a.plain && (a.cert || a.key || a.keylog)) usage('bad flags: --plain: no TLS, so no --cert, --key or --keylog');
    if (!a.cert !== !a.key) usage('bad flags: --cert and --key: give both or neither');
    if (a.stopReading && a.stopReadingAfter !== undefined) usage('bad flags: --stop-reading and --stop-reading-after: choose one');

    let out: SinkOptions['out'];
    if (a.outDir) out = { dir: a.outDir, force: a.force };
    else if (a.out) out = { file: a.out, append: a.append, force: a.force };
    else {
      // Binary on a terminal helps nobody and can upset it; a pipe or a file is what stdout is for here.
      if (isatty(1)) usage('refusing to write binary data to a terminal: stdout: redirect it or use --out FILE / --out-dir DIR');
      out = { fd: 1, name: 'stdout' };
    }

    const tls = a.plain ? false : a.cert && a.key ? { cert: a.cert, key: a.key } : await defaultKeys(a.keys ?? 'keys', (s) => process.stderr.write(`${BIN}: ${s}\n`));
    const log = (s: string) => process.stderr.write(`${BIN}: ${s}\n`);
    const onEvent = (e: SinkEvent) => {
      if (e.type === 'tls-error') return log(`TLS handshake failed: ${e.peer}: ${e.message}`);
      if (a.quiet) return;
      const c = e.conn;
      if (e.type === 'connection') log(`conn ${c.id}: from ${c.peer}${c.tlsVersion ? ` ${c.tlsVersion} ${c.cipher}` : ''}${c.sni ? ` sni=${c.sni}` : ''}`);
      else if (e.type === 'fault') log(`conn ${c.id}: fault: ${e.fault} after ${c.bytes} bytes`);
      else log(`conn ${c.id}: ended (${c.ended}${c.error ? `: ${c.error}` : ''}) after ${c.bytes} bytes${c.sha256 ? ` sha256=${c.sha256}` : ''}`);
    };

    const sink = await startSink({
      host: a.host,
      port: a.port,
      tls,
      out,
      once: a.once,
      keylog: a.keylog,
      onEvent,
      faults: {
        closeAfterBytes: a.closeAfter,
        stopReading: a.stopReading,
        stopReadingAfterBytes: a.stopReadingAfter,
        disableSendAfterBytes: a.disableSendAfter,
        disableSendAfterMs: a.disableSendAfterTime,
      },
    });
    const removeSignals = onStopSignal(async (signal) => {
      if (!a.quiet) log(`${signal}: finishing writes`);
      await sink.close();
    }, log);
    try {
      announceReady(BIN, sink.url, { host: sink.host, port: sink.port, tls: !a.plain }, { readyFile: a.readyFile });
    } catch (err) {
      // No readiness line, so nobody will send data or a signal: close now instead of listening unannounced.
      removeSignals();
      await sink.close();
      throw err;
    }
    try {
      await sink.done;
    } finally {
      removeSignals();
    }
    return ExitCode.ok;
  },
});

// Output failures go by the shared table: a reader that went away (EPIPE) 69, a full disk (ENOSPC, EDQUOT, EFBIG) 74.
await runMain(cmd, { bin: BIN });
