import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { BadKeyError, reason } from './errors.js';

export interface KeyMaterial {
  cert: Uint8Array | string;
  key: Uint8Array | string;
}

/** PEM text stays as it is; any other string is a path to read. */
function load(v: string | Uint8Array, what: string): { pem: string | Buffer; where: string } {
  if (typeof v !== 'string') return { pem: Buffer.from(v.buffer, v.byteOffset, v.byteLength), where: `(${what} bytes)` };
  if (v.includes('-----BEGIN ')) return { pem: v, where: `(${what} PEM text)` };
  let pem: Buffer;
  try {
    pem = readFileSync(v);
  } catch (err) {
    throw new BadKeyError(v, reason(err), err);
  }
  if (!pem.includes('-----BEGIN ')) throw new BadKeyError(v, `not a PEM ${what}`);
  return { pem, where: v };
}

/** Reads and checks a certificate and its key, so a bad pair fails before the sink listens, naming the files. */
export function loadKeyMaterial(tls: KeyMaterial): { cert: string | Buffer; key: string | Buffer } {
  const cert = load(tls.cert, 'certificate');
  const key = load(tls.key, 'private key');
  try {
    createSecureContext({ cert: cert.pem, key: key.pem });
  } catch (err) {
    throw new BadKeyError(`${cert.where} + ${key.where}`, reason(err), err);
  }
  return { cert: cert.pem, key: key.pem };
}
