import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { extendType, number, string } from 'cmd-ts';

/** A TCP port, 0 (pick a free one) to 65535. */
export const Port = extendType(number, {
  displayName: 'port',
  async from(n) {
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port (0-65535): ${n}`);
    return n;
  },
});

/** A whole number >= 0. */
export const Count = extendType(number, {
  displayName: 'n',
  async from(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number >= 0: ${n}`);
    return n;
  },
});

/** An address to listen on: an IP literal or a host name (`localhost`). */
export const ListenHost = extendType(string, {
  displayName: 'host',
  async from(s) {
    if (s === '' || /\s/.test(s) || (!isIP(s) && !/^[A-Za-z0-9.-]+$/.test(s))) throw new Error(`not a host or IP address: ${JSON.stringify(s)}`);
    return s;
  },
});

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `250ms`, `2s`, `1.5m`, `1h`, or bare seconds (`30`). Returns milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration (e.g. 500ms, 2s, 1m): ${JSON.stringify(s)}`);
  return Math.round(Number(m[1]) * units[m[2] ?? 's']);
}

/** A duration flag; the value is in milliseconds. */
export const Duration = extendType(string, { displayName: 'duration', async from(s) { return parseDuration(s); } });

/** A path that must exist and be readable. */
export const ExistingFile = extendType(string, {
  displayName: 'file',
  async from(p) {
    if (!existsSync(p)) throw new Error(`no such file: ${p}`);
    if (statSync(p).isDirectory()) throw new Error(`is a directory, not a file: ${p}`);
    accessSync(p, constants.R_OK);
    return p;
  },
});

/** A path for a new file. Only a name: the command opens it with 'wx' (0600) and decides whether --force overrides. */
export const NewFile = extendType(string, { displayName: 'file', async from(p) { return p; } });

/** A readable PEM file (certificate or key). */
export const PemFile = extendType(ExistingFile, {
  displayName: 'pem',
  async from(p) {
    if (!readFileSync(p, 'utf8').includes('-----BEGIN ')) throw new Error(`not a PEM file: ${p}`);
    return p;
  },
});
