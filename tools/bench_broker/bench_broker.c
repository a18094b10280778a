/* bench_broker.c - uschat-bench-broker: how the broker compares with a plain ZeroMQ hop.
 *
 *     uschat-bench-broker [--broker PATH] [--runs N] [--oneway-ms MS] [--latency-n N]
 *                         [--size BYTES] [--no-tap-run] [--json FILE]
 *
 * In one run of this program, on free loopback ports: starts the real uschat-broker and, in
 * a second process of this program (--serve-zproxy), a CZMQ zproxy with a ROUTER frontend and
 * a DEALER backend -- the classic one-hop request-reply proxy, which like the broker routes
 * [routing id][envelope][body] through a ROUTER. Then, for each of N rounds, both hops in
 * turn: one-way throughput (sender -> hop -> receiver, as fast as it goes for a while) and
 * round-trip latency (request -> echo -> reply, one at a time). By default a third one-way
 * figure has a tap subscriber attached to the broker, to show what the tap costs when somebody
 * listens. Prints the medians and the ratios, optionally as JSON. Bounded: it gives up on
 * further rounds after 55 s.
 *
 * Single process, main thread plus one helper thread per measurement (bench_peers.c).
 */
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_peers.h"

#ifndef USCHAT_BROKER_BINARY
#define USCHAT_BROKER_BINARY "uschat-broker"
#endif

#define MAX_RUNS       9
#define TIME_BUDGET_MS 55000
#define REQUIRED_RATIO 0.8

typedef struct {
    const char *broker_path;
    int runs;
    int oneway_ms;
    int latency_n;
    size_t size;
    bool tap_run;
    bool curve;
    const char *json;
} options_t;

typedef struct {
    double rate[MAX_RUNS];
    double p50[MAX_RUNS], p99[MAX_RUNS];
    int rate_n, latency_n;
} figures_t;

/* ---- the zproxy process --------------------------------------------------------------- */

static int s_serve_zproxy(const char *frontend, const char *backend)
{
    zactor_t *proxy = zactor_new(zproxy, NULL);
    if (!proxy)
        return 1;
    zstr_sendx(proxy, "FRONTEND", "ROUTER", frontend, NULL);
    zsock_wait(proxy);
    zstr_sendx(proxy, "BACKEND", "DEALER", backend, NULL);
    zsock_wait(proxy);
    while (!zsys_interrupted) /* CZMQ's handler sets it on SIGTERM/SIGINT */
        zclock_sleep(100);
    zactor_destroy(&proxy);
    return 0;
}

/* ---- child processes ------------------------------------------------------------------ */

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static bool s_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    bool open = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return open;
}

static bool s_wait_port(int port, int timeout_ms)
{
    int64_t until = bench_now_ms() + timeout_ms;
    while (bench_now_ms() < until) {
        if (s_port_open(port))
            return true;
        zclock_sleep(20);
    }
    return false;
}

/* Starts argv with extra environment entries; the child dies with us. */
static pid_t s_spawn(char *const argv[], char *const env[])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (int i = 0; env && env[i]; i++)
        putenv(env[i]);
    execv(argv[0], argv);
    fprintf(stderr, "uschat-bench-broker: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* SIGTERM, then up to 5 s; returns the exit code (or -1) and how long it took. */
static int s_stop(pid_t pid, int64_t *took_ms)
{
    int64_t start = bench_now_ms();
    kill(pid, SIGTERM);
    int status = 0;
    while (bench_now_ms() - start < 5000) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *took_ms = bench_now_ms() - start;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        zclock_sleep(5);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    *took_ms = bench_now_ms() - start;
    return -1;
}

/* ---- tap listener --------------------------------------------------------------------- */

typedef struct {
    void *ctx;
    const hop_t *hop; /* its CURVE keys */
    char endpoint[128];
    atomic_int stop;
    atomic_int ready;
    uint64_t messages;
} tap_listener_t;

static void *s_tap_listener(void *arg)
{
    tap_listener_t *self = arg;
    void *sub = zmq_socket(self->ctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    bench_hop_curve(self->hop, sub);
    zmq_connect(sub, self->endpoint);
    atomic_store(&self->ready, 1);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (!atomic_load(&self->stop)) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0)
            continue;
        while (zmq_msg_recv(&msg, sub, ZMQ_DONTWAIT) >= 0)
            if (!zmq_msg_more(&msg))
                self->messages++;
    }
    zmq_msg_close(&msg);
    zmq_close(sub);
    return NULL;
}

