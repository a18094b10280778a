/* test_broker_client.c - broker_client.h, the echo service and uschatd against the real broker
 * (build/broker/uschat-broker, started here on free ports and stopped by pid).
 *
 * One executable, one CTest test per case (the case name is argv[1]); each starts its own
 * broker. Skips (77) when the broker or uschatd is not built. Prints the figures it measures.
 */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "echo.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/config.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/service.h"
#include "uschat/tap.h"

static char *s_dir;
static char s_endpoint[64], s_tap[64];
static int s_port, s_tap_port;
static pid_t s_broker = -1;

/* ---- the broker ------------------------------------------------------------------------- */

static void s_broker_start(int heartbeat_ms)
{
    const char *bin = test_binary("broker/uschat-broker");
    char log_path[512], hb[64], ep[96], tap[96];
    snprintf(log_path, sizeof log_path, "%s/broker.log", s_dir);
    snprintf(hb, sizeof hb, "USCHAT_BROKER_HEARTBEAT_MS=%d", heartbeat_ms);
    snprintf(ep, sizeof ep, "USCHAT_BROKER_ENDPOINT=%s", s_endpoint);
    snprintf(tap, sizeof tap, "USCHAT_BROKER_TAP=%s", s_tap);
    const char *argv[] = {bin, NULL};
    const char *envp[] = {
        ep, tap, hb, "USCHAT_BROKER_LIVENESS=3", "USCHAT_LOG_FILE=", "USCHAT_LOG_LEVEL=info", NULL};
    s_broker = test_spawn(argv, envp, log_path);
    CHECK(s_broker > 0, "cannot start %s", bin);
    CHECK(test_wait_port(s_port, 5000) == 0, "broker not listening on %d (see %s)", s_port,
          log_path);
}

static void s_setup(const char *name, int heartbeat_ms)
{
    /* the client's behaviour, not its security: plain TCP by the explicit setting */
    setenv("USCHAT_BROKER_PLAIN_TCP", "true", 1);
    s_dir = test_tmpdir(name);
    CHECK(s_dir, "tmpdir");
    s_port = test_free_port();
    s_tap_port = test_free_port();
    CHECK(s_port > 0 && s_tap_port > 0 && s_port != s_tap_port, "free ports");
    snprintf(s_endpoint, sizeof s_endpoint, "tcp://127.0.0.1:%d", s_port);
    snprintf(s_tap, sizeof s_tap, "tcp://127.0.0.1:%d", s_tap_port);
    /* In-process actors read the endpoint from the environment, like deployed ones. */
    setenv("USCHAT_BROKER_ENDPOINT", s_endpoint, 1);
    char hb[16];
    snprintf(hb, sizeof hb, "%d", heartbeat_ms);
    setenv("USCHAT_BROKER_HEARTBEAT_MS", hb, 1);
    log_set_node("test");
    s_broker_start(heartbeat_ms);
}

static void s_teardown(void)
{
    if (s_broker > 0) {
        int status = 0;
        test_stop(s_broker, 3000, &status);
    }
    test_rmtree(s_dir);
    free(s_dir);
}

static broker_client_t *s_client(const char *service, const char *node)
{
    broker_client_config_t cfg = {.endpoint = s_endpoint, .service = service, .node = node};
    broker_client_t *client = broker_client_new(&cfg);
    CHECK(client, "client");
    return client;
}

/* ---- echo helpers ----------------------------------------------------------------------- */

static void s_echo_body(const char *payload, uint64_t seq, uint8_t **out, size_t *len)
{
    msg_echo_t m = {0};
    m.payload.data = (uint8_t *)payload;
    m.payload.len = strlen(payload);
    m.seq = seq;
    CHECK(msg_echo_encode(&m, out, len) == 0, "encode echo");
}

/* Calls until the echo service (or node) answers: actors register asynchronously. Returns
 * the milliseconds it took. */
