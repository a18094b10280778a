/* test_broker.c - the real uschat-broker binary over TCP loopback, with real actors: the
 * runtime's broker client (in this process, on zactor threads), uschatd's echo service when it
 * is built, and plain DEALER sockets where a test must control every frame (silence, garbage,
 * a second instance under the same name).
 *
 * Run by CTest as `test_broker CASE`, one process per case, each bounded by alarm():
 *   register     an actor registers and is told so at once
 *   route        to a service (in-process actor and uschatd echo) and to a node by name
 *   spread       a service's messages go to the least-loaded instance, equals take turns
 *   unroutable   no such service / node: ERROR at once, with the request's corr and type
 *   expiry       an actor that stops heartbeating is gone after liveness * heartbeat
 *   replaced     a second READY under a live node name wins; the first is told REPLACED
 *   vanished     a request to an actor whose connection closed comes back UNDELIVERABLE
 *   backpressure an actor that stops reading gets UNDELIVERABLE for its sender, while the
 *                broker keeps serving everyone else
 *   restart      broker killed (-9) and restarted on the same port: every actor registers
 *                again by itself within 3 s and routing works
 *   tap          a subscriber sees copies of routed messages and broker events
 *   malformed    garbage, truncated, wrong-kind and extra-frame messages get BAD_ENVELOPE,
 *                and the broker keeps serving others
 *   sigterm      SIGTERM: exit status 0 within 5 s
 * Main thread drives; actors run on their own zactor threads.
 */
#include <czmq.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/envelope.h"
#include "uschat/message.h"
#include "uschat/tap.h"

static int g_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);                      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

/* ---- the broker ----------------------------------------------------------------------- */

typedef struct {
    char *dir;
    int port, tap_port;
    char endpoint[64], tap[64];
    int heartbeat_ms, liveness;
    pid_t pid;
    pid_t echo;
} stack_t_;

static int64_t s_now(void)
{
    return zclock_mono();
}

static pid_t s_broker_start(stack_t_ *s)
{
    char log[512], env_ep[96], env_tap[96], env_hb[64], env_live[64];
    snprintf(log, sizeof(log), "%s/broker.log", s->dir);
    snprintf(env_ep, sizeof(env_ep), "USCHAT_BROKER_ENDPOINT=%s", s->endpoint);
    snprintf(env_tap, sizeof(env_tap), "USCHAT_BROKER_TAP=%s", s->tap);
    snprintf(env_hb, sizeof(env_hb), "USCHAT_BROKER_HEARTBEAT_MS=%d", s->heartbeat_ms);
    snprintf(env_live, sizeof(env_live), "USCHAT_BROKER_LIVENESS=%d", s->liveness);
    const char *argv[] = {test_binary("broker/uschat-broker"), NULL};
    const char *envp[] = {env_ep, env_tap, env_hb, env_live, "USCHAT_LOG_LEVEL=debug", NULL};
    s->pid = test_spawn(argv, envp, log);
    if (s->pid < 0 || test_wait_port(s->port, 5000) != 0) {
        fprintf(stderr, "the broker did not start (see %s)\n", log);
        exit(1);
    }
    return s->pid;
}

static void s_stack_new(stack_t_ *s, const char *tag, int heartbeat_ms, int liveness)
{
    memset(s, 0, sizeof(*s));
    s->dir = test_tmpdir(tag);
    s->port = test_free_port();
    s->tap_port = test_free_port();
    while (s->tap_port == s->port)
        s->tap_port = test_free_port();
    if (!s->dir || s->port < 0 || s->tap_port < 0)
        exit(1);
    snprintf(s->endpoint, sizeof(s->endpoint), "tcp://127.0.0.1:%d", s->port);
    snprintf(s->tap, sizeof(s->tap), "tcp://127.0.0.1:%d", s->tap_port);
    s->heartbeat_ms = heartbeat_ms;
    s->liveness = liveness;
    s->echo = -1;
    s_broker_start(s);
}

static void s_stack_destroy(stack_t_ *s)
{
    if (s->echo > 0)
        test_stop(s->echo, 5000, NULL);
    if (s->pid > 0)
        test_stop(s->pid, 5000, NULL);
    if (g_failures == 0)
        test_rmtree(s->dir);
    else
        fprintf(stderr, "logs kept in %s\n", s->dir);
    free(s->dir);
}

/* uschatd --service echo, if it is built; false when it is not. */
static bool s_echo_start(stack_t_ *s, const char *node)
{
    const char *build = test_env("USCHAT_BUILD_DIR");
    char path[1024], log[512], env_ep[96], env_hb[64];
    snprintf(path, sizeof(path), "%s/actors/uschatd/uschatd", build ? build : ".");
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "note: %s not built, the echo part is skipped\n", path);
        return false;
    }
    snprintf(log, sizeof(log), "%s/echo.log", s->dir);
    snprintf(env_ep, sizeof(env_ep), "USCHAT_BROKER_ENDPOINT=%s", s->endpoint);
    snprintf(env_hb, sizeof(env_hb), "USCHAT_BROKER_HEARTBEAT_MS=%d", s->heartbeat_ms);
    const char *argv[] = {path, "--service", "echo", "--node", node, NULL};
    const char *envp[] = {env_ep, env_hb, NULL};
    s->echo = test_spawn(argv, envp, log);
    return s->echo > 0;
}

