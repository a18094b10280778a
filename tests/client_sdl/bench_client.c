/* bench_client.c - figures of the desktop client's cost (BENCHMARKS.md, "Desktop client"):
 *
 *   launch   the real uschat-client started N times on the X server of DISPLAY: the time
 *            from fork() to its first drawn and presented frame (the login window), which
 *            it reports on stderr when USCHAT_CLIENT_TRACE=1;
 *   idle     the real uschat-client left alone on the login window without the keyboard
 *            focus (a window of the benchmark has it) for SECONDS: CPU time and wake-ups (context
 *            switches of all its threads, from /proc);
 *   scroll   in this process: the UI over a model holding a 10,000-message conversation
 *            (fed as the chat node's history answer), scrolled from the newest message to the
 *            oldest in STEP-pixel steps; every frame (tick, draw, present) timed, p50/p99,
 *            in wall time and in the drawing thread's CPU time (without the time other
 *            processes held the core, which dominates the wall p99 on a loaded machine);
 *            with --fps N a frame is due every 1000/N ms (as wheel events come to the real
 *            client, which sleeps between them) and timed from when it was due, else the
 *            frames run back to back (a busy loop, which the scheduler treats as a batch job);
 *   memory   this process's resident size before the model and after the 10,000 messages
 *            are loaded and drawn.
 *
 * Usage: uschat-client-bench [--client PATH] [--launches N] [--idle SECONDS] [--step PX]
 *                            [--messages N] [--fps N]
 * `tools/uschat bench client` runs it under Xvfb. Not a test: it prints figures. Main thread.
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app_config.h"
#include "model_fixture.h"
#include "ui_app.h"
#include "ui_internal.h"
#include "uschat_client.h"

static double s_clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double s_now_ms(void)
{
    return s_clock_ms(CLOCK_MONOTONIC);
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_pct(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, s_cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* Starts the client with its stderr on a pipe; *ERR_FD gets the read end. */
static pid_t s_spawn(const char *client, int *err_fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        setenv("USCHAT_CLIENT_TRACE", "1", 1);
        execl(client, client, "--gate", "http://127.0.0.1:9", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *err_fd = p[0];
    return pid;
}

/* Reads the child's stderr until the first-frame line; false on EOF. */
static bool s_wait_first_frame(int fd)
{
    char buf[4096];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
        if (n <= 0)
            return false;
        used += (size_t)n;
        buf[used] = '\0';
        if (strstr(buf, "first frame"))
            return true;
        if (used > sizeof buf / 2) {
            memmove(buf, buf + used / 2, used - used / 2);
            used -= used / 2;
        }
    }
}

static void s_stop(pid_t pid, int fd)
{
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    close(fd);
}

static void s_bench_launch(const char *client, int runs)
{
    double *t = calloc((size_t)runs, sizeof *t);
    int ok = 0;
    for (int i = 0; i < runs; i++) {
        int fd;
        double t0 = s_now_ms();
        pid_t pid = s_spawn(client, &fd);
        if (pid < 0)
            break;
        if (s_wait_first_frame(fd))
            t[ok++] = s_now_ms() - t0;
        s_stop(pid, fd);
    }
    if (ok == 0)
        printf("launch: the client drew no frame (DISPLAY=%s)\n", getenv("DISPLAY"));
    else
        printf("launch to drawn login window: median %.0f ms, max %.0f ms (%d runs)\n",
               s_pct(t, (size_t)ok, 0.5), s_pct(t, (size_t)ok, 1.0), ok);
    free(t);
}

/* Context switches of every thread and CPU ticks of process PID. */
static void s_proc_sample(pid_t pid, long long *switches, long long *cpu_ticks)
{
    *switches = 0;
    *cpu_ticks = 0;
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[1024];
        if (fgets(line, sizeof line, f)) {
            const char *p = strrchr(line, ')');
            unsigned long long ut = 0, st = 0;
            /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt
             * majflt cmajflt utime stime */
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                            &st) == 2)
                *cpu_ticks = (long long)(ut + st);
        }
        fclose(f);
    }
    for (int tid = (int)pid; tid < (int)pid + 64; tid++) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, tid);
        f = fopen(path, "r");
        if (!f)
            continue;
        char line[256];
        long long v;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
                *switches += v;
        }
        fclose(f);
    }
}

static void s_bench_idle(const char *client, int seconds)
{
    int fd;
    pid_t pid = s_spawn(client, &fd);
    if (pid < 0 || !s_wait_first_frame(fd)) {
        printf("idle: the client drew no frame\n");
        if (pid > 0)
            s_stop(pid, fd);
        return;
    }
    /* Without a window manager the client's window has the focus (the pointer is over it):
     * a small window of this process takes it, as another program would */
    SDL_Window *other = NULL;
    if (SDL_Init(SDL_INIT_VIDEO) == 0) {
        other = SDL_CreateWindow("other", 0, 0, 120, 80, 0);
        SDL_WarpMouseGlobal(0, 0);
        if (other)
            SDL_SetWindowInputFocus(other);
        SDL_PumpEvents();
    }
    sleep(2); /* settle: the window is mapped, the first events handled */
    long long sw0, cpu0, sw1, cpu1;
    s_proc_sample(pid, &sw0, &cpu0);
    sleep((unsigned)seconds);
    s_proc_sample(pid, &sw1, &cpu1);
    s_stop(pid, fd);
    if (other)
        SDL_DestroyWindow(other);
    SDL_Quit();
    double cpu_ms = (double)(cpu1 - cpu0) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
    printf("idle %d s, login window, no keyboard focus: %lld wake-ups (%.2f/s), CPU %.0f ms "
           "(%.3f %%)\n",
           seconds, sw1 - sw0, (double)(sw1 - sw0) / seconds, cpu_ms, cpu_ms / (seconds * 10.0));
}