static int64_t s_wait_echo(broker_client_t *client, const char *node, int limit_ms)
{
    uint8_t *body;
    size_t len;
    s_echo_body("ping", 1, &body, &len);
    int64_t t0 = zclock_mono();
    int rc = -1;
    while (zclock_mono() - t0 < limit_ms) {
        envelope_t env;
        zframe_t *reply = NULL;
        rc = broker_client_call(client, "echo", node, MSG_ECHO, body, len, 250, &env, &reply);
        zframe_destroy(&reply);
        if (rc == 0)
            break;
        zclock_sleep(20);
    }
    free(body);
    CHECK(rc == 0, "echo did not answer within %d ms (last %d)", limit_ms, rc);
    return zclock_mono() - t0;
}

static zactor_t *s_echo_start(service_args_t *args, config_t **config_out, const char *node)
{
    *config_out = config_load(NULL);
    CHECK(*config_out, "config");
    args->config = *config_out;
    args->node = node;
    args->service = "echo";
    zactor_t *actor = zactor_new(echo_actor, args);
    CHECK(actor, "echo actor");
    return actor;
}

/* ---- cases ------------------------------------------------------------------------------ */

typedef struct {
    int sent, done, errors, notifies, target;
    int window;
    broker_client_t *client;
    const uint8_t *body;
    size_t len;
} flow_t;

static void s_flow_reply(broker_client_t *client, const envelope_t *env, zframe_t **body,
                         void *arg);

static void s_flow_send(flow_t *flow)
{
    while (flow->sent < flow->target && flow->sent - flow->done < flow->window) {
        int rc = broker_client_request(flow->client, "echo", NULL, MSG_ECHO, flow->body, flow->len,
                                       5000, s_flow_reply, flow);
        CHECK(rc == 0, "request %d", flow->sent);
        flow->sent++;
    }
}

static void s_flow_reply(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    flow_t *flow = arg;
    flow->done++;
    if (env->kind != ENVELOPE_REPLY || !*body || zframe_size(*body) != flow->len ||
        memcmp(zframe_data(*body), flow->body, flow->len) != 0)
        flow->errors++;
    s_flow_send(flow);
}

static void s_flow_notify(broker_client_t *client, const envelope_t *env, zframe_t **body,
                          void *arg)
{
    flow_t *flow = arg;
    if (env->kind == ENVELOPE_NOTIFY && env->type == MSG_ECHO && *body &&
        zframe_size(*body) == flow->len && memcmp(zframe_data(*body), flow->body, flow->len) == 0)
        flow->notifies++;
}

static int s_flow_check(zloop_t *loop, int timer_id, void *arg)
{
    flow_t *flow = arg;
    return flow->done >= flow->target ? -1 : 0;
}

static int s_stop_loop(zloop_t *loop, int timer_id, void *arg)
{
    return -1;
}

