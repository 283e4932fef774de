/* State shared by the recorder's parts: the loaded skeleton, the perf rings, and what was attached. */
#pragma once
#include <bpf/libbpf.h>

#include "merge.h"

struct render_bpf_bpf;

struct probe_result {
  const char *phase;    /* the collector's prober that attaches it */
  const char *program;  /* BPF program in render_bpf.c */
  const char *function; /* kernel function */
  const char *alternatives; /* ProbeAlternatives description, NULL for a single probe */
  int kretprobe, attached, removed, err;
  struct bpf_link *link;
};

struct tail_call_result {
  const char *program;
  int index, err;
};

#define MAX_PROBES 112
#define MAX_EXISTING 8192

struct recorder {
  struct render_bpf_bpf *skel;
  struct perf_buffer *pb;
  struct merger *m;
  long long boot_time_adjustment;
  long long window_ns;
  int http_metrics; /* attach the tcp-processor probes (bpf_handler.cc@68f0c23f:216-233) */
  struct probe_result probes[MAX_PROBES];
  int n_probes;
  struct tail_call_result tail_calls[8];
  int n_tail_calls;
  /* what the existing-state walks touched */
  struct { int tasks, inodes, inode_update_failures, netns, proc_net_files, cgroups, conntrack_err; } walks;
  /* the processes whose threads the get_pid_task walk touched: each must get a pid_info (render_bpf.c@68f0c23f:494-525) */
  int existing_tgids[MAX_EXISTING];
  int n_existing;
  int io_err; /* errno of the first failed dump write */
};

/* The collector's periodic_cb (buf_poller_->start(1, 1)): drain the rings and write what is due. */
void recorder_poll(struct recorder *r, int timeout_ms);
/* Attaches the programs in the collector's order (bpf_handler.cc@68f0c23f:79-239) with its walks in between. */
void load_probes(struct recorder *r);

/* existing.c: the collector's walks over the state that existed before the probes */
void trigger_existing_cgroup_probe(struct recorder *r, const char *root, const char *file);
void trigger_cgroup_get_from_fd_probe(struct recorder *r, const char *root);
const char *find_cgroup_v1_mountpoint(void);
const char *find_cgroup_v2_mountpoint(void);
void trigger_get_pid_task(struct recorder *r);
int query_conntrack(struct recorder *r);
void fill_inode_to_pid_map(struct recorder *r, int map_fd);
void trigger_seq_show(struct recorder *r);
