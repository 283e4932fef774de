// `decode --pretty`: readable renderings of fields whose exact value is awkward in jq (text in `u8 x[N]` arrays,
// addresses as integers or byte arrays), added as one `"pretty"` object after `"segment"`. The line before it is
// byte-for-byte what `decode` prints without the flag, and `encode` ignores the extra key (it reads name,
// timestamp, data, segment), so pretty output still round-trips.
import type { AppSchema, FieldSchema } from './schema/types.js';

type Render = (v: unknown) => string | undefined;

// Text: fixed u8 arrays named like the kernel's task comm, cgroup/interface names, cloud labels.
const TEXT = /^(comm|name|if_name|az|role|vpc_id|tenant|ip_owner_id|id|key|val)$/;
// Addresses: IPv4 in a u32 in network byte order, i.e. the bytes a.b.c.d in memory (the agent prints set_state_ipv4's
// src/dest with IPv4Address::from, collector/kernel/buffered_poller.cc@3598385a:612-614, and passes addr.addr[3] of
// an in6_addr as udp raddr, :1172-1173); IPv6 in u8[16] / u128 (the in6_addr bytes; IPv4 as ::ffff:a.b.c.d, :1014).
const ADDR = /(^|_)(addr|ip|dest|src)$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const end = v.indexOf(0);
  const bytes = Uint8Array.from(end < 0 ? v : v.slice(0, end));
  for (let i = end < 0 ? v.length : end; i < v.length; i++) if (v[i] !== 0) return undefined; // not a C string
  try {
    const s = utf8.decode(bytes);
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f]/.test(s) ? undefined : s;
  } catch { return undefined; }
}

function ipv4(b: ArrayLike<number>): string { return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`; }

function ipv6(b: number[]): string {
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${ipv4(b.slice(12))}`;
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  // The longest run (≥2) of zero groups becomes "::" (RFC 5952).
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function renderOf(f: FieldSchema): Render | undefined {
  if (f.type === 'u8' && f.arrayLength !== null) {
    if (f.arrayLength === 16 && ADDR.test(f.name)) return (v) => (Array.isArray(v) && v.length === 16 ? ipv6(v) : undefined);
    if (TEXT.test(f.name) || /(^|_)(comm|name)$/.test(f.name)) return text;
    return undefined;
  }
  if (f.arrayLength !== null || !ADDR.test(f.name)) return undefined;
  if (f.type === 'u32') return (v) => (typeof v === 'number' ? ipv4([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24]) : undefined);
  if (f.type === 'u128') {
    return (v) => {
      if (typeof v !== 'string') return undefined;
      let n = BigInt(v); // the in6_addr's 16 bytes read as a little-endian u128
      const b: number[] = [];
      for (let i = 0; i < 16; i++, n >>= 8n) b.push(Number(n & 255n));
      return ipv6(b);
    };
  }
  return undefined;
}

/** Which fields of each message get a rendering (only messages that have one). */
export function prettyFields(app: AppSchema): Map<string, [string, Render][]> {
  const m = new Map<string, [string, Render][]>();
  for (const msg of app.messages) {
    const fs = msg.fields.flatMap((f): [string, Render][] => { const r = renderOf(f); return r ? [[f.name, r]] : []; });
    if (fs.length) m.set(msg.name, fs);
  }
  return m;
}

/** Adds `,"pretty":{…}` before the closing brace of each NDJSON line whose message has renderable fields. */
export function prettifier(app: AppSchema): (batch: Uint8Array) => Uint8Array {
  const fields = prettyFields(app);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return (batch) => {
    const lines = dec.decode(batch).split('\n');
    let changed = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      const nameEnd = l.indexOf('"', 9); // {"name":"…"
      const fs = l.startsWith('{"name":"') ? fields.get(l.slice(9, nameEnd)) : undefined;
      if (!fs) continue;
      const data = (JSON.parse(l) as { data: Record<string, unknown> }).data;
      const p: Record<string, string> = {};
      for (const [name, r] of fs) { const s = r(data[name]); if (s !== undefined) p[name] = s; }
      if (Object.keys(p).length) { lines[i] = `${l.slice(0, -1)},"pretty":${JSON.stringify(p)}}`; changed = true; }
    }
    return changed ? enc.encode(lines.join('\n')) : batch;
  };
}