static void test_echo_inproc(void)
{
    s_setup("runtime-echo", 1000);
    config_t *config;
    service_args_t args;
    zactor_t *echo = s_echo_start(&args, &config, "echo.t1");
    broker_client_t *client = s_client("tester", "tester.1");
    int64_t ready_ms = s_wait_echo(client, NULL, 5000);

    /* One call: the same payload and seq come back from the echo node */
    uint8_t *body;
    size_t len;
    s_echo_body("hello, 世界", 42, &body, &len);
    envelope_t env;
    zframe_t *reply = NULL;
    CHECK(broker_client_call(client, "echo", NULL, MSG_ECHO, body, len, 2000, &env, &reply) == 0,
          "call");
    CHECK(env.kind == ENVELOPE_REPLY && env.type == MSG_ECHO, "kind %d type %d", env.kind,
          env.type);
    CHECK(strcmp(env.from, "echo.t1") == 0, "from %s", env.from);
    msg_echo_t m;
    CHECK(reply && msg_echo_decode(zframe_data(reply), zframe_size(reply), &m) == 0, "decode");
    CHECK(m.seq == 42 && m.payload.len == strlen("hello, 世界") &&
              memcmp(m.payload.data, "hello, 世界", m.payload.len) == 0,
          "same payload and seq");
    msg_echo_clear(&m);
    zframe_destroy(&reply);

    /* Latency: sequential calls */
    int calls = 2000;
    int64_t t0 = zclock_usecs();
    for (int i = 0; i < calls; i++) {
        CHECK(broker_client_call(client, "echo", NULL, MSG_ECHO, body, len, 2000, &env, &reply) ==
                  0,
              "call %d", i);
        zframe_destroy(&reply);
    }
    double rtt_us = (double)(zclock_usecs() - t0) / calls;

    /* Throughput: the loop API with a window of requests in flight, plus one-way NOTIFYs that
     * the echo sends back to this node */
    zloop_t *loop = zloop_new();
    /* The window stays under the broker's per-peer queue (ZeroMQ's default HWM, 1000): past
     * it the broker answers UNDELIVERABLE, by design. */
    flow_t flow = {.target = 50000, .window = 500, .client = client, .body = body, .len = len};
    CHECK(broker_client_attach(client, loop, s_flow_notify, &flow) == 0, "attach");
    CHECK(broker_client_attach(client, loop, s_flow_notify, &flow) == -1, "attach twice");
    for (int i = 0; i < 100; i++)
        CHECK(broker_client_notify(client, "echo", NULL, MSG_ECHO, body, len) == 0, "notify");
    t0 = zclock_usecs();
    s_flow_send(&flow);
    zloop_timer(loop, 5, 0, s_flow_check, &flow);
    zloop_timer(loop, 30000, 1, s_stop_loop, NULL);
    zloop_start(loop);
    double secs = (double)(zclock_usecs() - t0) / 1e6;
    CHECK(flow.done == flow.target, "done %d of %d", flow.done, flow.target);
    CHECK(flow.errors == 0, "%d bad replies", flow.errors);
    CHECK(flow.notifies == 100, "notifies echoed back: %d", flow.notifies);
    CHECK(broker_client_connected(client), "connected");
    CHECK(broker_client_drops(client) == 0, "no drops");
    printf("echo in-process: ready after %lld ms; call round trip %.0f us; "
           "%d pipelined echoes in %.2f s = %.0f/s\n",
           (long long)ready_ms, rtt_us, flow.done, secs, flow.done / secs);

    broker_client_destroy(&client);
    zloop_destroy(&loop);
    zactor_destroy(&echo);
    config_destroy(&config);
    free(body);
    s_teardown();
}

typedef struct {
    int calls;
    int order[8];
    uint16_t error;
    uint64_t corr;
    int64_t at;
} timeout_t;

static void s_on_timeout(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    timeout_t *t = arg;
    t->calls++;
    t->error = env->kind == ENVELOPE_ERROR ? env->error : 0;
    t->corr = env->corr;
    t->at = zclock_mono();
}

static int s_order_seen[3], s_order_count;
static void s_on_ordered(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    if (s_order_count < 3)
        s_order_seen[s_order_count++] = (int)(intptr_t)arg;
}

