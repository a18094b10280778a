/* report.c - the run's figures as one JSON document and the summary table printed from it
 * (report.h). Main thread.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct report {
    json_t *root;
};

static json_t *s_obj(report_t *r, const char *key)
{
    json_t *o = json_object_get(r->root, key);
    if (!o) {
        o = json_object();
        json_object_set_new(r->root, key, o);
    }
    return o;
}

report_t *report_new(const char *scenario)
{
    report_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    r->root = json_pack("{s:s, s:s}", "scenario", scenario, "started_at", when);
    if (!r->root) {
        free(r);
        return NULL;
    }
    /* the machine is shared: how busy it was before this run started is part of the result */
    double load[3];
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3)
            json_object_set_new(r->root, "loadavg_at_start",
                                json_pack("[f, f, f]", load[0], load[1], load[2]));
        fclose(f);
    }
    return r;
}

void report_destroy(report_t **p)
{
    if (!p || !*p)
        return;
    json_decref((*p)->root);
    free(*p);
    *p = NULL;
}

json_t *report_config(report_t *r)
{
    return s_obj(r, "config");
}

void report_metric(report_t *r, const char *name, double value)
{
    json_object_set_new(s_obj(r, "metrics"), name, json_real(value));
}

void report_hist(report_t *r, const char *name, const hist_t *h)
{
    json_t *o =
        json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h->count, "min",
                  (json_int_t)(h->count ? h->min : 0), "mean", hist_mean(h), "p50",
                  (json_int_t)hist_percentile(h, 50), "p90", (json_int_t)hist_percentile(h, 90),
                  "p99", (json_int_t)hist_percentile(h, 99), "p999",
                  (json_int_t)hist_percentile(h, 99.9), "max", (json_int_t)(h->count ? h->max : 0));
    json_object_set_new(s_obj(r, "latency_us"), name, o);
}

void report_errors(report_t *r, const err_table_t *t)
{
    json_t *o = s_obj(r, "errors");
    for (int i = 0; i < t->n; i++) {
        json_t *old = json_object_get(o, t->e[i].name);
        json_int_t before = old ? json_integer_value(old) : 0;
        json_object_set_new(o, t->e[i].name, json_integer(before + (json_int_t)t->e[i].count));
    }
}

void report_timeline(report_t *r, const char *name, double value)
{
    json_t *t = s_obj(r, "timeline");
    json_t *a = json_object_get(t, name);
    if (!a) {
        a = json_array();
        json_object_set_new(t, name, a);
    }
    json_array_append_new(a, json_real(value));
}

void report_duration(report_t *r, double seconds)
{
    json_object_set_new(r->root, "duration_s", json_real(seconds));
}

void report_servers(report_t *r, const proc_set_t *set, double seconds)
{
    json_t *a = json_array();
    for (int i = 0; i < set->count; i++) {
        const proc_watch_t *w = &set->procs[i];
        double cpu = w->cpu_end_s - w->cpu_start_s;
        json_array_append_new(a, json_pack("{s:i, s:s, s:f, s:f, s:I, s:I, s:I, s:b}", "pid",
                                           w->pid, "name", w->name, "cpu_s", cpu, "cpu_pct",
                                           seconds > 0 ? 100.0 * cpu / seconds : 0.0,
                                           "rss_start_kb", (json_int_t)w->rss_start_kb,
                                           "rss_peak_kb", (json_int_t)w->rss_peak_kb, "hwm_kb",
                                           (json_int_t)w->hwm_kb, "alive", w->alive));
    }
    json_object_set_new(r->root, "servers", a);
}

void report_machine(report_t *r)
{
    machine_t m;
    machine_read(&m);
    json_object_set_new(r->root, "machine",
                        json_pack("{s:i, s:s, s:s, s:I}", "cores", m.cores, "kernel", m.kernel,
                                  "cpu", m.cpu_model, "mem_total_kb", (json_int_t)m.mem_total_kb));
}

