/*
 * bpf-recorder: the kernel collector's BPF half without the collector. Opens and loads the render_bpf skeleton with
 * the collector's read-only globals (probe_handler.cc@68f0c23f:140-157), opens the `events` perf rings, attaches the
 * probes and runs the existing-state walks as BPFHandler::load_probes does (probes.c), then records until --duration
 * or SIGTERM/SIGINT, writing a --bpf-dump-file format dump (merge.c) and a JSON attach report (report.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "recorder.h"
#include "render_bpf.skel.h"
#include "report.h"

#define BIN "bpf-recorder"

static volatile sig_atomic_t stop;

static void on_signal(int s)
{
  (void)s;
  stop = 1;
}

static unsigned long long now_ns(clockid_t c)
{
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
  merger_add(((struct recorder *)ctx)->m, cpu, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 n)
{
  (void)cpu;
  merger_lost(((struct recorder *)ctx)->m, n);
}

void recorder_poll(struct recorder *r, int timeout_ms)
{
  /* the collector's horizon: samples up to the time the poll began (buffered_poller.cc@68f0c23f:145-146), less
   * the reorder window (args.c) */
  unsigned long long horizon = now_ns(CLOCK_MONOTONIC) + r->boot_time_adjustment - r->window_ns;
  if (timeout_ms > 0)
    perf_buffer__poll(r->pb, timeout_ms);
  else
    perf_buffer__consume(r->pb);
  if (merger_flush(r->m, horizon) && !r->io_err)
    r->io_err = errno ? errno : EIO;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
  if (level > LIBBPF_WARN)
    return 0;
  fputs(BIN ": libbpf: ", stderr);
  return vfprintf(stderr, fmt, ap);
}

static FILE *create(const char *path, int force, const char *what)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
  if (fd < 0) {
    fprintf(stderr, BIN ": cannot create %s: %s: %s%s\n", what, path, strerror(errno), errno == EEXIST ? " (use --force to replace it)" : "");
    return NULL;
  }
  return fdopen(fd, "w");
}

static int finish(struct recorder *r, FILE *report, struct report_extra *x, int code)
{
  x->end_boottime_ns = now_ns(CLOCK_BOOTTIME);
  if (write_report(report, r, x) || fclose(report)) {
    fprintf(stderr, BIN ": cannot write report: %s\n", strerror(errno));
    code = code ? code : EXIT_SOFTWARE;
  }
  return code;
}

int main(int argc, char **argv)
{
  struct recorder_args a;
  int code = parse_args(argc, argv, &a, stdout, stderr);
  if (code >= 0)
    return code;
  FILE *out = create(a.out, a.force, "dump");
  if (!out)
    return EXIT_CANTCREAT;
  FILE *report = create(a.report, a.force, "report");
  if (!report)
    return EXIT_CANTCREAT;
  static char outbuf[1 << 20];
  setvbuf(out, outbuf, _IOFBF, sizeof outbuf);

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  libbpf_set_print(libbpf_log);

  static struct recorder r;
  static char err[512];
  struct report_extra x = {.status = "recorded", .cpus = libbpf_num_possible_cpus()};
  r.skel = render_bpf_bpf__open();
  if (!r.skel) {
    snprintf(err, sizeof err, BIN ": cannot open BPF skeleton: %s", strerror(errno));
    goto fail;
  }
  /* boot_time_adjustment = realtime - monotonic, as util/boot_time.c@68f0c23f:10-17 computes it */
  r.boot_time_adjustment = (long long)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
  r.window_ns = a.window_ns;
  r.http_metrics = !a.no_http_metrics;
  r.skel->rodata->boot_time_adjustment = r.boot_time_adjustment;
  r.skel->rodata->filter_ns = a.filter_ns;
  r.skel->rodata->enable_tcp_data_stream = 0;
  if (render_bpf_bpf__load(r.skel)) {
    snprintf(err, sizeof err, BIN ": cannot load BPF programs: %s (root, BTF and a kernel with kprobes needed; libbpf's lines above say which program)", strerror(errno));
    goto fail;
  }
  r.m = merger_new(x.cpus, out);
  r.pb = r.m ? perf_buffer__new(bpf_map__fd(r.skel->maps.events), a.pages, on_sample, on_lost, &r, NULL) : NULL;
  if (!r.pb) {
    snprintf(err, sizeof err, BIN ": cannot open perf rings: %s", strerror(errno));
    goto fail;
  }
  load_probes(&r);
  x.ready_boottime_ns = now_ns(CLOCK_BOOTTIME);
  int attached = 0;
  for (int i = 0; i < r.n_probes; i++)
    attached += r.probes[i].attached;
  fprintf(stderr, BIN ": ready: %d probes attached, recording to %s\n", attached, a.out);
  if (a.ready_file) {
    FILE *rf = fopen(a.ready_file, "w");
    if (rf) {
      fprintf(rf, "{\"pid\": %d, \"probes_attached\": %d}\n", getpid(), attached);
      fclose(rf);
    }
  }
  unsigned long long end = a.duration > 0 ? now_ns(CLOCK_MONOTONIC) + (unsigned long long)(a.duration * 1e9) : 0;
  while (!stop && (!end || now_ns(CLOCK_MONOTONIC) < end))
    recorder_poll(&r, 100);
  /* flush everything: what is left in the rings, then every queued sample whatever its timestamp */
  perf_buffer__consume(r.pb);
  if (merger_flush(r.m, ~0ULL) && !r.io_err)
    r.io_err = errno ? errno : EIO;
  if (fclose(out) && !r.io_err)
    r.io_err = errno;
  out = NULL;
  if (r.io_err) {
    snprintf(err, sizeof err, BIN ": cannot write dump: %s: %s", a.out, strerror(r.io_err));
    x.status = "dump write failed";
    x.error = err;
    fprintf(stderr, "%s\n", err);
    code = EXIT_SOFTWARE;
  } else {
    struct merge_counts c = merger_counts(r.m);
    fprintf(stderr, BIN ": stopped: %llu samples, %llu bytes, %llu lost\n", c.samples, c.bytes, c.lost);
    code = 0;
  }
  code = finish(&r, report, &x, code);
  for (int i = 0; i < r.n_probes; i++)
    bpf_link__destroy(r.probes[i].link);
  perf_buffer__free(r.pb);
  merger_free(r.m);
  render_bpf_bpf__destroy(r.skel);
  return code;

fail:
  fprintf(stderr, "%s\n", err);
  x.status = "load failed";
  x.error = err;
  if (out)
    fclose(out);
  return finish(&r, report, &x, EXIT_UNAVAILABLE);
}