static void test_timeout(void)
{
    s_setup("runtime-timeout", 1000);
    /* A service that never answers: its client reads nothing. */
    broker_client_t *sink = s_client("sink", "sink.1");
    broker_client_t *client = s_client("tester", "tester.2");
    int64_t t0 = zclock_mono();
    int rc;
    do { /* until the sink is registered: a timeout instead of "no service" */
        rc = broker_client_call(client, "sink", NULL, MSG_ECHO, "x", 1, 100, NULL, NULL);
    } while (rc == -ROUTE_ERR_NO_SERVICE && zclock_mono() - t0 < 5000);
    CHECK(rc == -ROUTE_ERR_TIMEOUT, "blocking call times out: %d", rc);

    zloop_t *loop = zloop_new();
    CHECK(broker_client_attach(client, loop, NULL, NULL) == 0, "attach");
    timeout_t t = {0};
    int64_t sent = zclock_mono();
    CHECK(broker_client_request(client, "sink", NULL, MSG_ECHO, "x", 1, 300, s_on_timeout, &t) == 0,
          "request");
    /* Deadlines out of order complete in deadline order */
    broker_client_request(client, "sink", NULL, MSG_ECHO, "x", 1, 600, s_on_ordered,
                          (void *)(intptr_t)600);
    broker_client_request(client, "sink", NULL, MSG_ECHO, "x", 1, 400, s_on_ordered,
                          (void *)(intptr_t)400);
    broker_client_request(client, "sink", NULL, MSG_ECHO, "x", 1, 500, s_on_ordered,
                          (void *)(intptr_t)500);
    zloop_timer(loop, 1200, 1, s_stop_loop, NULL);
    zloop_start(loop);
    int64_t waited = t.at - sent;
    CHECK(t.calls == 1, "exactly one completion: %d", t.calls);
    CHECK(t.error == ROUTE_ERR_TIMEOUT, "error %u", t.error);
    /* never early; late only by scheduling (tests run in parallel with the fuzzers), not by a
     * heartbeat period (1000 ms) */
    CHECK(waited >= 300 && waited < 900, "timed out after %lld ms", (long long)waited);
    CHECK(s_order_count == 3 && s_order_seen[0] == 400 && s_order_seen[1] == 500 &&
              s_order_seen[2] == 600,
          "deadline order %d %d %d", s_order_seen[0], s_order_seen[1], s_order_seen[2]);
    printf("timeout: 300 ms request completed with TIMEOUT after %lld ms\n", (long long)waited);

    broker_client_destroy(&client);
    broker_client_destroy(&sink);
    zloop_destroy(&loop);
    s_teardown();
}

static void test_no_service(void)
{
    s_setup("runtime-nosvc", 1000);
    broker_client_t *client = s_client("tester", NULL);
    CHECK(strncmp(broker_client_node(client), "tester.", 7) == 0, "default node %s",
          broker_client_node(client));
    int64_t t0 = zclock_usecs();
    int rc = broker_client_call(client, "nosuch", NULL, MSG_ECHO, "x", 1, 3000, NULL, NULL);
    int64_t us = zclock_usecs() - t0;
    CHECK(rc == -ROUTE_ERR_NO_SERVICE, "rc %d", rc);
    CHECK(us < 200000, "took %lld us", (long long)us);
    t0 = zclock_usecs();
    rc = broker_client_call(client, NULL, "nosuch.node", MSG_ECHO, "x", 1, 3000, NULL, NULL);
    CHECK(rc == -ROUTE_ERR_NO_NODE, "rc %d", rc);
    printf("no service: -ROUTE_ERR_NO_SERVICE after %lld us, -ROUTE_ERR_NO_NODE after %lld us\n",
           (long long)us, (long long)(zclock_usecs() - t0));
    broker_client_destroy(&client);
    s_teardown();
}

static void test_reregister(void)
{
    s_setup("runtime-rereg", 1000); /* the default heartbeat and liveness */
    config_t *config;
    service_args_t args;
    zactor_t *echo = s_echo_start(&args, &config, "echo.rereg");
    broker_client_t *client = s_client("tester", "tester.3");
    s_wait_echo(client, "echo.rereg", 5000);

    CHECK(test_kill(s_broker, SIGKILL) == 0, "kill -9");
    CHECK(test_wait_exit(s_broker, 3000, NULL) == 0, "broker gone");
    zclock_sleep(300);
    int64_t t0 = zclock_mono();
    s_broker_start(1000);
    int64_t ms = s_wait_echo(client, "echo.rereg", 5000);
    int64_t total = zclock_mono() - t0;
    CHECK(total < 3000, "echo back %lld ms after the broker restarted", (long long)total);
    printf("re-registration: echo answers %lld ms after the broker restart (%lld ms of "
           "retries)\n",
           (long long)total, (long long)ms);

    broker_client_destroy(&client);
    zactor_destroy(&echo);
    config_destroy(&config);
    s_teardown();
}

