import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BadKeyError } from './errors.js';

/** The recipe's server identity: keys/localhost/{cert,key}.pem (keys/README.md), the name the agent checks. */
export async function defaultKeys(dir: string, log: (s: string) => void): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'localhost', 'cert.pem');
  const key = join(dir, 'localhost', 'key.pem');
  if (!existsSync(cert) || !existsSync(key)) throw new BadKeyError(join(dir, 'localhost'), 'no certificate and key (run `npx certs`)');
  void log;
  return { cert, key };
}
