import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { release } from 'node:os';
import type { Era } from '../sim/encoding.js';

export interface PreflightCheck { id: string; ok: boolean; detail: string; warning?: boolean }
export interface PreflightReport { ok: boolean; checks: PreflightCheck[] }

export interface PreflightOptions {
  era: Era;
  agent?: string;
  docker?: string;
  dockerCli?: string;
  /** CA the agent must trust (intake TLS, https authz). */
  caFile?: string;
  intake?: { host: string; port: number; tls?: boolean };
  authz?: { server: string };
  /** Injected for tests: effective uid, filesystem root for /sys, /lib, /etc, /var paths. */
  uid?: number;
  root?: string;
  kernelRelease?: string;
  connectTimeoutMs?: number;
}

function reach(host: string, port: number, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve(`no answer in ${ms} ms`); }, ms);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve(undefined); });
    s.on('error', (e) => { clearTimeout(t); resolve(e.message); });
  });
}

/**
 * Checks, before anything starts, that this machine can run the real agent (issue #4 "Preflight"): root, the
 * kernel interface the era needs (Flowmill: debugfs + kernel headers, bcc; OTel: BTF, libbpf CO-RE: docs/eras.md §2.1),
 * the agent binary or the docker socket, the CA where the agent looks (docs/agent-protocol.md §1.3, §2.3) and the fake
 * cloud being reachable.
 */
export async function preflight(o: PreflightOptions): Promise<PreflightReport> {
  const root = o.root ?? '';
  const p = (x: string) => `${root}${x}`;
  const checks: PreflightCheck[] = [];
  const add = (id: string, ok: boolean, detail: string, warning = false) => checks.push({ id, ok, detail, ...(warning ? { warning } : {}) });
  const uid = o.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1);
  add('root', uid === 0, uid === 0 ? 'running as root' : `the agent loads BPF programs and needs root (uid is ${uid}); run with sudo`);
  const rel = o.kernelRelease ?? release();
  if (o.era === 'flowmill') {
    const debugfs = existsSync(p('/sys/kernel/debug/tracing')) || existsSync(p('/sys/kernel/tracing'));
    add('debugfs', debugfs, debugfs ? 'tracing available under /sys/kernel/debug' : 'no /sys/kernel/debug/tracing: mount debugfs (mount -t debugfs none /sys/kernel/debug)');
    const hdr = p(`/lib/modules/${rel}/build`);
    const headers = existsSync(hdr) || existsSync(p(`/usr/src/linux-headers-${rel}`));
    add('kernel-headers', headers || !!o.docker, headers ? `headers for ${rel} found` : `no kernel headers for ${rel} (${hdr}): install linux-headers-${rel}${o.docker ? '; the image may fetch them itself (kernel_headers.sh)' : ''}`, !headers && !!o.docker);
  } else {
    const btf = existsSync(p('/sys/kernel/btf/vmlinux'));
    add('btf', btf, btf ? '/sys/kernel/btf/vmlinux present' : 'no /sys/kernel/btf/vmlinux: the OpenTelemetry collector needs a BTF kernel (CONFIG_DEBUG_INFO_BTF)');
  }
  if (o.agent) {
    let ok = false;
    try { accessSync(o.agent, constants.X_OK); ok = statSync(o.agent).isFile(); } catch { ok = false; }
    add('agent-binary', ok, ok ? `${o.agent} is executable` : `${o.agent}: missing or not executable`);
  }
  if (o.docker) {
    const sock = p('/var/run/docker.sock');
    const ok = existsSync(sock);
    add('docker-socket', ok, ok ? `${sock} present` : `${sock} missing: is the Docker engine running?`);
    if (ok) {
      const err = await new Promise<string | undefined>((res) => execFile(o.dockerCli ?? 'docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 10_000 }, (e, out) => res(e ? e.message.split('\n')[0] : out.trim() ? undefined : 'no server version')));
      add('docker-engine', !err, err ? `docker version failed: ${err}` : 'docker engine answers');
    }
  }
  if (o.era === 'flowmill' && (o.intake?.tls !== false || o.authz?.server.startsWith('https:'))) {
    if (o.caFile) {
      const ok = existsSync(o.caFile) && readFileSync(o.caFile, 'utf8').includes('BEGIN CERTIFICATE');
      add('ca-trust', ok, ok ? `SSL_CERT_FILE=${o.caFile} is given to the agent (its OpenSSL intake client honours it${o.authz?.server.startsWith('https:') ? '; https authz does not: Debian\'s libcurl needs the CA installed system-wide (authzTrustSteps)' : ''})` : `${o.caFile}: not a PEM certificate`);
    } else {
      // no CA file given: the agent must already trust the CA in /etc/ssl/certs (its Dockerfile's SSL_CERT_DIR)
      let n = 0;
      try { n = readdirSync(p('/etc/ssl/certs')).length; } catch { n = 0; }
      add('ca-trust', false, `no CA file given: the agent verifies the intake and https authz against its default store (${n} entries in /etc/ssl/certs); pass the CA (certs' ca.pem) or use plain transport`, true);
    }
  }
  const ms = o.connectTimeoutMs ?? 2000;
  if (o.intake) {
    const err = await reach(o.intake.host, o.intake.port, ms);
    add('intake-reachable', !err, err ? `intake ${o.intake.host}:${o.intake.port}: ${err} (start tls-sink first)` : `intake ${o.intake.host}:${o.intake.port} accepts connections`);
  }
  if (o.authz) {
    let u: URL | undefined;
    try { u = new URL(o.authz.server.includes('://') ? o.authz.server : `https://${o.authz.server}`); } catch { u = undefined; }
    const port = u ? Number(u.port || (u.protocol === 'https:' ? 443 : 80)) : 0;
    const err = u ? await reach(u.hostname, port, ms) : 'not a URL';
    add('authz-reachable', !err, err ? `authz ${o.authz.server}: ${err} (start mock-authz first)` : `authz ${o.authz.server} accepts connections`);
  }
  return { ok: checks.every((c) => c.ok || c.warning), checks };
}
