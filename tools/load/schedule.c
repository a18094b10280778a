/* schedule.c - the open-loop schedule and the sweep's rate list (schedule.h). Pure arithmetic:
 * called by scenario_chat on the main thread and by tests/load/test_schedule.c.
 */
#include "schedule.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

void sched_start(sched_t *s, int64_t t0_us, double rate, int64_t duration_us)
{
    s->t0_us = t0_us;
    s->end_us = t0_us + (duration_us > 0 ? duration_us : 0);
    s->gap_us = rate > 0 ? 1e6 / rate : 0;
    s->next = 0;
}

int64_t sched_next_due(const sched_t *s)
{
    if (s->gap_us <= 0)
        return s->end_us;
    /* from the index, not by adding gaps up: no drift over millions of operations */
    int64_t due = s->t0_us + (int64_t)((double)s->next * s->gap_us);
    return due < s->end_us ? due : s->end_us;
}

int sched_take(sched_t *s, int64_t now_us, int64_t *due_us)
{
    int64_t due = sched_next_due(s);
    if (due >= s->end_us || due > now_us)
        return 0;
    *due_us = due;
    s->next++;
    return 1;
}

int64_t sched_wait_us(const sched_t *s, int64_t now_us, int64_t cap_us)
{
    int64_t wait = sched_next_due(s) - now_us;
    if (wait < 0)
        wait = 0;
    return wait < cap_us ? wait : cap_us;
}

int sched_parse_rates(const char *text, double *rates, int cap)
{
    if (!text)
        return -1;
    int n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1; /* empty item, sign, junk */
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0)
            return -1;
        if (*end == 'k' || *end == 'K') {
            v *= 1000;
            end++;
        }
        while (*end == ' ')
            end++;
        if (!(v > 0) || v > SCHED_RATE_MAX || n == cap)
            return -1;
        rates[n++] = v;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}
