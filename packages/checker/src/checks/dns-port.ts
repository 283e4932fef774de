import { Evidence, plural, recEvidence, type CheckDef, type Rec } from '../framework.js';
import { parseDns } from '../dns.js';
import { bytes, cstr, num, sig } from '../values.js';

/**
 * DNS is seen only on UDP port 53: the BPF side submits a dns_packet only when the datagram's source or destination
 * port is 53 (render_bpf.c@3598385a:2452-2456; main:2266), so a dns_packet (dump) or a dns_response / dns_timeout
 * (intake) on a socket whose own port and every peer port are known and none is 53 is something the kernel would
 * not have captured. A manifest lookup the agent is said to see must be served on port 53 too, and one it is said
 * not to see (served on another port) must leave no DNS record of its name in either stream.
 * Ports: udp_new_socket.lport is host order in both streams (inet_num, render_bpf.c@3598385a:1402-1404); the dump's
 * udp_stats ports are network order (userspace converts them, buffered_poller.cc@3598385a:1004-1024), the intake's
 * udp_stats_addr_changed_* rport host order.
 */
const DNS_PORT = 53;
const ntohs = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

interface SockPorts { lport: number; peers: number; port53: boolean }
/** The DNS records of one socket lifetime: a few kept for evidence, all counted. */
interface DnsSeen { recs: Rec[]; n: number; stream: 'bpf' | 'intake' }

class PortBook {
  private readonly socks = new Map<string, SockPorts>();
  private readonly pending = new Map<string, DnsSeen>();
  constructor(private readonly stream: 'bpf' | 'intake', private readonly judge: (s: SockPorts | undefined, seen: DnsSeen) => void) {}
  open(key: string, lport: number): void {
    this.settle(key);
    this.socks.set(key, { lport, peers: 0, port53: lport === DNS_PORT });
  }
  peer(key: string, port: number, local?: number): void {
    const s = this.socks.get(key);
    if (!s) return;
    s.peers++;
    if (port === DNS_PORT || local === DNS_PORT) s.port53 = true;
  }
  dns(key: string, r: Rec): void {
    const l = this.pending.get(key);
    if (!l) this.pending.set(key, { recs: [r], n: 1, stream: this.stream });
    else { l.n++; if (l.recs.length < 3) l.recs.push(r); }
  }
  /** The socket ends (or the session, or the run): judge what DNS it carried with what is known of its ports. */
  settle(key: string): void {
    const seen = this.pending.get(key);
    if (seen) this.judge(this.socks.get(key), seen);
    this.pending.delete(key);
    this.socks.delete(key);
  }
  settleAll(): void {
    for (const k of [...new Set([...this.pending.keys(), ...this.socks.keys()])]) this.settle(k);
  }
}

