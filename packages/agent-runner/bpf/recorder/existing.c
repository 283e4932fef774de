/*
 * The collector's walks over what existed before its probes: each one makes the kernel run a probed function once
 * per existing object (task, socket, cgroup, conntrack entry), so the BPF programs report it like a new one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "recorder.h"

static int is_pid(const char *name)
{
  if (!*name)
    return 0;
  for (; *name; name++)
    if (*name < '0' || *name > '9')
      return 0;
  return 1;
}

/* every /proc/<pid>: ProcReader (proc_reader.cc@68f0c23f) */
#define FOR_EACH_PID(d, e) for (struct dirent *e; (e = readdir(d));) if (is_pid(e->d_name))

static void read_all(const char *path)
{
  char buf[8192];
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return;
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
}

static int has_fs_type(const char *path, long magic)
{
  struct statfs s;
  return statfs(path, &s) == 0 && s.f_type == magic;
}

/* cgroup_prober.cc@68f0c23f:256-281 */
const char *find_cgroup_v1_mountpoint(void)
{
  static const char *const c[] = {"/hostfs/sys/fs/cgroup/memory", "/hostfs/cgroup/memory", "/sys/fs/cgroup/memory", "/cgroup/memory"};
  for (size_t i = 0; i < sizeof c / sizeof *c; i++)
    if (has_fs_type(c[i], CGROUP_SUPER_MAGIC))
      return c[i];
  return NULL;
}

const char *find_cgroup_v2_mountpoint(void)
{
  static const char *const c[] = {"/hostfs/sys/fs/cgroup", "/sys/fs/cgroup"};
  for (size_t i = 0; i < sizeof c / sizeof *c; i++)
    if (has_fs_type(c[i], CGROUP2_SUPER_MAGIC))
      return c[i];
  return NULL;
}

/* Depth-first over a cgroup tree; visit(dir) for each directory. cgroup_prober.cc@68f0c23f:121-254 */
static void walk_cgroups(struct recorder *r, const char *root, void (*visit)(struct recorder *, const char *, const char *), const char *arg)
{
  size_t cap = 64, n = 0;
  char **stack = malloc(cap * sizeof *stack);
  if (!stack)
    return;
  stack[n++] = strdup(root);
  while (n) {
    char *dir = stack[--n];
    DIR *d = dir ? opendir(dir) : NULL;
    if (d) {
      visit(r, dir, arg);
      r->walks.cgroups++;
      for (struct dirent *e; (e = readdir(d));) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
          continue;
        if (n == cap) {
          char **s = realloc(stack, (cap *= 2) * sizeof *stack);
          if (!s)
            break;
          stack = s;
        }
        if (asprintf(&stack[n], "%s/%s", dir, e->d_name) >= 0)
          n++;
      }
      closedir(d);
    }
    free(dir);
    recorder_poll(r, 0);
  }
  free(stack);
}

static void read_cgroup_file(struct recorder *r, const char *dir, const char *file)
{
  char path[4096];
  (void)r;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  read_all(path);
}

/* BPF_PROG_QUERY on the directory makes the kernel call cgroup_get_from_fd (cgroup_prober.cc@68f0c23f:136-150) */
static void query_cgroup(struct recorder *r, const char *dir, const char *unused)
{
  (void)r;
  (void)unused;
  int fd = open(dir, O_RDONLY);
  if (fd < 0)
    return;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = fd;
  attr.query.attach_type = BPF_CGROUP_INET_INGRESS;
  syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
  close(fd);
}

void trigger_existing_cgroup_probe(struct recorder *r, const char *root, const char *file)
{
  walk_cgroups(r, root, read_cgroup_file, file);
}

void trigger_cgroup_get_from_fd_probe(struct recorder *r, const char *root)
{
  walk_cgroups(r, root, query_cgroup, NULL);
}

/* Opening /proc/<pid>/task/<tid>/comm runs get_pid_task for that thread (process_prober.cc@68f0c23f:49-76) */
void trigger_get_pid_task(struct recorder *r)
{
  DIR *p = opendir("/proc");
  if (!p)
    return;
  FOR_EACH_PID(p, e) {
    char path[600];
    snprintf(path, sizeof path, "/proc/%s/task", e->d_name);
    DIR *t = opendir(path);
    if (!t)
      continue;
    if (r->n_existing < MAX_EXISTING)
      r->existing_tgids[r->n_existing++] = atoi(e->d_name);
    FOR_EACH_PID(t, te) {
      snprintf(path, sizeof path, "/proc/%s/task/%s/comm", e->d_name, te->d_name);
      int fd = open(path, O_RDONLY);
      if (fd >= 0)
        close(fd);
      r->walks.tasks++;
      recorder_poll(r, 0);
    }
    closedir(t);
  }
  closedir(p);
}