/* ---- figures -------------------------------------------------------------------------- */

static int s_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_median(const double *values, int n)
{
    if (n == 0)
        return 0;
    double sorted[MAX_RUNS];
    memcpy(sorted, values, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), s_compare_double);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void s_json_list(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.4f", i ? ", " : "", v[i]);
    fputc(']', f);
}

static void s_json_figures(FILE *f, const char *name, const figures_t *fig, bool last)
{
    fprintf(f,
            "  \"%s\": {\"oneway_msgs_per_s\": %.0f, \"rtt_p50_ms\": %.4f, "
            "\"rtt_p99_ms\": %.4f,\n    \"oneway_runs\": ",
            name, s_median(fig->rate, fig->rate_n), s_median(fig->p50, fig->latency_n),
            s_median(fig->p99, fig->latency_n));
    s_json_list(f, fig->rate, fig->rate_n);
    fprintf(f, ", \"p50_runs\": ");
    s_json_list(f, fig->p50, fig->latency_n);
    fprintf(f, ", \"p99_runs\": ");
    s_json_list(f, fig->p99, fig->latency_n);
    fprintf(f, "}%s\n", last ? "" : ",");
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: uschat-bench-broker [--broker PATH] [--runs N] [--oneway-ms MS]\n"
                 "                           [--latency-n N] [--size BYTES] [--no-tap-run] "
                 "[--json FILE]\n"
                 "                           [--curve]\n"
                 "  Measures uschat-broker against a CZMQ zproxy hop on loopback TCP:\n"
                 "  one-way msgs/s and round-trip p50/p99, medians of N runs (default 3).\n"
                 "  --curve: the broker's links (and tap) with CURVE, as in production; the\n"
                 "  zproxy hop stays plain. Default: plain TCP (broker/plain_tcp).\n");
}

static int s_parse(int argc, char **argv, options_t *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-tap-run") == 0) {
            o->tap_run = false;
            continue;
        }
        if (strcmp(a, "--curve") == 0) {
            o->curve = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            exit(0);
        }
        if (!v) {
            s_usage(stderr);
            return -1;
        }
        i++;
        if (strcmp(a, "--broker") == 0)
            o->broker_path = v;
        else if (strcmp(a, "--runs") == 0)
            o->runs = atoi(v);
        else if (strcmp(a, "--oneway-ms") == 0)
            o->oneway_ms = atoi(v);
        else if (strcmp(a, "--latency-n") == 0)
            o->latency_n = atoi(v);
        else if (strcmp(a, "--size") == 0)
            o->size = (size_t)atol(v);
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else {
            s_usage(stderr);
            return -1;
        }
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->oneway_ms < 100 || o->latency_n < 100 ||
        o->size > 65536) {
        fprintf(stderr,
                "uschat-bench-broker: runs 1..%d, oneway-ms >= 100, latency-n >= 100, "
                "size <= 65536\n",
                MAX_RUNS);
        return -1;
    }
    return 0;
}

/* A keys folder as uschat-keys lays it out (broker pair, one authorized client key for
 * every bench actor and the tap), in a fresh temporary folder; the client's keys go to hop. */