void report_client(report_t *r, long connections)
{
    double cpu = 0;
    long hwm = 0;
    proc_self(&cpu, &hwm);
    json_t *o = json_pack("{s:f, s:I}", "cpu_s", cpu, "hwm_kb", (json_int_t)hwm);
    if (connections > 0)
        json_object_set_new(o, "hwm_bytes_per_connection",
                            json_real((double)hwm * 1024.0 / (double)connections));
    json_object_set_new(r->root, "client", o);
}

void report_note(report_t *r, const char *text)
{
    json_t *a = json_object_get(r->root, "notes");
    if (!a) {
        a = json_array();
        json_object_set_new(r->root, "notes", a);
    }
    json_array_append_new(a, json_string(text));
}

void report_attach(report_t *r, const char *key, json_t *value)
{
    json_object_set_new(r->root, key, value);
}

json_t *report_json(report_t *r)
{
    return r->root;
}

void report_cpu_per_op(report_t *r, const proc_set_t *set, const char *unit, double ops)
{
    if (!(ops > 0))
        return;
    double server = proc_set_cpu_s(set), client = proc_set_self_cpu_s(set);
    json_t *by = json_object();
    for (int i = 0; i < set->count; i++) {
        const proc_watch_t *w = &set->procs[i];
        json_object_set_new(by, w->name, json_real((w->cpu_end_s - w->cpu_start_s) * 1e6 / ops));
    }
    json_object_set_new(r->root, "cpu_per_op",
                        json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "unit", unit, "ops",
                                  ops, "server_cpu_s", server, "client_cpu_s", client, "server_us",
                                  server * 1e6 / ops, "client_us", client * 1e6 / ops, "total_us",
                                  (server + client) * 1e6 / ops, "by_server", by));
    char name[64];
    snprintf(name, sizeof name, "server_cpu_us_per_%s", unit);
    report_metric(r, name, server * 1e6 / ops);
    snprintf(name, sizeof name, "total_cpu_us_per_%s", unit);
    report_metric(r, name, (server + client) * 1e6 / ops);
}

static void s_print_us(FILE *out, json_int_t us)
{
    if (us >= 10000000)
        fprintf(out, " %8.1fs", (double)us / 1e6);
    else if (us >= 10000)
        fprintf(out, " %7.1fms", (double)us / 1e3);
    else
        fprintf(out, " %7lldus", (long long)us);
}

static double s_metric(const json_t *doc, const char *name)
{
    return json_number_value(json_object_get(json_object_get(doc, "metrics"), name));
}

static json_int_t s_lat(const json_t *doc, const char *hist, const char *col)
{
    return json_integer_value(
        json_object_get(json_object_get(json_object_get(doc, "latency_us"), hist), col));
}

/* One line per offered rate of a chat sweep. */
static void s_print_sweep(FILE *out, const json_t *sweep)
{
    if (!json_array_size(sweep))
        return;
    fprintf(out, "\n  %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %8s %9s\n", "offered/s", "acked/s",
            "deliv/s", "ack p50", "ack p90", "ack p99", "ack p99.9", "ack max", "dlv p50",
            "dlv p99", "errors", "cpu us/msg");
    size_t i;
    json_t *step;
    json_array_foreach(sweep, i, step)
    {
        fprintf(out, "  %9.0f %9.0f %9.0f", s_metric(step, "rate_target"),
                s_metric(step, "acked_per_s"), s_metric(step, "delivered_per_s"));
        const char *cols[] = {"p50", "p90", "p99", "p999", "max"};
        for (size_t c = 0; c < 5; c++)
            s_print_us(out, s_lat(step, "ack", cols[c]));
        s_print_us(out, s_lat(step, "delivery", "p50"));
        s_print_us(out, s_lat(step, "delivery", "p99"));
        double errors = s_metric(step, "ack_errors") + s_metric(step, "acks_missing");
        fprintf(out, " %8.0f %9.1f\n", errors, s_metric(step, "total_cpu_us_per_msg"));
    }
}

