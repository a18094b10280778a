/* procstat.h - server-side figures from /proc for uschat-load's report: CPU seconds and
 * memory of the server processes under load, and what machine it ran on. Linux only. Main
 * thread (sampled once per second).
 */
#ifndef USCHAT_LOAD_PROCSTAT_H
#define USCHAT_LOAD_PROCSTAT_H

#include <stddef.h>

#define PROC_MAX_WATCH 32

typedef struct {
    int pid;
    char name[64];      /* comm, or the pid file's name */
    double cpu_start_s; /* utime+stime when the run started */
    double cpu_end_s;
    long rss_start_kb; /* VmRSS when the run started (the baseline of rss_peak_kb) */
    long rss_peak_kb;  /* highest VmRSS seen while sampling during the run */
    long hwm_kb;       /* VmHWM at the end: the process's peak RSS over its whole life */
    int alive;         /* still there at the last sample */
} proc_watch_t;

typedef struct {
    proc_watch_t procs[PROC_MAX_WATCH];
    int count;
    /* the load generator's own CPU over the same window: on a shared machine it competes
     * with the servers, so the cost of a message is counted on both sides */
    double self_cpu_start_s, self_cpu_end_s;
    /* the whole machine's busy CPU (all cores, /proc/stat): what neither the servers nor the
     * load generator used was taken by other work on a shared machine (noise) */
    double machine_busy_start_s, machine_busy_end_s;
} proc_set_t;

/* Adds PID (NAME may be NULL: /proc/PID/comm). -1 when the set is full or PID not running. */
int proc_set_add(proc_set_t *set, int pid, const char *name);
/* Adds the pid of every DIR/NAME.pid file whose process runs. Returns how many. */
int proc_set_add_pid_dir(proc_set_t *set, const char *dir);
/* Takes the starting CPU figures (the servers' and this process's own). */
void proc_set_start(proc_set_t *set);
/* Samples RSS (and CPU as the end value); call once per second and at the end. */
void proc_set_sample(proc_set_t *set);
/* CPU seconds of every watched server between start and the last sample. */
double proc_set_cpu_s(const proc_set_t *set);
/* CPU seconds of this process between start and the last sample. */
double proc_set_self_cpu_s(const proc_set_t *set);
/* Busy CPU seconds of the whole machine (every core) between start and the last sample. */
double proc_set_machine_cpu_s(const proc_set_t *set);

typedef struct {
    int cores;
    char kernel[128];
    char cpu_model[128];
    long mem_total_kb;
} machine_t;
void machine_read(machine_t *m);

/* This process's own CPU seconds and peak RSS (kB). */
void proc_self(double *cpu_s, long *hwm_kb);

#endif
