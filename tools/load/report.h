/* report.h - what a uschat-load run measured: one JSON document (written with --json FILE)
 * from which the terminal summary table is printed too, so the two never disagree.
 *
 *   {"scenario", "started_at", "config":{...}, "machine":{cores, kernel, ...},
 *    "duration_s", "metrics":{name: number}, "latency_us":{name: {count, min, mean, p50, p90,
 *    p99, p999, max}}, "errors":{name: count}, "timeline":{series: [per-second values]},
 *    "servers":[{pid, name, cpu_s, cpu_pct, rss_start_kb, rss_peak_kb, hwm_kb, alive}],
 *    "client":{...},
 *    "cpu_per_op":{unit, ops, server_us, client_us, total_us, by_server:{name: us}},
 *    "loadavg_at_start":[1, 5, 15 min]}
 * A sweep (chat --rates) holds one such document per offered rate under "sweep".
 * Main thread.
 */
#ifndef USCHAT_LOAD_REPORT_H
#define USCHAT_LOAD_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "engine.h"
#include "hist.h"
#include "procstat.h"

typedef struct report report_t;

report_t *report_new(const char *scenario);
void report_destroy(report_t **p);

/* The "config" object, for the caller to fill (borrowed). */
json_t *report_config(report_t *r);
void report_metric(report_t *r, const char *name, double value);
void report_hist(report_t *r, const char *name, const hist_t *h);
void report_errors(report_t *r, const err_table_t *t);
/* Appends VALUE to the per-second series NAME. */
void report_timeline(report_t *r, const char *name, double value);
void report_duration(report_t *r, double seconds);
void report_servers(report_t *r, const proc_set_t *set, double seconds);
void report_machine(report_t *r);
/* Own CPU and memory; CONNECTIONS (if > 0) gives bytes per connection too. */
void report_client(report_t *r, long connections);
void report_note(report_t *r, const char *text);
/* Puts VALUE (taken over) at the top level under KEY. */
void report_attach(report_t *r, const char *key, json_t *value);
/* The whole document (borrowed; valid until report_destroy). */
json_t *report_json(report_t *r);
/* CPU cost per operation over the measured window of SET: what the servers spent (each and
 * together) and what this load generator spent, divided by OPS operations of kind UNIT
 * ("msg", "login"). Also the metrics server_cpu_us_per_UNIT and total_cpu_us_per_UNIT.
 * Nothing when OPS is 0. */
void report_cpu_per_op(report_t *r, const proc_set_t *set, const char *unit, double ops);

/* The summary table. */
void report_print(const report_t *r, FILE *out);
/* Writes the JSON document to PATH. 0 or -1. */
int report_write(const report_t *r, const char *path);

#endif
