/* main.c - uschatd, the host program of UsChat's service actors.
 *
 *     uschatd --config FILE [--service NAME]... [--node NAME] [--list] [--help]
 *
 * Runs each named service (or those of the config key uschatd/services) as a zactor in this
 * process: one per process under systemd, all of them for a local start and for tests. The
 * main thread owns the signals (host.h: a signalfd, CZMQ's own handler disabled) and the
 * actors: it starts them in order, then waits for a signal or for an actor that stops by
 * itself. SIGTERM/SIGINT stop the actors in reverse order (each gets $TERM) and exit 0;
 * SIGHUP reopens the log file. An actor that cannot start or that ends on its own makes
 * uschatd exit non-zero, so a supervisor notices.
 */
#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uschat/config.h"
#include "uschat/envelope.h"
#include "uschat/host.h"
#include "uschat/log.h"
#include "uschat/service.h"

#define MAX_SERVICES     16
#define SHUTDOWN_LIMIT_S 5
#define EXIT_USAGE       2

typedef struct {
    const service_def_t *def;
    char *node;
    service_args_t args;
    zactor_t *actor;
    bool dead; /* ended without being asked */
} hosted_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: uschatd --config FILE [--service NAME]... [--node NAME]\n"
            "       uschatd --list | --help\n"
            "  -c, --config FILE   ZPL config (sections broker, log, uschatd, one per service);\n"
            "                      every key can be overridden by USCHAT_<SECTION>_<KEY>\n"
            "  -s, --service NAME  run this service (repeatable); default: uschatd/services\n"
            "  -n, --node NAME     node name; default: uschatd/node, else\n"
            "                      <service>.<hostname>.<pid>\n"
            "  -l, --list          print the compiled-in services, one per line\n"
            "  -h, --help          this text\n"
            "Signals: SIGTERM/SIGINT stop every service and exit 0; SIGHUP reopens the log.\n");
}

static void s_on_alarm(int sig)
{
    (void)sig;
    static const char text[] = "uschatd: services did not stop within 5 s; exiting\n";
    ssize_t rc = write(STDERR_FILENO, text, sizeof text - 1);
    (void)rc;
    _exit(1);
}

/* Splits a space- or comma-separated list into names (pointers into buf). */
static int s_split(char *buf, const char *names[], int max)
{
    int count = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok;
         tok = strtok_r(NULL, " \t,", &save)) {
        if (count == max)
            return -1;
        names[count++] = tok;
    }
    return count;
}

/* The node name of each actor: several services in one process get the configured name
 * suffixed by their service, so names stay unique; chat keeps the configured name exactly
 * (clients and status know a chat node by it). */
static char *s_node_name(const char *base, const char *service, int count)
{
    if (!base || !*base)
        return host_default_node(service);
    if (count == 1 || strcmp(service, "chat") == 0)
        return strdup(base);
    size_t len = strlen(base) + 1 + strlen(service) + 1;
    char *node = malloc(len);
    if (node)
        snprintf(node, len, "%s.%s", base, service);
    return node;
}

/* Reads what an actor sent up its pipe. A signal means the actor has ended (a live service
 * never signals unasked); anything else is logged and ignored. */
static void s_check_actor(hosted_t *h)
{
    zmsg_t *msg = zmsg_recv(h->actor);
    if (!msg)
        return;
    if (zmsg_signal(msg) >= 0) {
        log_error("uschatd: service %s (node %s) stopped by itself", h->def->name, h->node);
        h->dead = true;
    } else {
        log_warn("uschatd: unexpected message from service %s ignored", h->def->name);
    }
    zmsg_destroy(&msg);
}

static void s_stop_all(hosted_t *hosted, int count)
{
    for (int i = count - 1; i >= 0; i--) {
        hosted_t *h = &hosted[i];
        if (!h->actor)
            continue;
        if (h->dead) /* its last signal is read already: don't wait for another */
            zsock_set_rcvtimeo(zactor_sock(h->actor), 200);
        log_info("uschatd: stopping %s", h->def->name);
        zactor_destroy(&h->actor);
    }
}

