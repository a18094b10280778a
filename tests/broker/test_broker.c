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
 *   stale_ready  a node's own older READY, reaching the broker after its newer one (from a
 *                socket it gave up), does not replace it
 *   vanished     a request to an actor whose connection closed comes back UNDELIVERABLE
 *   backpressure an actor that stops reading gets UNDELIVERABLE for its sender, while the
 *                broker keeps serving everyone else
 *   restart      broker killed (-9) and restarted on the same port: every actor registers
 *                again by itself within 3 s and routing works
 *   tap          a subscriber sees copies of routed messages and broker events
 *   malformed    garbage, truncated, wrong-kind and extra-frame messages get BAD_ENVELOPE,
 *                and the broker keeps serving others
 *   sigterm      SIGTERM: exit status 0 within 5 s
 *   actors       the broker answers uschat-ctl's request for the live actors (once the schema
 *                defines it; "no such service" before), and nobody may register as "broker"
 *   curve        with CURVE on, an authorized key is served, an unknown key and a plain
 *                connection are refused, and the refusal is a tap event (the allow-list and
 *                the tap's own key: test_broker_auth.c)
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

#include "broker_harness.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/envelope.h"
#include "uschat/message.h"
#include "uschat/tap.h"

/* ---- cases ---------------------------------------------------------------------------- */

static void s_case_register(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-register", 1000, 3);
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
    int64_t t0 = harness_now();
    zsock_t *raw = harness_raw_actor(&s, "svc", "svc.2", 0);
    CHECK(harness_now() - t0 < 500, "READY acknowledged after %lld ms",
          (long long)(harness_now() - t0));
    zsock_destroy(&raw);
    harness_stack_destroy(&s);
}

static void s_case_route(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-route", 1000, 3);
    harness_actor_t a1, a2;
    zactor_t *x1 = harness_actor_new(&s, &a1, "alpha", "alpha.1");
    zactor_t *x2 = harness_actor_new(&s, &a2, "beta", "beta.1");
    char *answer = NULL;
    CHECK(harness_call_until(&s, "alpha", NULL, "hi", 3000) == 0, "alpha never answered");
    CHECK(harness_call(&s, "alpha", NULL, "to service", 2000, &answer) == 0, "service call");
    CHECK(answer && strcmp(answer, "to service") == 0, "answer %s", answer ? answer : "(none)");
    free(answer);
    CHECK(harness_call_until(&s, NULL, "beta.1", "x", 3000) == 0, "beta.1 never answered");
    CHECK(harness_call(&s, NULL, "beta.1", "to node", 2000, &answer) == 0, "node call");
    CHECK(answer && strcmp(answer, "to node") == 0, "answer %s", answer ? answer : "(none)");
    free(answer);
    /* a node of another service is not a target for that service's messages */
    CHECK(harness_call(&s, "alpha", "beta.1", "x", 2000, NULL) == -ROUTE_ERR_NO_NODE, "mismatch");
    CHECK(atomic_load(&a1.requests) >= 2 && atomic_load(&a2.requests) >= 2, "counts %d %d",
          atomic_load(&a1.requests), atomic_load(&a2.requests));

    /* the real echo service in its own process */
    if (harness_echo_start(&s, "echo.t1")) {
        char from[ENVELOPE_NODE_MAX] = "";
        CHECK(harness_echo_call(&s, 7, 5000, from, sizeof(from)) == 0, "echo service");
        CHECK(strcmp(from, "echo.t1") == 0, "reply from '%s'", from);
    }
    zactor_destroy(&x1);
    zactor_destroy(&x2);
    harness_stack_destroy(&s);
}

static void s_case_spread(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-spread", 1000, 3);
    zsock_t *i1 = harness_raw_actor(&s, "spread", "spread.1", 0);
    zsock_t *i2 = harness_raw_actor(&s, "spread", "spread.2", 0);
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    for (int i = 0; i < 10; i++)
        harness_raw_send(sender, ENVELOPE_NOTIFY, "spread", NULL, (uint64_t)i, 0, 1, "n");
    envelope_t env;
    int got1 = 0, got2 = 0;
    uint64_t last1 = 0, last2 = 0;
    while (harness_raw_recv(i1, 300, &env, NULL) == 0) {
        got1++;
        last1 = env.corr;
        CHECK(strcmp(env.from, "sender.1") == 0, "from %s", env.from);
    }
    while (harness_raw_recv(i2, 300, &env, NULL) == 0) {
        got2++;
        last2 = env.corr;
    }
    CHECK(got1 == 5 && got2 == 5, "equal loads should share: %d / %d", got1, got2);
    CHECK(last1 != last2, "corr");
    /* instance 1 reports a load of 10: the next 10 all go to instance 2 */
    harness_raw_send(i1, ENVELOPE_HEARTBEAT, "spread", "spread.1", 0, 10, 0, NULL);
    harness_raw_send(i2, ENVELOPE_HEARTBEAT, "spread", "spread.2", 0, 0, 0, NULL);
    zclock_sleep(100);
    for (int i = 0; i < 10; i++)
        harness_raw_send(sender, ENVELOPE_NOTIFY, "spread", NULL, (uint64_t)i, 0, 1, "n");
    got1 = got2 = 0;
    while (harness_raw_recv(i2, 300, &env, NULL) == 0)
        got2++;
    while (harness_raw_recv(i1, 100, &env, NULL) == 0)
        got1++;
    CHECK(got1 == 0 && got2 == 10, "least loaded first: %d / %d", got1, got2);
    zsock_destroy(&i1);
    zsock_destroy(&i2);
    zsock_destroy(&sender);
    harness_stack_destroy(&s);
}

static void s_case_unroutable(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-unroutable", 1000, 3);
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    envelope_t env;
    int64_t t0 = harness_now();
    harness_raw_send(sender, ENVELOPE_REQUEST, "nosuch", NULL, 41, 0, 123, "body");
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0, "no answer");
    CHECK(env.kind == ENVELOPE_ERROR && env.error == ROUTE_ERR_NO_SERVICE && env.corr == 41 &&
              env.type == 123,
          "kind %d error %d corr %llu type %u", env.kind, env.error, (unsigned long long)env.corr,
          env.type);
    harness_raw_send(sender, ENVELOPE_NOTIFY, NULL, "nosuch.1", 42, 0, 124, NULL);
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0, "no answer");
    CHECK(env.kind == ENVELOPE_ERROR && env.error == ROUTE_ERR_NO_NODE && env.corr == 42 &&
              env.type == 124,
          "kind %d error %d corr %llu", env.kind, env.error, (unsigned long long)env.corr);
    harness_raw_send(sender, ENVELOPE_REPLY, NULL, "gone.1", 43, 0, 125, NULL);
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_NODE &&
              env.corr == 43,
          "reply to nobody: error %d", env.error);
    CHECK(harness_now() - t0 < 1000, "errors took %lld ms", (long long)(harness_now() - t0));
    /* the same through the runtime: the call fails at once, not by timeout */
    t0 = harness_now();
    CHECK(harness_call(&s, "nosuch", NULL, "x", 5000, NULL) == -ROUTE_ERR_NO_SERVICE, "no service");
    CHECK(harness_call(&s, NULL, "nosuch.1", "x", 5000, NULL) == -ROUTE_ERR_NO_NODE, "no node");
    CHECK(harness_now() - t0 < 2000, "runtime calls took %lld ms", (long long)(harness_now() - t0));
    /* a request from a peer that never said READY: NOT_READY, and DISCONNECT to register */
    zsock_t *stranger = harness_raw_new(&s);
    harness_raw_send(stranger, ENVELOPE_REQUEST, "sender", NULL, 44, 0, 1, NULL);
    CHECK(harness_raw_recv(stranger, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_NOT_READY && env.corr == 44,
          "stranger: kind %d error %d", env.kind, env.error);
    CHECK(harness_raw_recv(stranger, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT,
          "stranger not told to register: kind %d", env.kind);
    zsock_destroy(&stranger);
    zsock_destroy(&sender);
    harness_stack_destroy(&s);
}

static void s_case_expiry(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-expiry", 200, 3); /* silent for 600 ms = gone */
    zsock_t *ghost = harness_raw_actor(&s, "ghost", "ghost.1", 0);
    int64_t registered = harness_now();
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    envelope_t env;
    harness_raw_send(sender, ENVELOPE_NOTIFY, "ghost", NULL, 1, 0, 1, NULL);
    CHECK(harness_raw_recv(ghost, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_NOTIFY,
          "ghost did not get its message while alive");
    CHECK(harness_now() - registered < 500, "too slow to tell (%lld ms)",
          (long long)(harness_now() - registered));
    /* the ghost stays silent; the sender keeps itself alive */
    int64_t gone_at = -1;
    while (harness_now() - registered < 3000) {
        harness_raw_send(sender, ENVELOPE_HEARTBEAT, "sender", "sender.1", 0, 0, 0, NULL);
        harness_raw_send(sender, ENVELOPE_REQUEST, "ghost", NULL, 2, 0, 1, NULL);
        envelope_t back;
        if (harness_raw_recv(sender, 50, &back, NULL) == 0 && back.kind == ENVELOPE_ERROR) {
            CHECK(back.error == ROUTE_ERR_NO_SERVICE, "error %d", back.error);
            gone_at = harness_now() - registered;
            break;
        }
        zclock_sleep(20);
    }
    CHECK(gone_at >= 550 && gone_at < 1500, "ghost gone after %lld ms (expected ~600)",
          (long long)gone_at);
    harness_raw_send(sender, ENVELOPE_REQUEST, NULL, "ghost.1", 3, 0, 1, NULL);
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_NODE,
          "by node: %d", env.error);
    /* when the ghost speaks again, it is told to register (after the requests it got while
     * it still counted as alive) */
    harness_raw_send(ghost, ENVELOPE_HEARTBEAT, "ghost", "ghost.1", 0, 0, 0, NULL);
    bool told = false;
    while (!told && harness_raw_recv(ghost, 1000, &env, NULL) == 0)
        told = env.kind == ENVELOPE_DISCONNECT && env.error == ROUTE_ERR_NOT_READY;
    CHECK(told, "ghost not told to register");
    zsock_destroy(&ghost);
    zsock_destroy(&sender);
    harness_stack_destroy(&s);
}

static void s_case_replaced(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-replaced", 1000, 3);
    zsock_t *old = harness_raw_actor(&s, "dup", "dup.1", 0);
    zsock_t *fresh = harness_raw_actor(&s, "dup", "dup.1", 0);
    envelope_t env;
    CHECK(harness_raw_recv(old, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "old instance: kind %d error %d", env.kind, env.error);
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    harness_raw_send(sender, ENVELOPE_REQUEST, NULL, "dup.1", 9, 0, 1, "for the new one");
    char *body = NULL;
    CHECK(harness_raw_recv(fresh, 1000, &env, &body) == 0 && env.kind == ENVELOPE_REQUEST &&
              env.corr == 9,
          "new instance did not get it");
    CHECK(body && strcmp(body, "for the new one") == 0, "body");
    free(body);
    CHECK(harness_raw_recv(old, 300, &env, NULL) != 0, "old instance still gets messages");
    /* the runtime's client stops registering once replaced */
    broker_client_config_t config = {.endpoint = s.endpoint, .service = "dup", .node = "dup.1"};
    broker_client_t *client = broker_client_new(&config);
    CHECK(harness_raw_recv(fresh, 2000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "raw instance not replaced by the client");
    broker_client_destroy(&client);
    zsock_destroy(&old);
    zsock_destroy(&fresh);
    zsock_destroy(&sender);
    harness_stack_destroy(&s);
}

static void s_case_stale_ready(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-stale", 1000, 3);
    /* one broker client's sockets: tag 7, the second READY (count 2) went out on its new socket
     * and arrives first; the first (count 1) from the socket it gave up arrives after */
    const uint64_t tag = (uint64_t)7 << 32;
    zsock_t *fresh = harness_raw_actor_tagged(&s, "dup", "dup.1", 0, tag | 2);
    envelope_t env;
    zsock_t *stale = harness_raw_new(&s);
    harness_raw_send(stale, ENVELOPE_READY, "dup", "dup.1", tag | 1, 0, 0, NULL);
    CHECK(harness_raw_recv(stale, 2000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "stale socket: kind %d error %d", env.kind, env.error);
    CHECK(harness_raw_recv(fresh, 500, &env, NULL) != 0, "the newer socket was told %s",
          route_error_name(env.error));
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    harness_raw_send(sender, ENVELOPE_REQUEST, NULL, "dup.1", 5, 0, 1, "still yours");
    CHECK(harness_raw_recv(fresh, 2000, &env, NULL) == 0 && env.kind == ENVELOPE_REQUEST &&
              env.corr == 5,
          "the newer socket lost its node name to a stale READY");
    /* another sender (another tag) with the same name still wins: a restarted node */
    zsock_t *restarted = harness_raw_new(&s);
    harness_raw_send(restarted, ENVELOPE_READY, "dup", "dup.1", ((uint64_t)8 << 32) | 1, 0, 0,
                     NULL);
    CHECK(harness_raw_recv(fresh, 2000, &env, NULL) == 0 && env.kind == ENVELOPE_DISCONNECT &&
              env.error == ROUTE_ERR_REPLACED,
          "a restarted node did not replace the old one");
    zsock_destroy(&restarted);
    zsock_destroy(&sender);
    zsock_destroy(&stale);
    zsock_destroy(&fresh);
    harness_stack_destroy(&s);
}

static void s_case_vanished(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-vanished", 1000, 3);
    zsock_t *gone = harness_raw_actor(&s, "gone", "gone.1", 0);
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    zsock_destroy(&gone); /* closes the TCP connection; no DISCONNECT said */
    zclock_sleep(300);
    envelope_t env;
    harness_raw_send(sender, ENVELOPE_REQUEST, NULL, "gone.1", 5, 0, 1, NULL);
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_UNDELIVERABLE && env.corr == 5,
          "first: kind %d error %d", env.kind, env.error);
    /* and it is forgotten at once, without waiting for its silence */
    harness_raw_send(sender, ENVELOPE_REQUEST, "gone", NULL, 6, 0, 1, NULL);
    CHECK(harness_raw_recv(sender, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_NO_SERVICE,
          "second: error %d", env.error);
    zsock_destroy(&sender);
    harness_stack_destroy(&s);
}

static void s_case_backpressure(void)
{
    harness_stack_t s;
    /* a short queue per actor, so the flood below fills it quickly (the broker inherits it) */
    setenv("USCHAT_BROKER_QUEUE_MAX", "1000", 1);
    harness_stack_new(&s, "broker-backpressure", 1000, 3);
    unsetenv("USCHAT_BROKER_QUEUE_MAX");
    zsock_t *stuck = zsock_new(ZMQ_DEALER); /* registers, then never reads */
    zsock_set_rcvhwm(stuck, 10);
    zsock_set_rcvbuf(stuck, 4096);
    zsock_set_linger(stuck, 0);
    zsock_connect(stuck, "%s", s.endpoint);
    harness_raw_send(stuck, ENVELOPE_READY, "stuck", "stuck.1", 0, 0, 0, NULL);
    harness_actor_t a;
    zactor_t *healthy = harness_actor_new(&s, &a, "healthy", "healthy.1");
    CHECK(harness_call_until(&s, "healthy", NULL, "x", 3000) == 0, "healthy never answered");
    zsock_t *sender = harness_raw_actor(&s, "sender", "sender.1", 0);
    char *big = malloc(16384);
    memset(big, 'b', 16383);
    big[16383] = '\0';
    int errors = 0;
    for (int i = 0; i < 3000 && errors == 0; i++) {
        harness_raw_send(sender, ENVELOPE_NOTIFY, "stuck", NULL, (uint64_t)i, 0, 1, big);
        envelope_t env;
        while (zsock_events(sender) & ZMQ_POLLIN) {
            if (harness_raw_recv(sender, 10, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR) {
                CHECK(env.error == ROUTE_ERR_UNDELIVERABLE, "error %d", env.error);
                errors++;
            }
        }
    }
    envelope_t env;
    while (errors == 0 && harness_raw_recv(sender, 1000, &env, NULL) == 0)
        errors += env.kind == ENVELOPE_ERROR;
    CHECK(errors > 0, "a full queue never came back as an error");
    int64_t t0 = harness_now();
    CHECK(harness_call(&s, "healthy", NULL, "still there", 2000, NULL) == 0,
          "others not served during the flood");
    CHECK(harness_now() - t0 < 1000, "served after %lld ms", (long long)(harness_now() - t0));
    free(big);
    zsock_destroy(&sender);
    zsock_destroy(&stuck);
    zactor_destroy(&healthy);
    harness_stack_destroy(&s);
}

static void s_case_restart(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-restart", 1000, 3);
    harness_actor_t a;
    zactor_t *actor = harness_actor_new(&s, &a, "alpha", "alpha.1");
    bool echo = harness_echo_start(&s, "echo.r1");
    CHECK(harness_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha before the restart");
    if (echo)
        CHECK(harness_echo_call(&s, 1, 5000, NULL, 0) == 0, "echo before the restart");
    test_kill(s.pid, SIGKILL);
    test_wait_exit(s.pid, 2000, NULL);
    s.pid = -1;
    zclock_sleep(200);
    harness_broker_start(&s);
    int64_t restarted = harness_now();
    /* No request until both are back: a request would itself trigger a re-registration. Watch
     * the broker's log instead. */
    char log[512];
    snprintf(log, sizeof(log), "%s/broker.log", s.dir);
    int64_t alpha_at = -1, echo_at = -1;
    while (harness_now() - restarted < 5000 && (alpha_at < 0 || (echo && echo_at < 0))) {
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
            alpha_at = harness_now() - restarted;
        if (echo_at < 0 && readies_echo >= 2)
            echo_at = harness_now() - restarted;
        zclock_sleep(50);
    }
    CHECK(alpha_at >= 0 && alpha_at <= 3000, "alpha re-registered after %lld ms",
          (long long)alpha_at);
    if (echo)
        CHECK(echo_at >= 0 && echo_at <= 3000, "echo re-registered after %lld ms",
              (long long)echo_at);
    char *answer = NULL;
    CHECK(harness_call(&s, "alpha", NULL, "after", 2000, &answer) == 0 && answer &&
              strcmp(answer, "after") == 0,
          "alpha after the restart");
    free(answer);
    if (echo)
        CHECK(harness_echo_call(&s, 2, 2000, NULL, 0) == 0, "echo after the restart");
    fprintf(stderr, "re-registered after the restart: alpha %lld ms, echo %lld ms\n",
            (long long)alpha_at, (long long)echo_at);
    zactor_destroy(&actor);
    harness_stack_destroy(&s);
}

static void s_case_tap(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-tap", 1000, 3);
    zsock_t *sub = zsock_new_sub(s.tap, "");
    CHECK(sub, "subscriber");
    zclock_sleep(300); /* the subscription reaches the broker */
    zsock_t *callee = harness_raw_actor(&s, "callee", "callee.1", 7);
    zsock_t *caller = harness_raw_actor(&s, "caller", "caller.1", 0);
    /* bodies are msgpack (here a str): the tap passes on only what it can read for secrets */
    harness_raw_send(caller, ENVELOPE_REQUEST, "callee", NULL, 77, 0, 5, "\xa8question");
    envelope_t env;
    CHECK(harness_raw_recv(callee, 1000, &env, NULL) == 0, "callee got nothing");
    harness_raw_send(callee, ENVELOPE_REPLY, "callee", "caller.1", 77, 0, 5,
                     "\xa6"
                     "answer");
    CHECK(harness_raw_recv(caller, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_REPLY,
          "no reply");
    harness_raw_send(caller, ENVELOPE_NOTIFY, "nosuch", NULL, 78, 0, 5, NULL);
    CHECK(harness_raw_recv(caller, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR,
          "no error");
    harness_raw_send(callee, ENVELOPE_HEARTBEAT, "callee", "callee.1", 0, 3, 0, NULL);
    harness_raw_send(callee, ENVELOPE_DISCONNECT, "callee", "callee.1", 0, 0, 0, NULL);

    bool connected = false, ready = false, request = false, reply = false, unroutable = false,
         heartbeat = false, disconnect = false;
    harness_tap_item_t t;
    int64_t until = harness_now() + 3000;
    while (harness_now() < until &&
           !(connected && ready && request && reply && unroutable && heartbeat && disconnect)) {
        if (harness_tap_read(sub, 200, &t) != 0)
            continue;
        const tap_record_t *r = &t.rec;
        if (t.is_event && strcmp(r->event, "connected") == 0)
            connected = connected || strncmp(r->peer, "127.0.0.1:", 10) == 0;
        if (t.is_event && strcmp(r->event, "ready") == 0 && strcmp(r->from_node, "callee.1") == 0)
            ready = strcmp(r->from_service, "callee") == 0 && t.has_env && t.env.load == 7;
        if (!t.is_event && t.has_env && t.env.kind == ENVELOPE_REQUEST)
            request = strcmp(r->from_node, "caller.1") == 0 &&
                      strcmp(r->to_node, "callee.1") == 0 && strcmp(t.env.from, "caller.1") == 0 &&
                      t.env.corr == 77 && strcmp(t.body, "\xa8question") == 0 && r->time_us > 0;
        if (!t.is_event && t.has_env && t.env.kind == ENVELOPE_REPLY)
            reply = strcmp(r->from_node, "callee.1") == 0 && strcmp(r->to_service, "caller") == 0 &&
                    strcmp(t.body, "\xa6"
                                   "answer") == 0;
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
    until = harness_now() + 2000;
    while (harness_now() < until && !disconnected)
        if (harness_tap_read(sub, 200, &t) == 0 && t.is_event &&
            strcmp(t.rec.event, "disconnected") == 0)
            disconnected = strncmp(t.rec.peer, "127.0.0.1:", 10) == 0;
    CHECK(disconnected, "no disconnected event");
    zsock_destroy(&callee);
    /* when the last subscriber leaves, the broker stops building tap records (its debug log
     * says so; nothing else outside the broker can tell) */
    zsock_destroy(&sub);
    char log[600];
    snprintf(log, sizeof(log), "%s/broker.log", s.dir);
    bool quiet = false;
    until = harness_now() + 3000;
    while (!quiet && harness_now() < until) {
        FILE *f = fopen(log, "r");
        char line[1024];
        while (f && fgets(line, sizeof(line), f))
            quiet = quiet || strstr(line, "tap: unsubscribe '' (msg 0, evt 0)") != NULL;
        if (f)
            fclose(f);
        zclock_sleep(50);
    }
    CHECK(quiet, "the broker did not notice that nobody listens any more");
    harness_stack_destroy(&s);
}

static void s_case_malformed(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-malformed", 1000, 3);
    harness_actor_t a;
    zactor_t *actor = harness_actor_new(&s, &a, "alpha", "alpha.1");
    CHECK(harness_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha");
    zsock_t *raw = harness_raw_new(&s);
    envelope_t env;

    zstr_send(raw, "garbage");
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
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
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "truncated: error %d", env.error);

    good.kind = ENVELOPE_ERROR; /* not something an actor may send */
    len = envelope_encode(&good, buf, sizeof(buf));
    zsock_send(raw, "b", buf, (size_t)len);
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE &&
              env.corr == 99 && env.type == 3,
          "wrong kind: error %d corr %llu", env.error, (unsigned long long)env.corr);
    buf[2] = 0x63; /* kind 99: the decoder refuses it */
    zsock_send(raw, "b", buf, (size_t)len);
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "unknown kind: error %d", env.error);

    good.kind = ENVELOPE_REQUEST;
    len = envelope_encode(&good, buf, sizeof(buf));
    zsock_send(raw, "bss", buf, (size_t)len, "body", "one frame too many");
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE &&
              env.corr == 99,
          "three frames: error %d", env.error);
    zsock_send(raw, "b", "", (size_t)0);
    CHECK(harness_raw_recv(raw, 1000, &env, NULL) == 0 && env.error == ROUTE_ERR_BAD_ENVELOPE,
          "empty: error %d", env.error);

    /* a flood of garbage does not stop the others being served */
    for (int i = 0; i < 2000; i++)
        zstr_send(raw, "more garbage");
    int64_t t0 = harness_now();
    char *answer = NULL;
    CHECK(harness_call(&s, "alpha", NULL, "still", 2000, &answer) == 0 && answer &&
              strcmp(answer, "still") == 0,
          "alpha after the garbage");
    CHECK(harness_now() - t0 < 1500, "served after %lld ms", (long long)(harness_now() - t0));
    free(answer);
    zsock_destroy(&raw);
    zactor_destroy(&actor);
    CHECK(test_kill(s.pid, 0) == 0, "the broker died");
    harness_stack_destroy(&s);
}

static void s_case_sigterm(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-sigterm", 1000, 3);
    harness_actor_t a;
    zactor_t *actor = harness_actor_new(&s, &a, "alpha", "alpha.1");
    CHECK(harness_call_until(&s, "alpha", NULL, "x", 3000) == 0, "alpha");
    int status = 0;
    int64_t t0 = harness_now();
    CHECK(test_stop(s.pid, 5000, &status) == 0, "SIGKILL was needed");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
    CHECK(harness_now() - t0 < 5000, "took %lld ms", (long long)(harness_now() - t0));
    s.pid = -1;
    zactor_destroy(&actor);
    harness_stack_destroy(&s);
}

/* CURVE: an actor whose public key is in the authorized folder works; an unknown key and a
 * plain connection are refused (and the refusal shows on the tap). */
static void s_case_curve(void)
{
    char *keys = test_tmpdir("broker-curve-keys");
    char authorized[512], secret_file[512], path[600];
    snprintf(authorized, sizeof(authorized), "%s/authorized", keys);
    snprintf(secret_file, sizeof(secret_file), "%s/broker.cert", keys);
    CHECK(zsys_dir_create("%s", authorized) == 0, "mkdir");
    zcert_t *server = zcert_new();
    zcert_t *allowed = zcert_new();
    zcert_t *stranger = zcert_new();
    zcert_t *monitor = zcert_new();
    CHECK(zcert_save(server, secret_file) == 0, "save the broker's certificate");
    snprintf(path, sizeof(path), "%s/allowed.cert", authorized);
    zcert_set_meta(allowed, "services", "secure");
    CHECK(zcert_save_public(allowed, path) == 0, "save the allowed key");
    snprintf(path, sizeof(path), "%s/monitor.cert", authorized);
    zcert_set_meta(monitor, "services", "tap");
    CHECK(zcert_save_public(monitor, path) == 0, "save the monitor's key");

    char env_secret[600], env_dir[600];
    snprintf(env_secret, sizeof(env_secret), "USCHAT_BROKER_CURVE_SECRET_FILE=%s_secret",
             secret_file);
    snprintf(env_dir, sizeof(env_dir), "USCHAT_BROKER_CURVE_AUTHORIZED_DIR=%s", authorized);
    putenv(env_secret); /* inherited by the broker test_spawn starts */
    putenv(env_dir);
    harness_stack_t s;
    harness_stack_new(&s, "broker-curve", 1000, 3);
    /* the tap serves only keys allowed to read it */
    zsock_t *sub = zsock_new(ZMQ_SUB);
    zsock_set_subscribe(sub, TAP_TOPIC_EVENT);
    zcert_apply(monitor, sub);
    zsock_set_curve_serverkey(sub, zcert_public_txt(server));
    CHECK(zsock_connect(sub, "%s", s.tap) == 0, "connect the tap");
    zclock_sleep(300);

    broker_client_config_t config = {.endpoint = s.endpoint,
                                     .service = "secure",
                                     .node = "secure.1",
                                     .curve_server_public = zcert_public_txt(server),
                                     .curve_public = zcert_public_txt(allowed),
                                     .curve_secret = zcert_secret_txt(allowed)};
    broker_client_t *good = broker_client_new(&config);
    envelope_t reply;
    zframe_t *body = NULL;
    int rc = broker_client_call(good, NULL, "nosuch.1", 1, "x", 1, 3000, &reply, &body);
    CHECK(rc == -ROUTE_ERR_NO_NODE, "an authorized actor is not served: %d", rc);
    zframe_destroy(&body);

    config.node = "intruder.1";
    config.curve_public = zcert_public_txt(stranger);
    config.curve_secret = zcert_secret_txt(stranger);
    broker_client_t *bad = broker_client_new(&config);
    rc = broker_client_call(bad, NULL, "secure.1", 1, "x", 1, 1000, &reply, &body);
    CHECK(rc == -ROUTE_ERR_TIMEOUT, "an unknown key got an answer: %d", rc);
    zframe_destroy(&body);

    zsock_t *plain = harness_raw_new(&s);
    harness_raw_send(plain, ENVELOPE_READY, "plain", "plain.1", 0, 0, 0, NULL);
    envelope_t env;
    CHECK(harness_raw_recv(plain, 1000, &env, NULL) != 0, "a plain connection got an answer");

    bool refused = false;
    harness_tap_item_t t;
    int64_t until = harness_now() + 3000;
    while (!refused && harness_now() < until)
        if (harness_tap_read(sub, 200, &t) == 0 && t.is_event)
            refused = strcmp(t.rec.event, "handshake_failed") == 0;
    CHECK(refused, "no handshake_failed event on the tap");

    zsock_destroy(&plain);
    broker_client_destroy(&bad);
    broker_client_destroy(&good);
    zsock_destroy(&sub);
    zcert_destroy(&server);
    zcert_destroy(&allowed);
    zcert_destroy(&stranger);
    zcert_destroy(&monitor);
    harness_stack_destroy(&s);
    if (harness_failures == 0)
        test_rmtree(keys);
    free(keys);
}

/* The broker's own service: the list of live actors for uschat-ctl, asked from a socket that
 * never registers, answered as a list of broker_actor records. */
static void s_case_actors(void)
{
    harness_stack_t s;
    harness_stack_new(&s, "broker-actors", 1000, 3);
    zsock_t *listed = harness_raw_actor(&s, "listed", "listed.1", 4);
    harness_raw_send(listed, ENVELOPE_HEARTBEAT, "listed", "listed.1", 0, 5, 0, NULL);
    zsock_t *other = harness_raw_actor(&s, "other", "other.1", 0);
    zsock_t *tool = harness_raw_new(&s);
    envelope_t env;
    /* nobody may register as the broker */
    harness_raw_send(tool, ENVELOPE_READY, "broker", "broker.fake", 0, 0, 0, NULL);
    CHECK(harness_raw_recv(tool, 1000, &env, NULL) == 0 && env.kind == ENVELOPE_ERROR &&
              env.error == ROUTE_ERR_BAD_ENVELOPE,
          "READY as the broker: kind %d error %d", env.kind, env.error);

    /* another type to the broker is no service of its */
    envelope_t e = {.kind = ENVELOPE_REQUEST, .type = MSG_ECHO, .corr = 4};
    strcpy(e.service, "broker");
    uint8_t head[ENVELOPE_MAX_SIZE];
    int head_len = envelope_encode(&e, head, sizeof(head));
    zsock_send(tool, "b", head, (size_t)head_len);
    CHECK(harness_raw_recv(tool, 1000, &env, NULL) == 0 && env.corr == 4 &&
              env.kind == ENVELOPE_ERROR && env.error == ROUTE_ERR_NO_SERVICE,
          "echo to the broker: kind %d error %d", env.kind, env.error);

    msg_broker_actors_t ask = {0};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_broker_actors_encode(&ask, &body, &len) == 0, "encode");
    e.type = MSG_BROKER_ACTORS;
    e.corr = 5;
    head_len = envelope_encode(&e, head, sizeof(head));
    zsock_send(tool, "bb", head, (size_t)head_len, body, len);
    free(body);

    /* the answer's body is msgpack (NUL bytes and all): read it whole */
    zmsg_t *reply = NULL;
    for (int tries = 0; tries < 10; tries++) {
        zsock_set_rcvtimeo(tool, 1000);
        reply = zmsg_recv(tool);
        zframe_t *rhead = reply ? zmsg_first(reply) : NULL;
        if (!rhead || envelope_decode(zframe_data(rhead), zframe_size(rhead), &env) != 0 ||
            env.kind != ENVELOPE_HEARTBEAT)
            break;
        zmsg_destroy(&reply);
    }
    CHECK(reply && env.kind == ENVELOPE_REPLY && env.corr == 5 && env.type == MSG_BROKER_ACTORS_RSP,
          "answer: kind %d corr %llu type %u", env.kind, (unsigned long long)env.corr, env.type);
    zframe_t *rbody = reply ? zmsg_next(reply) : NULL;
    msg_broker_actors_rsp_t rsp = {0};
    CHECK(rbody && msg_broker_actors_rsp_decode(zframe_data(rbody), zframe_size(rbody), &rsp) == 0,
          "the answer does not decode as broker_actors_rsp");
    if (rbody && harness_failures == 0) {
        CHECK(rsp.actors.count == 2, "%zu actors listed", rsp.actors.count);
        bool seen_listed = false, seen_other = false;
        for (size_t i = 0; i < rsp.actors.count; i++) {
            const msg_broker_actor_t *a = &rsp.actors.items[i];
            CHECK(strcmp(a->node, "broker.fake") != 0, "the tool is listed");
            if (strcmp(a->node, "listed.1") == 0) {
                seen_listed = true;
                CHECK(strcmp(a->service, "listed") == 0 && a->load == 5,
                      "listed.1: service %s load %u", a->service, a->load);
            }
            if (strcmp(a->node, "other.1") == 0)
                seen_other = strcmp(a->service, "other") == 0 && a->uptime_ms < 60000;
        }
        CHECK(seen_listed && seen_other, "listed.1 %d, other.1 %d", seen_listed, seen_other);
        /* and the monitor's printer shows each record */
        char line[1024];
        msg_format(MSG_BROKER_ACTORS_RSP, zframe_data(rbody), zframe_size(rbody), 0, line,
                   sizeof(line));
        CHECK(strstr(line, "actors=[{node=\"") && strstr(line, "service=\"listed\",load=5"),
              "printed: %s", line);
    }
    msg_broker_actors_rsp_clear(&rsp);
    zmsg_destroy(&reply);
    zsock_destroy(&tool);
    zsock_destroy(&other);
    zsock_destroy(&listed);
    harness_stack_destroy(&s);
}

int main(int argc, char **argv)
{
    static const harness_case_t cases[] = {
        {"register", s_case_register},
        {"route", s_case_route},
        {"spread", s_case_spread},
        {"unroutable", s_case_unroutable},
        {"expiry", s_case_expiry},
        {"replaced", s_case_replaced},
        {"stale_ready", s_case_stale_ready},
        {"vanished", s_case_vanished},
        {"backpressure", s_case_backpressure},
        {"restart", s_case_restart},
        {"tap", s_case_tap},
        {"malformed", s_case_malformed},
        {"sigterm", s_case_sigterm},
        {"curve", s_case_curve},
        {"actors", s_case_actors},
    };
    return harness_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
