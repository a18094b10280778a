/* main.c - uschat-broker: reads the config, runs the broker loop on the main thread, stops
 * cleanly on SIGTERM/SIGINT, reopens its log on SIGHUP.
 *
 *     uschat-broker [--config FILE]
 *
 * Keys (section broker): endpoint, tap, heartbeat_ms, liveness, queue_max, curve_keys_dir (or
 * curve_secret_file and curve_authorized_dir one by one), plain_tcp; (section log): level,
 * file. Each is overridable by the environment,
 * e.g. USCHAT_BROKER_ENDPOINT (config.h).
 *
 * Signals are blocked before libzmq starts its I/O thread (which inherits the mask) and read
 * through a signalfd in the broker's poll loop, so a signal is handled between two messages,
 * never inside one.
 */
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "broker_server.h"
#include "uschat/config.h"
#include "uschat/log.h"

static void s_usage(FILE *out)
{
    fprintf(out, "usage: uschat-broker [--config FILE]\n"
                 "  Routes messages between UsChat actors (see config/broker.conf).\n"
                 "  Every key can be overridden by USCHAT_<SECTION>_<KEY>, e.g.\n"
                 "  USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:5570\n");
}

/* key's value, or fallback when it is absent or empty */
static const char *s_str_or(config_t *config, const char *key, const char *fallback)
{
    const char *value = config_str(config, key, "");
    return value && *value ? value : fallback;
}

static bool s_on_signal(int fd, void *arg)
{
    (void)arg;
    struct signalfd_siginfo info;
    bool stop = false;
    while (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
        if (info.ssi_signo == SIGHUP) {
            log_reopen();
            log_info("log reopened");
        } else {
            log_info("signal %u: stopping", info.ssi_signo);
            stop = true;
        }
    }
    return stop;
}

int main(int argc, char **argv)
{
    const char *config_file = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
            config_file = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "uschat-broker: unexpected argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }

    /* Our signalfd handles signals; CZMQ must not install its own handler. */
    zsys_handler_set(NULL);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0)
        return 1;
    int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        fprintf(stderr, "uschat-broker: signalfd: %s\n", strerror(errno));
        return 1;
    }

    log_set_node("broker");
    config_t *config = config_load(config_file);
    if (!config) {
        close(signal_fd);
        return 1;
    }
    int level = log_level_parse(config_str(config, "log/level", "info"));
    if (log_open(config_str(config, "log/file", ""), level < 0 ? LOG_INFO : (log_level_t)level) < 0)
        fprintf(stderr, "uschat-broker: cannot open the log file, using stderr\n");

    /* uschat-keys' folder: DIR/broker.cert_secret and DIR/authorized/, unless given one by one */
    const char *keys_dir = config_str(config, "broker/curve_keys_dir", "");
    char secret_file[4096] = "", authorized_dir[4096] = "";
    if (*keys_dir) {
        snprintf(secret_file, sizeof(secret_file), "%s/broker.cert_secret", keys_dir);
        snprintf(authorized_dir, sizeof(authorized_dir), "%s/authorized", keys_dir);
    }
    broker_server_config_t server_config = {
        .endpoint = config_str(config, "broker/endpoint", "tcp://127.0.0.1:5570"),
        .tap = config_str(config, "broker/tap", "tcp://127.0.0.1:5571"),
        .heartbeat_ms = (int)config_int(config, "broker/heartbeat_ms", 1000, 10, 600000),
        .liveness = (int)config_int(config, "broker/liveness", 3, 1, 1000),
        .queue_max = (int)config_int(config, "broker/queue_max", 10000, 10, 10000000),
        .curve_secret_file = s_str_or(config, "broker/curve_secret_file", secret_file),
        .curve_authorized_dir = s_str_or(config, "broker/curve_authorized_dir", authorized_dir),
        .plain_tcp = config_bool(config, "broker/plain_tcp", false),
    };
    broker_server_t *server = broker_server_new(&server_config);
    int rc = 1;
    if (server) {
        broker_server_set_wakeup(server, signal_fd, s_on_signal, NULL);
        rc = broker_server_run(server) == 0 ? 0 : 1;
        broker_server_destroy(&server);
    }
    config_destroy(&config);
    close(signal_fd);
    log_close();
    return rc;
}