export const dnsPort: CheckDef = {
  id: 'dns-port',
  title: 'DNS is seen only on UDP port 53 (dump dns_packet, intake dns_response/dns_timeout, the manifest\'s visible lookups)',
  needs: [],
  disabled: (ctx) => (ctx.inputs.bpf || ctx.inputs.wire.length || ctx.inputs.record || ctx.inputs.manifest ? undefined : 'needs the BPF dump, an intake recording or the manifest'),
  create(ctx) {
    const ev = new Evidence(ctx.tol.report.maxEvidence);
    const fig = { dnsOnPort53: 0, dnsOffPort53: 0, dnsPortsUnknown: 0, manifestLookups: 0, manifestOffPort53: 0, invisibleLookups: 0, invisibleSeen: 0 };
    // Lookups the manifest says the agent cannot see (served off port 53): their names, as the agent would send them.
    const invisible = new Set((ctx.manifest?.dns ?? []).filter((q) => !q.visibleToAgent).map((q) => q.name.toLowerCase().slice(-80)));
    fig.invisibleLookups = invisible.size;
    const seenInvisible = (stream: 'bpf' | 'intake', r: Rec, name: string) => {
      if (!invisible.has(name.toLowerCase().slice(-80))) return;
      fig.invisibleSeen++;
      ev.add(recEvidence(stream, r, `${r.name} for ${name}, a lookup the manifest says was served off port ${DNS_PORT}: the kernel side would not capture it`));
    };
    const judge = (s: SockPorts | undefined, seen: DnsSeen) => {
      if (!s || (!s.port53 && s.peers === 0)) { fig.dnsPortsUnknown += seen.n; return; }
      if (s.port53) { fig.dnsOnPort53 += seen.n; return; }
      fig.dnsOffPort53 += seen.n;
      for (const r of seen.recs) ev.add({ ...recEvidence(seen.stream, r, `${r.name} on a socket with local port ${s.lport} and no peer on port ${DNS_PORT}: the kernel side captures DNS only on port ${DNS_PORT}`), lport: s.lport, onThisSocket: seen.n });
    };
    const bpf = new PortBook('bpf', judge), intake = new PortBook('intake', judge);
    let seg = -1;
    return {
      bpf(r) {
        const sk = sig(r.data.sk);
        if (r.name === 'udp_new_socket') bpf.open(sk, num(r.data.lport));
        else if (r.name === 'udp_stats') bpf.peer(sk, ntohs(num(r.data.rport)), ntohs(num(r.data.lport)));
        else if (r.name === 'dns_packet') {
          bpf.dns(sk, r);
          if (invisible.size) { try { seenInvisible('bpf', r, parseDns(bytes(r.data.pkt)).name); } catch { /* not a DNS message: bpf-intake counts it */ } }
        }
        else if (r.name === 'udp_destroy_socket') bpf.settle(sk);
      },
      intake(r) {
        if (r.segment !== seg) { seg = r.segment; intake.settleAll(); } // a new session: a new sk_id pool
        const id = sig(r.data.sk_id);
        if (r.name === 'udp_new_socket') intake.open(id, num(r.data.lport));
        else if (r.name === 'udp_stats_addr_changed_v4' || r.name === 'udp_stats_addr_changed_v6') intake.peer(id, num(r.data.rport));
        else if (r.name === 'dns_response' || r.name === 'dns_timeout') {
          intake.dns(id, r);
          if (invisible.size) seenInvisible('intake', r, cstr(r.data.domain_name));
        }
        else if (r.name === 'udp_destroy_socket') intake.settle(id);
      },
      finish() {
        bpf.settleAll();
        intake.settleAll();
        for (const q of ctx.manifest?.dns ?? []) {
          if (!q.visibleToAgent) continue;
          fig.manifestLookups++;
          const port = q.server?.tuple?.local?.port;
          if (port !== undefined && port !== DNS_PORT) {
            fig.manifestOffPort53++;
            ev.add({ stream: 'manifest', note: `dns #${q.index} (${q.name}) is served on port ${port} yet marked visible to the agent, which captures DNS only on port ${DNS_PORT}`, index: q.index });
          }
        }
        const seen = fig.dnsOnPort53 + fig.dnsOffPort53 + fig.dnsPortsUnknown + fig.manifestLookups + fig.invisibleLookups;
        if (seen === 0) return { status: 'not-run', reason: 'no DNS in the dump, the intake or the manifest', figures: fig };
        if (ev.empty) return { status: 'pass', figures: fig };
        return { status: 'fail', reason: [fig.dnsOffPort53 && `${plural(fig.dnsOffPort53, 'DNS record')} off port ${DNS_PORT}`, fig.manifestOffPort53 && `${plural(fig.manifestOffPort53, 'manifest lookup')} served off port ${DNS_PORT} but marked visible`, fig.invisibleSeen && `${plural(fig.invisibleSeen, 'DNS record')} of lookups served off port ${DNS_PORT}`].filter(Boolean).join('; '), evidence: ev.items, figures: { ...fig, findings: ev.total } };
      },
    };
  },
};
