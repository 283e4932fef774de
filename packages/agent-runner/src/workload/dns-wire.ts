/** Minimal DNS message codec (RFC 1035 §4): A queries and answers, enough for the bundled responder and client. */

export interface DnsQuestion { id: number; name: string; qtype: number; qclass: number; flags: number }
/** `dataOffset`: where an answer's rdata starts in the packet (a CNAME's target may point back into it). */
export interface DnsResponse extends DnsQuestion { rcode: number; answers: { name: string; type: number; ttl: number; data: Uint8Array; dataOffset: number }[] }

function encodeName(name: string): Uint8Array {
  const parts = name.split('.').filter((s) => s.length > 0);
  const out: number[] = [];
  for (const p of parts) {
    const b = new TextEncoder().encode(p);
    if (b.length > 63) throw new Error(`DNS label longer than 63 bytes: ${p}`);
    out.push(b.length, ...b);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** A standard query (RD set) for one name. */
export function encodeQuery(id: number, name: string, qtype = 1): Uint8Array {
  const qn = encodeName(name);
  const b = new Uint8Array(12 + qn.length + 4);
  const v = new DataView(b.buffer);
  v.setUint16(0, id);
  v.setUint16(2, 0x0100); // RD
  v.setUint16(4, 1); // QDCOUNT
  b.set(qn, 12);
  v.setUint16(12 + qn.length, qtype);
  v.setUint16(14 + qn.length, 1); // IN
  return b;
}

export function readName(b: Uint8Array, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (off >= b.length) throw new Error('DNS name runs past the end');
    const len = b[off];
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= b.length || ++jumps > 16) throw new Error('bad DNS compression pointer');
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | b[off + 1];
      continue;
    }
    if (len === 0) { if (end < 0) end = off + 1; break; }
    if (off + 1 + len > b.length) throw new Error('DNS label runs past the end');
    labels.push(new TextDecoder().decode(b.subarray(off + 1, off + 1 + len)));
    off += 1 + len;
  }
  return { name: labels.join('.'), end };
}

export function parseQuestion(b: Uint8Array): DnsQuestion {
  if (b.length < 12) throw new Error('DNS message shorter than its 12-byte header');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint16(4) < 1) throw new Error('DNS message without a question');
  const { name, end } = readName(b, 12);
  if (end + 4 > b.length) throw new Error('DNS question truncated');
  return { id: v.getUint16(0), flags: v.getUint16(2), name, qtype: v.getUint16(end), qclass: v.getUint16(end + 2) };
}

export function parseResponse(b: Uint8Array): DnsResponse {
  const q = parseQuestion(b);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const an = v.getUint16(6);
  let off = readName(b, 12).end + 4;
  const answers: DnsResponse['answers'] = [];
  for (let i = 0; i < an; i++) {
    const { name, end } = readName(b, off);
    if (end + 10 > b.length) throw new Error('DNS answer truncated');
    const type = v.getUint16(end), ttl = v.getUint32(end + 4), rdlen = v.getUint16(end + 8);
    if (end + 10 + rdlen > b.length) throw new Error('DNS answer data truncated');
    answers.push({ name, type, ttl, data: b.slice(end + 10, end + 10 + rdlen), dataOffset: end + 10 });
    off = end + 10 + rdlen;
  }
  return { ...q, rcode: q.flags & 0xf, answers };
}

/** A response echoing the question, with A answers (compressed name pointer to the question at offset 12). */
export function encodeResponse(query: Uint8Array, rcode: number, addresses: string[], ttl: number): Uint8Array {
  const q = parseQuestion(query);
  const qEnd = readName(query, 12).end + 4;
  const b = new Uint8Array(qEnd + addresses.length * 16);
  b.set(query.subarray(0, qEnd));
  const v = new DataView(b.buffer);
  // QR=1, opcode 0, AA=1, RD copied, RA=1, rcode
  v.setUint16(2, 0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf));
  v.setUint16(4, 1);
  v.setUint16(6, addresses.length);
  v.setUint16(8, 0);
  v.setUint16(10, 0);
  let off = qEnd;
  for (const a of addresses) {
    v.setUint16(off, 0xc00c); // pointer to the question name at 12
    v.setUint16(off + 2, 1); // A
    v.setUint16(off + 4, 1); // IN
    v.setUint32(off + 6, ttl);
    v.setUint16(off + 10, 4);
    a.split('.').forEach((o, i) => { b[off + 12 + i] = Number(o); });
    off += 16;
  }
  return b;
}
