/* monitor_main.c - uschat-monitor: watch every message the broker routes, decoded.
 *
 * Subscribes to the broker's tap (PUB) and prints each routed message and broker event as one
 * line (or one JSON object with --json), or, with --stats, a table refreshed every second.
 * Single-threaded: one zpoller loop over the tap socket and its socket-event monitor, with a
 * one-second tick for the stats table and the "tap unreachable" reminders. Ctrl-C (or
 * SIGTERM) ends it cleanly through CZMQ's interrupt flag. Notes about the connection go to
 * stderr, so stdout carries only the traffic and stays parseable.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor_endpoint.h"
#include "monitor_stats.h"
#include "monitor_tap.h"
#include "monitor_view.h"
#include "uschat/message.h"

#define PROGRAM     "uschat-monitor"
#define DRAIN_BATCH 1000 /* messages read per wake-up before stdout is flushed */

typedef struct {
    monitor_filter_t filter;
    monitor_endpoint_sources_t sources;
    bool json;
    bool stats;
    uint64_t count; /* stop after this many printed items; 0 = never */
} options_t;

static void s_usage(FILE *out)
{
    fprintf(out, "usage: " PROGRAM " [options]\n"
                 "Prints every message the UsChat broker routes, and its socket and actor events.\n"
                 "\n"
                 "Where the tap is (first found wins):\n"
                 "  --tap ENDPOINT      e.g. tcp://127.0.0.1:15571\n"
                 "                      (else $USCHAT_BROKER_TAP, --config, var/run/stack.env,\n"
                 "                      tcp://127.0.0.1:5571)\n"
                 "  --config FILE       read broker/tap from a UsChat config file\n"
                 "  --stack-env FILE    read USCHAT_BROKER_TAP from this file\n"
                 "What to show:\n"
                 "  --service NAME      messages from or to this service (repeatable)\n"
                 "  --node NAME         messages from or to this node (repeatable)\n"
                 "  --type NAME|ID      only these message types (repeatable; see --list-types)\n"
                 "  --uid UID           only messages about this user\n"
                 "  --heartbeats        show heartbeats too\n"
                 "  --no-heartbeats     hide heartbeats (the default)\n"
                 "How:\n"
                 "  --json              one JSON object per line\n"
                 "  --stats             a live table (messages/s, bytes/s, actors), like top\n"
                 "  --count N           exit after printing N lines\n"
                 "  --list-types        print the message types this build knows, and exit\n"
                 "Secrets (passwords, hashes, tokens, codes) are always shown as ***.\n");
}

static void s_list_types(void)
{
    for (size_t i = 0; i < msg_desc_count(); i++) {
        const msg_desc_t *desc = msg_desc_at(i);
        printf("%5u  %-28s %s\n", (unsigned)desc->id, desc->name, desc->doc ? desc->doc : "");
    }
}

