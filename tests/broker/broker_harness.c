/* broker_harness.c - helpers of the broker's integration tests (broker_harness.h).
 *
 * Called from test_broker.c's main thread; harness_actor_new() starts a zactor thread per
 * actor, which owns its broker client.
 */
#include "broker_harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"
#include "uschat/message.h"

int harness_failures;

int harness_main(int argc, char **argv, const harness_case_t *cases, size_t ncases)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 2;
    }
    test_binary("broker/uschat-broker"); /* skips when the broker is not built */
    zsys_handler_set(NULL);
    alarm(50);
    for (size_t i = 0; i < ncases; i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            if (harness_failures)
                fprintf(stderr, "%s: %d failure(s)\n", argv[1], harness_failures);
            return harness_failures ? 1 : 0;
        }
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}

/* ---- the broker ----------------------------------------------------------------------- */

int64_t harness_now(void)
{
    return zclock_mono();
}

pid_t harness_broker_start(harness_stack_t *s)
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

void harness_stack_new(harness_stack_t *s, const char *tag, int heartbeat_ms, int liveness)
{
    /* routing tests: plain TCP by the explicit setting (the CURVE cases give keys, which win) */
    setenv("USCHAT_BROKER_PLAIN_TCP", "true", 0);
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
    harness_broker_start(s);
}

void harness_stack_destroy(harness_stack_t *s)
{
    if (s->echo > 0)
        test_stop(s->echo, 5000, NULL);
    if (s->pid > 0)
        test_stop(s->pid, 5000, NULL);
    if (harness_failures == 0)
        test_rmtree(s->dir);
    else
        fprintf(stderr, "logs kept in %s\n", s->dir);
    free(s->dir);
}

/* uschatd --service echo, if it is built; false when it is not. */
bool harness_echo_start(harness_stack_t *s, const char *node)
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

zsock_t *harness_raw_new(const harness_stack_t *s)
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

int harness_raw_send_bytes(zsock_t *sock, int kind, const char *service, const char *node,
                           uint64_t corr, uint32_t load, uint16_t type, const void *body,
                           size_t len)
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
    int head = envelope_encode(&e, buf, sizeof(buf));
    if (head <= 0)
        return -1;
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, buf, (size_t)head);
    if (body)
        zmsg_addmem(msg, body, len);
    int rc = zmsg_send(&msg, sock);
    zmsg_destroy(&msg);
    return rc == 0 ? 0 : -1;
}

void harness_raw_send(zsock_t *sock, int kind, const char *service, const char *node, uint64_t corr,
                      uint32_t load, uint16_t type, const char *body)
{
    CHECK(harness_raw_send_bytes(sock, kind, service, node, corr, load, type, body,
                                 body ? strlen(body) : 0) == 0,
          "send");
}

/* The next message that is not a HEARTBEAT, within timeout_ms. 0 with *env (and *body, caller
 * frees, when asked), -1 on timeout or garbage. */
int harness_raw_recv(zsock_t *sock, int timeout_ms, envelope_t *env, char **body)
{
    int64_t until = harness_now() + timeout_ms;
    if (body)
        *body = NULL;
    while (harness_now() < until) {
        zsock_set_rcvtimeo(sock,
                           (int)(until - harness_now()) > 0 ? (int)(until - harness_now()) : 1);
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
zsock_t *harness_raw_actor(const harness_stack_t *s, const char *service, const char *node,
                           uint32_t load)
{
    return harness_raw_actor_tagged(s, service, node, load, 0);
}

zsock_t *harness_raw_actor_tagged(const harness_stack_t *s, const char *service, const char *node,
                                  uint32_t load, uint64_t ready_corr)
{
    zsock_t *sock = harness_raw_new(s);
    harness_raw_send(sock, ENVELOPE_READY, service, node, ready_corr, load, 0, NULL);
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

static void s_actor_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body,
                               void *arg)
{
    harness_actor_t *a = arg;
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
    harness_actor_t *a = arg;
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

zactor_t *harness_actor_new(const harness_stack_t *s, harness_actor_t *a, const char *service,
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
int harness_call(const harness_stack_t *s, const char *service, const char *node, const char *text,
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
int harness_call_until(const harness_stack_t *s, const char *service, const char *node,
                       const char *text, int timeout_ms)
{
    int64_t until = harness_now() + timeout_ms;
    int rc;
    do {
        rc = harness_call(s, service, node, text, 500, NULL);
        if (rc == 0)
            return 0;
        zclock_sleep(50);
    } while (harness_now() < until);
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
int harness_echo_call(const harness_stack_t *s, uint64_t seq, int timeout_ms, char *from,
                      size_t cap)
{
    broker_client_config_t config = {.endpoint = s->endpoint,
                                     .service = "tester",
                                     .node = "tester.echo",
                                     .heartbeat_ms = s->heartbeat_ms};
    broker_client_t *client = broker_client_new(&config);
    zframe_t *req = s_echo_body(seq);
    int rc = -ROUTE_ERR_UNDELIVERABLE;
    int64_t until = harness_now() + timeout_ms;
    while (client && req && harness_now() < until) {
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

/* ---- the tap -------------------------------------------------------------------------- */

int harness_tap_read(zsock_t *sub, int timeout_ms, harness_tap_item_t *out)
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
