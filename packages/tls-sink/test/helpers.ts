// Shared test fixtures: key material from the openssl CLI (a real peer, not our own code), temp dirs, child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUNDLE = new URL('../dist/tls-sink.js', import.meta.url).pathname;
export const ROOT = new URL('../../..', import.meta.url).pathname;

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tls-sink-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA and an RSA-2048 leaf for `localhost` (CN and DNS SAN, as the agent checks), made by the openssl CLI. */
export function makeKeys(dir: string): { ca: string; cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tls-sink test CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'leaf.ext'], dir);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

export function randomFile(path: string, size: number): Buffer {
  const data = randomBytes(size);
  writeFileSync(path, data);
  return data;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface Proc {
  child: ChildProcess;
  stdout: () => Buffer;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a process, collecting its output; `exited` resolves when it has exited and its pipes have closed. */
export function run(cmd: string, args: string[], opts: { cwd?: string; stdin?: 'ignore' | 'pipe' | number } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, exited };
}

/** Resolves once `pred` holds for the process's stdout (checked on each chunk); rejects if it exits first. */
export function waitStdout(p: Proc, pred: (b: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred(p.stdout())) return resolve();
    const on = () => {
      if (pred(p.stdout())) {
        p.child.stdout!.off('data', on);
        resolve();
      }
    };
    p.child.stdout!.on('data', on);
    p.exited.then(() => (pred(p.stdout()) ? resolve() : reject(new Error(`exited before the expected output; stderr: ${p.stderr()}`))));
  });
}

/** Resolves with the URL of a @flowmill server's readiness line on stderr. */
export function waitReady(p: Proc): Promise<string> {
  const re = /^tls-sink: ready: listening on (\S+)$/m;
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(p.stderr());
      if (m) {
        p.child.stderr!.off('data', check);
        resolve(m[1]);
      }
    };
    p.child.stderr!.on('data', check);
    check();
    p.exited.then(({ code }) => reject(new Error(`exited ${code} before ready: ${p.stderr()}`)));
  });
}

export const portOf = (url: string) => Number(/:(\d+)$/.exec(url)![1]);

/** The bytes of the DISABLE_SEND command word as the spec writes them (docs/wire-format.md (f)), not from our source. */
export const DISABLE_SEND_WIRE = Buffer.from('e5c94272c6a3028f', 'hex');

import type { ConnectionInfo, SinkEvent } from '../src/index.js';

/** Collects a sink's events; `ended(n)` resolves once n connections have ended. */
export class Events {
  readonly all: SinkEvent[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  readonly on = (e: SinkEvent) => {
    this.all.push(e);
    this.waiters = this.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true));
  };
  until(pred: () => boolean): Promise<void> {
    return pred() ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
  ends(): ConnectionInfo[] {
    return this.all.flatMap((e) => (e.type === 'end' ? [e.conn] : []));
  }
  ended(n: number): Promise<void> {
    return this.until(() => this.ends().length >= n);
  }
}