static int s_parse(int argc, char **argv, options_t *opt)
{
    enum {
        O_TAP = 256,
        O_CONFIG,
        O_STACK_ENV,
        O_SERVICE,
        O_NODE,
        O_TYPE,
        O_UID,
        O_HB,
        O_NO_HB,
        O_JSON,
        O_STATS,
        O_COUNT,
        O_LIST,
        O_HELP
    };
    static const struct option longopts[] = {
        {"tap", required_argument, NULL, O_TAP},
        {"config", required_argument, NULL, O_CONFIG},
        {"stack-env", required_argument, NULL, O_STACK_ENV},
        {"service", required_argument, NULL, O_SERVICE},
        {"node", required_argument, NULL, O_NODE},
        {"type", required_argument, NULL, O_TYPE},
        {"uid", required_argument, NULL, O_UID},
        {"heartbeats", no_argument, NULL, O_HB},
        {"no-heartbeats", no_argument, NULL, O_NO_HB},
        {"json", no_argument, NULL, O_JSON},
        {"stats", no_argument, NULL, O_STATS},
        {"count", required_argument, NULL, O_COUNT},
        {"list-types", no_argument, NULL, O_LIST},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "hj", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case O_TAP:
            opt->sources.cli_value = optarg;
            break;
        case O_CONFIG:
            opt->sources.config_path = optarg;
            break;
        case O_STACK_ENV:
            opt->sources.stack_env = optarg;
            break;
        case O_SERVICE:
            if (opt->filter.service_count == MONITOR_FILTER_MAX)
                goto too_many;
            opt->filter.services[opt->filter.service_count++] = optarg;
            break;
        case O_NODE:
            if (opt->filter.node_count == MONITOR_FILTER_MAX)
                goto too_many;
            opt->filter.nodes[opt->filter.node_count++] = optarg;
            break;
        case O_TYPE:
            if (monitor_filter_add_type(&opt->filter, optarg) != 0) {
                fprintf(stderr, PROGRAM ": unknown message type '%s' (see --list-types)\n", optarg);
                return -1;
            }
            break;
        case O_UID:
            errno = 0;
            opt->filter.uid = strtoull(optarg, &end, 10);
            if (errno || !*optarg || *end || optarg[0] == '-') {
                fprintf(stderr, PROGRAM ": --uid wants a number, not '%s'\n", optarg);
                return -1;
            }
            opt->filter.has_uid = true;
            break;
        case O_HB:
            opt->filter.heartbeats = true;
            break;
        case O_NO_HB:
            opt->filter.heartbeats = false;
            break;
        case 'j':
        case O_JSON:
            opt->json = true;
            break;
        case O_STATS:
            opt->stats = true;
            break;
        case O_COUNT:
            errno = 0;
            opt->count = strtoull(optarg, &end, 10);
            if (errno || !*optarg || *end || optarg[0] == '-') {
                fprintf(stderr, PROGRAM ": --count wants a number, not '%s'\n", optarg);
                return -1;
            }
            break;
        case O_LIST:
            s_list_types();
            return 1;
        case 'h':
        case O_HELP:
            s_usage(stdout);
            return 1;
        default:
            s_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROGRAM ": unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
too_many:
    fprintf(stderr, PROGRAM ": at most %d values per filter\n", MONITOR_FILTER_MAX);
    return -1;
}

typedef struct {
    options_t *opt;
    monitor_tap_t *tap;
    monitor_stats_t *stats;
    uint64_t printed;
    uint64_t malformed;
    bool output_failed; /* stdout closed (e.g. piped into head): stop quietly */
} loop_t;

/* One tap message: parse, feed the stats, filter, print. */
static void s_handle(loop_t *self, zmsg_t *msg)
{
    tap_item_t item;
    if (monitor_item_parse(msg, &item) != 0) {
        if (self->malformed++ == 0)
            fprintf(stderr, PROGRAM ": skipping a tap message this version cannot read "
                                    "(broker and monitor from different builds?)\n");
        return;
    }
    if (self->stats)
        monitor_stats_observe(self->stats, &item);
    if (!monitor_filter_match(&self->opt->filter, &item))
        return;
    if (self->stats) {
        monitor_stats_count(self->stats, &item);
        return;
    }
    char *line = monitor_format(&item, self->opt->json);
    if (!line)
        return;
    if (fputs(line, stdout) == EOF || fputc('\n', stdout) == EOF)
        self->output_failed = true;
    free(line);
    self->printed++;
}

static void s_drain(loop_t *self)
{
    zsock_t *sub = monitor_tap_socket(self->tap);
    for (int i = 0; i < DRAIN_BATCH && (zsock_events(sub) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            break;
        s_handle(self, msg);
        zmsg_destroy(&msg);
        if (self->opt->count && self->printed >= self->opt->count)
            break;
    }
    if (!self->stats && fflush(stdout) != 0)
        self->output_failed = true;
}

int main(int argc, char **argv)
{
    options_t opt;
    memset(&opt, 0, sizeof(opt));
    int rc = s_parse(argc, argv, &opt);
    if (rc != 0)
        return rc > 0 ? 0 : 2;

    char endpoint[512], from[512];
    if (monitor_endpoint_resolve(&opt.sources, "broker/tap", endpoint, sizeof(endpoint), from,
                                 sizeof(from)) != 0) {
        fprintf(stderr, PROGRAM ": no tap address in %s\n",
                opt.sources.config_path ? opt.sources.config_path : opt.sources.stack_env);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* CZMQ's own handler: SIGINT/SIGTERM set zsys_interrupted and wake the poller */
    zsys_init();
    zsys_set_logstream(NULL);

    /* the tap only serves keys allowed to read it: the pair named "monitor" of a keys folder */
    curve_keys_t keys;
    int have_keys = monitor_curve_keys(&opt.sources, "monitor", &keys);
    if (have_keys < 0) {
        fprintf(stderr, PROGRAM ": the CURVE keys configured cannot be used\n");
        return 2;
    }
    loop_t loop = {.opt = &opt};
    loop.tap = monitor_tap_new(endpoint, have_keys ? &keys : NULL, PROGRAM, stderr);
    if (!loop.tap) {
        fprintf(stderr, PROGRAM ": cannot use tap address '%s' (from %s)\n", endpoint, from);
        return 2;
    }
    fprintf(stderr, PROGRAM ": watching %s (from %s, %s)%s\n", endpoint, from,
            have_keys ? "CURVE" : "plain TCP",
            opt.filter.heartbeats ? "" : "; heartbeats hidden (--heartbeats shows them)");
    bool tty = isatty(STDOUT_FILENO);
    if (opt.stats)
        loop.stats = monitor_stats_new(monitor_now_us());

    zpoller_t *poller =
        zpoller_new(monitor_tap_socket(loop.tap), monitor_tap_events(loop.tap), NULL);
    uint64_t next_tick = monitor_now_us() + 1000000u;
    int exit_code = 0;
    while (poller && !zsys_interrupted && !loop.output_failed) {
        uint64_t now = monitor_now_us();
        int timeout = now >= next_tick ? 0 : (int)((next_tick - now) / 1000u) + 1;
        void *which = zpoller_wait(poller, timeout);
        if (zpoller_terminated(poller))
            break;
        if (which == monitor_tap_socket(loop.tap))
            s_drain(&loop);
        else if (which == monitor_tap_events(loop.tap))
            monitor_tap_on_event(loop.tap);
        if (opt.count && loop.printed >= opt.count)
            break;
        now = monitor_now_us();
        if (now >= next_tick) {
            monitor_tap_tick(loop.tap, now);
            if (loop.stats &&
                monitor_stats_render(loop.stats, stdout, now, tty, monitor_tap_state(loop.tap)))
                loop.output_failed = true;
            next_tick += 1000000u;
            if (next_tick <= now) /* we were stopped (^Z) or very late: do not catch up */
                next_tick = now + 1000000u;
        }
    }
    if (!poller)
        exit_code = 1;
    if (!loop.output_failed)
        fflush(stdout);
    if (zsys_interrupted)
        fprintf(stderr, "\n" PROGRAM ": stopped; %" PRIu64 " lines printed\n", loop.printed);
    zpoller_destroy(&poller);
    monitor_stats_destroy(&loop.stats);
    monitor_tap_destroy(&loop.tap);
    return exit_code;
}
