/* scenario_broker.c - `broker`: runs the broker benchmark (tools/bench_broker,
 * uschat-bench-broker) when it is built, bounded by --duration plus a grace period, and puts
 * its figures into the report (its --json file, or its output, parsed when it prints JSON).
 * Arguments after "--" go to it unchanged. The broker benchmark measures the broker hop itself
 * (actors on ZeroMQ), which the client protocol cannot reach; this scenario only runs it, so one
 * report holds every figure. Main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

#define BROKER_GRACE_S 60
#define OUTPUT_MAX     (1 << 20)

/* The benchmark next to this program in the build tree: <build>/tools/bench_broker/. */
static int s_find(const load_opts_t *o, char *path, size_t cap)
{
    if (o->broker_bin) {
        snprintf(path, cap, "%s", o->broker_bin);
        return access(path, X_OK);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0'; /* <build>/tools/load */
    snprintf(path, cap, "%s/../bench_broker/uschat-bench-broker", self);
    return access(path, X_OK);
}

int scenario_broker(load_opts_t *o, report_t *r)
{
    char path[PATH_MAX + 64];
    if (s_find(o, path, sizeof path) < 0) {
        fprintf(stderr,
                "uschat-load: the broker benchmark is not built (looked for %s); build the "
                "target uschat-bench-broker or give --broker-bin\n",
                path);
        return -1;
    }
    /* uschat-bench-broker writes its figures with --json FILE; ask for them unless the
     * caller names a file or another program */
    char json_path[64] = "";
    int user_json = 0;
    for (int i = 0; i < o->extra_n; i++)
        user_json |= strcmp(o->extra_args[i], "--json") == 0;
    if (!user_json && !o->broker_bin)
        snprintf(json_path, sizeof json_path, "/tmp/uschat-load-broker-%d.json", (int)getpid());
    char **argv = calloc((size_t)o->extra_n + 4, sizeof *argv);
    int out[2];
    if (!argv || pipe2(out, O_CLOEXEC) < 0) {
        free(argv);
        return -1;
    }
    int argc = 0;
    argv[argc++] = path;
    for (int i = 0; i < o->extra_n; i++)
        argv[argc++] = o->extra_args[i];
    if (json_path[0]) {
        argv[argc++] = "--json";
        argv[argc++] = json_path;
    }
    proc_set_start(&o->procs);
    int64_t t0 = engine_now_us();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        execv(path, argv);
        _exit(127);
    }
    close(out[1]);
    free(argv);
    if (pid < 0) {
        close(out[0]);
        return -1;
    }
    char *text = malloc(OUTPUT_MAX + 1);
    size_t len = 0;
    int64_t deadline = t0 + (int64_t)(o->duration_s + BROKER_GRACE_S) * 1000000;
    int status = 0, killed = 0, open_pipe = 1;
    for (;;) {
        if (open_pipe) {
            struct pollfd p = {.fd = out[0], .events = POLLIN};
            if (poll(&p, 1, 200) > 0) {
                char buf[4096];
                ssize_t n = read(out[0], buf, sizeof buf);
                if (n <= 0) {
                    open_pipe = 0;
                } else {
                    fwrite(buf, 1, (size_t)n, stdout); /* show it as it comes */
                    fflush(stdout);
                    size_t take = text && len + (size_t)n <= OUTPUT_MAX ? (size_t)n : 0;
                    if (take)
                        memcpy(text + len, buf, take);
                    len += take;
                }
            }
        } else {
            usleep(100000);
        }
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (engine_now_us() > deadline || load_stop) {
            kill(pid, killed ? SIGKILL : SIGTERM);
            killed++;
            deadline = engine_now_us() + 5000000;
        }
    }
    close(out[0]);
    double seconds = (double)(engine_now_us() - t0) / 1e6;
    if (text) {
        text[len] = '\0';
        json_t *parsed = json_path[0] ? json_load_file(json_path, 0, NULL) : NULL;
        if (json_path[0])
            unlink(json_path);
        if (!parsed)
            parsed = json_loads(text, 0, NULL);
        if (!parsed) { /* JSON on the last line, after human-readable lines? */
            char *last = len ? strrchr(text, '{') : NULL;
            while (last && last > text && last[-1] != '\n')
                last = memrchr(text, '{', (size_t)(last - text));
            parsed = last ? json_loads(last, 0, NULL) : NULL;
        }
        json_object_set_new(report_config(r), "broker_bench", json_string(path));
        report_metric(r, "broker_exit_status",
                      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        report_metric(r, "broker_killed", killed);
        if (parsed)
            report_attach(r, "broker", parsed);
        else
            report_attach(r, "broker_output", json_string(text));
        free(text);
    }
    load_report_finish(o, r, seconds, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
