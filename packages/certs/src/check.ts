import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { exists } from './files.js';
import { loadCert, loadKey } from './load.js';
import { readNameConstraints, unpermittedNames } from './name-constraints.js';
import { parseName, type CertName } from './names.js';
import { certNames, keyMatches } from './x509.js';

export type CheckLevel = 'ok' | 'warn' | 'fail';
export interface CertCheckItem {
  /** The file the finding is about. */
  path: string;
  check: 'present' | 'parse' | 'key' | 'ca' | 'expiry' | 'chain' | 'names' | 'mode';
  level: CheckLevel;
  message: string;
  notAfter?: string;
}
export interface CertCheckReport { ok: boolean; dir: string; items: CertCheckItem[] }

/** Warn this long before a certificate expires (the seed's expired unnoticed, docs/agent-protocol.md §0.5). */
const EXPIRY_WARN_DAYS = 30;
/** The longest leaf validity Apple platforms accept; our leaves stay under it. */
const MAX_LEAF_DAYS = 825;

/**
 * Checks a certs directory: the CA (`ca.pem`/`ca-key.pem`, or minica's `minica.pem`/`minica-key.pem`) and every
 * `<dir>/<name>/cert.pem` + `key.pem`: presence, parse, key/cert match, expiry, chain to the CA, names as the agent
 * checks them (CN first, then DNS SANs, docs/agent-protocol.md §2.3), key file modes. Never writes.
 */
export async function checkCerts(opts: { dir?: string; now?: Date } = {}): Promise<CertCheckReport> {
  const dir = resolve(opts.dir ?? 'keys');
  const now = opts.now ?? new Date();
  const items: CertCheckItem[] = [];
  const add = (i: CertCheckItem) => items.push(i);

  const caPair = exists(join(dir, 'ca.pem')) || !exists(join(dir, 'minica.pem')) ? ['ca.pem', 'ca-key.pem'] : ['minica.pem', 'minica-key.pem'];
  const caCertPath = join(dir, caPair[0]), caKeyPath = join(dir, caPair[1]);
  const ca = checkPair(caCertPath, caKeyPath, now, add, true);
  if (ca) {
    const bc = ca.getExtension('basicConstraints') as { cA?: boolean } | null;
    add(bc?.cA ? { path: caCertPath, check: 'ca', level: 'ok', message: `CA certificate${readNameConstraints(ca) ? ', name-constrained' : ''}` }
      : { path: caCertPath, check: 'ca', level: 'fail', message: 'not a CA certificate (basicConstraints CA:TRUE missing)' });
  }

  let leaves: string[] = [];
  try { leaves = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort(); } catch { /* no dir: reported by the CA check */ }
  for (const d of leaves) {
    const certPath = join(dir, d, 'cert.pem'), keyPath = join(dir, d, 'key.pem');
    if (!exists(certPath) && !exists(keyPath)) continue;
    const leaf = checkPair(certPath, keyPath, now, add, false);
    if (!leaf) continue;
    if (ca) {
      let signed = false;
      try { signed = ca.verify(leaf); } catch { signed = false; }
      add(signed ? { path: certPath, check: 'chain', level: 'ok', message: `issued by ${caCertPath}` }
        : { path: certPath, check: 'chain', level: 'fail', message: `not issued by ${caCertPath}` });
    }
    checkNames(certPath, leaf, ca, add);
    const days = (leaf.validity.notAfter.getTime() - leaf.validity.notBefore.getTime()) / 86_400_000;
    if (days > MAX_LEAF_DAYS) add({ path: certPath, check: 'expiry', level: 'warn', message: `valid for ${Math.round(days)} days, more than the ${MAX_LEAF_DAYS} some clients accept` });
  }
  return { ok: !items.some((i) => i.level === 'fail'), dir, items };
}