/* ---- a raw DEALER: every frame under the test's control ------------------------------- */

static zsock_t *s_raw_new(const stack_t_ *s)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(sock, 0);
    zsock_set_sndtimeo(sock, 2000);
    if (zsock_connect(sock, "%s", s->endpoint) != 0) {
        zsock_destroy(&sock);
        exit(1);
    }
    return sock;
}

static void s_raw_send(zsock_t *sock, int kind, const char *service, const char *node,
                       uint64_t corr, uint32_t load, uint16_t type, const char *body)
{
    envelope_t e;
    memset(&e, 0, sizeof(e));
    e.kind = (uint8_t)kind;
    e.corr = corr;
    e.load = load;
    e.type = type;
    snprintf(e.service, sizeof(e.service), "%s", service ? service : "");
    snprintf(e.node, sizeof(e.node), "%s", node ? node : "");
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = envelope_encode(&e, buf, sizeof(buf));
    CHECK(len > 0, "encode");
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, buf, (size_t)len);
    if (body)
        zmsg_addmem(msg, body, strlen(body));
    CHECK(zmsg_send(&msg, sock) == 0, "send");
}

/* The next message that is not a HEARTBEAT, within timeout_ms. 0 with *env (and *body, caller
 * frees, when asked), -1 on timeout or garbage. */
static int s_raw_recv(zsock_t *sock, int timeout_ms, envelope_t *env, char **body)
{
    int64_t until = s_now() + timeout_ms;
    if (body)
        *body = NULL;
    while (s_now() < until) {
        zsock_set_rcvtimeo(sock, (int)(until - s_now()) > 0 ? (int)(until - s_now()) : 1);
        zmsg_t *msg = zmsg_recv(sock);
        if (!msg)
            return -1;
        zframe_t *head = zmsg_first(msg);
        zframe_t *tail = zmsg_next(msg);
        int rc = envelope_decode(zframe_data(head), zframe_size(head), env);
        if (rc == 0 && env->kind == ENVELOPE_HEARTBEAT) {
            zmsg_destroy(&msg);
            continue;
        }
        if (rc == 0 && body && tail)
            *body = strndup((const char *)zframe_data(tail), zframe_size(tail));
        zmsg_destroy(&msg);
        return rc == 0 ? 0 : -1;
    }
    return -1;
}

/* READY, then the broker's immediate HEARTBEAT. */
static zsock_t *s_raw_actor(const stack_t_ *s, const char *service, const char *node, uint32_t load)
{
    zsock_t *sock = s_raw_new(s);
    s_raw_send(sock, ENVELOPE_READY, service, node, 0, load, 0, NULL);
    zsock_set_rcvtimeo(sock, 3000);
    zmsg_t *ack = zmsg_recv(sock);
    envelope_t env;
    bool ok =
        ack &&
        envelope_decode(zframe_data(zmsg_first(ack)), zframe_size(zmsg_first(ack)), &env) == 0 &&
        env.kind == ENVELOPE_HEARTBEAT;
    zmsg_destroy(&ack);
    CHECK(ok, "%s was not acknowledged", node);
    return sock;
}

/* ---- in-process actors with the runtime's broker client ------------------------------- */

typedef struct {
    char endpoint[64];
    char service[ENVELOPE_SERVICE_MAX];
    char node[ENVELOPE_NODE_MAX];
    int heartbeat_ms;
    atomic_int requests;
    atomic_int notifies;
} actor_args_t;

static void s_actor_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body,
                               void *arg)
{
    actor_args_t *a = arg;
    if (env->kind == ENVELOPE_NOTIFY) {
        atomic_fetch_add(&a->notifies, 1);
        return;
    }
    atomic_fetch_add(&a->requests, 1);
    broker_client_reply(client, env, env->type, *body ? zframe_data(*body) : NULL,
                        *body ? zframe_size(*body) : 0);
}

static int s_actor_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv(pipe);
    zstr_free(&command);
    return -1; /* $TERM or interrupted */
}

/* An echoing actor: answers every REQUEST with its own body, counts NOTIFYs. */
static void s_actor(zsock_t *pipe, void *arg)
{
    actor_args_t *a = arg;
    broker_client_config_t config = {.endpoint = a->endpoint,
                                     .service = a->service,
                                     .node = a->node,
                                     .heartbeat_ms = a->heartbeat_ms,
                                     .liveness = 3};
    broker_client_t *client = broker_client_new(&config);
    zloop_t *loop = zloop_new();
    zloop_set_nonstop(loop, true);
    if (client)
        broker_client_attach(client, loop, s_actor_on_message, a);
    zloop_reader(loop, pipe, s_actor_on_pipe, NULL);
    zsock_signal(pipe, 0);
    if (client)
        zloop_start(loop);
    zloop_destroy(&loop);
    broker_client_destroy(&client);
}

