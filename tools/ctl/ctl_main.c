/* ctl_main.c - uschat-ctl: lists the live actors of a UsChat system (node, service, uptime,
 * load, last heartbeat), for operators and for `tools/uschat status`.
 *
 *     uschat-ctl [--broker EP] [--tap EP] [--config FILE] [--json] [actors]
 *
 * It asks the broker first: a REQUEST to the service "broker" of type broker_actors, sent from
 * a plain DEALER that never says READY (so the tool does not show up as an actor), answered by
 * the broker with broker_actors_rsp (a list of broker_actor records). When the broker does not
 * answer (an older one, or none), it listens to the tap for a few heartbeat periods instead and
 * builds the list from heartbeats and READY events (the uptime of an actor that started before is
 * then unknown). Single-threaded command-line program.
 */
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_actors.h"
#include "monitor_endpoint.h"
#include "monitor_tap.h"
#include "monitor_view.h"
#include "uschat/config.h"
#include "uschat/envelope.h"
#include "uschat/message.h"

#define PROGRAM "uschat-ctl"

typedef struct {
    monitor_endpoint_sources_t broker_src;
    monitor_endpoint_sources_t tap_src;
    bool json;
    int wait_ms;    /* how long to listen to the tap */
    int timeout_ms; /* how long to wait for the broker's answer */
    bool tap_only;
} options_t;

/* One row, whichever way it was learnt. -1 = unknown. */
typedef struct {
    char node[ENVELOPE_NODE_MAX];
    char service[ENVELOPE_SERVICE_MAX];
    int64_t load;
    int64_t uptime_ms;
    int64_t heartbeat_ago_ms;
    int64_t msgs_in, msgs_out;
} row_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " [options] [actors]\n"
            "Lists the live actors of UsChat: node, service, uptime, load, last heartbeat.\n"
            "  --broker ENDPOINT   the broker's ROUTER (else $USCHAT_BROKER_ENDPOINT, --config,\n"
            "                      var/run/stack.env, tcp://127.0.0.1:5570)\n"
            "  --tap ENDPOINT      the broker's tap, used when the broker cannot be asked\n"
            "  --config FILE       a UsChat config file to read both from (and CURVE keys)\n"
            "  --stack-env FILE    the local stack's environment file\n"
            "  --tap-only          do not ask the broker, listen to the tap\n"
            "  --wait MS           how long to listen to the tap (default 2500)\n"
            "  --json              a JSON array instead of a table\n");
}