int main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'}, {"service", required_argument, NULL, 's'},
        {"node", required_argument, NULL, 'n'},   {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL, *node_arg = NULL;
    const char *wanted[MAX_SERVICES];
    int wanted_count = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:s:n:lh", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_file = optarg;
            break;
        case 's':
            if (wanted_count == MAX_SERVICES) {
                fprintf(stderr, "uschatd: at most %d services\n", MAX_SERVICES);
                return EXIT_USAGE;
            }
            wanted[wanted_count++] = optarg;
            break;
        case 'n':
            node_arg = optarg;
            break;
        case 'l':
            for (const service_def_t *def = service_table; def->name; def++)
                printf("%s\n", def->name);
            return 0;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "uschatd: unexpected argument %s\n", argv[optind]);
        s_usage(stderr);
        return EXIT_USAGE;
    }

    /* Before any thread exists (actors, ZeroMQ's I/O threads), so they all inherit the mask. */
    int sigfd = host_signals_open();
    if (sigfd < 0) {
        fprintf(stderr, "uschatd: cannot set up signals: %s\n", strerror(-sigfd));
        return 1;
    }
    log_set_node("uschatd");
    config_t *config = config_load(config_file);
    if (!config) {
        close(sigfd);
        return EXIT_USAGE;
    }
    const char *level_name = config_str(config, "log/level", "info");
    int level = log_level_parse(level_name);
    const char *log_file = config_str(config, "log/file", "");
    int rc = log_open(log_file, level < 0 ? LOG_INFO : (log_level_t)level);
    if (rc < 0) {
        fprintf(stderr, "uschatd: cannot open log file %s: %s\n", log_file, strerror(-rc));
        config_destroy(&config);
        close(sigfd);
        return 1;
    }
    if (level < 0)
        log_warn("uschatd: log/level %s unknown; using info", level_name);
    config_dump(config);

    char *list = NULL;
    if (wanted_count == 0) {
        list = strdup(config_str(config, "uschatd/services", ""));
        wanted_count = list ? s_split(list, wanted, MAX_SERVICES) : -1;
    }
    const char *base = node_arg && *node_arg ? node_arg : config_str(config, "uschatd/node", "");
    int exit_code = 0;
    if (wanted_count <= 0) {
        log_error("uschatd: no service to run (give --service NAME or uschatd/services; at "
                  "most %d)",
                  MAX_SERVICES);
        exit_code = EXIT_USAGE;
    }

    hosted_t hosted[MAX_SERVICES];
    memset(hosted, 0, sizeof hosted);
    for (int i = 0; exit_code == 0 && i < wanted_count; i++) {
        hosted_t *h = &hosted[i];
        h->def = service_find(wanted[i]);
        if (!h->def) {
            log_error("uschatd: unknown service %s (uschatd --list shows those built in)",
                      wanted[i]);
            exit_code = EXIT_USAGE;
            break;
        }
        for (int j = 0; j < i; j++)
            if (hosted[j].def == h->def) {
                log_error("uschatd: service %s named twice", wanted[i]);
                exit_code = EXIT_USAGE;
            }
        h->node = s_node_name(base, h->def->name, wanted_count);
        if (exit_code || !h->node || strlen(h->node) >= ENVELOPE_NODE_MAX) {
            if (!exit_code)
                log_error("uschatd: node name for %s too long (at most %d bytes)", h->def->name,
                          ENVELOPE_NODE_MAX - 1);
            exit_code = exit_code ? exit_code : EXIT_USAGE;
            break;
        }
    }
    int started = 0;
    for (int i = 0; exit_code == 0 && i < wanted_count; i++) {
        hosted_t *h = &hosted[i];
        h->args.config = config;
        h->args.node = h->node;
        h->args.service = h->def->name;
        log_info("uschatd: starting %s as node %s", h->def->name, h->node);
        h->actor = zactor_new(h->def->actor, &h->args);
        if (!h->actor) {
            log_error("uschatd: cannot start %s", h->def->name);
            exit_code = 1;
            break;
        }
        started = i + 1;
    }
    if (exit_code == 0)
        log_info("uschatd: %d service%s running (pid %ld)", started, started == 1 ? "" : "s",
                 (long)getpid());

    zmq_pollitem_t items[1 + MAX_SERVICES];
    bool running = exit_code == 0;
    while (running) {
        items[0] = (zmq_pollitem_t){NULL, sigfd, ZMQ_POLLIN, 0};
        for (int i = 0; i < started; i++)
            items[1 + i] = (zmq_pollitem_t){zsock_resolve(hosted[i].actor), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, 1 + started, -1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_error("uschatd: poll failed: %s", zmq_strerror(zmq_errno()));
            exit_code = 1;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            int sig;
            while ((sig = host_signals_read(sigfd)) > 0) {
                if (sig == SIGHUP) {
                    int err = log_reopen();
                    if (err < 0)
                        log_error("uschatd: cannot reopen the log: %s", strerror(-err));
                    else
                        log_info("uschatd: log reopened");
                } else {
                    log_info("uschatd: %s received; stopping", strsignal(sig));
                    running = false;
                }
            }
        }
        for (int i = 0; i < started; i++)
            if (items[1 + i].revents & ZMQ_POLLIN) {
                s_check_actor(&hosted[i]);
                if (hosted[i].dead) {
                    exit_code = 1;
                    running = false;
                }
            }
    }

    /* A service stuck in its shutdown must not keep the process alive past the limit. */
    signal(SIGALRM, s_on_alarm);
    alarm(SHUTDOWN_LIMIT_S);
    s_stop_all(hosted, started);
    alarm(0);
    log_info("uschatd: stopped (exit %d)", exit_code);

    for (int i = 0; i < wanted_count && i < MAX_SERVICES; i++)
        free(hosted[i].node);
    free(list);
    config_destroy(&config);
    log_close();
    close(sigfd);
    return exit_code;
}
