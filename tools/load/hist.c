/* hist.c - log-linear histogram (hist.h). Index math: below 2^HIST_SUB_BITS the value is its
 * own index; above, with e = floor(log2 v), the top HIST_SUB_BITS+1 bits of v select one of
 * 128 buckets of the octave [2^e, 2^(e+1)). Called by one thread per histogram.
 */
#include "hist.h"

#include <math.h>
#include <string.h>

#define SUB_COUNT (1 << HIST_SUB_BITS)

void hist_init(hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = INT64_MAX;
}

static int s_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

int hist_index(int64_t v)
{
    if (v < SUB_COUNT)
        return v < 0 ? 0 : (int)v;
    int e = s_log2((uint64_t)v);
    if (e > HIST_MAX_BITS)
        return HIST_BUCKETS - 1;
    int shift = e - HIST_SUB_BITS;
    int sub = (int)((uint64_t)v >> shift); /* SUB_COUNT .. 2*SUB_COUNT-1 */
    return ((e - HIST_SUB_BITS + 1) << HIST_SUB_BITS) + (sub - SUB_COUNT);
}

int64_t hist_bucket_high(int index)
{
    if (index < SUB_COUNT)
        return index;
    int octave = (index >> HIST_SUB_BITS) - 1; /* e - HIST_SUB_BITS */
    int sub = (index & (SUB_COUNT - 1)) + SUB_COUNT;
    return ((int64_t)(sub + 1) << octave) - 1;
}

void hist_record(hist_t *h, int64_t v)
{
    if (v < 0)
        v = 0;
    h->buckets[hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_merge(hist_t *into, const hist_t *from)
{
    if (from->count == 0)
        return;
    for (int i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

int64_t hist_percentile(const hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0)
        return h->min;
    if (p > 100)
        p = 100;
    /* the small epsilon keeps 99.9 % of 1000 at 999 despite binary rounding */
    uint64_t target = (uint64_t)ceil((p / 100.0) * (double)h->count - 1e-9);
    if (target < 1)
        target = 1;
    if (target > h->count)
        target = h->count;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= target) {
            if (i == HIST_BUCKETS - 1)
                return h->max; /* the top bucket also holds everything beyond the range */
            int64_t high = hist_bucket_high(i);
            return high > h->max ? h->max : (high < h->min ? h->min : high);
        }
    }
    return h->max;
}

double hist_mean(const hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