static zactor_t *s_actor_new(const stack_t_ *s, actor_args_t *a, const char *service,
                             const char *node)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->endpoint, sizeof(a->endpoint), "%s", s->endpoint);
    snprintf(a->service, sizeof(a->service), "%s", service);
    snprintf(a->node, sizeof(a->node), "%s", node);
    a->heartbeat_ms = s->heartbeat_ms;
    return zactor_new(s_actor, a);
}

/* One blocking request from a fresh client. Returns 0 or -route_error; *answer gets the body
 * (caller frees) when asked. */
static int s_call(const stack_t_ *s, const char *service, const char *node, const char *text,
                  int timeout_ms, char **answer)
{
    broker_client_config_t config = {.endpoint = s->endpoint,
                                     .service = "tester",
                                     .node = "tester.1",
                                     .heartbeat_ms = s->heartbeat_ms};
    broker_client_t *client = broker_client_new(&config);
    if (!client)
        return -ROUTE_ERR_UNDELIVERABLE;
    envelope_t reply;
    zframe_t *body = NULL;
    int rc = broker_client_call(client, service, node, MSG_ECHO, text, text ? strlen(text) : 0,
                                timeout_ms, &reply, &body);
    if (answer)
        *answer = body ? strndup((const char *)zframe_data(body), zframe_size(body)) : NULL;
    zframe_destroy(&body);
    broker_client_destroy(&client);
    return rc;
}

/* Calls until it works or timeout_ms passes; returns the last result. */
static int s_call_until(const stack_t_ *s, const char *service, const char *node, const char *text,
                        int timeout_ms)
{
    int64_t until = s_now() + timeout_ms;
    int rc;
    do {
        rc = s_call(s, service, node, text, 500, NULL);
        if (rc == 0)
            return 0;
        zclock_sleep(50);
    } while (s_now() < until);
    return rc;
}

/* An echo request body of the echo service's schema. */
static zframe_t *s_echo_body(uint64_t seq)
{
    msg_echo_t m;
    memset(&m, 0, sizeof(m));
    m.payload.data = (uint8_t *)"ping";
    m.payload.len = 4;
    m.seq = seq;
    uint8_t *out = NULL;
    size_t len = 0;
    if (msg_echo_encode(&m, &out, &len) != 0)
        return NULL;
    zframe_t *frame = zframe_new(out, len);
    free(out);
    return frame;
}

/* An echo request to the echo service, retried until timeout_ms while it registers. 0 when
 * the answer carries seq back, else the last error. */
static int s_echo_call(const stack_t_ *s, uint64_t seq, int timeout_ms, char *from, size_t cap)
{
    broker_client_config_t config = {.endpoint = s->endpoint,
                                     .service = "tester",
                                     .node = "tester.echo",
                                     .heartbeat_ms = s->heartbeat_ms};
    broker_client_t *client = broker_client_new(&config);
    zframe_t *req = s_echo_body(seq);
    int rc = -ROUTE_ERR_UNDELIVERABLE;
    int64_t until = s_now() + timeout_ms;
    while (client && req && s_now() < until) {
        envelope_t reply;
        zframe_t *body = NULL;
        rc = broker_client_call(client, "echo", NULL, MSG_ECHO, zframe_data(req), zframe_size(req),
                                500, &reply, &body);
        if (rc == 0) {
            msg_echo_t m;
            bool same = body && msg_echo_decode(zframe_data(body), zframe_size(body), &m) == 0 &&
                        m.seq == seq && m.payload.len == 4 &&
                        memcmp(m.payload.data, "ping", 4) == 0;
            if (same)
                msg_echo_clear(&m);
            if (from)
                snprintf(from, cap, "%s", reply.from);
            zframe_destroy(&body);
            rc = same ? 0 : -1;
            break;
        }
        zframe_destroy(&body);
        zclock_sleep(50);
    }
    zframe_destroy(&req);
    broker_client_destroy(&client);
    return rc;
}

/* ---- cases ---------------------------------------------------------------------------- */

static void s_case_register(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-register", 1000, 3);
    broker_client_config_t config = {.endpoint = s.endpoint, .service = "svc", .node = "svc.1"};
    broker_client_t *client = broker_client_new(&config);
    CHECK(client, "client");
    /* broker_client_call answers heartbeats while it waits; here a call to itself */
    envelope_t reply;
    zframe_t *body = NULL;
    int rc = broker_client_call(client, NULL, "svc.1", MSG_ECHO, "x", 1, 2000, &reply, &body);
    /* it has no handler, so the request times out -- but the READY was acknowledged */
    CHECK(rc == -ROUTE_ERR_TIMEOUT, "self call: %d", rc);
    CHECK(broker_client_connected(client), "not told it is registered");
    zframe_destroy(&body);
    broker_client_destroy(&client);

    /* a raw READY is answered at once */
    int64_t t0 = s_now();
    zsock_t *raw = s_raw_actor(&s, "svc", "svc.2", 0);
    CHECK(s_now() - t0 < 500, "READY acknowledged after %lld ms", (long long)(s_now() - t0));
    zsock_destroy(&raw);
    s_stack_destroy(&s);
}

