/* Argument handling of bpf-recorder: every value is checked before anything is loaded, so bad usage needs no root. */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define BIN "bpf-recorder"

static const char usage[] =
    "usage: " BIN " --out DUMP --report JSON [--ready-file FILE] [--duration SECONDS] [--filter-ns N] [--pages N] [--reorder-window-ms N] [--disable-http-metrics] [--force]\n"
    "Loads the agent's BPF programs (render_bpf skeleton), attaches the kernel collector's probes in its order, runs its\n"
    "existing-state walks, and writes every perf sample to DUMP in --bpf-dump-file format (u64 timestamp + message),\n"
    "merged across CPUs in timestamp order. Stops after --duration or on SIGTERM/SIGINT, flushing everything.\n";

static int bad(FILE *err, const char *flag, const char *value, const char *why)
{
  fprintf(err, "%s: bad flags: %s%s%s: %s\n", BIN, flag, value ? " " : "", value ? value : "", why);
  return EXIT_USAGE;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *v)
{
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s || *end || x < lo || x > hi)
    return -1;
  *v = x;
  return 0;
}

int parse_args(int argc, char **argv, struct recorder_args *a, FILE *out, FILE *err)
{
  static const struct option opts[] = {
      {"out", required_argument, 0, 'o'},       {"report", required_argument, 0, 'r'},
      {"ready-file", required_argument, 0, 'R'}, {"duration", required_argument, 0, 'd'},
      {"filter-ns", required_argument, 0, 'f'}, {"pages", required_argument, 0, 'p'},
      {"force", no_argument, 0, 'F'},           {"help", no_argument, 0, 'h'},
      {"reorder-window-ms", required_argument, 0, 'w'}, {"disable-http-metrics", no_argument, 0, 'H'},
      {0, 0, 0, 0},
  };
  /* defaults: the collector's --filter-ns, 10 ms (entrypoint.cc@68f0c23f:283; render_bpf.c's own initial value of
   * 1 s is always overwritten), 1024 pages per CPU ring
   * (EVENTS_PERF_RING_N_BYTES, probe_handler.cc@68f0c23f:26), and a 100 ms reorder window: the collector writes up
   * to the time its poll began (window 0), so a sample whose timestamp was taken before that but which reached its
   * ring after the ring was read comes out of order; under TCG that was seen 2.5 ms late */
  *a = (struct recorder_args){.filter_ns = 10000000LL, .pages = 1024, .window_ns = 100000000LL};
  opterr = 0;
  optind = 1;
  int c;
  long long v;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'o': a->out = optarg; break;
    case 'r': a->report = optarg; break;
    case 'R': a->ready_file = optarg; break;
    case 'F': a->force = 1; break;
    case 'H': a->no_http_metrics = 1; break;
    case 'd': {
      char *end;
      errno = 0;
      double d = strtod(optarg, &end);
      if (errno || end == optarg || *end || !(d >= 0) || d > 86400)
        return bad(err, "--duration", optarg, "seconds, 0..86400 (0: until SIGTERM)");
      a->duration = d;
      break;
    }
    case 'f':
      if (parse_ll(optarg, 0, 3600LL * 1000000000LL, &v))
        return bad(err, "--filter-ns", optarg, "nanoseconds, 0..3600000000000");
      a->filter_ns = v;
      break;
    case 'p':
      /* libbpf's perf_buffer__new wants a power of two */
      if (parse_ll(optarg, 1, 65536, &v) || (v & (v - 1)))
        return bad(err, "--pages", optarg, "a power of two, 1..65536");
      a->pages = (int)v;
      break;
    case 'w':
      if (parse_ll(optarg, 0, 10000, &v))
        return bad(err, "--reorder-window-ms", optarg, "milliseconds, 0..10000");
      a->window_ns = v * 1000000LL;
      break;
    case 'h': fputs(usage, out); return 0;
    case ':': return bad(err, argv[optind - 1], NULL, "needs a value");
    default: return bad(err, argv[optind - 1], NULL, "unknown flag (see --help)");
    }
  }
  if (optind < argc)
    return bad(err, argv[optind], NULL, "unexpected argument (see --help)");
  if (!a->out)
    return bad(err, "--out", NULL, "required: the dump file to write");
  if (!a->report)
    return bad(err, "--report", NULL, "required: the JSON report to write");
  if (!strcmp(a->out, a->report))
    return bad(err, "--report", a->report, "must differ from --out");
  return -1;
}
