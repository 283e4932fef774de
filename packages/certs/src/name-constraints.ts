import forge from 'node-forge';
import { ipBytes, ipString, type CertName } from './names.js';

/**
 * X.509 name constraints (RFC 5280 §4.2.1.10) on our CA, so that a leaked `ca-key.pem` can only mint certificates
 * for local names: a browser or agent that trusts the CA still refuses `example.com` signed by it.
 */
export interface NameConstraints {
  /** dNSName subtrees: `localhost` permits `localhost` and every `*.localhost` (RFC 5280: a subtree is the name
   * and its subdomains). */
  dns: string[];
  /** iPAddress subtrees as CIDR text, e.g. `127.0.0.0/8`. */
  ip: string[];
}

/** The local names a constrained CA permits unless the first run asks for others. */
export const LOCAL_CONSTRAINTS: NameConstraints = {
  dns: [
    'localhost', // RFC 6761 §6.3: always the loopback host; the agent's default intake name (docs/agent-protocol.md §4.3)
    'test', 'example', 'invalid', // RFC 2606/6761 reserved names, never delegated
    'local', // RFC 6762 multicast DNS
    'internal', // ICANN's private-use TLD (2024)
    'home.arpa', // RFC 8375 home networks
    'localdomain', // the usual /etc/hosts entry
    // Not '127.0.0.1': OpenSSL (v3_ncons.c) checks a dotted CN as a DNS name when the leaf has no DNS SAN, so a leaf
    // for the bare IP (CN=127.0.0.1, the agent compares CN first, §2.3) needs a DNS subtree of that text, but
    // rustls/webpki (Deno's TLS) rejects a CA carrying an IP-shaped dNSName subtree outright. constraintsFor adds it
    // only to a CA whose first run asks for an IP name.
  ],
  ip: [
    '127.0.0.0/8', '::1/128', // loopback
    '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // RFC 1918 (docker bridges, VMs on a host-only network)
    'fc00::/7', // RFC 4193 unique local IPv6
  ],
};

function cidr(text: string): { addr: Uint8Array; mask: Uint8Array } {
  const [a, bits] = text.split('/');
  const addr = ipBytes(a);
  const n = bits === undefined ? addr.length * 8 : Number(bits);
  const mask = new Uint8Array(addr.length);
  for (let i = 0; i < addr.length; i++) mask[i] = n >= 8 * (i + 1) ? 0xff : n <= 8 * i ? 0 : (0xff << (8 - (n - 8 * i))) & 0xff;
  return { addr, mask };
}

const bin = (b: Uint8Array) => String.fromCharCode(...b);

/** The DER of a NameConstraints extension value with these permitted subtrees (forge builds none itself). */
export function encodeNameConstraints(nc: NameConstraints): string {
  const { asn1 } = forge;
  const subtree = (tag: number, value: string) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, value)]);
  const trees = [
    ...nc.dns.map((d) => subtree(2, d)), // [2] dNSName IA5String
    ...nc.ip.map((c) => { const { addr, mask } = cidr(c); return subtree(7, bin(addr) + bin(mask)); }), // [7] iPAddress
  ];
  const permitted = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, trees);
  return asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [permitted])).getBytes();
}

/** The permitted subtrees of a certificate's name constraints, or null when it has none. */
export function readNameConstraints(cert: forge.pki.Certificate): NameConstraints | null {
  const ext = cert.getExtension('nameConstraints') as { permittedSubtrees?: { type: number; value: string }[] } | null;
  if (!ext) return null;
  const nc: NameConstraints = { dns: [], ip: [] };
  for (const t of ext.permittedSubtrees ?? []) {
    if (t.type === 2) nc.dns.push(t.value);
    if (t.type === 7) {
      const b = Uint8Array.from(t.value, (c) => c.charCodeAt(0));
      const half = b.length / 2;
      const mask = b.subarray(half);
      let bits = 0;
      for (const x of mask) bits += x.toString(2).replace(/0/g, '').length;
      const addr = b.subarray(0, half);
      nc.ip.push(`${ipString(addr)}/${bits}`);
    }
  }
  return nc;
}

function dnsPermitted(name: string, subtree: string): boolean {
  const n = name.toLowerCase(), s = subtree.toLowerCase();
  if (s === '') return true;
  if (s.startsWith('.')) return n.endsWith(s);
  return n === s || n.endsWith(`.${s}`);
}

function ipPermitted(b: Uint8Array, subtree: string): boolean {
  const { addr, mask } = cidr(subtree);
  if (addr.length !== b.length) return false;
  return b.every((x, i) => (x & mask[i]) === (addr[i] & mask[i]));
}

/** Does a dotted CN count as a DNS name for OpenSSL's name-constraint check (v3_ncons.c cn2dnsid)? */
function cnLooksLikeHost(cn: string): boolean {
  return /^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*$/.test(cn) && cn.includes('.');
}

/**
 * The names of a leaf (SANs, and the CN where OpenSSL would check it) that these constraints do not permit.
 * Mirrors what OpenSSL 1.1.1/3.x do: a name needs a matching subtree when the CA has subtrees of its type.
 */
export function unpermittedNames(nc: NameConstraints, names: CertName[], cn: string): string[] {
  const bad: string[] = [];
  const check = (n: CertName) => {
    if (n.kind === 'dns') {
      if (nc.dns.length && !nc.dns.some((s) => dnsPermitted(n.value.replace(/^\*\./, 'x.'), s))) bad.push(n.value);
    } else if (nc.ip.length && !nc.ip.some((s) => ipPermitted(n.bytes, s))) bad.push(n.value);
  };
  names.forEach(check);
  if (!names.some((n) => n.kind === 'dns') && cnLooksLikeHost(cn) && nc.dns.length && !nc.dns.some((s) => dnsPermitted(cn, s))) {
    bad.push(`CN=${cn}`);
  }
  return [...new Set(bad)];
}

/** The constraints for a new CA: the local set, plus exactly the requested names it does not cover yet (the user
 * asked for them, so the CA must be able to sign them; they are printed so nobody is surprised). */
export function constraintsFor(names: CertName[], cn: string): { nc: NameConstraints; added: string[] } {
  const nc: NameConstraints = { dns: [...LOCAL_CONSTRAINTS.dns], ip: [...LOCAL_CONSTRAINTS.ip] };
  const added: string[] = [];
  for (const n of names) {
    if (unpermittedNames(nc, [n], '').length === 0) continue;
    if (n.kind === 'dns') nc.dns.push(n.value.replace(/^\*\./, '').toLowerCase());
    else nc.ip.push(`${n.value}/${n.bytes.length * 8}`);
    added.push(n.value);
  }
  if (unpermittedNames(nc, names, cn).length) { nc.dns.push(cn); added.push(`CN=${cn}`); }
  return { nc, added };
}
