/* scenario_connections.c - `connections`: hold N logged-in sessions with heartbeats.
 *
 * Connection i is scheduled at start + i / connect_rate (open loop: a slow login does not
 * delay the next one) and goes to chat node i % nodes. Each logs in with its load user's
 * Redis token, then beats every --heartbeat ms until the run ends. Reported: login latency
 * from the scheduled time, heartbeat latency, how many sessions were live at the peak and at
 * the end, every drop, and the memory the client spent per connection. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "load.h"

int scenario_connections(load_opts_t *o, report_t *r)
{
    int n = o->users;
    char err[256];
    load_user_t *users = NULL;
    if (seed_load_users(&o->seed_opts, n, &users, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: %s\n", err);
        return -1;
    }
    struct sockaddr_storage addrs[LOAD_MAX_NODES];
    socklen_t lens[LOAD_MAX_NODES];
    lconn_t *conns = calloc((size_t)n, sizeof *conns);
    engine_callbacks_t cb = {0};
    engine_t *e = conns ? engine_new(&cb, NULL, o->heartbeat_ms) : NULL;
    if (!e || load_resolve_nodes(o, addrs, lens) < 0) {
        engine_destroy(&e);
        free(conns);
        free(users);
        return -1;
    }
    long limit = engine_raise_fd_limit(n);
    if (limit < n + 16)
        fprintf(stderr, "uschat-load: open-file limit %ld is below %d connections\n", limit, n);

    engine_stats_t *st = engine_stats(e);
    int64_t t0 = engine_now_us(), end = t0 + (int64_t)o->duration_s * 1000000;
    double gap_us = o->connect_rate > 0 ? 1e6 / o->connect_rate : 0;
    int next = 0;
    uint64_t last_logins = 0;
    ticker_t tick;
    ticker_start(&tick, t0);
    proc_set_start(&o->procs);
    int64_t now = t0;
    while (now < end && !load_stop) {
        while (next < n && t0 + (int64_t)(next * gap_us) <= now) {
            int node = next % o->env.node_count;
            conns[next].node = (uint16_t)node;
            conns[next].user = next;
            engine_login(e, &conns[next], &addrs[node], lens[node], users[next].uid,
                         users[next].token, t0 + (int64_t)(next * gap_us));
            next++;
        }
        int64_t wait = 100000;
        if (next < n) {
            int64_t due = t0 + (int64_t)(next * gap_us) - now;
            wait = due < wait ? due : wait;
        }
        engine_poll(e, wait);
        now = engine_now_us();
        if (ticker_due(&tick, now)) {
            proc_set_sample(&o->procs);
            uint64_t logins = st->logins_ok - last_logins;
            last_logins = st->logins_ok;
            report_timeline(r, "live", (double)st->live);
            report_timeline(r, "logins_per_s", (double)logins);
            fprintf(stderr,
                    "t=%3ds live %6llu  logins/s %6llu  failed %llu  dropped %llu  "
                    "heartbeats ok %llu  errors %llu\n",
                    tick.seconds, (unsigned long long)st->live, (unsigned long long)logins,
                    (unsigned long long)st->logins_failed, (unsigned long long)st->closed_by_server,
                    (unsigned long long)st->heartbeats_ok,
                    (unsigned long long)err_total(&st->errors));
        }
    }
    double seconds = (double)(engine_now_us() - t0) / 1e6;
    report_metric(r, "connections_target", n);
    report_metric(r, "live_at_end", (double)st->live);
    report_metric(r, "connect_rate_target", o->connect_rate);
    report_metric(r, "not_started", n - next);
    load_report_engine(r, st);
    /* measure the client's memory while the connections are still open */
    load_report_finish(o, r, seconds, n);
    if (st->live < (uint64_t)n)
        report_note(r, "not every connection was live at the end: see errors and logins_failed");
    engine_destroy(&e);
    free(conns);
    free(users);
    return 0;
}
