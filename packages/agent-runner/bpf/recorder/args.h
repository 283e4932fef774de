/* Command line of bpf-recorder (see args.c). */
#pragma once
#include <stdio.h>

/* sysexits, as packages/cli's exit table spells them */
enum { EXIT_USAGE = 64, EXIT_NOINPUT = 66, EXIT_UNAVAILABLE = 69, EXIT_SOFTWARE = 70, EXIT_CANTCREAT = 73 };

struct recorder_args {
  const char *out;        /* the dump, --bpf-dump-file format; created exclusively, 0600 */
  const char *report;     /* attach results and counters, JSON */
  const char *ready_file; /* written once every probe is attached and the existing-state walks are done */
  double duration;        /* seconds to record after ready; 0 = until SIGTERM/SIGINT */
  long long filter_ns;    /* read-only global filter_ns (probe_handler.cc@68f0c23f:147) */
  int pages;              /* perf ring pages per CPU */
  long long window_ns;    /* samples are written once they are this much older than the poll (reorder window) */
  int force;              /* replace --out and --report if they exist */
  int no_http_metrics;    /* skip the tcp-processor probes, as the collector's --disable-http-metrics does */
};

/* Parses argv into *a. Returns -1 to go on, else the exit code (0 after --help); writes the one-line error to err. */
int parse_args(int argc, char **argv, struct recorder_args *a, FILE *out, FILE *err);
