/* scenario_common.c - pieces every scenario uses: node addresses, the once-per-second tick,
 * and the common parts of the report. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

volatile sig_atomic_t load_stop;

int load_resolve_nodes(const load_opts_t *o, struct sockaddr_storage *addrs, socklen_t *lens)
{
    if (o->env.node_count == 0) {
        fprintf(stderr, "uschat-load: no chat node address (CHAT_NODES in stack.env, or --node)\n");
        return -1;
    }
    for (int i = 0; i < o->env.node_count; i++) {
        const load_node_t *n = &o->env.nodes[i];
        if (engine_resolve(n->host, n->port, &addrs[i], &lens[i]) < 0) {
            fprintf(stderr, "uschat-load: cannot resolve chat node %s (%s:%d)\n", n->name, n->host,
                    n->port);
            return -1;
        }
    }
    return 0;
}

void ticker_start(ticker_t *t, int64_t now)
{
    t->start_us = now;
    t->next_us = now + 1000000;
    t->seconds = 0;
}

int ticker_due(ticker_t *t, int64_t now)
{
    if (now < t->next_us)
        return 0;
    t->next_us += 1000000;
    if (t->next_us <= now) /* a stall of more than a second: do not replay missed ticks */
        t->next_us = now + 1000000;
    t->seconds++;
    return 1;
}

int64_t load_sched_of(const char *tag, int64_t t0, const char *unique_id)
{
    size_t n = strlen(tag);
    if (!unique_id || strncmp(unique_id, tag, n) != 0 || unique_id[n] != '-')
        return -1;
    return t0 + strtoll(unique_id + n + 1, NULL, 10);
}

int load_reply_failed(err_table_t *errors, int parse_rc, int error)
{
    if (parse_rc == 0 && error == 0)
        return 0;
    if (error)
        err_add_code(errors, error);
    else
        err_add(errors, "bad_ack");
    return 1;
}

void load_report_engine(report_t *r, const engine_stats_t *s)
{
    report_metric(r, "connections_started", (double)s->connects);
    report_metric(r, "logins_ok", (double)s->logins_ok);
    report_metric(r, "logins_failed", (double)s->logins_failed);
    report_metric(r, "live_peak", (double)s->live_peak);
    report_metric(r, "closed_by_server", (double)s->closed_by_server);
    report_metric(r, "kicked_1021", (double)s->kicked);
    report_metric(r, "heartbeats_sent", (double)s->heartbeats_sent);
    report_metric(r, "heartbeats_ok", (double)s->heartbeats_ok);
    report_metric(r, "bad_frames", (double)s->bad_frames);
    report_metric(r, "messages_in", (double)s->msgs_in);
    report_metric(r, "messages_out", (double)s->msgs_out);
    if (s->login_us.count)
        report_hist(r, "login", &s->login_us);
    if (s->heartbeat_us.count)
        report_hist(r, "heartbeat", &s->heartbeat_us);
    report_errors(r, &s->errors);
}

void load_report_finish(load_opts_t *o, report_t *r, double seconds, long connections)
{
    proc_set_sample(&o->procs);
    report_metric(r, "server_cpu_s", proc_set_cpu_s(&o->procs));
    report_metric(r, "client_cpu_s", proc_set_self_cpu_s(&o->procs));
    /* everything else the machine did meanwhile (other processes, kernel threads): on a
     * shared machine, the noise in these figures */
    double others = proc_set_machine_cpu_s(&o->procs) - proc_set_cpu_s(&o->procs) -
                    proc_set_self_cpu_s(&o->procs);
    report_metric(r, "machine_cpu_s", proc_set_machine_cpu_s(&o->procs));
    report_metric(r, "other_cpu_s", others > 0 ? others : 0);
    report_duration(r, seconds);
    report_servers(r, &o->procs, seconds);
    report_machine(r);
    report_client(r, connections);
}
