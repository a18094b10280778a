/* scenario_login.c - `login`: logins per second, each a whole user login.
 *
 * Through the gate (default): POST /user_login (password transformed as the seed's client
 * does, keep-alive per worker), then a TCP connection to the node the gate named, 1005 ->
 * 1006, close. The HTTP client of the library is blocking, so --threads workers share one
 * open-loop schedule: login k is due at start + k / rate and its latency counts from then,
 * so when the workers (or the server) fall behind, the delay shows in the figures instead of
 * slowing the schedule down. With --rate 0 each worker logs in back to back.
 *
 * --direct skips the gate: 1005 with the users' Redis tokens through the epoll engine, at
 * most --concurrency in flight; a login waiting for a free slot keeps its scheduled time.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

/* ---- direct: through the engine ------------------------------------------------------ */

typedef struct {
    int *free_slots;
    int free_n;
    lconn_t *slots;
} direct_t;

static void s_direct_ready(engine_t *e, lconn_t *c, void *ud)
{
    direct_t *d = ud;
    engine_close(e, c); /* a login is done once 1006 arrived */
    d->free_slots[d->free_n++] = (int)(c - d->slots);
}

static void s_direct_closed(engine_t *e, lconn_t *c, void *ud)
{
    (void)e;
    direct_t *d = ud;
    d->free_slots[d->free_n++] = (int)(c - d->slots);
}