function checkPair(certPath: string, keyPath: string, now: Date, add: (i: CertCheckItem) => void, isCa: boolean): forge.pki.Certificate | null {
  const hasCert = exists(certPath), hasKey = exists(keyPath);
  if (!hasCert || !hasKey) {
    add({ path: hasCert ? keyPath : certPath, check: 'present', level: 'fail', message: hasCert || hasKey ? `missing (its pair ${hasCert ? certPath : keyPath} exists)` : `missing${isCa ? ' (no CA: run certs)' : ''}` });
    return null;
  }
  let cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey;
  try { cert = loadCert(certPath); } catch (err) { add({ path: certPath, check: 'parse', level: 'fail', message: (err as Error).message }); return null; }
  const notAfter = cert.validity.notAfter;
  const left = (notAfter.getTime() - now.getTime()) / 86_400_000;
  add(left < 0 ? { path: certPath, check: 'expiry', level: 'fail', message: `expired on ${notAfter.toISOString()}`, notAfter: notAfter.toISOString() }
    : cert.validity.notBefore > now ? { path: certPath, check: 'expiry', level: 'fail', message: `not valid before ${cert.validity.notBefore.toISOString()}`, notAfter: notAfter.toISOString() }
    : left < EXPIRY_WARN_DAYS ? { path: certPath, check: 'expiry', level: 'warn', message: `expires in ${Math.floor(left)} days, on ${notAfter.toISOString()}`, notAfter: notAfter.toISOString() }
    : { path: certPath, check: 'expiry', level: 'ok', message: `valid until ${notAfter.toISOString()} (${Math.floor(left)} days)`, notAfter: notAfter.toISOString() });
  try { key = loadKey(keyPath, certPath); } catch (err) { add({ path: keyPath, check: 'parse', level: 'fail', message: (err as Error).message }); return cert; }
  add(keyMatches(cert, key) ? { path: keyPath, check: 'key', level: 'ok', message: `matches ${certPath}` }
    : { path: keyPath, check: 'key', level: 'fail', message: `does not belong to ${certPath}` });
  const mode = statSync(keyPath).mode & 0o777;
  add(mode & 0o077 ? { path: keyPath, check: 'mode', level: 'warn', message: `mode ${mode.toString(8)}: readable by others (chmod 600)` }
    : { path: keyPath, check: 'mode', level: 'ok', message: `mode ${mode.toString(8)}` });
  return cert;
}

function checkNames(certPath: string, leaf: forge.pki.Certificate, ca: forge.pki.Certificate | null, add: (i: CertCheckItem) => void): void {
  const { cn, dns, ip } = certNames(leaf);
  const list = [...dns, ...ip].join(', ');
  if (!cn) add({ path: certPath, check: 'names', level: 'warn', message: `no CN: the agent then matches only DNS SANs (${list || 'none'})` });
  else if (!dns.includes(cn) && !ip.some((i) => safe(() => parseName(i).value) === safe(() => parseName(cn).value))) {
    add({ path: certPath, check: 'names', level: 'warn', message: `CN ${cn} is not among the SANs (${list || 'none'}): clients other than the agent check SANs only` });
  } else add({ path: certPath, check: 'names', level: 'ok', message: `CN ${cn}; SANs ${list}; the agent accepts intake name ${[cn, ...dns.filter((d) => d !== cn)].join(' or ')} (exact case)` });
  const eku = leaf.getExtension('extKeyUsage') as { serverAuth?: boolean } | null;
  if (eku && !eku.serverAuth) add({ path: certPath, check: 'names', level: 'fail', message: 'extended key usage lacks serverAuth: TLS clients refuse it' });
  const nc = ca ? readNameConstraints(ca) : null;
  if (nc && cn) {
    const names = [...dns, ...ip].map((n) => safe(() => parseName(n))).filter((n): n is CertName => !!n);
    const bad = unpermittedNames(nc, names, cn);
    if (bad.length) add({ path: certPath, check: 'chain', level: 'fail', message: `names outside the CA's name constraints: ${bad.join(', ')}` });
  }
}

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}
