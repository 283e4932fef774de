#pragma once
#include <stdio.h>

#include "recorder.h"

struct report_extra {
  const char *status; /* "recorded", or what failed */
  const char *error;  /* the one-line error, or NULL */
  int cpus;
  unsigned long long ready_boottime_ns, end_boottime_ns;
};

int write_report(FILE *f, const struct recorder *r, const struct report_extra *x);