/* seen_inodes: socket inode -> pid for every open socket, the first pid wins (socket_prober.cc@68f0c23f:97-157) */
void fill_inode_to_pid_map(struct recorder *r, int map_fd)
{
  DIR *p = opendir("/proc");
  if (!p)
    return;
  FOR_EACH_PID(p, e) {
    char path[600], link[64];
    unsigned pid = (unsigned)atoi(e->d_name);
    snprintf(path, sizeof path, "/proc/%s/fd", e->d_name);
    DIR *fds = opendir(path);
    if (!fds)
      continue;
    FOR_EACH_PID(fds, fe) {
      snprintf(path, sizeof path, "/proc/%s/fd/%s", e->d_name, fe->d_name);
      ssize_t n = readlink(path, link, sizeof link - 1);
      unsigned ino, seen;
      if (n < 0)
        continue;
      link[n] = 0;
      if (sscanf(link, "socket:[%u]", &ino) != 1 || ino == 0)
        continue;
      if (bpf_map_lookup_elem(map_fd, &ino, &seen) == 0)
        continue;
      if (bpf_map_update_elem(map_fd, &ino, &pid, BPF_ANY))
        r->walks.inode_update_failures++;
      else
        r->walks.inodes++;
    }
    closedir(fds);
    recorder_poll(r, 0);
  }
  closedir(p);
}

/* /proc/<pid>/net/{tcp,tcp6,udp,udp6} once per network namespace: runs the *_seq_show probes (socket_prober.cc@68f0c23f:159-191) */
void trigger_seq_show(struct recorder *r)
{
  static const char *const files[] = {"tcp", "tcp6", "udp", "udp6"};
  unsigned long seen[256];
  int n_seen = 0;
  DIR *p = opendir("/proc");
  if (!p)
    return;
  FOR_EACH_PID(p, e) {
    char path[600], link[64];
    unsigned long ns;
    snprintf(path, sizeof path, "/proc/%s/ns/net", e->d_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0)
      continue;
    link[n] = 0;
    if (sscanf(link, "net:[%lu]", &ns) != 1)
      continue;
    int dup = 0;
    for (int i = 0; i < n_seen; i++)
      dup |= seen[i] == ns;
    if (dup || n_seen == 256)
      continue;
    seen[n_seen++] = ns;
    r->walks.netns++;
    for (int i = 0; i < 4; i++) {
      snprintf(path, sizeof path, "/proc/%s/net/%s", e->d_name, files[i]);
      read_all(path);
      r->walks.proc_net_files++;
      recorder_poll(r, 0);
    }
  }
  closedir(p);
}

/* A conntrack table dump over netlink runs the ctnetlink probe once per entry (nat_prober.cc@68f0c23f:73-160).
 * Returns 0 or the errno (EPROTONOSUPPORT: no nf_conntrack_netlink). */
int query_conntrack(struct recorder *r)
{
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0)
    return errno;
  struct sockaddr_nl self = {.nl_family = AF_NETLINK}, kernel = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&self, sizeof self)) {
    int e = errno;
    close(fd);
    return e;
  }
  struct {
    struct nlmsghdr nlh;
    struct nfgenmsg nf;
    struct nlattr a1;
    unsigned v1;
    struct nlattr a2;
    unsigned v2;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = (unsigned)time(NULL);
  msg.nf.nfgen_family = AF_INET;
  msg.nf.version = NFNETLINK_V0;
  msg.a1 = (struct nlattr){.nla_len = 8, .nla_type = CTA_MARK};
  msg.a2 = (struct nlattr){.nla_len = 8, .nla_type = CTA_MARK_MASK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return e;
  }
  int err = 0;
  for (int spins = 0; spins < 1000; spins++) {
    unsigned char buf[16384];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EAGAIN) {
      usleep(1000);
      continue;
    }
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0 || ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_DONE)
      break;
    recorder_poll(r, 0);
  }
  close(fd);
  return err;
}
