import { Buffer } from 'node:buffer';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import forge from 'node-forge';
import { encodeNameConstraints, type NameConstraints } from './name-constraints.js';
import type { CertName } from './names.js';

const { pki } = forge;

/** RSA-2048: the agent's TLS 1.2 allows only ECDHE-RSA-AES256-GCM-SHA384, which needs an RSA server key
 * (docs/agent-protocol.md §2.3); 2048 bits is what minica/mkcert leaves use and what OpenSSL's security level 2 wants. */
export const RSA_BITS = 2048;
/** Leaf validity: under 825 days, the longest Apple platforms accept for a TLS server certificate (and what mkcert
 * stays within); long enough that a local setup does not expire mid-project like the seed's 2022 certificate. */
export const LEAF_DAYS = 820;
/** CA validity: 10 years, like mkcert's root. */
export const CA_DAYS = 3650;
/** Backdating notBefore by an hour tolerates a peer whose clock is a little behind (mkcert, minica do the same). */
const BACKDATE_MS = 3600_000;

export interface KeyPair { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string }

/** An RSA key from node:crypto (native, ~100 ms; forge's pure-JS keygen takes seconds), as PKCS#8 PEM. */
export function generateKey(bits = RSA_BITS): KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: pki.setRsaPublicKey(key.n, key.e), pem: privateKey };
}

/** A random positive 128-bit serial with no leading zero byte (RFC 5280 §4.1.2.2: unique, positive, ≤ 20 bytes;
 * random so that two CAs made in the same second never collide). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

function sanOf(names: CertName[]) {
  return names.map((n) => (n.kind === 'dns' ? { type: 2, value: n.value } : { type: 7, ip: n.value }));
}

/** A self-signed CA certificate: CA:TRUE pathlen 0, keyCertSign + cRLSign, optional name constraints. */
export function makeCaCert(key: KeyPair, opts: { now: Date; cn: string; constraints: NameConstraints | null }): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, opts.now, CA_DAYS);
  const subject = [{ name: 'organizationName', value: 'flowmill local CA' }, { name: 'commonName', value: opts.cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const exts: any[] = [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  // RFC 5280 says name constraints MUST be critical; OpenSSL and Node (OpenSSL) process them.
  if (opts.constraints) exts.push({ id: '2.5.29.30', name: 'nameConstraints', critical: true, value: encodeNameConstraints(opts.constraints) });
  cert.setExtensions(exts);
  signCert(cert, key.pem);
  return cert;
}

/** A TLS server leaf: CN = the first name (the agent compares CN before SANs, docs/agent-protocol.md §2.3), every name in
 * the SANs (what other clients check), digitalSignature + keyEncipherment, EKU serverAuth, CA:FALSE. */
export function makeLeafCert(key: KeyPair, ca: { cert: forge.pki.Certificate; keyPem: string }, names: CertName[], now: Date): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, now, LEAF_DAYS);
  cert.setSubject([{ name: 'organizationName', value: 'flowmill local certificate' }, { name: 'commonName', value: names[0].value }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: sanOf(names) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCert(cert, ca.keyPem);
  return cert;
}

/** Does the private key belong to the certificate (same RSA modulus and exponent)? */
export function keyMatches(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): boolean {
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  return !!pub.n && pub.n.equals(key.n) && pub.e.equals(key.e);
}

/** The names in a certificate: CN and SANs (DNS as written, IPs as text). */
export function certNames(cert: forge.pki.Certificate): { cn: string | undefined; dns: string[]; ip: string[] } {
  const cn = cert.subject.getField('CN')?.value as string | undefined;
  const san = cert.getExtension('subjectAltName') as { altNames?: { type: number; value: string; ip?: string }[] } | null;
  const dns: string[] = [], ip: string[] = [];
  for (const a of san?.altNames ?? []) {
    if (a.type === 2) dns.push(a.value);
    if (a.type === 7 && a.ip) ip.push(a.ip);
  }
  return { cn, dns, ip };
}

/**
 * Signs with node:crypto (native RSA, ~1 ms) what forge's `cert.sign` would sign in pure JS (~50-250 ms): the same
 * sha256WithRSAEncryption over forge's DER TBSCertificate.
 */
function signCert(cert: forge.pki.Certificate, keyPem: string): void {
  const c = cert as forge.pki.Certificate & { signatureOid: string; siginfo: { algorithmOid: string }; tbsCertificate: forge.asn1.Asn1; md: forge.md.MessageDigest };
  c.md = forge.md.sha256.create();
  c.signatureOid = c.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption;
  c.tbsCertificate = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = sign('sha256', tbs, keyPem).toString('binary');
}

export const certToPem = (c: forge.pki.Certificate) => pki.certificateToPem(c);