static void s_case_route(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-route", 1000, 3);
    actor_args_t a1, a2;
    zactor_t *x1 = s_actor_new(&s, &a1, "alpha", "alpha.1");
    zactor_t *x2 = s_actor_new(&s, &a2, "beta", "beta.1");
    char *answer = NULL;
    CHECK(s_call_until(&s, "alpha", NULL, "hi", 3000) == 0, "alpha never answered");
    CHECK(s_call(&s, "alpha", NULL, "to service", 2000, &answer) == 0, "service call");
    CHECK(answer && strcmp(answer, "to service") == 0, "answer %s", answer ? answer : "(none)");
    free(answer);
    CHECK(s_call_until(&s, NULL, "beta.1", "x", 3000) == 0, "beta.1 never answered");
    CHECK(s_call(&s, NULL, "beta.1", "to node", 2000, &answer) == 0, "node call");
    CHECK(answer && strcmp(answer, "to node") == 0, "answer %s", answer ? answer : "(none)");
    free(answer);
    /* a node of another service is not a target for that service's messages */
    CHECK(s_call(&s, "alpha", "beta.1", "x", 2000, NULL) == -ROUTE_ERR_NO_NODE, "mismatch");
    CHECK(atomic_load(&a1.requests) >= 2 && atomic_load(&a2.requests) >= 2, "counts %d %d",
          atomic_load(&a1.requests), atomic_load(&a2.requests));

    /* the real echo service in its own process */
    if (s_echo_start(&s, "echo.t1")) {
        char from[ENVELOPE_NODE_MAX] = "";
        CHECK(s_echo_call(&s, 7, 5000, from, sizeof(from)) == 0, "echo service");
        CHECK(strcmp(from, "echo.t1") == 0, "reply from '%s'", from);
    }
    zactor_destroy(&x1);
    zactor_destroy(&x2);
    s_stack_destroy(&s);
}

static void s_case_spread(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-spread", 1000, 3);
    zsock_t *i1 = s_raw_actor(&s, "spread", "spread.1", 0);
    zsock_t *i2 = s_raw_actor(&s, "spread", "spread.2", 0);
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    for (int i = 0; i < 10; i++)
        s_raw_send(sender, ENVELOPE_NOTIFY, "spread", NULL, (uint64_t)i, 0, 1, "n");
    envelope_t env;
    int got1 = 0, got2 = 0;
    uint64_t last1 = 0, last2 = 0;
    while (s_raw_recv(i1, 300, &env, NULL) == 0) {
        got1++;
        last1 = env.corr;
        CHECK(strcmp(env.from, "sender.1") == 0, "from %s", env.from);
    }
    while (s_raw_recv(i2, 300, &env, NULL) == 0) {
        got2++;
        last2 = env.corr;
    }
    CHECK(got1 == 5 && got2 == 5, "equal loads should share: %d / %d", got1, got2);
    CHECK(last1 != last2, "corr");
    /* instance 1 reports a load of 10: the next 10 all go to instance 2 */
    s_raw_send(i1, ENVELOPE_HEARTBEAT, "spread", "spread.1", 0, 10, 0, NULL);
    s_raw_send(i2, ENVELOPE_HEARTBEAT, "spread", "spread.2", 0, 0, 0, NULL);
    zclock_sleep(100);
    for (int i = 0; i < 10; i++)
        s_raw_send(sender, ENVELOPE_NOTIFY, "spread", NULL, (uint64_t)i, 0, 1, "n");
    got1 = got2 = 0;
    while (s_raw_recv(i2, 300, &env, NULL) == 0)
        got2++;
    while (s_raw_recv(i1, 100, &env, NULL) == 0)
        got1++;
    CHECK(got1 == 0 && got2 == 10, "least loaded first: %d / %d", got1, got2);
    zsock_destroy(&i1);
    zsock_destroy(&i2);
    zsock_destroy(&sender);
    s_stack_destroy(&s);
}

