import { isIP } from 'node:net';
import { BadNameError } from './errors.js';

/** A name a leaf certificate is issued for: a DNS name (case kept: the agent compares names case-sensitively,
 * docs/agent-protocol.md §2.3) or an IP address (as its 4 or 16 bytes). */
export type CertName = { kind: 'dns'; value: string } | { kind: 'ip'; value: string; bytes: Uint8Array };

// RFC 1035/1123 host names: labels of letters, digits and hyphens, 1-63 bytes, 253 in all. An optional leading
// `*.` wildcard, which the agent's matcher understands (one label, docs/agent-protocol.md §2.3).
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Parses one name given on the command line or to ensureCerts; throws BadNameError. */
export function parseName(s: string): CertName {
  if (isIP(s)) {
    const bytes = ipBytes(s);
    return { kind: 'ip', value: ipString(bytes), bytes };
  }
  const labels = s.split('.');
  const host = labels[0] === '*' ? labels.slice(1) : labels;
  if (s.length === 0 || s.length > 253 || host.length === 0 || !host.every((l) => LABEL.test(l))) {
    throw new BadNameError(s, 'not a DNS name (letters, digits, hyphens, dots; optional leading *.) or an IP address');
  }
  if (/^[0-9.]+$/.test(s)) throw new BadNameError(s, 'looks like an IPv4 address but is not one');
  return { kind: 'dns', value: s };
}

/** The directory a leaf lives in, named for its first name (minica's layout; `*` becomes `_`, `:` of IPv6 `-`). */
export function leafDirName(first: CertName): string {
  return first.value.replace(/\*/g, '_').replace(/:/g, '-');
}

/** IPv4 or IPv6 text to bytes (IPv6 with `::` and an embedded IPv4 tail). */
export function ipBytes(s: string): Uint8Array {
  if (isIP(s) === 4) return Uint8Array.from(s.split('.').map(Number));
  if (isIP(s) !== 6) throw new BadNameError(s, 'not an IP address');
  let text = s.split('%')[0];
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    tail.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
    text = text.slice(0, -v4[1].length) + '0';
    text = text.replace(/:0$/, tail.length ? '' : ':0');
  }
  const [head, rest] = text.split('::');
  const parse = (p: string | undefined) => (p ? p.split(':').filter((x) => x !== '').map((h) => parseInt(h, 16)) : []);
  const a = parse(head);
  const b = [...parse(rest), ...tail];
  const groups = rest === undefined ? [...a, ...tail] : [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/** IP bytes to canonical text (IPv4 dotted; IPv6 lower-case with the longest zero run as `::`). */
export function ipString(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
