import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCerts } from '@flowmill/certs';

export const BUNDLE = new URL('../dist/mock-authz.js', import.meta.url).pathname;
export const KEY_ID = 'KFIIVU75RGHY7EC7JABW'; // the recipe's example key (docs/recorder-recipe.md)
export const AGENT_ID = 'FAID0123456789ABCDEFGHIJKLMNOPQRSTUV'; // FAID + 32 of [A-Z0-9] (docs/agent-protocol.md §1.2)
export const agentHeaders = (secret = 'KFIIVU75RGHY7EC7JABW', agentId = AGENT_ID) => ({ authorization: `Bearer ${secret}`, 'grpc-metadata-agent-id': agentId });

export function tempDir(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mock-authz-test-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One CA + localhost leaf for a whole test file. */
export async function tlsMaterial(dir: string) {
  const r = await ensureCerts({ dir: join(dir, 'keys') });
  return { ca: readFileSync(r.caCert, 'utf8'), cert: readFileSync(r.cert, 'utf8'), key: readFileSync(r.key, 'utf8'), paths: r };
}

/** Polls `cond` every 10 ms; fails naming `what` never happened when it is still false after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

/** A GET with Node's client (https verifying against `ca`, with the hostname of the URL). */
export function get(url: string, opts: { ca?: string; headers?: Record<string, string>; method?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export function runPeer(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Curl as the agent calls it (libcurl: GET, the two custom headers, verification on). */
export function curlAgent(url: string, cacert: string | null, extra: string[] = []) {
  return runPeer('curl', ['-sS', '-w', '\\n%{http_code}', ...(cacert ? ['--cacert', cacert] : []), '-H', `Authorization: Bearer ${KEY_ID}`, '-H', `Grpc-Metadata-Agent-ID: ${AGENT_ID}`, ...extra, `${url}/api/v1/auth/keys/${KEY_ID}`]);
}

export interface Bin { child: ChildProcess; url: string; stderr(): string; exit: Promise<number | null> }

/** Starts the built bin and waits for its readiness line (or its exit). */
export function startBin(args: string[], cwd: string): Promise<Bin> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no readiness line: ${err}`)); }, 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      err += d;
      const m = /^mock-authz: ready: listening on (\S+)$/m.exec(err);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1], stderr: () => err, exit }); }
    });
    child.stdout.resume();
    exit.then((code) => { clearTimeout(timer); reject(Object.assign(new Error(`exited ${code} before ready: ${err}`), { exitCode: code, stderr: err })); });
  });
}

/** Runs the bin expecting it to fail at once. */
export function runBinOnce(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runPeer(process.execPath, [BUNDLE, ...args], { cwd });
}