static void s_case_unroutable(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-unroutable", 1000, 3);
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    envelope_t env;
    int64_t t0 = s_now();
    s_raw_send(sender, ENVELOPE_REQUEST, "nosuch", NULL, 41, 0, 123, "body");
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0, "no answer");
    CHECK(env.kind == ENVELOPE_ERROR && env.error == ROUTE_ERR_NO_SERVICE && env.corr == 41 &&
              env.type == 123,
          "kind %d error %d corr %llu type %u", env.kind, env.error, (unsigned long long)env.corr,
          env.type);
    s_raw_send(sender, ENVELOPE_NOTIFY, NULL, "nosuch.1", 42, 0, 124, NULL);
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0, "no answer");
    CHECK(env.kind == ENVELOPE_ERROR && env.error == ROUTE_ERR_NO_NODE && env.corr == 42 &&
              env.type == 124,
          "kind %d error %d corr %llu", env.kind, env.error, (unsigned long long)env.corr);
    s_raw_send(sender, ENVELOPE_REPLY, NULL, "gone.1", 43, 0, 125, NULL);
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_NODE &&
              env.corr == 43,
          "reply to nobody: error %d", env.error);
    CHECK(s_now() - t0 < 1000, "errors took %lld ms", (long long)(s_now() - t0));
    /* the same through the runtime: the call fails at once, not by timeout */
    t0 = s_now();
    CHECK(s_call(&s, "nosuch", NULL, "x", 5000, NULL) == -ROUTE_ERR_NO_SERVICE, "no service");
    CHECK(s_call(&s, NULL, "nosuch.1", "x", 5000, NULL) == -ROUTE_ERR_NO_NODE, "no node");
    CHECK(s_now() - t0 < 2000, "runtime calls took %lld ms", (long long)(s_now() - t0));
    /* a request from a peer that never said READY: NOT_READY, and DISCONNECT to register */
    zsock_t *stranger = s_raw_new(&s);
    s_raw_send(stranger, ENVELOPE_REQUEST, "sender", NULL, 44, 0, 1, NULL);
    CHECK(s_raw_recv(stranger, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_NOT_READY && env.corr == 44,
          "stranger: kind %d error %d", env.kind, env.error);
    CHECK(s_raw_recv(stranger, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT,
          "stranger not told to register: kind %d", env.kind);
    zsock_destroy(&stranger);
    zsock_destroy(&sender);
    s_stack_destroy(&s);
}

static void s_case_expiry(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-expiry", 100, 3); /* silent for 300 ms = gone */
    zsock_t *ghost = s_raw_actor(&s, "ghost", "ghost.1", 0);
    int64_t registered = s_now();
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    envelope_t env;
    s_raw_send(sender, ENVELOPE_NOTIFY, "ghost", NULL, 1, 0, 1, NULL);
    CHECK(s_raw_recv(ghost, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_NOTIFY,
          "ghost did not get its message while alive");
    CHECK(s_now() - registered < 250, "too slow to tell (%lld ms)",
          (long long)(s_now() - registered));
    /* the ghost stays silent; the sender keeps itself alive */
    int64_t gone_at = -1;
    while (s_now() - registered < 2000) {
        s_raw_send(sender, ENVELOPE_HEARTBEAT, "sender", "sender.1", 0, 0, 0, NULL);
        s_raw_send(sender, ENVELOPE_REQUEST, "ghost", NULL, 2, 0, 1, NULL);
        envelope_t back;
        if (s_raw_recv(sender, 50, &back, NULL) == 0 && back.kind == ENVELOPE_ERROR) {
            CHECK(back.error == ROUTE_ERR_NO_SERVICE, "error %d", back.error);
            gone_at = s_now() - registered;
            break;
        }
        zclock_sleep(20);
    }
    CHECK(gone_at >= 250 && gone_at < 800, "ghost gone after %lld ms (expected ~300)",
          (long long)gone_at);
    s_raw_send(sender, ENVELOPE_REQUEST, NULL, "ghost.1", 3, 0, 1, NULL);
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_NODE,
          "by node: %d", env.error);
    /* when the ghost speaks again, it is told to register (after the requests it got while
     * it still counted as alive) */
    s_raw_send(ghost, ENVELOPE_HEARTBEAT, "ghost", "ghost.1", 0, 0, 0, NULL);
    bool told = false;
    while (!told && s_raw_recv(ghost, 1000, &env, NULL) == 0)
        told = env.kind == ENVELOPE_DISCONNECT && env.error == ROUTE_ERR_NOT_READY;
    CHECK(told, "ghost not told to register");
    zsock_destroy(&ghost);
    zsock_destroy(&sender);
    s_stack_destroy(&s);
}

static void s_case_replaced(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-replaced", 1000, 3);
    zsock_t *old = s_raw_actor(&s, "dup", "dup.1", 0);
    zsock_t *fresh = s_raw_actor(&s, "dup", "dup.1", 0);
    envelope_t env;
    CHECK(s_raw_recv(old, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "old instance: kind %d error %d", env.kind, env.error);
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    s_raw_send(sender, ENVELOPE_REQUEST, NULL, "dup.1", 9, 0, 1, "for the new one");
    char *body = NULL;
    CHECK(s_raw_recv(fresh, 1000, &env, &body) == 0 && env.kind == ENVELOPE_REQUEST &&
              env.corr == 9,
          "new instance did not get it");
    CHECK(body && strcmp(body, "for the new one") == 0, "body");
    free(body);
    CHECK(s_raw_recv(old, 300, &env, NULL) != 0, "old instance still gets messages");
    /* the runtime's client stops registering once replaced */
    broker_client_config_t config = {.endpoint = s.endpoint, .service = "dup", .node = "dup.1"};
    broker_client_t *client = broker_client_new(&config);
    CHECK(s_raw_recv(fresh, 2000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "raw instance not replaced by the client");
    broker_client_destroy(&client);
    zsock_destroy(&old);
    zsock_destroy(&fresh);
    zsock_destroy(&sender);
    s_stack_destroy(&s);
}

static void s_case_vanished(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-vanished", 1000, 3);
    zsock_t *gone = s_raw_actor(&s, "gone", "gone.1", 0);
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    zsock_destroy(&gone); /* closes the TCP connection; no DISCONNECT said */
    zclock_sleep(300);
    envelope_t env;
    s_raw_send(sender, ENVELOPE_REQUEST, NULL, "gone.1", 5, 0, 1, NULL);
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_UNDELIVERABLE && env.corr == 5,
          "first: kind %d error %d", env.kind, env.error);
    /* and it is forgotten at once, without waiting for its silence */
    s_raw_send(sender, ENVELOPE_REQUEST, "gone", NULL, 6, 0, 1, NULL);
    CHECK(s_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_SERVICE,
          "second: error %d", env.error);
    zsock_destroy(&sender);
    s_stack_destroy(&s);
}

static void s_case_backpressure(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-backpressure", 1000, 3);
    zsock_t *stuck = zsock_new(ZMQ_DEALER); /* registers, then never reads */
    zsock_set_rcvhwm(stuck, 10);
    zsock_set_rcvbuf(stuck, 4096);
    zsock_set_linger(stuck, 0);
    zsock_connect(stuck, "%s", s.endpoint);
    s_raw_send(stuck, ENVELOPE_READY, "stuck", "stuck.1", 0, 0, 0, NULL);
    actor_args_t a;
    zactor_t *healthy = s_actor_new(&s, &a, "healthy", "healthy.1");
    CHECK(s_call_until(&s, "healthy", NULL, "x", 3000) == 0, "healthy never answered");
    zsock_t *sender = s_raw_actor(&s, "sender", "sender.1", 0);
    char *big = malloc(16384);
    memset(big, 'b', 16383);
    big[16383] = '\0';
    int errors = 0;
    for (int i = 0; i < 3000 && errors == 0; i++) {
        s_raw_send(sender, ENVELOPE_NOTIFY, "stuck", NULL, (uint64_t)i, 0, 1, big);
        envelope_t env;
        while (zsock_events(sender) & ZMQ_POLLIN) {
            if (s_raw_recv(sender, 10, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR) {
                CHECK(env.error == ROUTE_ERR_UNDELIVERABLE, "error %d", env.error);
                errors++;
            }
        }
    }
    envelope_t env;
    while (errors == 0 && s_raw_recv(sender, 1000, &env, NULL) == 0)
        errors += env.kind == ENVELOPE_ERROR;
    CHECK(errors > 0, "a full queue never came back as an error");
    int64_t t0 = s_now();
    CHECK(s_call(&s, "healthy", NULL, "still there", 2000, NULL) == 0,
          "others not served during the flood");
    CHECK(s_now() - t0 < 1000, "served after %lld ms", (long long)(s_now() - t0));
    free(big);
    zsock_destroy(&sender);
    zsock_destroy(&stuck);
    zactor_destroy(&healthy);
    s_stack_destroy(&s);
}

static void s_case_restart(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-restart", 1000, 3);
    actor_args_t a;
    zactor_t *actor = s_actor_new(&s, &a, "alpha", "alpha.1");
    bool echo = s_echo_start(&s, "echo.r1");
    CHECK(s_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha before the restart");
    if (echo)
        CHECK(s_echo_call(&s, 1, 5000, NULL, 0) == 0, "echo before the restart");
    test_kill(s.pid, SIGKILL);
    test_wait_exit(s.pid, 2000, NULL);
    s.pid = -1;
    zclock_sleep(200);
    s_broker_start(&s);
    int64_t restarted = s_now();
    /* No request until both are back: a request would itself trigger a re-registration. Watch
     * the broker's log instead. */
    char log[512];
    snprintf(log, sizeof(log), "%s/broker.log", s.dir);
    int64_t alpha_at = -1, echo_at = -1;
    while (s_now() - restarted < 5000 && (alpha_at < 0 || (echo && echo_at < 0))) {
        FILE *f = fopen(log, "r");
        char line[1024];
        int readies_alpha = 0, readies_echo = 0;
        while (f && fgets(line, sizeof(line), f)) {
            readies_alpha += strstr(line, "ready: alpha.1") != NULL;
            readies_echo += strstr(line, "ready: echo.r1") != NULL;
        }
        if (f)
            fclose(f);
        if (alpha_at < 0 && readies_alpha >= 2)
            alpha_at = s_now() - restarted;
        if (echo_at < 0 && readies_echo >= 2)
            echo_at = s_now() - restarted;
        zclock_sleep(50);
    }
    CHECK(alpha_at >= 0 && alpha_at <= 3000, "alpha re-registered after %lld ms",
          (long long)alpha_at);
    if (echo)
        CHECK(echo_at >= 0 && echo_at <= 3000, "echo re-registered after %lld ms",
              (long long)echo_at);
    char *answer = NULL;
    CHECK(s_call(&s, "alpha", NULL, "after", 2000, &answer) == 0 && answer &&
              strcmp(answer, "after") == 0,
          "alpha after the restart");
    free(answer);
    if (echo)
        CHECK(s_echo_call(&s, 2, 2000, NULL, 0) == 0, "echo after the restart");
    fprintf(stderr, "re-registered after the restart: alpha %lld ms, echo %lld ms\n",
            (long long)alpha_at, (long long)echo_at);
    zactor_destroy(&actor);
    s_stack_destroy(&s);
}

/* ---- the tap -------------------------------------------------------------------------- */

typedef struct {
    bool is_event;
    tap_record_t rec;
    bool has_env;
    envelope_t env;
    char body[64];
} tap_seen_t;

static int s_tap_read(zsock_t *sub, int timeout_ms, tap_seen_t *out)
{
    zsock_set_rcvtimeo(sub, timeout_ms);
    zmsg_t *msg = zmsg_recv(sub);
    if (!msg)
        return -1;
    memset(out, 0, sizeof(*out));
    zframe_t *topic = zmsg_first(msg);
    zframe_t *record = zmsg_next(msg);
    zframe_t *env = zmsg_next(msg);
    zframe_t *body = zmsg_next(msg);
    int rc = -1;
    if (topic && record &&
        tap_record_decode(zframe_data(record), zframe_size(record), &out->rec) == 0) {
        out->is_event = zframe_streq(topic, TAP_TOPIC_EVENT);
        out->has_env = env && envelope_decode(zframe_data(env), zframe_size(env), &out->env) == 0;
        if (body)
            snprintf(out->body, sizeof(out->body), "%.*s", (int)zframe_size(body),
                     (const char *)zframe_data(body));
        rc = 0;
    }
    zmsg_destroy(&msg);
    return rc;
}

static void s_case_tap(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-tap", 1000, 3);
    zsock_t *sub = zsock_new_sub(s.tap, "");
    CHECK(sub, "subscriber");
    zclock_sleep(300); /* the subscription reaches the broker */
    zsock_t *callee = s_raw_actor(&s, "callee", "callee.1", 7);
    zsock_t *caller = s_raw_actor(&s, "caller", "caller.1", 0);
    s_raw_send(caller, ENVELOPE_REQUEST, "callee", NULL, 77, 0, 5, "question");
    envelope_t env;
    CHECK(s_raw_recv(callee, 1000, &env, NULL) == 0, "callee got nothing");
    s_raw_send(callee, ENVELOPE_REPLY, "callee", "caller.1", 77, 0, 5, "answer");
    CHECK(s_raw_recv(caller, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_REPLY, "no reply");
    s_raw_send(caller, ENVELOPE_NOTIFY, "nosuch", NULL, 78, 0, 5, NULL);
    CHECK(s_raw_recv(caller, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR, "no error");
    s_raw_send(callee, ENVELOPE_HEARTBEAT, "callee", "callee.1", 0, 3, 0, NULL);
    s_raw_send(callee, ENVELOPE_DISCONNECT, "callee", "callee.1", 0, 0, 0, NULL);

    bool connected = false, ready = false, request = false, reply = false, unroutable = false,
         heartbeat = false, disconnect = false;
    tap_seen_t t;
    int64_t until = s_now() + 3000;
    while (s_now() < until &&
           !(connected && ready && request && reply && unroutable && heartbeat && disconnect)) {
        if (s_tap_read(sub, 200, &t) != 0)
            continue;
        const tap_record_t *r = &t.rec;
        if (t.is_event && strcmp(r->event, "connected") == 0)
            connected = connected || strncmp(r->peer, "127.0.0.1:", 10) == 0;
        if (t.is_event && strcmp(r->event, "ready") == 0 && strcmp(r->from_node, "callee.1") == 0)
            ready = strcmp(r->from_service, "callee") == 0 && t.has_env && t.env.load == 7;
        if (!t.is_event && t.has_env && t.env.kind == ENVELOPE_REQUEST)
            request = strcmp(r->from_node, "caller.1") == 0 &&
                      strcmp(r->to_node, "callee.1") == 0 && strcmp(t.env.from, "caller.1") == 0 &&
                      t.env.corr == 77 && strcmp(t.body, "question") == 0 && r->time_us > 0;
        if (!t.is_event && t.has_env && t.env.kind == ENVELOPE_REPLY)
            reply = strcmp(r->from_node, "callee.1") == 0 && strcmp(r->to_service, "caller") == 0 &&
                    strcmp(t.body, "answer") == 0;
        if (!t.is_event && t.has_env && t.env.kind == ENVELOPE_HEARTBEAT)
            heartbeat = heartbeat || (strcmp(r->from_node, "callee.1") == 0 && t.env.load == 3);
        if (t.is_event && strcmp(r->event, "unroutable") == 0)
            unroutable = strcmp(r->from_node, "caller.1") == 0 && t.has_env &&
                         t.env.error == ROUTE_ERR_NO_SERVICE && t.env.corr == 78;
        if (t.is_event && strcmp(r->event, "disconnect") == 0)
            disconnect = strcmp(r->from_node, "callee.1") == 0;
    }
    CHECK(connected, "no connected event with the peer address");
    CHECK(ready, "no ready event for callee.1 with its load");
    CHECK(request, "no copy of the request");
    CHECK(reply, "no copy of the reply");
    CHECK(heartbeat, "no actor heartbeat");
    CHECK(unroutable, "no unroutable event");
    CHECK(disconnect, "no disconnect event");

    /* closing a connection shows as a socket event */
    zsock_destroy(&caller);
    bool disconnected = false;
    until = s_now() + 2000;
    while (s_now() < until && !disconnected)
        if (s_tap_read(sub, 200, &t) == 0 && t.is_event && strcmp(t.rec.event, "disconnected") == 0)
            disconnected = strncmp(t.rec.peer, "127.0.0.1:", 10) == 0;
    CHECK(disconnected, "no disconnected event");
    zsock_destroy(&callee);
    zsock_destroy(&sub);
    s_stack_destroy(&s);
}

static void s_case_malformed(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-malformed", 1000, 3);
    actor_args_t a;
    zactor_t *actor = s_actor_new(&s, &a, "alpha", "alpha.1");
    CHECK(s_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha");
    zsock_t *raw = s_raw_new(&s);
    envelope_t env;

    zstr_send(raw, "garbage");
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_BAD_ENVELOPE && env.corr == 0,
          "garbage: kind %d error %d", env.kind, env.error);

    envelope_t good;
    memset(&good, 0, sizeof(good));
    good.kind = ENVELOPE_REQUEST;
    good.corr = 99;
    good.type = 3;
    strcpy(good.service, "alpha");
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = envelope_encode(&good, buf, sizeof(buf));
    zsock_send(raw, "b", buf, (size_t)len / 2); /* truncated */
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "truncated: error %d", env.error);

    good.kind = ENVELOPE_ERROR; /* not something an actor may send */
    len = envelope_encode(&good, buf, sizeof(buf));
    zsock_send(raw, "b", buf, (size_t)len);
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE &&
              env.corr == 99 && env.type == 3,
          "wrong kind: error %d corr %llu", env.error, (unsigned long long)env.corr);
    buf[2] = 0x63; /* kind 99: the decoder refuses it */
    zsock_send(raw, "b", buf, (size_t)len);
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "unknown kind: error %d", env.error);

    good.kind = ENVELOPE_REQUEST;
    len = envelope_encode(&good, buf, sizeof(buf));
    zsock_send(raw, "bss", buf, (size_t)len, "body", "one frame too many");
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE &&
              env.corr == 99,
          "three frames: error %d", env.error);
    zsock_send(raw, "b", "", (size_t)0);
    CHECK(s_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "empty: error %d", env.error);

    /* a flood of garbage does not stop the others being served */
    for (int i = 0; i < 2000; i++)
        zstr_send(raw, "more garbage");
    int64_t t0 = s_now();
    char *answer = NULL;
    CHECK(s_call(&s, "alpha", NULL, "still", 2000, &answer) == 0 && answer &&
              strcmp(answer, "still") == 0,
          "alpha after the garbage");
    CHECK(s_now() - t0 < 1500, "served after %lld ms", (long long)(s_now() - t0));
    free(answer);
    zsock_destroy(&raw);
    zactor_destroy(&actor);
    CHECK(test_kill(s.pid, 0) == 0, "the broker died");
    s_stack_destroy(&s);
}

static void s_case_sigterm(void)
{
    stack_t_ s;
    s_stack_new(&s, "broker-sigterm", 1000, 3);
    actor_args_t a;
    zactor_t *actor = s_actor_new(&s, &a, "alpha", "alpha.1");
    CHECK(s_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha");
    int status = 0;
    int64_t t0 = s_now();
    CHECK(test_stop(s.pid, 5000, &status) == 0, "SIGKILL was needed");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
    CHECK(s_now() - t0 < 5000, "took %lld ms", (long long)(s_now() - t0));
    s.pid = -1;
    zactor_destroy(&actor);
    s_stack_destroy(&s);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = {
        {"register", s_case_register},   {"route", s_case_route},
        {"spread", s_case_spread},       {"unroutable", s_case_unroutable},
        {"expiry", s_case_expiry},       {"replaced", s_case_replaced},
        {"vanished", s_case_vanished},   {"backpressure", s_case_backpressure},
        {"restart", s_case_restart},     {"tap", s_case_tap},
        {"malformed", s_case_malformed}, {"sigterm", s_case_sigterm},
    };
    if (argc != 2) {
        fprintf(stderr, "usage: test_broker CASE\n");
        return 2;
    }
    test_binary("broker/uschat-broker"); /* skips when the broker is not built */
    zsys_handler_set(NULL);
    alarm(50); /* a case that hangs ends here (test_support stops the children) */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            if (g_failures)
                fprintf(stderr, "%s: %d failure(s)\n", argv[1], g_failures);
            return g_failures ? 1 : 0;
        }
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
