/**
 * What the agent's BPF source says a real dump must hold for the workload that ran beside it, checked on the decoded
 * dump, the workload's manifest and the recorder's attach report. Each expectation cites the line that makes it.
 */
import type { DecodedRecord } from '@flowmill/raw-codec';
import type { WorkloadManifest } from '../manifest.js';
import type { AttachReport } from './attach-report.js';

export interface RealBpfCheck {
  id: string;
  ok: boolean;
  /** What was expected and what was found. */
  detail: string;
}

type Rec = Pick<DecodedRecord, 'name' | 'timestamp' | 'data'>;

const byName = (recs: readonly Rec[], name: string) => recs.filter((r) => r.name === name);
/** A `u8 comm[16]` field as text: the bytes before the first NUL. */
function comm(v: unknown): string {
  if (!Array.isArray(v)) return String(v);
  const bytes = v as number[];
  const end = bytes.indexOf(0);
  return String.fromCharCode(...(end < 0 ? bytes : bytes.slice(0, end)));
}

/** A TCP connection shows from both ends (render_bpf.c@68f0c23f:733-751 tcp_connect tx_rx=1; :1108-1118 accept tx_rx=2). */
function tcpSeen(states: Rec[], serverPort: number, clientPort: number): { client: boolean; server: boolean } {
  const d = (r: Rec) => r.data as { dport: number; sport: number; tx_rx: number };
  return {
    client: states.some((r) => d(r).tx_rx === 1 && d(r).dport === serverPort && d(r).sport === clientPort),
    server: states.some((r) => d(r).tx_rx === 2 && d(r).sport === serverPort && d(r).dport === clientPort),
  };
}

/**
 * `view`: the guest kernel's own tcp_connect count per destination port (the VM runner's tracefs kprobe,
 * vm/kernel-view.ts), an observation independent of the agent's programs.
 */
export function checkRealBpf(records: readonly Rec[], manifest: WorkloadManifest, report: AttachReport, view?: { byPort: Record<string, number> }): RealBpfCheck[] {
  const out: RealBpfCheck[] = [];
  const add = (id: string, ok: boolean, detail: string) => out.push({ id, ok, detail });

  add('probes-loaded', report.status === 'recorded' && report.probes_attached > 0, `${report.probes_attached} attached, ${report.probes_failed} failed on ${report.kernel} (${report.status})`);
  add('no-lost-samples', report.lost_samples === 0 && report.malformed_samples === 0, `${report.lost_samples} lost, ${report.malformed_samples} malformed`);
  // the collector's reader merges its per-CPU rings by timestamp (perf_reader.cc@68f0c23f:150-171)
  let back = 0;
  for (let i = 1; i < records.length; i++) if (records[i].timestamp < records[i - 1].timestamp) back++;
  add('timestamp-order', back === 0, back ? `${back} record(s) earlier than the one before` : `${records.length} records in timestamp order (${report.arrived_out_of_order} put back in order by the merge)`);

  const states = byName(records, 'set_state_ipv4');
  const conns = [
    ...manifest.tcp.map((t) => ({ what: `tcp[${t.index}]`, server: t.client.tuple.remote.port, client: t.client.tuple.local.port })),
    ...manifest.http.map((h) => ({ what: `http[${h.index}]`, server: h.client.tuple.remote.port, client: h.client.tuple.local.port })),
  ];
  const missing = conns.flatMap((c) => {
    const s = tcpSeen(states, c.server, c.client);
    return [...(s.client ? [] : [`${c.what} client :${c.client}->:${c.server}`]), ...(s.server ? [] : [`${c.what} accepted :${c.server}<-:${c.client}`])];
  });
  add('tcp-connections', missing.length === 0, missing.length ? `no set_state_ipv4 for ${missing.join(', ')}` : `${conns.length} connections, both ends, with their ports`);

  // on_tcp_connect sends one set_state tx_rx=1 per tcp_connect of a socket tcp_init_sock saw (render_bpf.c@68f0c23f:866-897)
  if (view) {
    const off = Object.entries(view.byPort).flatMap(([port, n]) => {
      const got = [...states, ...byName(records, 'set_state_ipv6')].filter((r) => (r.data as { tx_rx: number; dport: number }).tx_rx === 1 && (r.data as { dport: number }).dport === Number(port)).length;
      return got === n ? [] : [`:${port} kernel ${n}, dump ${got}`];
    });
    add('kernel-view', off.length === 0, off.length ? `tcp_connect per port differs: ${off.join(', ')}` : `set_state tx_rx=1 per port = the kernel's own tcp_connect count (${Object.keys(view.byPort).length} port(s))`);
  }

  // DNS is reported only for UDP to or from port 53 (render_bpf.c@68f0c23f:2266); each lookup is sent and received by
  // the client and by the responder, so 4 packets (the manifest's DnsItem).
  const dns = byName(records, 'dns_packet').length;
  const visible = manifest.dns.filter((d) => d.visibleToAgent).length;
  if (visible) add('dns-packets', dns >= 4 * visible, `${dns} dns_packet for ${visible} lookup(s) on port 53 (expect ≥ ${4 * visible})`);

  // HTTP: the tcp-processor reports each response once on the client's socket and once on the server's, with its
  // status (bpf_http_protocol.h@68f0c23f:188, bpf_tcp_events.h:57-67); the collector attaches it by default
  if (report.probes.some((p) => p.phase === 'tcp-processor' && p.attached)) {
    const want = manifest.http.map((h) => h.status).sort((x, y) => x - y).join(',');
    const side = (cs: number) => byName(records, 'http_response').filter((r) => (r.data as { client_server: number }).client_server === cs).map((r) => (r.data as { code: number }).code).sort((x, y) => x - y).join(',');
    const client = side(0);
    const server = side(1);
    add('http-responses', client === want && server === want, `statuses ${want || '(none)'}: client side ${client || '(none)'}, server side ${server || '(none)'}`);
  }

  // children: wake_up_new_task -> pid_info (render_bpf.c@68f0c23f:460-487), exec -> pid_set_comm (:430-453),
  // exit -> pid_close (:405-425)
  const pidOf = (r: Rec) => (r.data as { pid: number }).pid;
  const info = new Set(byName(records, 'pid_info').map(pidOf));
  const closed = new Set(byName(records, 'pid_close').map(pidOf));
  const setComm = byName(records, 'pid_set_comm');
  const badProc = manifest.processes.filter((p) => !info.has(p.pid) || !closed.has(p.pid) || !setComm.some((r) => pidOf(r) === p.pid && comm((r.data as { comm: unknown }).comm) === p.comm.slice(0, 15)));
  add('process-events', badProc.length === 0, badProc.length ? `missing pid_info/pid_set_comm/pid_close for ${badProc.map((p) => `${p.pid} (${p.comm})`).join(', ')}` : `${manifest.processes.length} children: pid_info, pid_set_comm and pid_close each`);

  // every process that existed at start: the get_pid_task walk yields one pid_info per tgid (render_bpf.c@68f0c23f:494-525)
  const existing = report.walks.existing_tgids ?? [];
  const noInfo = existing.filter((p) => !info.has(p) && !closed.has(p));
  add('existing-pid-info', existing.length > 0 && noInfo.length === 0, noInfo.length ? `no pid_info for existing tgid(s) ${noInfo.slice(0, 20).join(', ')}` : `${existing.length} existing processes, each with pid_info`);
  return out;
}