/* The broker stays away longer than heartbeat * liveness: clients count it dead, rebuild their
 * sockets, and find the new broker within a few seconds of its start. */
/* Binds 127.0.0.1:port without listening: connections are refused exactly as by a dead
 * broker, and no other process can take the port meanwhile. The caller closes it. */
static int s_hold_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0, "hold port %d", port);
    return fd;
}

static void test_broker_outage(void)
{
    s_setup("runtime-outage", 500);
    config_t *config;
    service_args_t args;
    zactor_t *echo = s_echo_start(&args, &config, "echo.outage");
    broker_client_t *client = s_client("tester", "tester.6");
    s_wait_echo(client, "echo.outage", 5000);

    CHECK(test_kill(s_broker, SIGKILL) == 0, "kill -9");
    CHECK(test_wait_exit(s_broker, 3000, NULL) == 0, "broker gone");
    /* Hold the dead broker's port: parallel tests pick free ports too, and another test's
     * broker there would answer our client. */
    int hold = s_hold_port(s_port);
    int rc = broker_client_call(client, "echo", NULL, MSG_ECHO, "x", 1, 3500, NULL, NULL);
    CHECK(rc == -ROUTE_ERR_TIMEOUT, "no broker: timeout, got %d", rc);
    CHECK(!broker_client_connected(client), "not connected after the liveness period");
    close(hold);
    int64_t t0 = zclock_mono();
    s_broker_start(500);
    s_wait_echo(client, "echo.outage", 5000);
    int64_t total = zclock_mono() - t0;
    CHECK(total < 3000, "echo back %lld ms after the broker restarted", (long long)total);
    CHECK(broker_client_connected(client), "connected again");
    printf("outage: after 3.5 s without a broker, echo answers %lld ms after its restart\n",
           (long long)total);

    broker_client_destroy(&client);
    zactor_destroy(&echo);
    config_destroy(&config);
    s_teardown();
}

