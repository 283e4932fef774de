import forge from 'node-forge';
import { BadCertError, BadKeyError } from './errors.js';
import { readText } from './files.js';

/** Reads and parses a PEM certificate; BadCertError names the file. */
export function loadCert(path: string): forge.pki.Certificate {
  let text: string;
  try {
    text = readText(path);
  } catch (err) {
    throw Object.assign(new BadCertError(path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }), { code: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ERR_MISSING_INPUT' : 'ERR_BAD_KEY' });
  }
  try {
    return forge.pki.certificateFromPem(text);
  } catch (err) {
    throw new BadCertError(path, `not a PEM certificate forge can read (${(err as Error).message})`, { cause: err });
  }
}

/** Reads and parses a PEM RSA private key (PKCS#8 or PKCS#1); BadKeyError names the file. */
export function loadKey(path: string, certPath?: string): forge.pki.rsa.PrivateKey {
  return loadKeyWithPem(path, certPath).key;
}

/** loadKey, also returning the PEM text (node:crypto signs with it). */
export function loadKeyWithPem(path: string, certPath?: string): { key: forge.pki.rsa.PrivateKey; pem: string } {
  let text: string;
  try {
    text = readText(path);
  } catch (err) {
    throw new BadKeyError(path, undefined, `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  try {
    const key = forge.pki.privateKeyFromPem(text) as forge.pki.rsa.PrivateKey | null;
    if (!key || !key.n) throw new Error('not an RSA key');
    return { key, pem: text };
  } catch (err) {
    throw new BadKeyError(path, certPath, `not a PEM RSA private key (${(err as Error).message})`, { cause: err });
  }
}
