/* procstat.c - /proc readings (procstat.h): utime+stime of /proc/PID/stat, VmRSS and VmHWM of
 * /proc/PID/status, machine facts from sysconf, uname and /proc/cpuinfo. Main thread.
 */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static int s_read_cpu(int pid, double *cpu_s)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* fields after the ")" that ends comm: state(3) ... utime(14) stime(15) */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    *cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

/* Reads "KEY: N kB" of /proc/PID/status. */
static long s_status_kb(int pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = atol(line + klen + 1);
            break;
        }
    fclose(f);
    return v;
}

/* Busy seconds of all cores since boot: the first line of /proc/stat without idle and iowait
 * (guest time is already inside user). */
static double s_machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n < 4)
        return 0;
    return (double)(user + nice + system + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);
}

int proc_set_add(proc_set_t *set, int pid, const char *name)
{
    if (set->count == PROC_MAX_WATCH || pid <= 0)
        return -1;
    double cpu;
    if (s_read_cpu(pid, &cpu) < 0)
        return -1;
    for (int i = 0; i < set->count; i++)
        if (set->procs[i].pid == pid)
            return 0;
    proc_watch_t *w = &set->procs[set->count++];
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->alive = 1;
    if (name) {
        snprintf(w->name, sizeof w->name, "%s", name);
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(w->name, sizeof w->name, f))
                w->name[strcspn(w->name, "\n")] = '\0';
            fclose(f);
        }
    }
    return 0;
}

int proc_set_add_pid_dir(proc_set_t *set, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pid") != 0)
            continue;
        char path[1024], name[64];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(name, sizeof name, "%.*s", (int)(n - 4), e->d_name);
        FILE *f = fopen(path, "r");
        int pid = 0;
        if (f) {
            if (fscanf(f, "%d", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0 && proc_set_add(set, pid, name) == 0)
            added++;
    }
    closedir(d);
    return added;
}

void proc_set_start(proc_set_t *set)
{
    long hwm_unused;
    proc_self(&set->self_cpu_start_s, &hwm_unused);
    set->self_cpu_end_s = set->self_cpu_start_s;
    set->machine_busy_start_s = set->machine_busy_end_s = s_machine_busy_s();
    for (int i = 0; i < set->count; i++) {
        proc_watch_t *w = &set->procs[i];
        w->alive = s_read_cpu(w->pid, &w->cpu_start_s) == 0;
        w->cpu_end_s = w->cpu_start_s;
        w->rss_start_kb = s_status_kb(w->pid, "VmRSS");
        w->rss_peak_kb = w->rss_start_kb;
    }
}

void proc_set_sample(proc_set_t *set)
{
    long hwm_unused;
    proc_self(&set->self_cpu_end_s, &hwm_unused);
    set->machine_busy_end_s = s_machine_busy_s();
    for (int i = 0; i < set->count; i++) {
        proc_watch_t *w = &set->procs[i];
        if (!w->alive)
            continue;
        double cpu;
        if (s_read_cpu(w->pid, &cpu) < 0) {
            w->alive = 0; /* exited (or crashed) during the run: keep the last figures */
            continue;
        }
        w->cpu_end_s = cpu;
        long rss = s_status_kb(w->pid, "VmRSS");
        if (rss > w->rss_peak_kb)
            w->rss_peak_kb = rss;
        long hwm = s_status_kb(w->pid, "VmHWM");
        if (hwm > 0)
            w->hwm_kb = hwm;
    }
}

double proc_set_cpu_s(const proc_set_t *set)
{
    double sum = 0;
    for (int i = 0; i < set->count; i++)
        sum += set->procs[i].cpu_end_s - set->procs[i].cpu_start_s;
    return sum;
}

double proc_set_self_cpu_s(const proc_set_t *set)
{
    return set->self_cpu_end_s - set->self_cpu_start_s;
}

double proc_set_machine_cpu_s(const proc_set_t *set)
{
    return set->machine_busy_end_s - set->machine_busy_start_s;
}

void machine_read(machine_t *m)
{
    memset(m, 0, sizeof *m);
    m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%.20s %.64s %.20s", u.sysname, u.release, u.machine);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(m->cpu_model, sizeof m->cpu_model, "%s", colon + 2);
                m->cpu_model[strcspn(m->cpu_model, "\n")] = '\0';
            }
            break;
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "MemTotal:", 9) == 0) {
            m->mem_total_kb = atol(line + 9);
            break;
        }
    if (f)
        fclose(f);
}

void proc_self(double *cpu_s, long *hwm_kb)
{
    int pid = (int)getpid();
    if (s_read_cpu(pid, cpu_s) < 0)
        *cpu_s = 0;
    *hwm_kb = s_status_kb(pid, "VmHWM");
}
