import type { AuthzToken } from './authz-client.js';
import type { Era } from './encoding.js';
import type { FaultLog } from './fault-log.js';
import type { HostView } from './host.js';
import type { SessionIO } from './session-io.js';

export interface AgentVersion { major: number; minor: number; build: number }

export function defaultVersion(era: Era): AgentVersion {
  return era === 'flowmill' ? { major: 0, minor: 9, build: 4999 } : { major: 0, minor: 11, build: 0 };
}

/**
 * KernelHeadersSource (common/kernel_headers_source.h): the Flowmill binary is told the source by its docker
 * entrypoint only (--kernel-headers-source, main.cc@3598385a:308-310, default `unknown` = 0), so a binary run
 * reports 0; OpenTelemetry always reports `libbpf` = 5 (entrypoint.cc:501, kernel_headers_source.h:18 in main).
 */
const HEADERS_SOURCE: Record<Era, number> = { flowmill: 0, otel: 5 };

export interface MetadataOptions {
  era: Era;
  version: AgentVersion;
  token?: AuthzToken;
  /** A token to send instead of the issued one (the wrongToken fault). */
  wrongToken?: string;
  session: number;
  host: HostView;
  labels: Record<string, string>;
  faultLog: FaultLog;
  log: (msg: string) => void;
  /** Seconds since the epoch now, for the token's time left. */
  nowS: number;
}

/**
 * A session's opening (send_connection_metadata, kernel_collector.cc@3598385a:324-527; main:318-472): version_info
 * raw and alone, authz_authenticate (OTel: connect) alone, then os_info, cores, headers source, the labels sorted
 * by key (a std::map) and __kernel_version in one flush; no cloud: cloud_platform(0), set_node_info,
 * metadata_complete(0), and in the Flowmill era on IPv4 dns_response_fake, in one more.
 */
export function sendMetadata(io: SessionIO, o: MetadataOptions, ipv4: boolean): void {
  const v = o.version;
  io.raw('version_info', o.era === 'flowmill' ? { major: v.major, minor: v.minor, build: v.build } : { major: v.major, minor: v.minor, patch: v.build });
  if (o.era === 'flowmill') {
    const t = o.token!;
    let token = t.token;
    if (o.wrongToken !== undefined) {
      token = o.wrongToken;
      o.faultLog.add('wrongToken', 'authz_authenticate', o.session + 1, 'intake', 0n);
    }
    o.log(`sending authz token with ${t.expirationS - o.nowS}s left until expiration (iat=${t.issuedAtS}s exp=${t.expirationS}s)`);
    io.w('authz_authenticate', { token, collector_type: 1 /* ClientType kernel */, hostname: o.host.hostname });
  } else {
    io.w('connect', { collector_type: 1, hostname: o.host.hostname });
  }
  io.flush();
  // os Linux = 1, flavor = the --host-distro default `unknown` (0), os_version "unknown" outside GCP
  // (main.cc@3598385a:658-660; entrypoint.cc:498-500 in main)
  io.w('os_info', { os: 1, flavor: 0, os_version: 'unknown', kernel_version: o.host.kernelRelease });
  io.w('report_cpu_cores', { cpu_core_count: o.host.cpuCount });
  io.w('kernel_headers_source', { source: HEADERS_SOURCE[o.era] });
  for (const k of Object.keys(o.labels).sort()) io.w('set_config_label', { key: k, value: o.labels[k] });
  io.w('set_config_label', { key: '__kernel_version', value: o.host.kernelRelease });
  io.flush();
  io.w('cloud_platform', { cloud_platform: 0 });
  io.w('set_node_info', { az: '', role: '', instance_id: o.host.hostname, instance_type: '' });
  io.w('metadata_complete', { time: 0n });
  if (o.era === 'flowmill' && ipv4) {
    // the agent's ips blob holds 4 bytes of a pointer, not the address (docs/wire-format.md (c)); any 4 bytes do
    io.w('dns_response_fake', { total_dn_len: 8, ips: new Uint8Array([0x10, 0x20, 0x30, 0x40]), domain_name: 'flowmill' });
  }
  io.flush();
}
