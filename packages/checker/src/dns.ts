/**
 * A small DNS message reader for the DNS matcher simulation (checker-facts.md §3.3): the header, the first question
 * and the answers' A/AAAA data. Names are dotted, without the trailing dot, compression pointers followed.
 */
export interface DnsMessage { id: number; response: boolean; name: string; qtype: number; a: Uint8Array[]; aaaa: Uint8Array[] }

function readName(b: Uint8Array, at: number): { name: string; end: number } {
  const labels: string[] = [];
  let p = at, end = -1, hops = 0;
  for (;;) {
    if (p >= b.length) throw new Error('name runs past the packet');
    const len = b[p];
    if (len === 0) { if (end < 0) end = p + 1; break; }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= b.length || ++hops > 16) throw new Error('bad compression pointer');
      if (end < 0) end = p + 2;
      p = ((len & 0x3f) << 8) | b[p + 1];
      continue;
    }
    if (p + 1 + len > b.length) throw new Error('label runs past the packet');
    labels.push(String.fromCharCode(...b.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  return { name: labels.join('.'), end };
}

/** Parses a DNS message (a dns_packet's bytes, possibly truncated to 512 B): throws when even the question is cut. */
export function parseDns(b: Uint8Array): DnsMessage {
  if (b.length < 12) throw new Error('shorter than the DNS header');
  const u16 = (i: number) => (b[i] << 8) | b[i + 1];
  const qd = u16(4), an = u16(6);
  if (qd < 1) throw new Error('no question');
  const q = readName(b, 12);
  if (q.end + 4 > b.length) throw new Error('question cut off');
  const msg: DnsMessage = { id: u16(0), response: (b[2] & 0x80) !== 0, name: q.name, qtype: u16(q.end), a: [], aaaa: [] };
  let off = q.end + 4;
  try {
    for (let i = 1; i < qd; i++) off = readName(b, off).end + 4;
    for (let i = 0; i < an; i++) {
      const n = readName(b, off);
      if (n.end + 10 > b.length) break;
      const type = u16(n.end), rdlen = u16(n.end + 8), data = n.end + 10;
      if (data + rdlen > b.length) break;
      if (type === 1 && rdlen === 4) msg.a.push(b.slice(data, data + 4));
      if (type === 28 && rdlen === 16) msg.aaaa.push(b.slice(data, data + 16));
      off = data + rdlen;
    }
  } catch { /* answers cut off by the 512-byte capture: keep what was read */ }
  return msg;
}
