/**
 * The guest kernel's own view of the run: the tcp_connect kprobe event's trace buffer (guest-init.ts arms it), read
 * back into connection counts per destination port and address. Written beside the manifest as kernel-view.json,
 * which the checker can hold the manifest's TCP and HTTP connections against.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { runLayout } from '../run-layout.js';

export const KERNEL_VIEW_FORMAT = 'flowmill-kernel-view';

export interface KernelView {
  format: typeof KERNEL_VIEW_FORMAT;
  version: 1;
  /** How the guest saw it: the tracefs kprobe event on tcp_connect. */
  source: 'tracefs-kprobe';
  probe: 'tcp_connect';
  /** `uname -r` of the guest. */
  kernel?: string;
  /** tcp_connect calls seen. */
  connections: number;
  /** Calls per destination port (host order, as decimal strings for JSON keys). */
  byPort: Record<string, number>;
  /** Calls per `address:port`. */
  byDestination: Record<string, number>;
  /** Calls per task name (the kernel's comm of the caller). */
  byComm: Record<string, number>;
  /** Entries the ring buffer dropped (then the counts are lower bounds). */
  lost: number;
}

/** A __be16 read as a little-endian u16 (what the kprobe's `:u16` printed), turned back into the port. */
const swap16 = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
/** A __be32 read little-endian: its bytes in memory order are the address's octets. */
const ipOf = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff].join('.');
const num = (s: string) => (s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s));

/** `node-206 [000] ..... 25.33: tcp_connect: (tcp_connect+0x0/0xe40) daddr=0x100007f dport=0x5b1f` → a view. */
export function parseKernelTrace(text: string, kernel?: string): KernelView {
  const v: KernelView = { format: KERNEL_VIEW_FORMAT, version: 1, source: 'tracefs-kprobe', probe: 'tcp_connect', kernel, connections: 0, byPort: {}, byDestination: {}, byComm: {}, lost: 0 };
  for (const line of text.split('\n')) {
    const head = /entries-in-buffer\/entries-written: (\d+)\/(\d+)/.exec(line);
    if (head) v.lost += Number(head[2]) - Number(head[1]);
    const m = /^\s*(.+?)-\d+\s+\[\d+\].*?tcp_connect: \(.*?\) daddr=(\S+) dport=(\S+)/.exec(line);
    if (!m) continue;
    const port = swap16(num(m[3]));
    const dest = `${ipOf(num(m[2]))}:${port}`;
    v.connections++;
    v.byPort[port] = (v.byPort[port] ?? 0) + 1;
    v.byDestination[dest] = (v.byDestination[dest] ?? 0) + 1;
    v.byComm[m[1]] = (v.byComm[m[1]] ?? 0) + 1;
  }
  return v;
}

/** Reads the run directory's trace (when the guest wrote one) and writes kernel-view.json; undefined without one. */
export function writeKernelView(runDir: string, kernel?: string): KernelView | undefined {
  const l = runLayout(runDir);
  if (!existsSync(l.path('kernelTrace'))) return undefined;
  const view = parseKernelTrace(readFileSync(l.path('kernelTrace'), 'utf8'), kernel);
  writeFileSync(l.path('kernelView'), `${JSON.stringify(view, null, 2)}\n`);
  return view;
}

/** One destination port the workload connected to: how often by its manifest, how often by the guest kernel. */
export interface KernelViewItem {
  port: number;
  what: string;
  manifest: number;
  kernel: number;
}

/**
 * The manifest's TCP connections and HTTP exchanges (each its own connection) per server port, held against the
 * guest kernel's own tcp_connect count for that port. Equal when the workload did what its manifest says; the
 * kernel's count includes every caller, so a port the workload alone used must match exactly.
 */
export function compareKernelView(
  m: { tcp?: { client: { tuple: { remote: { port: number } } } }[]; http?: { client: { tuple: { remote: { port: number } } } }[] },
  view: Pick<KernelView, 'byPort' | 'lost'>,
): { ok: boolean; items: KernelViewItem[] } {
  const want = new Map<number, { what: string; n: number }>();
  for (const [what, list] of [['tcp', m.tcp ?? []], ['http', m.http ?? []]] as const) {
    for (const t of list) {
      const p = t.client.tuple.remote.port;
      const e = want.get(p) ?? { what, n: 0 };
      e.n++;
      want.set(p, e);
    }
  }
  const items = [...want].map(([port, e]) => ({ port, what: e.what, manifest: e.n, kernel: view.byPort[port] ?? 0 }));
  // a buffer that dropped entries can only undercount
  return { ok: items.every((i) => (view.lost > 0 ? i.kernel <= i.manifest : i.kernel === i.manifest)), items };
}
