/*
 * The kernel collector's BPFHandler::load_probes (bpf_handler.cc@68f0c23f:79-239), step by step: each prober
 * attaches its programs, walks the state that existed before, and removes the probes used only for that walk.
 * A probe is attached with bpf_program__attach_kprobe as ProbeHandler::start_probe_common does
 * (probe_handler.cc@68f0c23f:302-337); ProbeAlternatives stop at the first that attaches (probe_handler.cc:366-398).
 * The tcp-processor probes (bpf_handler.cc:214-233) are attached unless --disable-http-metrics, as in the collector,
 * where HTTP metrics are on unless --disable-http-metrics (entrypoint.cc@68f0c23f:308-309, 401).
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "recorder.h"
#include "render_bpf.skel.h"

static struct probe_result *attach_one(struct recorder *r, const char *phase, const char *prog, const char *func, int ret, const char *alts)
{
  if (r->n_probes == MAX_PROBES)
    return NULL;
  struct probe_result *p = &r->probes[r->n_probes++];
  *p = (struct probe_result){.phase = phase, .program = prog, .function = func, .alternatives = alts, .kretprobe = ret};
  struct bpf_program *bp = bpf_object__find_program_by_name(r->skel->obj, prog);
  if (!bp) {
    p->err = ENOENT;
    return p;
  }
  p->link = bpf_program__attach_kprobe(bp, ret, func);
  if (!p->link)
    p->err = errno ? errno : EINVAL;
  else
    p->attached = 1;
  return p;
}

static int probe(struct recorder *r, const char *phase, const char *prog, const char *func)
{
  struct probe_result *p = attach_one(r, phase, prog, func, 0, NULL);
  return p && p->attached ? 0 : -1;
}

static int kretprobe(struct recorder *r, const char *phase, const char *prog, const char *func)
{
  struct probe_result *p = attach_one(r, phase, prog, func, 1, NULL);
  return p && p->attached ? 0 : -1;
}

/* alts: {program, function} pairs. Returns the function that attached, or NULL. */
static const char *alternatives(struct recorder *r, const char *phase, const char *desc, const char *const alts[][2], int n)
{
  for (int i = 0; i < n; i++) {
    struct probe_result *p = attach_one(r, phase, alts[i][0], alts[i][1], 0, desc);
    if (p && p->attached)
      return alts[i][1];
  }
  return NULL;
}

/* ProbeHandler::cleanup_probe / cleanup_kretprobe: detach what was attached to the function. */
static void remove_probe(struct recorder *r, const char *func, int ret)
{
  for (int i = 0; i < r->n_probes; i++) {
    struct probe_result *p = &r->probes[i];
    if (p->link && p->kretprobe == ret && !strcmp(p->function, func)) {
      bpf_link__destroy(p->link);
      p->link = NULL;
      p->removed = 1;
    }
  }
}

/* cgroup_prober.cc@68f0c23f:28-119 */
static void cgroup_prober(struct recorder *r)
{
  static const char *const kill_css[][2] = {
      {"on_kill_css", "kill_css"}, {"on_kill_css", "css_clear_dir"}, {"on_cgroup_destroy_locked", "cgroup_destroy_locked"}};
  static const char *const populate[][2] = {{"on_css_populate_dir", "css_populate_dir"}, {"on_cgroup_populate_dir", "cgroup_populate_dir"}};
  const char *ph = "cgroup";
  alternatives(r, ph, "kill_css", kill_css, 3);
  alternatives(r, ph, "css_populate_dir", populate, 2);
  probe(r, ph, "on_cgroup_clone_children_read", "cgroup_clone_children_read");
  recorder_poll(r, 0);
  const char *v1 = find_cgroup_v1_mountpoint();
  if (v1)
    trigger_existing_cgroup_probe(r, v1, "cgroup.clone_children");
  remove_probe(r, "cgroup_clone_children_read", 0);
  /* cgroup v2 (kernel >= 4.6: every kernel with BTF): cgroup_get_from_fd, else cgroup_control (:77-115) */
  int from_fd = kretprobe(r, ph, "onret_cgroup_get_from_fd", "cgroup_get_from_fd") == 0;
  if (!from_fd) {
    probe(r, ph, "on_cgroup_control", "cgroup_control");
    kretprobe(r, ph, "onret_cgroup_control", "cgroup_control");
  }
  const char *v2 = find_cgroup_v2_mountpoint();
  if (v2) {
    if (from_fd)
      trigger_cgroup_get_from_fd_probe(r, v2);
    else
      trigger_existing_cgroup_probe(r, v2, "cgroup.controllers");
  }
  if (from_fd) {
    remove_probe(r, "cgroup_get_from_fd", 1);
  } else {
    remove_probe(r, "cgroup_control", 1);
    remove_probe(r, "cgroup_control", 0);
  }
  recorder_poll(r, 0);
}

