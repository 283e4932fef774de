/* Per-CPU sample queues merged into one dump in timestamp order (see merge.c). */
#pragma once
#include <stdio.h>

struct merger;

struct merge_counts {
  unsigned long long samples, bytes, lost, malformed;
  /* samples that arrived (ring by ring) with a timestamp below one already seen: what the merge put back in order */
  unsigned long long arrived_out_of_order;
  /* samples written after one with a later timestamp: they reached their ring after the reorder window */
  unsigned long long written_out_of_order;
  /* CLOCK_BOOTTIME of the first sample, ns; 0 if none */
  unsigned long long first_sample_boottime_ns;
};

struct merger *merger_new(int n_cpus, FILE *out);
void merger_free(struct merger *m);
/* One perf sample as libbpf hands it over: u32 unpadded_size, then unpadded_size bytes (u64 timestamp + message). */
void merger_add(struct merger *m, int cpu, const void *data, unsigned size);
void merger_lost(struct merger *m, unsigned long long n);
/* Writes, in timestamp order, every queued sample with timestamp <= horizon (all of them for ~0ULL). 0 or -1 (errno). */
int merger_flush(struct merger *m, unsigned long long horizon);
struct merge_counts merger_counts(const struct merger *m);
