import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { BadCertError, BadKeyError, BadNameError, HalfPairError, WouldOverwriteError } from './errors.js';
import { CERT_MODE, KEY_MODE, ensureDir, exists, replaceFile, withLock, writeNew } from './files.js';
import { loadCert, loadKey, loadKeyWithPem } from './load.js';
import { constraintsFor, readNameConstraints, unpermittedNames } from './name-constraints.js';
import { leafDirName, parseName, type CertName } from './names.js';
import { certNames, certToPem, generateKey, keyMatches, makeCaCert, makeLeafCert } from './x509.js';

export interface CertPaths { dir: string; caCert: string; caKey: string; leafDir: string; cert: string; key: string; names: string[] }

export interface EnsureOptions {
  /** Directory of the CA and the leaf directories; default `keys`. */
  dir?: string;
  /** Names for the leaf, the first one is its CN and its directory; default `['localhost']`. */
  names?: string[];
  /** Replace an existing leaf (never the CA). */
  force?: boolean;
  now?: Date;
  /** Put X.509 name constraints on a NEW CA (default true); an existing CA keeps what it has. */
  nameConstraints?: boolean;
}

export interface EnsureResult extends CertPaths {
  /** Files written by this call (absolute paths), in the order written. */
  created: string[];
  /** Names a new constrained CA permits beyond the local set, because they were asked for. */
  constraintsAdded: string[];
  /** True when the CA has name constraints. */
  constrained: boolean;
}

export const DEFAULT_DIR = 'keys';
export const DEFAULT_NAMES = ['localhost'];

interface Ca { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; keyPem: string }

/** The paths ensureCerts uses for these names, without touching the disk. */
export function certPaths(dir = DEFAULT_DIR, names: string[] = DEFAULT_NAMES): CertPaths {
  const parsed = names.map(parseName);
  if (parsed.length === 0) throw new BadNameError('', 'at least one name is needed');
  const abs = resolve(dir);
  const leafDir = join(abs, leafDirName(parsed[0]));
  return { dir: abs, caCert: join(abs, 'ca.pem'), caKey: join(abs, 'ca-key.pem'), leafDir, cert: join(leafDir, 'cert.pem'), key: join(leafDir, 'key.pem'), names: parsed.map((n) => n.value) };
}

/**
 * Creates the CA once and the leaf for `names[0]` if missing; reuses both when present (the leaf only if it covers
 * the names). Refuses a half-present or mismatched pair, an expired or foreign leaf, and names the CA's constraints
 * do not permit. Safe to call from several processes at once (a lock file serialises them).
 */
export async function ensureCerts(opts: EnsureOptions = {}): Promise<EnsureResult> {
  const names = uniqueNames((opts.names?.length ? opts.names : DEFAULT_NAMES).map(parseName));
  const paths = certPaths(opts.dir, names.map((n) => n.value));
  const now = opts.now ?? new Date();
  ensureDir(paths.dir);
  return withLock(paths.dir, () => {
    const created: string[] = [];
    const { ca, constraintsAdded } = loadOrCreateCa(paths, names, now, opts.nameConstraints ?? true, created);
    ensureLeaf(paths, names, ca, now, !!opts.force, created);
    return { ...paths, created, constraintsAdded, constrained: readNameConstraints(ca.cert) !== null };
  });
}

function uniqueNames(names: CertName[]): CertName[] {
  const seen = new Set<string>();
  return names.filter((n) => (seen.has(n.value) ? false : (seen.add(n.value), true)));
}