void report_print(const report_t *r, FILE *out)
{
    const json_t *root = r->root;
    fprintf(out, "\n== uschat-load %s: %.1f s\n",
            json_string_value(json_object_get(root, "scenario")),
            json_real_value(json_object_get(root, "duration_s")));
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(root, "metrics"), key, v)
    {
        double d = json_real_value(v);
        if (d == (double)(long long)d && d < 1e15 && d > -1e15)
            fprintf(out, "  %-28s %lld\n", key, (long long)d);
        else
            fprintf(out, "  %-28s %.2f\n", key, d);
    }
    json_t *lat = json_object_get(root, "latency_us");
    if (json_object_size(lat)) {
        fprintf(out, "\n  %-18s %9s %9s %9s %9s %9s %9s %9s\n", "latency", "count", "p50", "p90",
                "p99", "p99.9", "max", "mean");
        json_object_foreach(lat, key, v)
        {
            fprintf(out, "  %-18s %9lld", key,
                    (long long)json_integer_value(json_object_get(v, "count")));
            const char *cols[] = {"p50", "p90", "p99", "p999", "max"};
            for (size_t i = 0; i < 5; i++)
                s_print_us(out, json_integer_value(json_object_get(v, cols[i])));
            s_print_us(out, (json_int_t)json_real_value(json_object_get(v, "mean")));
            fprintf(out, "\n");
        }
    }
    json_t *errs = json_object_get(root, "errors");
    if (json_object_size(errs)) {
        fprintf(out, "\n  errors:");
        json_object_foreach(errs, key, v)
        {
            fprintf(out, " %s=%lld", key, (long long)json_integer_value(v));
        }
        fprintf(out, "\n");
    }
    json_t *servers = json_object_get(root, "servers");
    size_t i;
    if (json_array_size(servers)) {
        fprintf(out, "\n  %-14s %8s %8s %7s %12s %12s\n", "server", "pid", "cpu_s", "cpu%",
                "rss_peak_kB", "hwm_kB");
        json_array_foreach(servers, i, v)
        {
            fprintf(out, "  %-14s %8lld %8.2f %6.1f%% %12lld %12lld%s\n",
                    json_string_value(json_object_get(v, "name")),
                    (long long)json_integer_value(json_object_get(v, "pid")),
                    json_real_value(json_object_get(v, "cpu_s")),
                    json_real_value(json_object_get(v, "cpu_pct")),
                    (long long)json_integer_value(json_object_get(v, "rss_peak_kb")),
                    (long long)json_integer_value(json_object_get(v, "hwm_kb")),
                    json_is_true(json_object_get(v, "alive")) ? "" : "  (exited!)");
        }
    }
    json_t *cpu = json_object_get(root, "cpu_per_op");
    if (cpu) {
        const char *unit = json_string_value(json_object_get(cpu, "unit"));
        fprintf(out, "\n  CPU per %s: servers %.1f us + load generator %.1f us = %.1f us  (", unit,
                json_real_value(json_object_get(cpu, "server_us")),
                json_real_value(json_object_get(cpu, "client_us")),
                json_real_value(json_object_get(cpu, "total_us")));
        const char *sep = "";
        json_object_foreach(json_object_get(cpu, "by_server"), key, v)
        {
            fprintf(out, "%s%s %.1f", sep, key, json_real_value(v));
            sep = ", ";
        }
        fprintf(out, ")\n");
    }
    s_print_sweep(out, json_object_get(root, "sweep"));
    json_t *client = json_object_get(root, "client");
    if (client) {
        fprintf(out, "\n  client: cpu %.2f s, peak RSS %lld kB",
                json_real_value(json_object_get(client, "cpu_s")),
                (long long)json_integer_value(json_object_get(client, "hwm_kb")));
        json_t *per = json_object_get(client, "hwm_bytes_per_connection");
        if (per)
            fprintf(out, " (%.0f bytes per connection incl. the process itself)",
                    json_real_value(per));
        fprintf(out, "\n");
    }
    json_t *m = json_object_get(root, "machine");
    if (m)
        fprintf(out, "  machine: %lld cores, %s\n",
                (long long)json_integer_value(json_object_get(m, "cores")),
                json_string_value(json_object_get(m, "kernel")));
    json_t *notes = json_object_get(root, "notes");
    json_array_foreach(notes, i, v)
    {
        fprintf(out, "  note: %s\n", json_string_value(v));
    }
}

int report_write(const report_t *r, const char *path)
{
    return json_dump_file(r->root, path, JSON_INDENT(2)) == 0 ? 0 : -1;
}
