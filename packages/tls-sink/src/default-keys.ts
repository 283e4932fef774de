import { ensureCerts } from '@flowmill/certs';

/**
 * The recipe's server identity, keys/localhost/{cert,key}.pem (keys/README.md): the name the agent checks (CN and
 * SAN = the intake name, RSA for its TLS 1.2 suite, docs/agent-protocol.md §2.3). Made with the local CA when missing,
 * reused when present. Used by the bin only; the library takes PEM text or paths.
 */
export async function defaultKeys(dir: string, log: (s: string) => void): Promise<{ cert: string; key: string }> {
  const r = await ensureCerts({ dir, names: ['localhost'] });
  if (r.created.length > 0) log(`created ${r.created.join(', ')} (clients trust ${r.caCert})`);
  return { cert: r.cert, key: r.key };
}