function loadOrCreateCa(p: CertPaths, names: CertName[], now: Date, constrain: boolean, created: string[]): { ca: Ca; constraintsAdded: string[] } {
  const hasCert = exists(p.caCert), hasKey = exists(p.caKey);
  if (hasCert !== hasKey) throw hasCert ? new HalfPairError(p.caCert, p.caKey) : new HalfPairError(p.caKey, p.caCert);
  if (hasCert) {
    const cert = loadCert(p.caCert);
    const { key, pem } = loadKeyWithPem(p.caKey, p.caCert);
    if (!keyMatches(cert, key)) throw new BadKeyError(p.caKey, p.caCert, 'the key does not belong to the certificate');
    const bc = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
    if (!bc?.cA) throw new BadCertError(p.caCert, 'not a CA certificate (basicConstraints CA:FALSE or absent)');
    if (cert.validity.notAfter < now) throw new BadCertError(p.caCert, `the CA expired on ${cert.validity.notAfter.toISOString()}; move ${p.caCert} and ${p.caKey} away to make a new one`);
    return { ca: { cert, key, keyPem: pem }, constraintsAdded: [] };
  }
  const key = generateKey();
  const { nc, added } = constrain ? constraintsFor(names, names[0].value) : { nc: null, added: [] };
  const cert = makeCaCert(key, { now, cn: `flowmill local CA ${now.toISOString().slice(0, 10)}`, constraints: nc });
  writeNew(p.caKey, key.pem, KEY_MODE);
  created.push(p.caKey);
  writeNew(p.caCert, certToPem(cert), CERT_MODE);
  created.push(p.caCert);
  return { ca: { cert, key: key.privateKey, keyPem: key.pem }, constraintsAdded: added };
}

function ensureLeaf(p: CertPaths, names: CertName[], ca: Ca, now: Date, force: boolean, created: string[]): void {
  const hasCert = exists(p.cert), hasKey = exists(p.key);
  if (!force && (hasCert || hasKey)) {
    if (hasCert !== hasKey) throw hasCert ? new HalfPairError(p.cert, p.key) : new HalfPairError(p.key, p.cert);
    reuseLeaf(p, names, ca, now);
    return;
  }
  const nc = readNameConstraints(ca.cert);
  const bad = nc ? unpermittedNames(nc, names, names[0].value) : [];
  if (bad.length) {
    throw new BadNameError(bad.join(', '), `not permitted by the name constraints of ${p.caCert} (it permits ${[...nc!.dns, ...nc!.ip].join(', ')}); ` +
      `use another --dir, where a new CA will permit the names asked for first, or --no-name-constraints there`);
  }
  ensureDir(p.leafDir);
  const key = generateKey();
  const cert = makeLeafCert(key, ca, names, now);
  const write = force ? replaceFile : writeNew;
  write(p.key, key.pem, KEY_MODE);
  created.push(p.key);
  write(p.cert, certToPem(cert), CERT_MODE);
  created.push(p.cert);
}

function reuseLeaf(p: CertPaths, names: CertName[], ca: Ca, now: Date): void {
  const cert = loadCert(p.cert);
  const key = loadKey(p.key, p.cert);
  if (!keyMatches(cert, key)) throw new BadKeyError(p.key, p.cert, 'the key does not belong to the certificate (--force makes a new pair)');
  let signed = false;
  try { signed = ca.cert.verify(cert); } catch { signed = false; }
  if (!signed) throw new WouldOverwriteError(p.cert, `not issued by ${p.caCert} (was the CA replaced?); --force makes a new one`);
  if (cert.validity.notAfter < now) throw new WouldOverwriteError(p.cert, `expired on ${cert.validity.notAfter.toISOString()}; --force replaces it`);
  const have = certNames(cert);
  const ips = new Set(have.ip.map((s) => parseName(s).value));
  const covered = have.cn === names[0].value && names.every((n) => (n.kind === 'dns' ? have.dns.includes(n.value) : ips.has(n.value)));
  if (!covered) {
    const list = [`CN=${have.cn ?? ''}`, ...have.dns, ...have.ip].join(' ');
    throw new WouldOverwriteError(p.cert, `it is for ${list}, not ${names.map((n) => n.value).join(' ')}; --force replaces it`);
  }
}
