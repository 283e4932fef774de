/**
 * How each BPF sample becomes intake (the userspace handlers registered in buffered_poller.cc@3598385a:89-141,
 * main:89-118): the intake message, the fields carried unchanged, the key that pairs them, and when the handler sends
 * nothing (table-conditioned TCP, the UDP sk → sk_id pool).
 */
export interface Mapping { intake: string; fields: string[]; key: string; conditional?: 'tracked' | 'insert' | 'udp' | 'udpDestroy' }

const CGROUP_CREATE: Mapping = { intake: 'cgroup_create', fields: ['cgroup', 'cgroup_parent', 'name'], key: 'cgroup' };

export const PASS: Record<string, Mapping> = {
  // unconditional 1:1, ts = the sample's (buffered_poller.cc@3598385a:1060-1109, 1254-1291)
  pid_info: { intake: 'pid_info_create', fields: ['pid', 'comm', 'cgroup', 'parent_pid'], key: 'pid' },
  pid_close: { intake: 'pid_close_info', fields: ['pid', 'comm'], key: 'pid' },
  pid_set_comm: { intake: 'pid_set_comm', fields: ['pid', 'comm'], key: 'pid' },
  css_populate_dir: CGROUP_CREATE,
  // the existing-cgroup scan: Flowmill reads cgroup.clone_children on the v1 memory hierarchy
  // (cgroup_prober.cc@3598385a:41-72); OpenTelemetry main scans v1 and v2 and sends existing_cgroup_probe
  // (cgroup_prober.cc@main:55-110, render_bpf.c@main:2538-2620), both become cgroup_create
  // (buffered_poller.cc@main:111, 1246-1252)
  cgroup_clone_children_read: CGROUP_CREATE,
  existing_cgroup_probe: CGROUP_CREATE,
  kill_css: { intake: 'cgroup_close', fields: ['cgroup'], key: 'cgroup' },
  cgroup_attach_task: { intake: 'pid_cgroup_move', fields: ['pid', 'cgroup'], key: 'pid' },
  reset_tcp_counters: { intake: 'new_sock_info', fields: ['pid', 'sk'], key: 'sk' },
  tcp_syn_timeout: { intake: 'syn_timeout', fields: ['sk'], key: 'sk' },
  tcp_reset: { intake: 'tcp_reset', fields: ['sk', 'is_rx'], key: 'sk' },
  http_response: { intake: 'http_response', fields: ['sk', 'pid', 'code', 'latency_ns', 'client_server'], key: 'sk' },
  // table-conditioned (buffered_poller.cc@3598385a:579-690)
  new_sock_created: { intake: 'new_sock_info', fields: ['pid', 'sk'], key: 'sk', conditional: 'insert' },
  set_state_ipv4: { intake: 'set_state_ipv4', fields: ['dest', 'src', 'dport', 'sport', 'sk', 'tx_rx'], key: 'sk', conditional: 'tracked' },
  set_state_ipv6: { intake: 'set_state_ipv6', fields: ['dest', 'src', 'dport', 'sport', 'sk', 'tx_rx'], key: 'sk', conditional: 'tracked' },
  close_sock_info: { intake: 'close_sock_info', fields: ['sk'], key: 'sk', conditional: 'tracked' },
  // sk becomes sk_id, from a pool that hands out 0,1,2,… and reuses freed ids LIFO, new per session
  // (util/pool_allocator.h@3598385a:59-98); sent at once only when lport != 0 (buffered_poller.cc@3598385a:1146-1156).
  // The destroy is sent only for a reported socket (:918-964).
  udp_new_socket: { intake: 'udp_new_socket', fields: ['pid', 'laddr', 'lport', 'sk_id'], key: 'pid', conditional: 'udp' },
  udp_destroy_socket: { intake: 'udp_destroy_socket', fields: ['sk_id'], key: 'sk_id', conditional: 'udpDestroy' },
};

/** Derived (not 1:1) messages the checker predicts from the dump: the DNS matcher (buffered_poller.cc@3598385a:317-577). */
export const DERIVED: Record<string, Mapping> = {
  dns_response: { intake: 'dns_response', fields: ['sk_id', 'total_dn_len', 'domain_name', 'ipv4_addrs', 'ipv6_addrs', 'latency_ns', 'client_server'], key: 'sk_id' },
  dns_timeout: { intake: 'dns_timeout', fields: ['sk_id', 'total_dn_len', 'domain_name', 'timeout_ns'], key: 'sk_id' },
};

/** Byte-string fields, compared as bytes (the decoder gives text or {hex}). */
export const BYTE_FIELDS = new Set(['domain_name', 'ipv4_addrs', 'ipv6_addrs']);

/** The agent's DNS request timeout: pending requests older than this time out at the next slow poll (buffered_poller.cc@3598385a:49, 564-577). */
export const DNS_TIMEOUT_NS = 10_000_000_000n;

/** Written with the writer's own clock at write time: a watermark for the latency figure. */
export const STAMPED = new Set(['heartbeat', 'agent_resource_usage', 'tracked_process_start', 'tracked_process_end', 'set_tgid', 'set_command', 'set_cgroup', 'bpf_lost_samples', 'nic_stats', 'log_message', 'bpf_log']);
/** The tracked-process block written just before its pid_info_create (buffered_poller.cc@3598385a:1068-1085). */
export const TRACKED_BLOCK = new Set(['tracked_process_start', 'set_tgid', 'set_command', 'set_cgroup']);
