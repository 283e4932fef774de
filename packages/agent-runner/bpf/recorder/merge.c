/*
 * The collector reads its per-CPU perf rings as one stream: PerfReader keeps a heap of the rings keyed by the
 * timestamp of each ring's next sample and pops the smallest, stopping at samples newer than the time it took when
 * the poll began (perf_reader.cc@68f0c23f:68-171, buffered_poller.cc@68f0c23f:143-147). With --bpf-dump-file it
 * writes each popped sample's unpadded bytes, u64 timestamp + message, nothing else (buffered_poller.cc:174-177).
 * libbpf's perf_buffer hands samples over ring by ring, so they are queued per CPU here and merged the same way.
 */
#define _GNU_SOURCE
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sample {
  unsigned long long ts;
  unsigned len;
  unsigned char *bytes; /* len bytes: timestamp + message */
};

struct queue {
  struct sample *v;
  size_t head, n, cap;
};

struct merger {
  int n_cpus;
  FILE *out;
  struct queue *q;
  unsigned long long max_seen, last_written;
  struct merge_counts c;
};

struct merger *merger_new(int n_cpus, FILE *out)
{
  struct merger *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->q = calloc(n_cpus, sizeof *m->q);
  if (!m->q) {
    free(m);
    return NULL;
  }
  m->n_cpus = n_cpus;
  m->out = out;
  return m;
}

void merger_free(struct merger *m)
{
  if (!m)
    return;
  for (int i = 0; i < m->n_cpus; i++) {
    for (size_t j = m->q[i].head; j < m->q[i].n; j++)
      free(m->q[i].v[j].bytes);
    free(m->q[i].v);
  }
  free(m->q);
  free(m);
}

static int push(struct queue *q, struct sample s)
{
  if (q->head > 0 && q->head == q->n)
    q->head = q->n = 0;
  if (q->n == q->cap) {
    if (q->head > q->cap / 2) { /* reuse the popped front */
      memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
      q->n -= q->head;
      q->head = 0;
    } else {
      size_t cap = q->cap ? q->cap * 2 : 256;
      struct sample *v = realloc(q->v, cap * sizeof *v);
      if (!v)
        return -1;
      q->v = v;
      q->cap = cap;
    }
  }
  q->v[q->n++] = s;
  return 0;
}

void merger_add(struct merger *m, int cpu, const void *data, unsigned size)
{
  unsigned unpadded;
  /* the smallest message is a timestamp and an rpc id (buffered_poller.cc@68f0c23f:180-184) */
  if (cpu < 0 || cpu >= m->n_cpus || size < 4) {
    m->c.malformed++;
    return;
  }
  memcpy(&unpadded, data, 4);
  if (unpadded < 10 || unpadded > size - 4) {
    m->c.malformed++;
    return;
  }
  struct sample s = {.len = unpadded, .bytes = malloc(unpadded)};
  if (!s.bytes) {
    m->c.malformed++;
    return;
  }
  memcpy(s.bytes, (const unsigned char *)data + 4, unpadded);
  memcpy(&s.ts, s.bytes, 8);
  if (s.ts < m->max_seen)
    m->c.arrived_out_of_order++;
  else
    m->max_seen = s.ts;
  if (!m->c.first_sample_boottime_ns) {
    struct timespec t;
    clock_gettime(CLOCK_BOOTTIME, &t);
    m->c.first_sample_boottime_ns = t.tv_sec * 1000000000ULL + t.tv_nsec;
  }
  if (push(&m->q[cpu], s)) {
    free(s.bytes);
    m->c.malformed++;
  }
}

void merger_lost(struct merger *m, unsigned long long n)
{
  m->c.lost += n;
}

int merger_flush(struct merger *m, unsigned long long horizon)
{
  for (;;) {
    int best = -1;
    for (int i = 0; i < m->n_cpus; i++) {
      struct queue *q = &m->q[i];
      if (q->head == q->n || q->v[q->head].ts > horizon)
        continue;
      if (best < 0 || q->v[q->head].ts < m->q[best].v[m->q[best].head].ts)
        best = i; /* ties: the lower CPU first */
    }
    if (best < 0)
      break;
    struct sample *s = &m->q[best].v[m->q[best].head++];
    if (s->ts < m->last_written)
      m->c.written_out_of_order++;
    else
      m->last_written = s->ts;
    if (fwrite(s->bytes, 1, s->len, m->out) != s->len)
      return -1;
    m->c.samples++;
    m->c.bytes += s->len;
    free(s->bytes);
    s->bytes = NULL;
  }
  return fflush(m->out) ? -1 : 0;
}

struct merge_counts merger_counts(const struct merger *m)
{
  return m->c;
}