/* process_prober.cc@68f0c23f:15-47 */
static void process_prober(struct recorder *r)
{
  const char *ph = "process";
  probe(r, ph, "on_taskstats_exit", "taskstats_exit");
  probe(r, ph, "on_cgroup_exit", "cgroup_exit");
  kretprobe(r, ph, "onret_cgroup_exit", "cgroup_exit");
  probe(r, ph, "on_cgroup_attach_task", "cgroup_attach_task");
  probe(r, ph, "on_wake_up_new_task", "wake_up_new_task");
  probe(r, ph, "on_set_task_comm", "__set_task_comm");
  kretprobe(r, ph, "onret_get_pid_task", "get_pid_task");
  recorder_poll(r, 0);
  trigger_get_pid_task(r);
  remove_probe(r, "get_pid_task", 1);
  recorder_poll(r, 0);
}

/* nat_prober.cc@68f0c23f:20-67 */
static void nat_prober(struct recorder *r)
{
  static const char *const existing[][2] = {{"on_ctnetlink_dump_tuples", "nf_ct_port_tuple_to_nlattr"},
      {"on_ctnetlink_dump_tuples", "ctnetlink_dump_tuples"}, {"on_ctnetlink_dump_tuples", "ctnetlink_dump_tuples_ip"}};
  const char *ph = "nat";
  probe(r, ph, "on_nf_ct_delete", "nf_ct_delete");
  probe(r, ph, "on___nf_conntrack_confirm", "__nf_conntrack_confirm");
  kretprobe(r, ph, "onret___nf_conntrack_confirm", "__nf_conntrack_confirm");
  const char *f = alternatives(r, ph, "ctnetlink_existing_conntrack", existing, 3);
  recorder_poll(r, 0);
  r->walks.conntrack_err = query_conntrack(r);
  recorder_poll(r, 0);
  if (f)
    remove_probe(r, f, 0);
}

/* socket_prober.cc@68f0c23f:18-95 */
static void socket_prober(struct recorder *r)
{
  const char *ph = "socket";
  probe(r, ph, "on_security_sk_free", "security_sk_free");
  probe(r, ph, "on_inet_release", "inet_release");
  kretprobe(r, ph, "onret_inet_release", "inet_release");
  probe(r, ph, "on_tcp_connect", "tcp_connect");
  probe(r, ph, "on_inet_csk_listen_start", "inet_csk_listen_start");
  probe(r, ph, "on_tcp_init_sock", "tcp_init_sock");
  kretprobe(r, ph, "onret_inet_csk_accept", "inet_csk_accept");
  probe(r, ph, "on_inet_csk_accept", "inet_csk_accept");
  kretprobe(r, ph, "onret_udp_v4_get_port", "udp_v4_get_port");
  kretprobe(r, ph, "onret_udp_v6_get_port", "udp_v6_get_port");
  probe(r, ph, "on_udp_v4_get_port", "udp_v4_get_port");
  probe(r, ph, "on_udp_v6_get_port", "udp_v6_get_port");
  probe(r, ph, "on_tcp4_seq_show", "tcp4_seq_show");
  probe(r, ph, "on_tcp6_seq_show", "tcp6_seq_show");
  probe(r, ph, "on_udp4_seq_show", "udp4_seq_show");
  probe(r, ph, "on_udp6_seq_show", "udp6_seq_show");
  recorder_poll(r, 0);
  /* seen_inodes: emptied, then inode -> pid for every socket fd, before the /proc/net walk reads it */
  int fd = bpf_map__fd(r->skel->maps.seen_inodes);
  unsigned next;
  while (bpf_map_get_next_key(fd, NULL, &next) == 0 && bpf_map_delete_elem(fd, &next) == 0) {
  }
  recorder_poll(r, 0);
  fill_inode_to_pid_map(r, fd);
  trigger_seq_show(r);
  remove_probe(r, "tcp4_seq_show", 0);
  remove_probe(r, "tcp6_seq_show", 0);
  remove_probe(r, "udp4_seq_show", 0);
  remove_probe(r, "udp6_seq_show", 0);
  recorder_poll(r, 0);
}

