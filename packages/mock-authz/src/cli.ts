#!/usr/bin/env node
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { boolean, command, flag, oneOf, option, optional, string } from 'cmd-ts';
import { Count, Duration, ExitCode, ListenHost, NewFile, PemFile, Port, announceReady, onStopSignal, openOutput, outputError, runMain } from '@flowmill/cli';
import { ensureCerts } from '@flowmill/certs';
import { AuthzUsageError } from './errors.js';
import { DEFAULT_HOST, DEFAULT_INTAKE, DEFAULT_PORT, DEFAULT_TTL_S, logLine, startAuthz } from './server.js';
import type { AuthzLogEntry } from './types.js';

const BIN = 'mock-authz';

const cmd = command({
  name: BIN,
  description: `The Flowmill agent's token endpoint: GET /api/v1/auth/keys/<key-id> answers {"token","issuedAtS","expirationS","intake"}. HTTPS on ${DEFAULT_HOST}:${DEFAULT_PORT} with keys/localhost (created if missing) unless told otherwise. One NDJSON line per request on stderr (or --log).`,
  args: {
    host: option({ long: 'host', type: ListenHost, defaultValue: () => DEFAULT_HOST, defaultValueIsSerializable: true, description: 'address to listen on' }),
    port: option({ long: 'port', short: 'p', type: Port, defaultValue: () => DEFAULT_PORT, defaultValueIsSerializable: true, description: 'port (0 = any free port; the readiness line names it)' }),
    http: flag({ long: 'http', type: boolean, description: 'plain HTTP (the agent accepts --authz-server=http://...)' }),
    cert: option({ long: 'cert', type: optional(PemFile), description: 'PEM certificate (default: <keys-dir>/localhost/cert.pem, created with the certs library)' }),
    key: option({ long: 'key', type: optional(PemFile), description: 'PEM private key, with --cert' }),
    keysDir: option({ long: 'keys-dir', type: string, defaultValue: () => 'keys', defaultValueIsSerializable: true, description: 'where the default certificate lives' }),
    token: option({ long: 'token', type: optional(string), description: 'token to hand out (default: random per start)' }),
    ttl: option({ long: 'ttl', type: Count, defaultValue: () => DEFAULT_TTL_S, defaultValueIsSerializable: true, description: 'token lifetime, seconds' }),
    intake: option({ long: 'intake', type: string, defaultValue: () => DEFAULT_INTAKE, defaultValueIsSerializable: true, description: 'the intake TLS name in the answer' }),
    strict: flag({ long: 'strict', type: boolean, description: 'refuse what the real backend would: key id not KFII (KFIA = API key), empty bearer, agent id not FAID+32 [A-Z0-9]' }),
    failFirst: option({ long: 'fail-first', type: Count, defaultValue: () => 0, defaultValueIsSerializable: true, description: 'fail the first N token requests (see --fail-mode)' }),
    failMode: option({ long: 'fail-mode', type: oneOf(['status', 'delay', 'hang', 'close'] as const), defaultValue: () => 'status' as const, defaultValueIsSerializable: true, description: 'status: --fail-status, empty body; delay: answer after --delay; hang: never answer; close: drop the connection' }),
    failStatus: option({ long: 'fail-status', type: Count, defaultValue: () => 503, defaultValueIsSerializable: true, description: 'status for --fail-mode status' }),
    failBody: flag({ long: 'fail-body', type: boolean, description: 'give injected errors a body (poisons the agent\'s later attempts: docs/agent-protocol.md §1.5)' }),
    delay: option({ long: 'delay', type: Duration, defaultValue: () => 2000, defaultValueIsSerializable: true, description: 'delay for --fail-mode delay (500ms, 2s, ...)' }),
    numericTimestamps: flag({ long: 'numeric-timestamps', type: boolean, description: 'serve issuedAtS/expirationS as JSON numbers (the agent rejects them)' }),
    omitIntake: flag({ long: 'omit-intake', type: boolean, description: 'leave out "intake" (the agent rejects it)' }),
    expired: flag({ long: 'expired', type: boolean, description: 'serve a token that expired a minute ago' }),
    log: option({ long: 'log', type: optional(NewFile), description: 'write the NDJSON request log to FILE (created, mode 0600) instead of stderr' }),
    force: flag({ long: 'force', type: boolean, description: 'truncate an existing --log file' }),
    readyFile: option({ long: 'ready-file', type: optional(string), description: 'write {"pid","url","port",...} there once listening' }),
  },
  async handler(a) {
    if (a.http && (a.cert || a.key)) throw new AuthzUsageError('--http', 'plain HTTP takes no --cert/--key');
    if (!!a.cert !== !!a.key) throw new AuthzUsageError(a.cert ? '--cert' : '--key', 'give both --cert and --key');
    let tls: { cert: string; key: string; certPath: string; keyPath: string } | false = false;
    if (!a.http) {
      let certPath = a.cert, keyPath = a.key;
      if (!certPath || !keyPath) {
        const r = await ensureCerts({ dir: a.keysDir, names: ['localhost'] });
        for (const f of r.created) process.stderr.write(`${BIN}: created ${f}\n`);
        if (r.created.includes(r.caCert)) process.stderr.write(`${BIN}: trust the new CA: curl --cacert ${r.caCert}, NODE_EXTRA_CA_CERTS=${r.caCert}; the agent's libcurl ignores SSL_CERT_FILE: install it system-wide or use --http (see certs --help)\n`);
        certPath = r.cert;
        keyPath = r.key;
      }
      tls = { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, keyPath };
    }
    // A recording: created exclusively, mode 0600 (it holds tokens); --force truncates an earlier one.
    const logFd = a.log ? openOutput(a.log, { force: a.force, hint: '--force truncates it' }) : null;
    let logFailed: Error | undefined;
    let stop: () => void = () => {};
    const write = (e: AuthzLogEntry) => {
      const line = logLine(e);
      if (logFd === null) return void process.stderr.write(line);
      if (logFailed) return;
      try {
        writeSync(logFd, line);
      } catch (err) {
        // A log with holes would mislead the checker: stop serving, exit 74 (disk full) with one line.
        logFailed = outputError(a.log!, err);
        stop();
      }
    };
    const server = await startAuthz({
      host: a.host, port: a.port, tls, token: a.token, ttlS: a.ttl, intake: a.intake, strict: a.strict, onRequest: write,
      faults: { failFirst: a.failFirst, failMode: a.failMode, failStatus: a.failStatus, failBody: a.failBody, delayMs: a.delay, numericTimestamps: a.numericTimestamps, omitIntake: a.omitIntake, expired: a.expired },
    });
    // Stop handlers BEFORE the readiness line: whoever waits for the line may signal at once (on 2 busy cores the
    // parent can run between our write and the next statement; the default SIGTERM action would kill us).
    const stopped = new Promise<void>((resolve) => {
      let closing: Promise<void> | undefined;
      stop = () => {
        closing ??= server.close().then(() => {
          if (logFd !== null) closeSync(logFd);
          resolve();
        });
      };
      onStopSignal(() => { stop(); return closing; }, (s) => process.stderr.write(`${BIN}: ${s}\n`));
    });
    try {
      announceReady(BIN, server.url, { port: server.port, host: server.host, tls: !!tls, ...(a.log ? { log: a.log } : {}) }, { readyFile: a.readyFile });
    } catch (err) {
      // No readiness line, so nobody will come: close now instead of listening unannounced.
      await server.close();
      if (logFd !== null) closeSync(logFd);
      throw err;
    }
    await stopped;
    if (logFailed) throw logFailed;
    return ExitCode.ok;
  },
});

await runMain(cmd, { bin: BIN });
