/* The attach report: every probe's result in the order tried, the tail calls, the walks and the sample counters. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "report.h"

static void str(FILE *f, const char *s)
{
  if (!s) {
    fputs("null", f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", *s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

int write_report(FILE *f, const struct recorder *r, const struct report_extra *x)
{
  struct utsname u;
  struct merge_counts c = r->m ? merger_counts(r->m) : (struct merge_counts){0};
  int attached = 0, failed = 0;
  /* counted as the collector's num_failed_probes_: one per single probe, one per group of alternatives of which
   * none attached (probe_handler.cc@68f0c23f:339-398); a group stops at the first that attaches, so a group failed
   * when its last entry tried did not attach */
  for (int i = 0; i < r->n_probes; i++) {
    const struct probe_result *p = &r->probes[i];
    if (p->attached)
      attached++;
    else if (!p->alternatives || i + 1 == r->n_probes || r->probes[i + 1].alternatives != p->alternatives)
      failed++;
  }
  uname(&u);
  fprintf(f, "{\n \"kernel\": ");
  str(f, u.release);
  fprintf(f, ",\n \"status\": ");
  str(f, x->status);
  fprintf(f, ",\n \"error\": ");
  str(f, x->error);
  fprintf(f, ",\n \"probes_attached\": %d,\n \"probes_failed\": %d,\n \"probes\": [", attached, failed);
  for (int i = 0; i < r->n_probes; i++) {
    const struct probe_result *p = &r->probes[i];
    fprintf(f, "%s\n  {\"phase\": ", i ? "," : "");
    str(f, p->phase);
    fprintf(f, ", \"kind\": \"%s\", \"program\": ", p->kretprobe ? "kretprobe" : "kprobe");
    str(f, p->program);
    fprintf(f, ", \"function\": ");
    str(f, p->function);
    fprintf(f, ", \"alternatives\": ");
    str(f, p->alternatives);
    fprintf(f, ", \"attached\": %s, \"removed_after_walk\": %s, \"error\": ", p->attached ? "true" : "false", p->removed ? "true" : "false");
    str(f, p->attached ? NULL : strerror(p->err));
    fputc('}', f);
  }
  fprintf(f, "\n ],\n \"tail_calls\": [");
  for (int i = 0; i < r->n_tail_calls; i++) {
    fprintf(f, "%s\n  {\"index\": %d, \"program\": ", i ? "," : "", r->tail_calls[i].index);
    str(f, r->tail_calls[i].program);
    fprintf(f, ", \"error\": ");
    str(f, r->tail_calls[i].err ? strerror(r->tail_calls[i].err) : NULL);
    fputc('}', f);
  }
  fprintf(f, "\n ],\n \"walks\": {\"tasks\": %d, \"socket_inodes\": %d, \"inode_update_failures\": %d, \"network_namespaces\": %d, "
             "\"proc_net_files\": %d, \"cgroups\": %d, \"conntrack_dump_error\": ",
      r->walks.tasks, r->walks.inodes, r->walks.inode_update_failures, r->walks.netns, r->walks.proc_net_files, r->walks.cgroups);
  str(f, r->walks.conntrack_err ? strerror(r->walks.conntrack_err) : NULL);
  fprintf(f, ", \"existing_tgids\": [");
  for (int i = 0; i < r->n_existing; i++)
    fprintf(f, "%s%d", i ? ", " : "", r->existing_tgids[i]);
  fprintf(f, "]},\n \"samples\": %llu,\n \"bytes\": %llu,\n \"lost_samples\": %llu,\n \"malformed_samples\": %llu,\n"
             " \"arrived_out_of_order\": %llu,\n \"written_out_of_order\": %llu,\n \"cpus\": %d,\n \"boot_time_adjustment_ns\": %lld,\n"
             " \"ready_boottime_ns\": %llu,\n \"first_sample_boottime_ns\": %llu,\n \"end_boottime_ns\": %llu\n}\n",
      c.samples, c.bytes, c.lost, c.malformed, c.arrived_out_of_order, c.written_out_of_order, x->cpus, r->boot_time_adjustment, x->ready_boottime_ns,
      c.first_sample_boottime_ns, x->end_boottime_ns);
  return fflush(f);
}