/* bpf_handler.cc@68f0c23f:184-191: TAIL_CALL_* indices of render_bpf.h@68f0c23f:122-129 */
static void tail_calls(struct recorder *r)
{
  static const char *const names[] = {"on_udp_send_skb__2", "on_udp_v6_send_skb__2", "on_ip_send_skb__2", "on_ip6_send_skb__2",
      "handle_receive_udp_skb", "handle_receive_udp_skb__2", "continue_tcp_sendmsg", "continue_tcp_recvmsg"};
  int map = bpf_map__fd(r->skel->maps.tail_calls);
  for (int i = 0; i < 8; i++) {
    struct tail_call_result *t = &r->tail_calls[r->n_tail_calls++];
    *t = (struct tail_call_result){.program = names[i], .index = i};
    struct bpf_program *p = bpf_object__find_program_by_name(r->skel->obj, names[i]);
    int pfd = p ? bpf_program__fd(p) : -1;
    if (pfd < 0)
      t->err = ENOENT;
    else if (bpf_map_update_elem(map, &i, &pfd, BPF_ANY))
      t->err = errno;
  }
}

void load_probes(struct recorder *r)
{
  static const char *const dns[][2] = {{"on_skb_consume_udp", "skb_consume_udp"},
      {"on___skb_free_datagram_locked", "__skb_free_datagram_locked"}, {"on_skb_free_datagram_locked", "skb_free_datagram_locked"}};
  static const char *const rtt[][2] = {{"on_tcp_rtt_estimator", "tcp_rtt_estimator"},
      {"on_tcp_rtt_estimator", "tcp_update_pacing_rate"}, {"on_tcp_rtt_estimator", "tcp_ack"}};
  static const char *const udp4[][2] = {{"on_udp_send_skb", "udp_send_skb"}, {"on_ip_send_skb", "ip_send_skb"}};
  static const char *const udp6[][2] = {{"on_udp_v6_send_skb", "udp_v6_send_skb"}, {"on_ip6_send_skb", "ip6_send_skb"}};
  cgroup_prober(r);
  process_prober(r);
  nat_prober(r);
  recorder_poll(r, 0);
  alternatives(r, "steady", "DNS", dns, 3);
  socket_prober(r);
  recorder_poll(r, 0);
  alternatives(r, "steady", "tcp rtt estimator", rtt, 3);
  probe(r, "steady", "on_tcp_retransmit_timer", "tcp_retransmit_timer");
  probe(r, "steady", "on_tcp_syn_ack_timeout", "tcp_syn_ack_timeout");
  probe(r, "steady", "on_tcp_reset", "tcp_reset");
  probe(r, "steady", "on_tcp_send_active_reset", "tcp_send_active_reset");
  recorder_poll(r, 0);
  probe(r, "steady", "on_tcp_event_data_recv", "tcp_event_data_recv");
  probe(r, "steady", "on_tcp_rcv_established", "tcp_rcv_established");
  recorder_poll(r, 0);
  tail_calls(r);
  alternatives(r, "steady", "udp v4 send skb", udp4, 2);
  alternatives(r, "steady", "udp v6 send skb", udp6, 2);
  recorder_poll(r, 0);
  if (r->http_metrics) {
    /* kretprobes before the kprobes of the same function, as upstream keeps them (bpf_handler.cc:221-231) */
    const char *ph = "tcp-processor";
    probe(r, ph, "handle_kprobe__tcp_init_sock", "tcp_init_sock");
    probe(r, ph, "handle_kprobe__security_sk_free", "security_sk_free");
    kretprobe(r, ph, "handle_kretprobe__inet_csk_accept", "inet_csk_accept");
    probe(r, ph, "handle_kprobe__inet_csk_accept", "inet_csk_accept");
    kretprobe(r, ph, "handle_kretprobe__tcp_sendmsg", "tcp_sendmsg");
    probe(r, ph, "handle_kprobe__tcp_sendmsg", "tcp_sendmsg");
    kretprobe(r, ph, "handle_kretprobe__tcp_recvmsg", "tcp_recvmsg");
    probe(r, ph, "handle_kprobe__tcp_recvmsg", "tcp_recvmsg");
    recorder_poll(r, 0);
  }
}
