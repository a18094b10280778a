/* gate_metrics.c - request counters and latency histograms of gate, and their Prometheus text
 * for GET /metrics.
 *
 * Counted by MHD's threads when an answer is queued (gate_http.c), read by whichever MHD thread
 * serves /metrics: relaxed atomics, no locks. Process-wide (a process runs one gate).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate_internal.h"

/* result labels: the JSON error code for 200 answers of the POST routes (every code of
 * schema/messages/errors.def), else the HTTP status */
#define USCHAT_ERROR(code, NAME, SENDERS, ORIGIN, sentence, meaning) code,
static const unsigned s_results[] = {
#include "messages/errors.def"
    200, 400, 404, 405, 413, 500, 503};
#undef USCHAT_ERROR
#define RESULTS      (sizeof s_results / sizeof s_results[0])
#define RESULT_OTHER RESULTS

/* histogram bounds in microseconds */
static const int64_t s_bounds_us[] = {1000,   2500,   5000,    10000,   25000,   50000,   100000,
                                      250000, 500000, 1000000, 2500000, 5000000, 10000000};
#define BUCKETS (sizeof s_bounds_us / sizeof s_bounds_us[0])

static _Atomic uint64_t s_requests[GATE_ROUTE_COUNT][RESULTS + 1];
static _Atomic uint64_t s_buckets[GATE_ROUTE_COUNT][BUCKETS + 1]; /* last: over every bound */
static _Atomic uint64_t s_sum_us[GATE_ROUTE_COUNT];

static bool s_is_post_route(gate_route_t route)
{
    return route <= GATE_ROUTE_LOGIN;
}

void gate_metrics_count(gate_route_t route, unsigned http_status, uint32_t error,
                        int64_t latency_us)
{
    if (route >= GATE_ROUTE_COUNT)
        route = GATE_ROUTE_OTHER;
    unsigned label = (http_status == 200 && s_is_post_route(route)) ? error : http_status;
    size_t r = RESULT_OTHER;
    for (size_t i = 0; i < RESULTS; i++)
        if (s_results[i] == label)
            r = i;
    atomic_fetch_add_explicit(&s_requests[route][r], 1, memory_order_relaxed);
    if (latency_us < 0)
        latency_us = 0;
    size_t b = 0;
    while (b < BUCKETS && latency_us > s_bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&s_buckets[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s_sum_us[route], (uint64_t)latency_us, memory_order_relaxed);
}

char *gate_metrics_render(const gate_t *gate)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    fprintf(f, "# HELP uschat_gate_requests_total HTTP requests answered, by route and result "
               "(the JSON error code of a 200 answer to a POST route, else the HTTP status).\n"
               "# TYPE uschat_gate_requests_total counter\n");
    for (int route = 0; route < GATE_ROUTE_COUNT; route++) {
        for (size_t r = 0; r <= RESULTS; r++) {
            uint64_t n = atomic_load_explicit(&s_requests[route][r], memory_order_relaxed);
            if (!n)
                continue;
            char label[16];
            if (r == RESULT_OTHER)
                snprintf(label, sizeof label, "other");
            else
                snprintf(label, sizeof label, "%u", s_results[r]);
            fprintf(f, "uschat_gate_requests_total{route=\"%s\",result=\"%s\"} %llu\n",
                    gate_route_path((gate_route_t)route), label, (unsigned long long)n);
        }
    }
    fprintf(f, "# HELP uschat_gate_request_duration_seconds Time from the request's headers to "
               "its answer being queued.\n"
               "# TYPE uschat_gate_request_duration_seconds histogram\n");
    for (int route = 0; route < GATE_ROUTE_COUNT; route++) {
        const char *path = gate_route_path((gate_route_t)route);
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= BUCKETS; b++) {
            cumulative += atomic_load_explicit(&s_buckets[route][b], memory_order_relaxed);
            if (b < BUCKETS)
                fprintf(f,
                        "uschat_gate_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                        "%llu\n",
                        path, (double)s_bounds_us[b] / 1e6, (unsigned long long)cumulative);
            else
                fprintf(f,
                        "uschat_gate_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                        "%llu\n",
                        path, (unsigned long long)cumulative);
        }
        fprintf(f, "uschat_gate_request_duration_seconds_sum{route=\"%s\"} %.6f\n", path,
                (double)atomic_load_explicit(&s_sum_us[route], memory_order_relaxed) / 1e6);
        fprintf(f, "uschat_gate_request_duration_seconds_count{route=\"%s\"} %llu\n", path,
                (unsigned long long)cumulative);
    }
    fprintf(f,
            "# HELP uschat_gate_worker_queue Requests waiting for a worker.\n"
            "# TYPE uschat_gate_worker_queue gauge\n"
            "uschat_gate_worker_queue %zu\n"
            "# HELP uschat_gate_dependency_up 1 when gate can reach the dependency.\n"
            "# TYPE uschat_gate_dependency_up gauge\n"
            "uschat_gate_dependency_up{dependency=\"broker\"} %d\n"
            "uschat_gate_dependency_up{dependency=\"redis\"} %d\n"
            "uschat_gate_dependency_up{dependency=\"mysql\"} %d\n"
            "# HELP uschat_gate_connections_closed_total Connections the gate closed before "
            "their request was in: over the request deadline, or their client gone.\n"
            "# TYPE uschat_gate_connections_closed_total counter\n"
            "uschat_gate_connections_closed_total{reason=\"deadline\"} %llu\n"
            "uschat_gate_connections_closed_total{reason=\"client_gone\"} %llu\n",
            service_base_queued(gate->base), (int)atomic_load(&gate->broker_ok),
            (int)atomic_load(&gate->redis_ok), (int)atomic_load(&gate->mysql_ok),
            (unsigned long long)atomic_load(&gate->closed_late),
            (unsigned long long)atomic_load(&gate->closed_gone));
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
