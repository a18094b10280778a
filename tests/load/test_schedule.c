/* test_schedule.c - uschat-load's open-loop schedule, its sweep rate list and its CPU
 * accounting: operations fall due at t0 + k/rate and nothing at or after the end; after a
 * stall every overdue operation comes out at once with its own due time (so a stall shows as
 * latency instead of thinning the offered load); "500,1k,2000" parses and junk does not; the
 * CPU seconds of a watched process, of the load generator itself and of the whole machine are
 * read from /proc and grow with real work, and the RSS with real memory.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "procstat.h"
#include "schedule.h"

static void test_due_times(void)
{
    sched_t s;
    sched_start(&s, 1000000, 1000, 10000); /* 1,000/s for 10 ms: 10 operations, 1 ms apart */
    int64_t due = -1;
    CHECK_INT(sched_take(&s, 999999, &due), 0); /* before t0: nothing */
    CHECK_INT(sched_take(&s, 1000000, &due), 1);
    CHECK_INT(due, 1000000);
    CHECK_INT(sched_take(&s, 1000500, &due), 0); /* the next is due at +1 ms */
    CHECK_INT(sched_wait_us(&s, 1000500, 50000), 500);
    CHECK_INT(sched_take(&s, 1001000, &due), 1);
    CHECK_INT(due, 1001000);
    CHECK_INT(sched_wait_us(&s, 1000500, 200), 200); /* capped */

    /* a stall of 5.5 ms: the five operations due meanwhile come out at once, each with the
     * time it was due, not the time it went */
    int n = 0;
    int64_t dues[16];
    while (sched_take(&s, 1006500, &due))
        dues[n++] = due;
    CHECK_INT(n, 5);
    for (int i = 0; i < n; i++)
        CHECK_INT(dues[i], 1002000 + i * 1000);
    CHECK_INT(sched_wait_us(&s, 1006500, 50000), 500);

    /* long after the end: the last ones (up to +9 ms) and never one at the end itself */
    n = 0;
    while (sched_take(&s, 5000000, &due))
        dues[n++] = due;
    CHECK_INT(n, 3);
    CHECK_INT(dues[n - 1], 1009000);
    CHECK_INT(s.next, 10);
    CHECK_INT(sched_take(&s, 9000000, &due), 0);
    CHECK_INT(sched_next_due(&s), s.end_us);
}

static void test_no_drift(void)
{
    /* 3,000/s does not divide a microsecond evenly: after a million operations the due time
     * is still t0 + k/rate (from the index, not from adding rounded gaps) */
    sched_t s;
    sched_start(&s, 0, 3000, (int64_t)400 * 1000000);
    int64_t due = 0;
    uint64_t count = 0;
    while (sched_take(&s, (int64_t)400 * 1000000, &due))
        count++;
    CHECK_INT(count, 1200000);
    CHECK(due >= 399999666 - 1 && due <= 399999666 + 1);
}

static void test_rates(void)
{
    double r[SCHED_MAX_RATES];
    CHECK_INT(sched_parse_rates("500,1k,2000, 4.5K", r, SCHED_MAX_RATES), 4);
    CHECK(r[0] == 500 && r[1] == 1000 && r[2] == 2000 && r[3] == 4500);
    CHECK_INT(sched_parse_rates("7", r, SCHED_MAX_RATES), 1);
    const char *bad[] = {"",    ",",  "500,", ",500", "500,,1000", "-5",       "0",
                         "abc", "5x", "1e9",  "nan",  "inf",       "500;1000", NULL};
    for (int i = 0; bad[i]; i++) {
        if (sched_parse_rates(bad[i], r, SCHED_MAX_RATES) != -1) {
            fprintf(stderr, "rates \"%s\" were accepted\n", bad[i]);
            check_failures++;
        }
    }
    CHECK_INT(sched_parse_rates("1,2,3", r, 2), -1); /* more than fit */
    CHECK_INT(sched_parse_rates(NULL, r, 2), -1);
}

static void s_burn_cpu(double seconds)
{
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    static volatile unsigned long sink;
    do {
        for (int i = 0; i < 100000; i++)
            sink = sink + (unsigned long)i * 2654435761u;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    } while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < seconds);
}

static void test_cpu_accounting(void)
{
    /* a "server": a child that burns 0.3 s of CPU and then waits to be stopped */
    int go[2];
    CHECK_INT(pipe(go), 0);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) == 1)
            s_burn_cpu(0.3);
        pause();
        _exit(0);
    }
    close(go[0]);
    proc_set_t set;
    memset(&set, 0, sizeof set);
    CHECK_INT(proc_set_add(&set, (int)child, "server"), 0);
    CHECK_INT(proc_set_add(&set, (int)child, NULL), 0); /* once only */
    CHECK_INT(set.count, 1);
    CHECK_INT(proc_set_add(&set, 0, NULL), -1);
    proc_set_start(&set);
    CHECK(write(go[1], "x", 1) == 1);
    s_burn_cpu(0.2);                 /* the load generator's own share */
    char *block = malloc(32u << 20); /* 32 MiB touched: the RSS must show it */
    if (block)
        memset(block, 1, 32u << 20);
    usleep(600000);
    proc_set_sample(&set);
    double server = proc_set_cpu_s(&set), self = proc_set_self_cpu_s(&set);
    CHECK(server >= 0.25 && server < 2.0);
    CHECK(self >= 0.15 && self < 2.0);
    /* the machine's busy time covers both (and whatever else ran meanwhile) */
    CHECK(proc_set_machine_cpu_s(&set) >= 0.9 * (server + self));
    CHECK(set.procs[0].alive);
    CHECK(set.procs[0].rss_start_kb > 0 && set.procs[0].rss_peak_kb >= set.procs[0].rss_start_kb);
    double cpu = 0;
    long hwm = 0;
    proc_self(&cpu, &hwm);
    CHECK(hwm >= 32 * 1024);
    free(block);

    /* a server that exits during the run keeps its figures and is marked gone */
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    proc_set_sample(&set);
    CHECK(!set.procs[0].alive);
    CHECK(proc_set_cpu_s(&set) >= 0.25);
    close(go[1]);

    machine_t m;
    machine_read(&m);
    CHECK(m.cores > 0 && m.kernel[0] && m.mem_total_kb > 0);
}

int main(void)
{
    RUN(test_due_times);
    RUN(test_no_drift);
    RUN(test_rates);
    RUN(test_cpu_accounting);
    return CHECK_DONE();
}
