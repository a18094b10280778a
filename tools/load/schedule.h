/* schedule.h - uschat-load's open-loop schedule and the rate list of a sweep.
 *
 * Open loop: operation k of a run at RATE per second is due at t0 + k / RATE, whatever the
 * server did with the ones before, and its latency is measured from that due time. After a
 * stall (the load generator itself was descheduled, or its loop was busy), every operation
 * that fell due meanwhile is handed out at once with its own due time, so the stall shows in
 * the latencies instead of silently lowering the offered load (coordinated omission). No
 * operation is due at or after the end of the run. Pure arithmetic on the caller's clock: no
 * I/O, no allocation; used by the chat scenario on the main thread and by its test.
 */
#ifndef USCHAT_LOAD_SCHEDULE_H
#define USCHAT_LOAD_SCHEDULE_H

#include <stdint.h>

#define SCHED_MAX_RATES 32
#define SCHED_RATE_MAX  10000000.0 /* operations per second: anything above is a typo */

typedef struct {
    int64_t t0_us;  /* when operation 0 is due */
    int64_t end_us; /* no operation is due at or after this */
    double gap_us;  /* 1e6 / rate */
    uint64_t next;  /* index of the next operation to hand out */
} sched_t;

/* Starts a schedule of RATE (> 0) operations per second from T0_US for DURATION_US. */
void sched_start(sched_t *s, int64_t t0_us, double rate, int64_t duration_us);
/* When operation S->next is due (may be in the past); S->end_us when none is left. */
int64_t sched_next_due(const sched_t *s);
/* 1 and *DUE_US = its due time when operation S->next is due by NOW_US (then S->next moves
 * on); 0 when the next one is still in the future or the run is over. */
int sched_take(sched_t *s, int64_t now_us, int64_t *due_us);
/* Microseconds the caller may sleep at NOW_US before something is due (0 when overdue),
 * at most CAP_US. */
int64_t sched_wait_us(const sched_t *s, int64_t now_us, int64_t cap_us);

/* Parses a comma-separated list of rates ("500,1000,2k,4000"; a k suffix means thousands)
 * into RATES, at most CAP of them, each > 0 and <= SCHED_RATE_MAX. Returns how many, or -1
 * on anything malformed (empty item, junk, out of range, too many). */
int sched_parse_rates(const char *text, double *rates, int cap);

#endif