static int s_login_direct(load_opts_t *o, report_t *r)
{
    char err[256];
    load_user_t *users = NULL;
    if (seed_load_users(&o->seed_opts, o->users, &users, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: %s\n", err);
        return -1;
    }
    struct sockaddr_storage addrs[LOAD_MAX_NODES];
    socklen_t lens[LOAD_MAX_NODES];
    int slots = o->concurrency;
    direct_t d = {calloc((size_t)slots, sizeof(int)), 0, calloc((size_t)slots, sizeof(lconn_t))};
    engine_callbacks_t cb = {.on_ready = s_direct_ready, .on_closed = s_direct_closed};
    engine_t *e = d.free_slots && d.slots ? engine_new(&cb, &d, 0) : NULL;
    if (!e || load_resolve_nodes(o, addrs, lens) < 0) {
        engine_destroy(&e);
        free(d.free_slots);
        free(d.slots);
        free(users);
        return -1;
    }
    engine_raise_fd_limit(slots);
    for (int i = slots; i-- > 0;)
        d.free_slots[d.free_n++] = i;

    engine_stats_t *st = engine_stats(e);
    int64_t t0 = engine_now_us(), end = t0 + (int64_t)o->duration_s * 1000000;
    double gap_us = o->rate > 0 ? 1e6 / o->rate : 0;
    uint64_t k = 0, last_ok = 0, waited = 0;
    ticker_t tick;
    ticker_start(&tick, t0);
    proc_set_start(&o->procs);
    int64_t now = t0;
    while (now < end && !load_stop) {
        for (;;) {
            int64_t sched = gap_us > 0 ? t0 + (int64_t)((double)k * gap_us) : now;
            if (sched > now || sched >= end)
                break;
            if (d.free_n == 0) {
                waited++;
                break;
            }
            lconn_t *c = &d.slots[d.free_slots[--d.free_n]];
            int u = (int)(k % (uint64_t)o->users);
            int node = (int)(k % (uint64_t)o->env.node_count);
            c->user = u;
            if (engine_login(e, c, &addrs[node], lens[node], users[u].uid, users[u].token, sched) <
                0)
                d.free_slots[d.free_n++] = (int)(c - d.slots); /* failed at once, no callback */
            k++;
        }
        int64_t wait = 1000; /* flat out or no free slot: look again soon */
        if (gap_us > 0 && d.free_n > 0) {
            wait = t0 + (int64_t)((double)k * gap_us) - engine_now_us();
            wait = wait > 50000 ? 50000 : wait;
        }
        engine_poll(e, wait);
        now = engine_now_us();
        if (ticker_due(&tick, now)) {
            proc_set_sample(&o->procs);
            uint64_t ok = st->logins_ok - last_ok;
            last_ok = st->logins_ok;
            report_timeline(r, "logins_per_s", (double)ok);
            fprintf(stderr, "t=%3ds logins/s %6llu  in flight %d  failed %llu  errors %llu\n",
                    tick.seconds, (unsigned long long)ok, slots - d.free_n,
                    (unsigned long long)st->logins_failed,
                    (unsigned long long)err_total(&st->errors));
        }
    }
    double seconds = (double)(engine_now_us() - t0) / 1e6;
    report_metric(r, "rate_target", o->rate);
    report_metric(r, "logins_scheduled", (double)k);
    report_metric(r, "logins_per_s", seconds > 0 ? (double)st->logins_ok / seconds : 0);
    report_metric(r, "slot_waits", (double)waited);
    report_metric(r, "in_flight_at_end", slots - d.free_n);
    load_report_engine(r, st);
    load_report_finish(o, r, seconds, slots);
    report_cpu_per_op(r, &o->procs, "login", (double)st->logins_ok);
    engine_destroy(&e);
    free(d.free_slots);
    free(d.slots);
    free(users);
    return 0;
}

/* ---- through the gate: worker threads ------------------------------------------------ */

typedef struct {
    load_opts_t *o;
    int64_t t0, end;
    double gap_us;
    atomic_uint_fast64_t next;   /* the next login of the schedule */
    atomic_uint_fast64_t ok_now; /* for the progress line */
    atomic_int stop;
} gate_run_t;

typedef struct {
    gate_run_t *run;
    pthread_t thread;
    hist_t http_us, total_us;
    err_table_t errors;
    uint64_t ok, failed;
    char allowed_host[256]; /* the last node host that passed the loopback rule */
} worker_t;

static void s_sleep_until(int64_t t)
{
    int64_t now = engine_now_us();
    if (t <= now)
        return;
    struct timespec ts = {(time_t)((t - now) / 1000000), (long)((t - now) % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void s_gate_login(worker_t *w, uschat_http_t *http, uint64_t k, int64_t sched)
{
    load_opts_t *o = w->run->o;
    int u = (int)(k % (uint64_t)o->users);
    char email[128], why[256];
    seed_user_email(o->seed_opts.prefix, u, email, sizeof email);
    uschat_login_info_t li;
    int rc = uschat_http_login(http, email, o->seed_opts.password, &li);
    int64_t t_http = engine_now_us();
    if (rc < 0 || li.error != 0) {
        if (rc < 0)
            err_add(&w->errors, rc == USCHAT_E_TIMEOUT ? "http_timeout" : "http");
        else
            err_add_code(&w->errors, li.error);
        w->failed++;
        return;
    }
    hist_record(&w->http_us, t_http - sched);
    if (strcmp(li.host, w->allowed_host) != 0) {
        if (load_target_allowed(li.host, o->allowed, (size_t)o->allowed_n, why, sizeof why) < 0) {
            fprintf(stderr, "uschat-load: the gate sent a node address refused: %s\n", why);
            err_add(&w->errors, "node_not_allowed");
            w->failed++;
            atomic_store(&w->run->stop, 1);
            return;
        }
        snprintf(w->allowed_host, sizeof w->allowed_host, "%s", li.host);
    }
    int cerr = 0;
    uschat_session_t *s = uschat_session_connect(li.host, li.port, 5000, &cerr);
    int error = 0;
    rc = s ? uschat_session_login(s, li.uid, li.token, 5000, NULL, &error) : cerr;
    uschat_session_destroy(&s);
    if (rc < 0 || error != 0) {
        if (rc < 0)
            err_add(&w->errors, rc == USCHAT_E_TIMEOUT ? "node_timeout" : "node");
        else
            err_add_code(&w->errors, error);
        w->failed++;
        return;
    }
    hist_record(&w->total_us, engine_now_us() - sched);
    w->ok++;
    atomic_fetch_add(&w->run->ok_now, 1);
}

static void *s_worker(void *arg)
{
    worker_t *w = arg;
    gate_run_t *run = w->run;
    uschat_http_t *http = uschat_http_new(run->o->env.gate_url, 10000);
    if (!http) {
        err_add(&w->errors, "http_init");
        return NULL;
    }
    while (!atomic_load(&run->stop) && !load_stop) {
        uint64_t k = atomic_fetch_add(&run->next, 1);
        int64_t sched =
            run->gap_us > 0 ? run->t0 + (int64_t)((double)k * run->gap_us) : engine_now_us();
        if (sched >= run->end)
            break;
        s_sleep_until(sched);
        if (atomic_load(&run->stop) || load_stop)
            break;
        s_gate_login(w, http, k, sched);
    }
    uschat_http_destroy(&http);
    return NULL;
}

static int s_login_gate(load_opts_t *o, report_t *r)
{
    /* the users must exist (their password is the seeded one); tokens are the gate's job */
    char err[256];
    load_user_t *users = NULL;
    if (seed_load_users(&o->seed_opts, o->users, &users, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: %s\n", err);
        return -1;
    }
    free(users);
    int nw = o->threads;
    worker_t *workers = calloc((size_t)nw, sizeof *workers);
    gate_run_t run = {.o = o};
    if (!workers)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before threads: uschat_http_new() runs in each */
    run.t0 = engine_now_us() + 10000;
    run.end = run.t0 + (int64_t)o->duration_s * 1000000;
    run.gap_us = o->rate > 0 ? 1e6 / o->rate : 0;
    proc_set_start(&o->procs);
    int started = 0;
    for (int i = 0; i < nw; i++) {
        workers[i].run = &run;
        hist_init(&workers[i].http_us);
        hist_init(&workers[i].total_us);
        if (pthread_create(&workers[i].thread, NULL, s_worker, &workers[i]) != 0)
            break;
        started++;
    }
    ticker_t tick;
    ticker_start(&tick, run.t0);
    uint64_t last = 0;
    while (engine_now_us() < run.end && !load_stop && !atomic_load(&run.stop)) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        if (ticker_due(&tick, engine_now_us())) {
            proc_set_sample(&o->procs);
            uint64_t ok = atomic_load(&run.ok_now);
            report_timeline(r, "logins_per_s", (double)(ok - last));
            fprintf(stderr, "t=%3ds logins/s %6llu  (scheduled so far %llu)\n", tick.seconds,
                    (unsigned long long)(ok - last), (unsigned long long)atomic_load(&run.next));
            last = ok;
        }
    }
    atomic_store(&run.stop, 1);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i].thread, NULL);
    double seconds = (double)(engine_now_us() - run.t0) / 1e6;
    hist_t http_us, total_us;
    hist_init(&http_us);
    hist_init(&total_us);
    err_table_t errors = {0};
    uint64_t ok = 0, failed = 0;
    for (int i = 0; i < started; i++) {
        hist_merge(&http_us, &workers[i].http_us);
        hist_merge(&total_us, &workers[i].total_us);
        ok += workers[i].ok;
        failed += workers[i].failed;
        err_merge(&errors, &workers[i].errors);
    }
    report_metric(r, "rate_target", o->rate);
    report_metric(r, "threads", started);
    report_metric(r, "logins_ok", (double)ok);
    report_metric(r, "logins_failed", (double)failed);
    report_metric(r, "logins_per_s", seconds > 0 ? (double)ok / seconds : 0);
    report_hist(r, "gate_http", &http_us);
    report_hist(r, "gate_plus_node", &total_us);
    report_errors(r, &errors);
    load_report_finish(o, r, seconds, 0);
    report_cpu_per_op(r, &o->procs, "login", (double)ok);
    free(workers);
    curl_global_cleanup();
    return 0;
}

int scenario_login(load_opts_t *o, report_t *r)
{
    return o->direct ? s_login_direct(o, r) : s_login_gate(o, r);
}
