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
    long rss_peak_kb; /* highest VmRSS seen while sampling during the run */
    long hwm_kb;      /* VmHWM at the end: the process's peak RSS over its whole life */
    int alive;        /* still there at the last sample */
} proc_watch_t;

typedef struct {
    proc_watch_t procs[PROC_MAX_WATCH];
    int count;
} proc_set_t;

/* Adds PID (NAME may be NULL: /proc/PID/comm). -1 when the set is full or PID not running. */
int proc_set_add(proc_set_t *set, int pid, const char *name);
/* Adds the pid of every DIR/NAME.pid file whose process runs. Returns how many. */
int proc_set_add_pid_dir(proc_set_t *set, const char *dir);
/* Takes the starting CPU figures. */
void proc_set_start(proc_set_t *set);
/* Samples RSS (and CPU as the end value); call once per second and at the end. */
void proc_set_sample(proc_set_t *set);

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
