/* hist.h - a log-linear latency histogram in the manner of HdrHistogram, small and fixed.
 *
 * Values (microseconds in uschat-load, but any non-negative integer) below 128 are counted
 * exactly; above, every power of two is split into 128 equal buckets, so a reported value is
 * within 1/128 (< 0.8 %) of the true one. Values up to 2^36 (19 hours in microseconds) fit;
 * larger ones are counted in the top bucket (max stays exact). 32 KiB per histogram, no
 * allocation after hist_new(). Not thread-safe: one histogram per thread, merged at the end.
 */
#ifndef USCHAT_LOAD_HIST_H
#define USCHAT_LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_MAX_BITS 36
#define HIST_BUCKETS  ((HIST_MAX_BITS - HIST_SUB_BITS + 2) << HIST_SUB_BITS)

typedef struct {
    uint64_t count;
    int64_t min, max;
    double sum;
    uint64_t buckets[HIST_BUCKETS];
} hist_t;

void hist_init(hist_t *h);
/* Counts V (negative values count as 0). */
void hist_record(hist_t *h, int64_t v);
/* Adds every count of FROM into INTO. */
void hist_merge(hist_t *into, const hist_t *from);
/* The value at percentile P (0..100): the highest value of the bucket where the running count
 * reaches P % of all, never above the exact max. 0 when empty. */
int64_t hist_percentile(const hist_t *h, double p);
double hist_mean(const hist_t *h);

/* Bucket index of V and the highest value that bucket holds (exposed for the test). */
int hist_index(int64_t v);
int64_t hist_bucket_high(int index);

#endif