static long s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long kb = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static const char *s_words[] = {"hello", "the",  "meeting", "is",      "at", "noon",  "我们",
                                "明天",  "见面", "project", "numbers", "ok", "great", "再见"};

/* The conversation: N messages over the last N/200 days, both senders, 1 to 40 words. */
static json_t *s_history(int n)
{
    json_t *items = json_array();
    time_t start = time(NULL) - (time_t)n * 430;
    unsigned seed = 12345;
    for (int i = 0; i < n; i++) {
        char text[512] = "", uid[24], when[20];
        seed = seed * 1103515245u + 12345u;
        int words = 1 + (int)((seed >> 16) % 40);
        size_t used = 0;
        for (int w = 0; w < words && used < sizeof text - 16; w++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", w ? " " : "",
                                     s_words[(seed >> (w % 16)) % 14]);
        snprintf(uid, sizeof uid, "b%d", i);
        time_t t = start + (time_t)i * 430;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        json_array_append_new(items,
                              fx_item(i % 3 ? 2002 : FX_ME, 90000 + i, 1 + i, uid, text, when));
    }
    return items;
}

static void s_bench_scroll(int nmsgs, int step, int fps)
{
    long rss0 = s_rss_kb();
    SDL_Window *win = SDL_CreateWindow("UsChat bench", 0, 0, 1000, 680, SDL_WINDOW_HIDDEN);
    SDL_Renderer *r = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE) : NULL;
    app_font_spec_t fonts[8];
    size_t nf = app_config_fonts(fonts, 8);
    if (!r || nf == 0) {
        printf("scroll: no window or no font (%s)\n", SDL_GetError());
        return;
    }
    app_model_t *m = app_model_new("alice@example.com");
    fx_login(m, 1, (fx_user_t[]){{2002, "bob", "Bob"}});
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, nmsgs, 0, "last", "2026-01-01 00:00:00")));
    ui_app_t *ui = ui_app_new(win, r, m, fonts, nf, "http://127.0.0.1:8080");
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    fx_drain(m);
    fx_feed(m, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)77, "last_message_id",
                      (json_int_t)90000, "load_more", 0, "chat_datas", s_history(nmsgs)));
    uint64_t now = 1000;
    for (int i = 0; i < 3; i++) {
        ui_app_tick(ui, now += 16);
        ui_app_render(ui);
        SDL_RenderPresent(r);
        fx_drain(m);
    }
    long rss1 = s_rss_kb();
    size_t cap = 1 << 16, n = 0;
    double *ms = malloc(cap * sizeof *ms), *cpu = malloc(cap * sizeof *cpu);
    double t_all = s_now_ms();
    double tick = s_now_ms();
    while (!ui->conv_at_top && n < cap) {
        /* paced: a frame is due every 1000 / FPS ms, as the wheel's events come, and is timed
         * from when it was due (the wake-up's delay counts); else back to back */
        double t0 = s_now_ms();
        if (fps > 0) {
            tick += 1000.0 / fps;
            if (tick > t0) {
                struct timespec ts = {(time_t)(tick / 1e3),
                                      (long)((tick - (double)(time_t)(tick / 1e3) * 1e3) * 1e6)};
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                t0 = tick;
            } else {
                tick = t0; /* late: this frame starts now */
            }
        }
        double c0 = s_clock_ms(CLOCK_THREAD_CPUTIME_ID);
        ui_app_scroll_conversation(ui, step);
        ui_app_tick(ui, now += 16);
        ui_app_render(ui);
        SDL_RenderPresent(r);
        cpu[n] = s_clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        ms[n++] = s_now_ms() - t0;
        fx_drain(m);
    }
    t_all = s_now_ms() - t_all;
    printf("scroll %d messages bottom to top, %d px a frame%s, software renderer 1000x680: %zu "
           "frames in %.1f s, frame p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           nmsgs, step, fps > 0 ? " (paced)" : "", n, t_all / 1e3, s_pct(ms, n, 0.5),
           s_pct(ms, n, 0.99), s_pct(ms, n, 1.0));
    /* the frame's own work, without the time other processes had the core */
    printf("scroll CPU of the drawing thread a frame: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           s_pct(cpu, n, 0.5), s_pct(cpu, n, 0.99), s_pct(cpu, n, 1.0));
    printf("memory: resident %ld KiB before the model, %ld KiB with %d messages loaded and "
           "drawn (+%ld KiB)\n",
           rss0, rss1, nmsgs, rss1 - rss0);
    free(ms);
    free(cpu);
    ui_app_destroy(&ui);
    app_model_destroy(&m);
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
}

int main(int argc, char **argv)
{
    const char *client = NULL;
    int launches = 5, idle = 60, step = 240, nmsgs = 10000, fps = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--client") == 0)
            client = argv[i + 1];
        else if (strcmp(argv[i], "--launches") == 0)
            launches = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--idle") == 0)
            idle = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--step") == 0)
            step = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--messages") == 0)
            nmsgs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--fps") == 0)
            fps = atoi(argv[i + 1]);
    }
    setenv("TZ", "UTC", 0);
    if (client && getenv("DISPLAY")) {
        if (launches > 0)
            s_bench_launch(client, launches);
        if (idle > 0)
            s_bench_idle(client, idle);
    } else {
        printf("launch, idle: skipped (needs --client PATH and an X server in DISPLAY)\n");
    }
    /* the scroll bench draws offscreen, as the UI tests do */
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    if (nmsgs > 0 && step > 0)
        s_bench_scroll(nmsgs, step, fps);
    TTF_Quit();
    SDL_Quit();
    return 0;
}
