/** Field values as the agent's probes lay them out (kernel byte orders, fixed-size NUL-padded arrays). */

export function ipv4Raw(ip: string): number {
  const b = ip.split('.').map(Number);
  // the kernel's __be32 read as a little-endian u32 (network order bytes in memory)
  return ((b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0);
}
export function v4Mapped(ip: string): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = 0xff; a[11] = 0xff;
  ip.split('.').forEach((o, i) => { a[12 + i] = Number(o); });
  return a;
}
/** htons/ntohs on a little-endian host. */
export const swap16 = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
export function name256(s: string): Uint8Array {
  const a = new Uint8Array(256);
  a.set(new TextEncoder().encode(s).subarray(0, 255));
  return a;
}
export function comm16(s: string): Uint8Array {
  const a = new Uint8Array(16);
  a.set(new TextEncoder().encode(s).subarray(0, 15));
  return a;
}