static void s_duration(int64_t ms, char *buf, size_t cap)
{
    if (ms < 0)
        snprintf(buf, cap, "?");
    else if (ms < 60000)
        snprintf(buf, cap, "%" PRId64 "s", ms / 1000);
    else if (ms < 3600000)
        snprintf(buf, cap, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
    else if (ms < 86400000)
        snprintf(buf, cap, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
    else
        snprintf(buf, cap, "%" PRId64 "d%02" PRId64 "h", ms / 86400000, (ms / 3600000) % 24);
}

static void s_print(const row_t *rows, size_t count, bool json, const char *source)
{
    if (json) {
        json_t *array = json_array();
        for (size_t i = 0; i < count; i++) {
            const row_t *r = &rows[i];
            json_t *o = json_object();
            json_object_set_new(o, "node", json_string(r->node));
            json_object_set_new(o, "service", json_string(r->service));
            json_object_set_new(o, "load", r->load >= 0 ? json_integer(r->load) : json_null());
            json_object_set_new(o, "uptime_ms",
                                r->uptime_ms >= 0 ? json_integer(r->uptime_ms) : json_null());
            json_object_set_new(o, "last_heartbeat_ms",
                                r->heartbeat_ago_ms >= 0 ? json_integer(r->heartbeat_ago_ms)
                                                         : json_null());
            if (r->msgs_in >= 0)
                json_object_set_new(o, "msgs_in", json_integer(r->msgs_in));
            if (r->msgs_out >= 0)
                json_object_set_new(o, "msgs_out", json_integer(r->msgs_out));
            json_array_append_new(array, o);
        }
        char *text = json_dumps(array, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (text)
            puts(text);
        free(text);
        json_decref(array);
        return;
    }
    printf("%zu live actor%s (%s)\n", count, count == 1 ? "" : "s", source);
    printf("%-28s %-10s %9s %6s %15s\n", "NODE", "SERVICE", "UPTIME", "LOAD", "LAST HEARTBEAT");
    for (size_t i = 0; i < count; i++) {
        const row_t *r = &rows[i];
        char uptime[32], beat[32], load[24];
        s_duration(r->uptime_ms, uptime, sizeof(uptime));
        if (r->heartbeat_ago_ms >= 0)
            snprintf(beat, sizeof(beat), "%.1fs ago", (double)r->heartbeat_ago_ms / 1000.0);
        else
            snprintf(beat, sizeof(beat), "-");
        if (r->load >= 0)
            snprintf(load, sizeof(load), "%" PRId64, r->load);
        else
            snprintf(load, sizeof(load), "?");
        printf("%-28s %-10s %9s %6s %15s\n", r->node, r->service, uptime, load, beat);
    }
}

static int s_compare_rows(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    return c ? c : strcmp(x->node, y->node);
}

/* ---- asking the broker ---------------------------------------------------------------- */

/* A count from the wire as a row's value: -1 (unknown) past what a row holds. */
static int64_t s_i64(uint64_t v)
{
    return v > INT64_MAX ? -1 : (int64_t)v;
}

/* Turns the broker's answer (a list of broker_actor records) into rows. */
static int s_rows_from_answer(const msg_broker_actors_rsp_t *rsp, row_t **rows, size_t *count)
{
    *count = rsp->actors.count;
    *rows = calloc(*count ? *count : 1, sizeof(**rows));
    if (!*rows)
        return -1;
    for (size_t i = 0; i < *count; i++) {
        const msg_broker_actor_t *a = &rsp->actors.items[i];
        row_t *r = &(*rows)[i];
        snprintf(r->node, sizeof(r->node), "%s", a->node);
        snprintf(r->service, sizeof(r->service), "%s", a->service);
        r->load = a->load;
        r->uptime_ms = s_i64(a->uptime_ms);
        r->heartbeat_ago_ms = s_i64(a->idle_ms);
        r->msgs_in = s_i64(a->msgs_in);
        r->msgs_out = s_i64(a->msgs_out);
    }
    return 0;
}

/* The keys of the pair "monitor" (monitor_curve_keys): 1 in *keys, 0 none, -1 unusable. */
static int s_keys(const monitor_endpoint_sources_t *sources, curve_keys_t *keys)
{
    int rc = monitor_curve_keys(sources, "monitor", keys);
    if (rc < 0)
        fprintf(stderr, PROGRAM ": the CURVE keys configured cannot be used\n");
    return rc;
}

/* 0 with rows, 1 when the broker cannot be asked this way (fall back to the tap), -1 error. */
static int s_ask_broker(const options_t *opt, row_t **rows, size_t *count)
{
    char endpoint[512], from[512];
    if (monitor_endpoint_resolve(&opt->broker_src, "broker/endpoint", endpoint, sizeof(endpoint),
                                 from, sizeof(from)) != 0)
        return 1;

    int rc = 1;
    uint8_t *body = NULL;
    size_t body_len = 0;
    msg_broker_actors_t request = {0};
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    if (!dealer || msg_broker_actors_encode(&request, &body, &body_len) != 0)
        goto done;
    zsock_set_linger(dealer, 0);
    zsock_set_sndtimeo(dealer, opt->timeout_ms);
    zsock_set_rcvtimeo(dealer, opt->timeout_ms);
    curve_keys_t keys;
    int have_keys = s_keys(&opt->broker_src, &keys);
    if (have_keys < 0)
        goto done;
    monitor_curve_apply(dealer, have_keys ? &keys : NULL);
    if (zsock_connect(dealer, "%s", endpoint) != 0)
        goto done;

    envelope_t env = {.kind = ENVELOPE_REQUEST, .type = MSG_BROKER_ACTORS, .corr = 1};
    snprintf(env.service, sizeof(env.service), "broker");
    uint8_t head[ENVELOPE_MAX_SIZE];
    int head_len = envelope_encode(&env, head, sizeof(head));
    if (head_len < 0)
        goto done;
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, head, (size_t)head_len);
    zmsg_addmem(msg, body, body_len);
    if (zmsg_send(&msg, dealer) != 0) {
        zmsg_destroy(&msg);
        goto done;
    }
    /* Skip anything that is not the answer (a DISCONNECT, a late heartbeat). */
    for (;;) {
        zmsg_t *reply = zmsg_recv(dealer);
        if (!reply)
            break; /* timeout: an older broker, or none */
        zframe_t *rhead = zmsg_first(reply);
        zframe_t *rbody = zmsg_next(reply);
        envelope_t renv;
        if (!rhead || envelope_decode(zframe_data(rhead), zframe_size(rhead), &renv) != 0 ||
            renv.corr != 1 || (renv.kind != ENVELOPE_REPLY && renv.kind != ENVELOPE_ERROR)) {
            zmsg_destroy(&reply);
            continue;
        }
        if (renv.kind == ENVELOPE_ERROR || renv.type != MSG_BROKER_ACTORS_RSP || !rbody) {
            zmsg_destroy(&reply);
            break; /* not served: fall back */
        }
        msg_broker_actors_rsp_t answer;
        if (msg_broker_actors_rsp_decode(zframe_data(rbody), zframe_size(rbody), &answer) == 0) {
            rc = s_rows_from_answer(&answer, rows, count);
            msg_broker_actors_rsp_clear(&answer);
        } else {
            fprintf(stderr, PROGRAM ": cannot decode the broker's answer\n");
            rc = -1;
        }
        zmsg_destroy(&reply);
        break;
    }
done:
    zsock_destroy(&dealer);
    free(body);
    return rc;
}

/* ---- listening to the tap ------------------------------------------------------------- */

static int s_watch_tap(const options_t *opt, row_t **rows, size_t *count)
{
    char endpoint[512], from[512];
    if (monitor_endpoint_resolve(&opt->tap_src, "broker/tap", endpoint, sizeof(endpoint), from,
                                 sizeof(from)) != 0) {
        fprintf(stderr, PROGRAM ": no tap address\n");
        return -1;
    }
    curve_keys_t keys;
    int have_keys = s_keys(&opt->tap_src, &keys);
    if (have_keys < 0)
        return -1;
    monitor_tap_t *tap = monitor_tap_new(endpoint, have_keys ? &keys : NULL, PROGRAM, NULL);
    monitor_actors_t *actors = monitor_actors_new();
    zpoller_t *poller =
        tap && actors ? zpoller_new(monitor_tap_socket(tap), monitor_tap_events(tap), NULL) : NULL;
    int rc = -1;
    if (!poller)
        goto done;
    uint64_t until = monitor_now_us() + (uint64_t)opt->wait_ms * 1000u;
    for (uint64_t now = monitor_now_us(); now < until && !zsys_interrupted;
         now = monitor_now_us()) {
        void *which = zpoller_wait(poller, (int)((until - now) / 1000u) + 1);
        if (which == monitor_tap_socket(tap)) {
            zmsg_t *msg = zmsg_recv(which);
            tap_item_t item;
            if (msg && monitor_item_parse(msg, &item) == 0)
                monitor_actors_update(actors, &item);
            zmsg_destroy(&msg);
        } else if (which == monitor_tap_events(tap)) {
            monitor_tap_on_event(tap);
        } else if (zpoller_terminated(poller)) {
            break;
        }
    }
    if (!monitor_tap_connected(tap)) {
        fprintf(stderr, PROGRAM ": cannot reach the broker (tap %s, from %s)\n", endpoint, from);
        goto done;
    }
    size_t n = 0;
    uint64_t now = monitor_now_us();
    const monitor_actor_t *list = monitor_actors_list(actors, &n);
    *rows = calloc(n ? n : 1, sizeof(row_t));
    if (!*rows)
        goto done;
    for (size_t i = 0; i < n; i++) {
        row_t *r = &(*rows)[i];
        snprintf(r->node, sizeof(r->node), "%s", list[i].node);
        snprintf(r->service, sizeof(r->service), "%s", list[i].service);
        r->load = list[i].load;
        r->uptime_ms = list[i].ready_us ? (int64_t)(now - list[i].ready_us) / 1000 : -1;
        r->heartbeat_ago_ms =
            list[i].last_heartbeat_us ? (int64_t)(now - list[i].last_heartbeat_us) / 1000 : -1;
        r->msgs_in = r->msgs_out = -1;
    }
    *count = n;
    rc = 0;
done:
    zpoller_destroy(&poller);
    monitor_actors_destroy(&actors);
    monitor_tap_destroy(&tap);
    return rc;
}

int main(int argc, char **argv)
{
    enum { O_BROKER = 256, O_TAP, O_CONFIG, O_STACK_ENV, O_JSON, O_WAIT, O_TAP_ONLY, O_HELP };
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, O_BROKER},
        {"tap", required_argument, NULL, O_TAP},
        {"config", required_argument, NULL, O_CONFIG},
        {"stack-env", required_argument, NULL, O_STACK_ENV},
        {"json", no_argument, NULL, O_JSON},
        {"wait", required_argument, NULL, O_WAIT},
        {"tap-only", no_argument, NULL, O_TAP_ONLY},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    options_t opt = {.wait_ms = 2500, .timeout_ms = 2000};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_BROKER:
            opt.broker_src.cli_value = optarg;
            break;
        case O_TAP:
            opt.tap_src.cli_value = optarg;
            break;
        case O_CONFIG:
            opt.broker_src.config_path = opt.tap_src.config_path = optarg;
            break;
        case O_STACK_ENV:
            opt.broker_src.stack_env = opt.tap_src.stack_env = optarg;
            break;
        case O_JSON:
            opt.json = true;
            break;
        case O_WAIT:
            opt.wait_ms = atoi(optarg);
            if (opt.wait_ms < 100 || opt.wait_ms > 600000) {
                fprintf(stderr, PROGRAM ": --wait is in milliseconds, 100 to 600000\n");
                return 2;
            }
            break;
        case O_TAP_ONLY:
            opt.tap_only = true;
            break;
        case 'h':
        case O_HELP:
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind < argc && strcmp(argv[optind], "actors") != 0 &&
        strcmp(argv[optind], "status") != 0) {
        fprintf(stderr, PROGRAM ": unknown command '%s'\n", argv[optind]);
        return 2;
    }
    zsys_init();
    zsys_set_logstream(NULL);

    row_t *rows = NULL;
    size_t count = 0;
    const char *source = "from the broker";
    int rc = opt.tap_only ? 1 : s_ask_broker(&opt, &rows, &count);
    if (rc == 1) {
        source = "from the tap: uptime known only for actors that started while listening";
        rc = s_watch_tap(&opt, &rows, &count);
    }
    if (rc == 0) {
        qsort(rows, count, sizeof(*rows), s_compare_rows);
        s_print(rows, count, opt.json, source);
    }
    free(rows);
    return rc == 0 ? 0 : 1;
}