/* Counts tap events of one kind for one node. */
static int s_tap_count(zsock_t *sub, const char *event, const char *node, int wait_ms)
{
    int count = 0;
    int64_t end = zclock_mono() + wait_ms;
    zpoller_t *poller = zpoller_new(sub, NULL);
    while (zclock_mono() < end) {
        if (!zpoller_wait(poller, (int)(end - zclock_mono())))
            continue;
        zmsg_t *msg = zmsg_recv(sub);
        char *topic = zmsg_popstr(msg);
        zframe_t *record = zmsg_pop(msg);
        tap_record_t r;
        if (topic && record && streq(topic, TAP_TOPIC_EVENT) &&
            tap_record_decode(zframe_data(record), zframe_size(record), &r) == 0 &&
            streq(r.event, event) && streq(r.from_node, node))
            count++;
        zstr_free(&topic);
        zframe_destroy(&record);
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    return count;
}

static void test_replaced(void)
{
    s_setup("runtime-replaced", 200);
    zsock_t *sub = zsock_new_sub(s_tap, "");
    CHECK(sub, "tap subscriber");
    zclock_sleep(200); /* let the subscription reach the broker */
    config_t *config_a, *config_b;
    service_args_t args_a, args_b;
    zactor_t *a = s_echo_start(&args_a, &config_a, "echo.dup");
    broker_client_t *client = s_client("tester", "tester.4");
    s_wait_echo(client, "echo.dup", 5000);
    zactor_t *b = s_echo_start(&args_b, &config_b, "echo.dup");
    /* Over several heartbeat periods the old instance must not take the name back */
    int ready = s_tap_count(sub, "ready", "echo.dup", 1500);
    CHECK(ready == 2, "ready events for echo.dup: %d (the old instance re-registered?)", ready);
    s_wait_echo(client, "echo.dup", 1000);
    zactor_destroy(&a); /* still destroys cleanly */
    s_wait_echo(client, "echo.dup", 1000);
    zactor_destroy(&b);
    config_destroy(&config_a);
    config_destroy(&config_b);
    broker_client_destroy(&client);
    zsock_destroy(&sub);
    printf("replaced: the older echo.dup stopped registering; the newer one serves\n");
    s_teardown();
}

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f, "read %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_uschatd(void)
{
    const char *uschatd = test_binary("actors/uschatd/uschatd");
    s_setup("runtime-uschatd", 1000);
    char conf[512], out[512];
    snprintf(conf, sizeof conf, "%s/config/echo.conf", test_env("USCHAT_SOURCE_DIR"));
    snprintf(out, sizeof out, "%s/list.out", s_dir);

    /* --list prints the compiled-in services, echo among them */
    const char *list_argv[] = {uschatd, "--list", NULL};
    pid_t pid = test_spawn(list_argv, NULL, out);
    int status = 0;
    CHECK(pid > 0 && test_wait_exit(pid, 5000, &status) == 0, "--list ran");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--list exit");
    const char *text = s_slurp(out);
    CHECK(strstr(text, "echo\n") == text || strstr(text, "\necho\n"), "--list output:\n%s", text);

    /* A service that cannot start makes uschatd exit non-zero */
    const char *bad_env[] = {"USCHAT_BROKER_ENDPOINT=not-an-endpoint", NULL};
    const char *run_argv[] = {uschatd, "--config", conf, "--node", "echo.d1", NULL};
    int rc = test_run(run_argv, bad_env, 5000);
    CHECK(rc > 0, "uschatd with a broken service exits non-zero: %d", rc);

    /* Echo through uschatd, then SIGTERM: exit 0 within 5 s */
    char log_path[512];
    snprintf(log_path, sizeof log_path, "%s/uschatd.log", s_dir);
    pid = test_spawn(run_argv, NULL, log_path);
    CHECK(pid > 0, "uschatd started");
    broker_client_t *client = s_client("tester", "tester.5");
    int64_t ready = s_wait_echo(client, "echo.d1", 5000);
    uint8_t *body;
    size_t len;
    s_echo_body("through uschatd", 7, &body, &len);
    envelope_t env;
    zframe_t *reply = NULL;
    CHECK(broker_client_call(client, "echo", NULL, MSG_ECHO, body, len, 2000, &env, &reply) == 0,
          "echo via uschatd");
    CHECK(reply && zframe_size(reply) == len && memcmp(zframe_data(reply), body, len) == 0,
          "same body");
    CHECK(strcmp(env.from, "echo.d1") == 0, "from %s", env.from);
    zframe_destroy(&reply);
    free(body);

    CHECK(test_kill(pid, SIGHUP) == 0, "SIGHUP");
    zclock_sleep(100);
    int64_t t0 = zclock_mono();
    CHECK(test_kill(pid, SIGTERM) == 0, "SIGTERM");
    CHECK(test_wait_exit(pid, 5000, &status) == 0, "uschatd still running 5 s after SIGTERM");
    int64_t stop_ms = zclock_mono() - t0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
    text = s_slurp(log_path);
    CHECK(strstr(text, "[echo.d1]"), "actor lines carry the node name:\n%s", text);
    CHECK(strstr(text, "log reopened"), "SIGHUP reopened the log:\n%s", text);
    printf("uschatd: echo ready after %lld ms; stopped %lld ms after SIGTERM, exit 0\n",
           (long long)ready, (long long)stop_ms);
    broker_client_destroy(&client);
    s_teardown();
}

int main(int argc, char *argv[])
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"echo_inproc", test_echo_inproc},     {"timeout", test_timeout},
        {"no_service", test_no_service},       {"reregister", test_reregister},
        {"replaced", test_replaced},           {"uschatd", test_uschatd},
        {"broker_outage", test_broker_outage},
    };
    size_t count = sizeof cases / sizeof cases[0];
    log_open(NULL, LOG_WARN);
    for (size_t i = 0; i < count; i++)
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            if (argc >= 2)
                return 0;
        }
    if (argc >= 2) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    return 0;
}
