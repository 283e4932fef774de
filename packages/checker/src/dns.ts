/**
 * A small DNS message reader for the DNS matcher simulation, reading a packet the way the agent's parsers do
 * (collector/kernel/dns/ares_parse_query.c@3598385a:79, 91, 128; ares_parse_a_aaaa_reply.c@3598385a:71, 92-170):
 * - a query counts only with exactly one question, no answer and no authority record, class IN;
 * - a response counts only with exactly one question, class IN;
 * - its addresses are the A/AAAA records (class IN) whose owner is the question name or, after a CNAME record, the
 *   CNAME's target (case-insensitive): not every A/AAAA in the packet; a parse error keeps what was read before it.
 * Names are dotted, without the trailing dot, compression pointers followed.
 */
export interface DnsMessage {
  id: number;
  response: boolean;
  name: string;
  qtype: number;
  /** The agent would use this packet (as a query, or as a response to match). */
  usable: boolean;
  /** The addresses the agent takes from a response (question/CNAME chain only). */
  a: Uint8Array[];
  aaaa: Uint8Array[];
  /** Every A/AAAA record in the packet, chain or not (for figures). */
  allAddresses: number;
}

const T_A = 1, T_CNAME = 5, T_AAAA = 28, C_IN = 1;

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
  const qd = u16(4), an = u16(6), ns = u16(8);
  if (qd < 1) throw new Error('no question');
  const q = readName(b, 12);
  if (q.end + 4 > b.length) throw new Error('question cut off');
  const response = (b[2] & 0x80) !== 0;
  const qclass = u16(q.end + 2);
  const usable = qd === 1 && qclass === C_IN && (response || (an === 0 && ns === 0));
  const msg: DnsMessage = { id: u16(0), response, name: q.name, qtype: u16(q.end), usable, a: [], aaaa: [], allAddresses: 0 };
  if (!response || qd !== 1) return msg;
  let off = q.end + 4;
  let chain = q.name.toLowerCase();
  try {
    for (let i = 0; i < an; i++) {
      const n = readName(b, off);
      if (n.end + 10 > b.length) break;
      const type = u16(n.end), cls = u16(n.end + 2), rdlen = u16(n.end + 8), data = n.end + 10;
      if (data + rdlen > b.length) break;
      const owner = n.name.toLowerCase() === chain;
      if (type === T_A && rdlen === 4) { msg.allAddresses++; if (cls === C_IN && owner) msg.a.push(b.slice(data, data + 4)); }
      if (type === T_AAAA && rdlen === 16) { msg.allAddresses++; if (cls === C_IN && owner) msg.aaaa.push(b.slice(data, data + 16)); }
      if (type === T_CNAME && cls === C_IN) chain = readName(b, data).name.toLowerCase();
      off = data + rdlen;
    }
  } catch { /* answers cut off by the 512-byte capture: keep what was read */ }
  return msg;
}