static int s_make_keys(char *dir, size_t cap, hop_t *hop)
{
    snprintf(dir, cap, "/tmp/uschat-bench-keys.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/authorized", dir);
    if (zsys_dir_create("%s", path) != 0)
        return -1;
    zcert_t *server = zcert_new(), *client = zcert_new();
    int rc = -1;
    if (!server || !client)
        goto done;
    zcert_set_meta(client, "services", "bench_sink,bench_source,bench_echo,bench_client,tap");
    snprintf(path, sizeof(path), "%s/broker.cert", dir);
    if (zcert_save(server, path) != 0)
        goto done;
    snprintf(path, sizeof(path), "%s/authorized/bench.cert", dir);
    if (zcert_save_public(client, path) != 0)
        goto done;
    snprintf(hop->curve_server, sizeof(hop->curve_server), "%s", zcert_public_txt(server));
    snprintf(hop->curve_public, sizeof(hop->curve_public), "%s", zcert_public_txt(client));
    snprintf(hop->curve_secret, sizeof(hop->curve_secret), "%s", zcert_secret_txt(client));
    rc = 0;
done:
    zcert_destroy(&server);
    zcert_destroy(&client);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--serve-zproxy") == 0)
        return s_serve_zproxy(argv[2], argv[3]);

    options_t opt = {.broker_path = USCHAT_BROKER_BINARY,
                     .runs = 3,
                     .oneway_ms = 1000,
                     .latency_n = 20000,
                     .size = 100,
                     .tap_run = true};
    if (s_parse(argc, argv, &opt) < 0)
        return 2;
    if (access(opt.broker_path, X_OK) != 0) {
        fprintf(stderr, "uschat-bench-broker: no broker binary at %s (use --broker PATH)\n",
                opt.broker_path);
        return 1;
    }
    int64_t started = bench_now_ms();
    int ports[4];
    for (int i = 0; i < 4; i++)
        ports[i] = s_free_port();
    hop_t broker = {.kind = HOP_BROKER, .heartbeat_ms = 1000};
    hop_t proxy = {.kind = HOP_ZPROXY};
    snprintf(broker.send_side, sizeof(broker.send_side), "tcp://127.0.0.1:%d", ports[0]);
    snprintf(broker.recv_side, sizeof(broker.recv_side), "tcp://127.0.0.1:%d", ports[0]);
    snprintf(proxy.send_side, sizeof(proxy.send_side), "tcp://127.0.0.1:%d", ports[2]);
    snprintf(proxy.recv_side, sizeof(proxy.recv_side), "tcp://127.0.0.1:%d", ports[3]);
    char tap[128];
    snprintf(tap, sizeof(tap), "tcp://127.0.0.1:%d", ports[1]);

    char env_endpoint[160], env_tap[160];
    snprintf(env_endpoint, sizeof(env_endpoint), "USCHAT_BROKER_ENDPOINT=%s", broker.send_side);
    snprintf(env_tap, sizeof(env_tap), "USCHAT_BROKER_TAP=%s", tap);
    char env_heartbeat[] = "USCHAT_BROKER_HEARTBEAT_MS=1000", env_level[] = "USCHAT_LOG_LEVEL=warn";
    char env_security[4200] = "USCHAT_BROKER_PLAIN_TCP=true";
    char keys_dir[4096] = "";
    if (opt.curve) {
        if (s_make_keys(keys_dir, sizeof(keys_dir), &broker) < 0) {
            fprintf(stderr, "uschat-bench-broker: cannot write CURVE keys\n");
            return 1;
        }
        snprintf(env_security, sizeof(env_security), "USCHAT_BROKER_CURVE_KEYS_DIR=%s", keys_dir);
    }
    char *broker_env[] = {env_endpoint, env_tap, env_heartbeat, env_level, env_security, NULL};
    char *broker_argv[] = {(char *)opt.broker_path, NULL};
    char self_path[4096];
    ssize_t self_len = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
    if (self_len <= 0)
        return 1;
    self_path[self_len] = '\0';
    char *proxy_argv[] = {self_path, "--serve-zproxy", proxy.send_side, proxy.recv_side, NULL};

    zsys_handler_set(NULL);
    pid_t broker_pid = s_spawn(broker_argv, broker_env);
    pid_t proxy_pid = s_spawn(proxy_argv, NULL);
    int rc = 1;
    void *ctx = zmq_ctx_new();
    if (broker_pid < 0 || proxy_pid < 0 || !ctx || !s_wait_port(ports[0], 5000) ||
        !s_wait_port(ports[2], 5000)) {
        fprintf(stderr, "uschat-bench-broker: the broker or the zproxy did not start\n");
        goto stop;
    }

    printf("uschat-bench-broker: %zu-byte bodies, loopback TCP (broker %s), %d run(s), one-way "
           "%d ms, %d round trips per run\n",
           opt.size, opt.curve ? "CURVE" : "plain", opt.runs, opt.oneway_ms, opt.latency_n);
    fflush(stdout);
    figures_t fig_broker = {0}, fig_proxy = {0}, fig_tap = {0};
    uint64_t tap_seen = 0;
    for (int r = 0; r < opt.runs; r++) {
        if (bench_now_ms() - started > TIME_BUDGET_MS) {
            printf("time budget reached after %d run(s)\n", r);
            break;
        }
        const hop_t *hops[2] = {&broker, &proxy};
        figures_t *figs[2] = {&fig_broker, &fig_proxy};
        for (int h = 0; h < 2; h++) {
            oneway_t ow = {.ctx = ctx,
                           .hop = hops[h],
                           .run = r * 10 + 1,
                           .body_size = opt.size,
                           .duration_ms = opt.oneway_ms};
            bench_oneway(&ow);
            if (!ow.ok) {
                fprintf(stderr, "one-way through %s failed: %s\n", h ? "zproxy" : "broker",
                        ow.problem);
                goto stop;
            }
            if (ow.errors)
                printf("  (%s: %llu of %llu messages came back as errors)\n",
                       h ? "zproxy" : "broker", (unsigned long long)ow.errors,
                       (unsigned long long)ow.sent);
            figs[h]->rate[figs[h]->rate_n++] = ow.rate;
        }
        if (opt.tap_run) {
            tap_listener_t listener = {.ctx = ctx, .hop = &broker};
            snprintf(listener.endpoint, sizeof(listener.endpoint), "%s", tap);
            atomic_init(&listener.stop, 0);
            atomic_init(&listener.ready, 0);
            pthread_t thread;
            if (pthread_create(&thread, NULL, s_tap_listener, &listener) == 0) {
                zclock_sleep(300); /* the subscription reaches the broker */
                oneway_t ow = {.ctx = ctx,
                               .hop = &broker,
                               .run = r * 10 + 2,
                               .body_size = opt.size,
                               .duration_ms = opt.oneway_ms};
                bench_oneway(&ow);
                atomic_store(&listener.stop, 1);
                pthread_join(thread, NULL);
                if (ow.ok)
                    fig_tap.rate[fig_tap.rate_n++] = ow.rate;
                tap_seen += listener.messages;
            }
        }
        for (int h = 0; h < 2; h++) {
            roundtrip_t rt = {.ctx = ctx,
                              .hop = hops[h],
                              .run = r * 10 + 3,
                              .body_size = opt.size,
                              .count = opt.latency_n,
                              .deadline_ms = started + TIME_BUDGET_MS};
            bench_roundtrip(&rt);
            if (!rt.ok) {
                fprintf(stderr, "round trip through %s failed: %s\n", h ? "zproxy" : "broker",
                        rt.problem);
                goto stop;
            }
            figs[h]->p50[figs[h]->latency_n] = rt.p50_ms;
            figs[h]->p99[figs[h]->latency_n++] = rt.p99_ms;
        }
        printf("  run %d: broker %.0f msgs/s, p50 %.3f ms | zproxy %.0f msgs/s, p50 %.3f ms%s\n",
               r + 1, fig_broker.rate[r], fig_broker.p50[r], fig_proxy.rate[r], fig_proxy.p50[r],
               "");
        fflush(stdout);
    }
    rc = 0;

    double b_rate = s_median(fig_broker.rate, fig_broker.rate_n);
    double z_rate = s_median(fig_proxy.rate, fig_proxy.rate_n);
    double t_rate = s_median(fig_tap.rate, fig_tap.rate_n);
    double b_p50 = s_median(fig_broker.p50, fig_broker.latency_n);
    double z_p50 = s_median(fig_proxy.p50, fig_proxy.latency_n);
    double b_p99 = s_median(fig_broker.p99, fig_broker.latency_n);
    double z_p99 = s_median(fig_proxy.p99, fig_proxy.latency_n);
    double ratio = z_rate > 0 ? b_rate / z_rate : 0;
    printf("\n%-34s %14s %14s %9s\n", "median of runs", "uschat-broker", "zproxy", "ratio");
    printf("%-34s %14.0f %14.0f %9.2f\n", "one-way msgs/s (higher is better)", b_rate, z_rate,
           ratio);
    printf("%-34s %14.3f %14.3f %9.2f\n", "round trip p50 ms (lower better)", b_p50, z_p50,
           z_p50 > 0 ? b_p50 / z_p50 : 0);
    printf("%-34s %14.3f %14.3f %9.2f\n", "round trip p99 ms (lower better)", b_p99, z_p99,
           z_p99 > 0 ? b_p99 / z_p99 : 0);
    if (fig_tap.rate_n)
        printf("%-34s %14.0f %14s %9.2f\n", "one-way msgs/s, tap subscriber on", t_rate, "",
               b_rate > 0 ? t_rate / b_rate : 0);
    printf("\nbroker: %s, NOTIFY to a service (one-way) and REQUEST -> echo actor -> REPLY\n",
           opt.broker_path);
    printf("zproxy: CZMQ zproxy, ROUTER frontend -> DEALER backend, own process; same frames\n");
    printf("requirement: broker one-way >= %.1fx zproxy: %s (%.2f)\n", REQUIRED_RATIO,
           ratio >= REQUIRED_RATIO ? "met" : "NOT met", ratio);
    if (fig_tap.rate_n)
        printf("tap ratio is against the broker without a subscriber (%llu tap messages seen)\n",
               (unsigned long long)tap_seen);

    if (opt.json) {
        FILE *f = fopen(opt.json, "w");
        if (!f) {
            fprintf(stderr, "uschat-bench-broker: cannot write %s\n", opt.json);
            rc = 1;
        } else {
            fprintf(f,
                    "{\n  \"body_bytes\": %zu, \"runs\": %d, \"oneway_ms\": %d, "
                    "\"latency_n\": %d,\n",
                    opt.size, fig_broker.rate_n, opt.oneway_ms, opt.latency_n);
            fprintf(f, "  \"zproxy_hop\": \"CZMQ zproxy, ROUTER frontend, DEALER backend\",\n");
            s_json_figures(f, "broker", &fig_broker, false);
            s_json_figures(f, "zproxy", &fig_proxy, false);
            fprintf(f, "  \"broker_tap_subscribed_msgs_per_s\": %.0f,\n", t_rate);
            fprintf(f, "  \"ratio\": {\"oneway\": %.4f, \"rtt_p50\": %.4f, \"rtt_p99\": %.4f},\n",
                    ratio, z_p50 > 0 ? b_p50 / z_p50 : 0, z_p99 > 0 ? b_p99 / z_p99 : 0);
            fprintf(f, "  \"requirement_met\": %s\n}\n",
                    ratio >= REQUIRED_RATIO ? "true" : "false");
            fclose(f);
        }
    }

stop:
    if (ctx)
        zmq_ctx_term(ctx);
    int64_t took = 0;
    if (broker_pid > 0) {
        int code = s_stop(broker_pid, &took);
        printf("broker stopped by SIGTERM: exit %d in %lld ms\n", code, (long long)took);
        if (code != 0)
            rc = 1;
    }
    if (proxy_pid > 0)
        s_stop(proxy_pid, &took);
    if (keys_dir[0]) {
        const char *files[] = {"authorized/bench.cert", "broker.cert", "broker.cert_secret",
                               "authorized"};
        char path[4200];
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", keys_dir, files[i]);
            remove(path);
        }
        rmdir(keys_dir);
    }
    printf("total %.1f s\n", (double)(bench_now_ms() - started) / 1000);
    return rc;
}
