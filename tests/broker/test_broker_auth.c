/* test_broker_auth.c - who may talk to the real uschat-broker: CURVE keys and the allow-list
 * of the services each key may register, the tap's own key, and what the tap never shows.
 *
 * Each case starts the broker with a keys folder made here the way uschat-keys lays it out
 * (broker.cert_secret, authorized/NAME.cert with metadata `services`), and plays the rogue
 * with raw DEALER and SUB sockets of this process:
 *   rogue     no key, or a key the broker does not know: cannot register, cannot call a
 *             service (the service gets nothing), cannot read the tap; each refusal is logged
 *             and shows on the tap as event `refused`
 *   services  a key allowed `gate` cannot register `status` (ERROR forbidden, event refused)
 *             while it can register `gate`; status's requests still reach the real status
 *   tap       the tap serves only keys allowed `tap`: no key and an actor's key get nothing
 *   empty     an empty allow-list setting lets nobody in (not everybody)
 *   plain     without keys the broker refuses to start; plain TCP only with broker/plain_tcp,
 *             and then with a WARN at every start
 *   secrets   a login token, a mail code and a password routed through the broker reach their
 *             addressee intact, but the tap shows each as "***" and never in clear
 * Main thread only; one process per case, bounded by alarm().
 */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker_harness.h"
#include "test_support.h"
#include "uschat/message.h"

typedef struct {
    char dir[512];
    zcert_t *broker;
    zcert_t *gate;    /* services gate */
    zcert_t *status;  /* services status */
    zcert_t *monitor; /* tap */
    zcert_t *caller;  /* services caller */
    zcert_t *rogue;   /* in no allow-list */
} keys_t;

static void s_authorize(const keys_t *k, zcert_t *cert, const char *name, const char *services)
{
    char path[700];
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "services", "%s", services);
    snprintf(path, sizeof(path), "%s/authorized/%s.cert", k->dir, name);
    CHECK(zcert_save_public(cert, path) == 0, "save %s", path);
}

/* The keys folder; with authorize false, authorized/ stays empty. Sets the broker's
 * USCHAT_BROKER_CURVE_KEYS_DIR (inherited by the broker harness_stack_new starts). */
static void s_keys_new(keys_t *k, const char *tag, bool authorize)
{
    memset(k, 0, sizeof(*k));
    char *dir = test_tmpdir(tag);
    snprintf(k->dir, sizeof(k->dir), "%s", dir);
    free(dir);
    char path[700];
    snprintf(path, sizeof(path), "%s/authorized", k->dir);
    CHECK(zsys_dir_create("%s", path) == 0, "mkdir %s", path);
    k->broker = zcert_new();
    k->gate = zcert_new();
    k->status = zcert_new();
    k->monitor = zcert_new();
    k->caller = zcert_new();
    k->rogue = zcert_new();
    snprintf(path, sizeof(path), "%s/broker.cert", k->dir);
    CHECK(zcert_save(k->broker, path) == 0, "save the broker's pair");
    if (authorize) {
        s_authorize(k, k->gate, "gate", "gate");
        s_authorize(k, k->status, "status", "status");
        s_authorize(k, k->monitor, "monitor", "tap");
        s_authorize(k, k->caller, "caller", "caller");
    }
    setenv("USCHAT_BROKER_CURVE_KEYS_DIR", k->dir, 1);
    /* the same files named one by one, as brokers before curve_keys_dir read them */
    snprintf(path, sizeof(path), "%s/broker.cert_secret", k->dir);
    setenv("USCHAT_BROKER_CURVE_SECRET_FILE", path, 1);
    snprintf(path, sizeof(path), "%s/authorized", k->dir);
    setenv("USCHAT_BROKER_CURVE_AUTHORIZED_DIR", path, 1);
}

static void s_keys_destroy(keys_t *k)
{
    zcert_destroy(&k->broker);
    zcert_destroy(&k->gate);
    zcert_destroy(&k->status);
    zcert_destroy(&k->monitor);
    zcert_destroy(&k->caller);
    zcert_destroy(&k->rogue);
    if (harness_failures == 0)
        test_rmtree(k->dir);
}

/* A DEALER to the broker as a CURVE client with cert (NULL: no key at all, plain ZMTP). */
static zsock_t *s_dealer(const harness_stack_t *s, const keys_t *k, zcert_t *cert)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(sock, 0);
    zsock_set_sndtimeo(sock, 500);
    if (cert) {
        zcert_apply(cert, sock);
        zsock_set_curve_serverkey(sock, zcert_public_txt(k->broker));
    }
    CHECK(zsock_connect(sock, "%s", s->endpoint) == 0, "connect");
    return sock;
}

/* A SUB on the whole tap as a CURVE client with cert (NULL: plain). */
static zsock_t *s_tap(const harness_stack_t *s, const keys_t *k, zcert_t *cert)
{
    zsock_t *sub = zsock_new(ZMQ_SUB);
    zsock_set_linger(sub, 0);
    zsock_set_subscribe(sub, "");
    if (cert) {
        zcert_apply(cert, sub);
        zsock_set_curve_serverkey(sub, zcert_public_txt(k->broker));
    }
    CHECK(zsock_connect(sub, "%s", s->tap) == 0, "connect the tap");
    return sub;
}

/* READY answered by the broker's HEARTBEAT within timeout: 0; an ERROR: its code; nothing: -1 */
static int s_ready(zsock_t *sock, const char *service, const char *node, int timeout_ms)
{
    if (harness_raw_send_bytes(sock, ENVELOPE_READY, service, node, 0, 0, 0, NULL, 0) < 0)
        return -1;
    zpoller_t *poller = zpoller_new(sock, NULL);
    int rc = -1;
    int64_t until = harness_now() + timeout_ms;
    while (rc == -1 && harness_now() < until) {
        if (!zpoller_wait(poller, 100))
            continue;
        zmsg_t *msg = zmsg_recv(sock);
        zframe_t *head = msg ? zmsg_first(msg) : NULL;
        envelope_t env;
        if (head && envelope_decode(zframe_data(head), zframe_size(head), &env) == 0)
            rc = env.kind == ENVELOPE_HEARTBEAT ? 0 : env.kind == ENVELOPE_ERROR ? env.error : -1;
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    return rc;
}

/* Reads the tap for up to ms; counts the messages, and whether any frame holds needle
 * (needle NULL: none looked for) or a `refused` event from_service/what (NULL: any). */
typedef struct {
    int messages;
    bool needle_seen;
    int refused;
    char refused_what[ENVELOPE_SERVICE_MAX];
    char refused_service[ENVELOPE_SERVICE_MAX];
} tap_seen_t;

static void s_tap_read(zsock_t *sub, int ms, const void *needle, size_t needle_len,
                       tap_seen_t *seen)
{
    zpoller_t *poller = zpoller_new(sub, NULL);
    int64_t until = harness_now() + ms;
    while (harness_now() < until) {
        if (!zpoller_wait(poller, 50))
            continue;
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            continue;
        seen->messages++;
        int index = 0;
        bool event = false;
        for (zframe_t *f = zmsg_first(msg); f; f = zmsg_next(msg), index++) {
            if (needle && memmem(zframe_data(f), zframe_size(f), needle, needle_len))
                seen->needle_seen = true;
            if (index == 0)
                event = zframe_streq(f, TAP_TOPIC_EVENT);
            tap_record_t r;
            if (index == 1 && event && tap_record_decode(zframe_data(f), zframe_size(f), &r) == 0 &&
                strcmp(r.event, "refused") == 0) {
                seen->refused++;
                snprintf(seen->refused_what, sizeof(seen->refused_what), "%s", r.to_service);
                snprintf(seen->refused_service, sizeof(seen->refused_service), "%s",
                         r.from_service);
            }
        }
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
}

/* The broker's log of s, NUL-terminated (caller frees). */
static char *s_broker_log(const harness_stack_t *s)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/broker.log", s->dir);
    char *text = test_read_file(path);
    return text ? text : strdup("");
}

/* ---- cases ---------------------------------------------------------------------------- */

/* Keys (all authorized), the broker with CURVE, and the monitor's tap subscribed. */
static zsock_t *s_setup(keys_t *k, harness_stack_t *s, const char *tag)
{
    s_keys_new(k, tag, true);
    harness_stack_new(s, tag, 1000, 3);
    zsock_t *monitor = s_tap(s, k, k->monitor);
    zclock_sleep(300); /* the subscription reaches the broker */
    return monitor;
}

static void s_teardown(keys_t *k, harness_stack_t *s, zsock_t **monitor)
{
    zsock_destroy(monitor);
    harness_stack_destroy(s);
    s_keys_destroy(k);
}

static void s_case_rogue(void)
{
    keys_t k;
    harness_stack_t s;
    zsock_t *monitor = s_setup(&k, &s, "broker-auth-rogue");

    /* the real service, with its own key */
    zsock_t *caller = s_dealer(&s, &k, k.caller);
    CHECK(s_ready(caller, "caller", "caller.1", 3000) == 0, "the allowed caller is not served");
    envelope_t env;

    /* no key: plain ZMTP to a CURVE broker */
    zsock_t *plain = s_dealer(&s, &k, NULL);
    CHECK(s_ready(plain, "caller", "caller.rogue", 1000) == -1, "a process with no key registered");
    harness_raw_send_bytes(plain, ENVELOPE_REQUEST, "caller", NULL, 5, 0, 1, "\xa3hey", 4);
    CHECK(harness_raw_recv(caller, 1000, &env, NULL) != 0,
          "a request from a process with no key reached the service");
    zsock_t *plain_tap = s_tap(&s, &k, NULL);

    /* a key of its own that nobody allowed, with the broker's right public key */
    zsock_t *wrong = s_dealer(&s, &k, k.rogue);
    CHECK(s_ready(wrong, "caller", "caller.rogue2", 1000) == -1, "an unknown key registered");
    harness_raw_send_bytes(wrong, ENVELOPE_REQUEST, "caller", NULL, 6, 0, 1, "\xa3hey", 4);
    CHECK(harness_raw_recv(caller, 1000, &env, NULL) != 0,
          "a request from an unknown key reached the service");
    zsock_t *wrong_tap = s_tap(&s, &k, k.rogue);
    zclock_sleep(300);

    /* traffic the rogues' taps would see */
    for (int i = 0; i < 5; i++)
        harness_raw_send(caller, ENVELOPE_HEARTBEAT, "caller", "caller.1", 0, 1, 0, NULL);
    tap_seen_t rogue_seen = {0}, wrong_seen = {0}, seen = {0};
    s_tap_read(plain_tap, 500, NULL, 0, &rogue_seen);
    s_tap_read(wrong_tap, 500, NULL, 0, &wrong_seen);
    s_tap_read(monitor, 1000, NULL, 0, &seen);
    CHECK(rogue_seen.messages == 0, "the tap served a process with no key: %d messages",
          rogue_seen.messages);
    CHECK(wrong_seen.messages == 0, "the tap served an unknown key: %d messages",
          wrong_seen.messages);
    CHECK(seen.messages > 0, "the monitor's key read nothing on the tap");
    CHECK(seen.refused >= 2, "the unknown key's refusals are not on the tap (%d)", seen.refused);
    char *log = s_broker_log(&s);
    CHECK(strstr(log, "refused handshake") && strstr(log, zcert_public_txt(k.rogue)),
          "the refusal of the unknown key is not in the broker's log");
    free(log);

    zsock_destroy(&wrong_tap);
    zsock_destroy(&plain_tap);
    zsock_destroy(&wrong);
    zsock_destroy(&plain);
    zsock_destroy(&caller);
    s_teardown(&k, &s, &monitor);
}

static void s_case_services(void)
{
    keys_t k;
    harness_stack_t s;
    zsock_t *monitor = s_setup(&k, &s, "broker-auth-services");

    zsock_t *status = s_dealer(&s, &k, k.status);
    CHECK(s_ready(status, "status", "status.1", 3000) == 0, "the real status is not served");
    zsock_t *gate = s_dealer(&s, &k, k.gate);
    CHECK(s_ready(gate, "status", "status.fake", 3000) == ROUTE_ERR_FORBIDDEN,
          "the gate's key was not refused as status");
    CHECK(s_ready(gate, "tap", "tap.fake", 3000) == ROUTE_ERR_FORBIDDEN,
          "an actor registered under the tap's grant");
    zsock_t *monitor_actor = s_dealer(&s, &k, k.monitor);
    CHECK(s_ready(monitor_actor, "status", "status.mon", 3000) == ROUTE_ERR_FORBIDDEN,
          "the monitor's key registered as status");
    CHECK(s_ready(gate, "gate", "gate.1", 3000) == 0, "the gate's key cannot register gate");

    /* the requests for status still go to the real one, never to the gate */
    for (int i = 0; i < 4; i++)
        harness_raw_send(gate, ENVELOPE_REQUEST, "status", NULL, (uint64_t)(100 + i), 0, 200,
                         "\x80");
    int got = 0;
    envelope_t env;
    while (harness_raw_recv(status, 1000, &env, NULL) == 0)
        got += env.kind == ENVELOPE_REQUEST && strcmp(env.from, "gate.1") == 0;
    CHECK(got == 4, "status got %d of 4 requests", got);
    CHECK(harness_raw_recv(gate, 300, &env, NULL) != 0 || env.kind != ENVELOPE_REQUEST,
          "a status request reached the gate");

    tap_seen_t seen = {0};
    s_tap_read(monitor, 1000, NULL, 0, &seen);
    CHECK(seen.refused >= 3, "refusals on the tap: %d", seen.refused);
    CHECK(strcmp(seen.refused_what, "ready") == 0, "the last refusal is '%s', not ready",
          seen.refused_what);
    char *log = s_broker_log(&s);
    CHECK(strstr(log, "refused ready: status status.fake"), "no log line for the refused READY");
    free(log);

    zsock_destroy(&monitor_actor);
    zsock_destroy(&gate);
    zsock_destroy(&status);
    s_teardown(&k, &s, &monitor);
}

static void s_case_tap(void)
{
    keys_t k;
    harness_stack_t s;
    zsock_t *monitor = s_setup(&k, &s, "broker-auth-tap");
    zsock_t *plain = s_tap(&s, &k, NULL);
    zsock_t *actor_key = s_tap(&s, &k, k.gate);
    zclock_sleep(300);
    zsock_t *gate = s_dealer(&s, &k, k.gate);
    CHECK(s_ready(gate, "gate", "gate.1", 3000) == 0, "gate not served");
    for (int i = 0; i < 5; i++)
        harness_raw_send(gate, ENVELOPE_HEARTBEAT, "gate", "gate.1", 0, 1, 0, NULL);
    tap_seen_t seen = {0}, plain_seen = {0}, actor_seen = {0};
    s_tap_read(monitor, 1000, NULL, 0, &seen);
    s_tap_read(plain, 300, NULL, 0, &plain_seen);
    s_tap_read(actor_key, 300, NULL, 0, &actor_seen);
    CHECK(seen.messages > 0, "the monitor's key read nothing");
    CHECK(plain_seen.messages == 0, "a subscriber with no key read %d messages",
          plain_seen.messages);
    CHECK(actor_seen.messages == 0, "the gate's key (not allowed tap) read %d messages",
          actor_seen.messages);
    char *log = s_broker_log(&s);
    CHECK(strstr(log, "refused tap") && strstr(log, "key not allowed to read the tap"),
          "the tap's refusal is not logged");
    free(log);
    zsock_destroy(&gate);
    zsock_destroy(&actor_key);
    zsock_destroy(&plain);
    s_teardown(&k, &s, &monitor);
}

static void s_case_empty(void)
{
    keys_t k;
    s_keys_new(&k, "broker-auth-empty", false);
    /* the allow-list setting itself empty (not only an empty folder) */
    unsetenv("USCHAT_BROKER_CURVE_KEYS_DIR");
    setenv("USCHAT_BROKER_CURVE_AUTHORIZED_DIR", "", 1);
    harness_stack_t s;
    harness_stack_new(&s, "broker-auth-empty", 1000, 3);
    zsock_t *gate = s_dealer(&s, &k, k.gate);
    CHECK(s_ready(gate, "gate", "gate.1", 1500) == -1, "an empty allow-list let a key in");
    char *log = s_broker_log(&s);
    CHECK(strstr(log, "no key is allowed in"), "the empty allow-list is not reported");
    free(log);
    zsock_destroy(&gate);
    harness_stack_destroy(&s);
    s_keys_destroy(&k);
}

static void s_case_plain(void)
{
    char *dir = test_tmpdir("broker-auth-plain");
    char log[600], ep[96], tap[96];
    snprintf(log, sizeof(log), "%s/broker.log", dir);
    int port = test_free_port(), tap_port = test_free_port();
    snprintf(ep, sizeof(ep), "USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:%d", port);
    snprintf(tap, sizeof(tap), "USCHAT_BROKER_TAP=tcp://127.0.0.1:%d", tap_port);
    unsetenv("USCHAT_BROKER_PLAIN_TCP");
    unsetenv("USCHAT_BROKER_CURVE_KEYS_DIR");
    unsetenv("USCHAT_BROKER_CURVE_SECRET_FILE");
    unsetenv("USCHAT_BROKER_CURVE_AUTHORIZED_DIR");
    const char *argv[] = {test_binary("broker/uschat-broker"), NULL};
    const char *envp[] = {ep, tap, NULL};
    int status = 0;
    pid_t pid = test_spawn(argv, envp, log);
    CHECK(pid > 0 && test_wait_exit(pid, 5000, &status) == 0, "the broker without keys runs");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "exit status 0x%x", status);
    char *text = test_read_file(log);
    CHECK(text && strstr(text, "refusing to start unauthenticated"), "no reason given:\n%s",
          text ? text : "");
    free(text);

    const char *plain_env[] = {ep, tap, "USCHAT_BROKER_PLAIN_TCP=true", NULL};
    for (int start = 0; start < 2; start++) {
        pid = test_spawn(argv, plain_env, log);
        CHECK(pid > 0 && test_wait_port(port, 5000) == 0, "the plain broker did not start");
        test_stop(pid, 5000, NULL);
    }
    text = test_read_file(log);
    int warnings = 0;
    for (const char *p = text; p && (p = strstr(p, "PLAIN TCP")); p++)
        warnings++;
    CHECK(warnings == 2, "%d PLAIN TCP warnings for 2 starts", warnings);
    CHECK(text && strstr(text, "WARN"), "the plain start is not a WARN");
    free(text);
    if (harness_failures == 0)
        test_rmtree(dir);
    free(dir);
}

static void s_send_body(zsock_t *sock, int kind, const char *service, const char *node,
                        uint64_t corr, uint16_t type, const uint8_t *body, size_t len)
{
    CHECK(harness_raw_send_bytes(sock, kind, service, node, corr, 0, type, body, len) == 0, "send");
}

/* The next non-heartbeat message's body holds needle. */
static bool s_received_with(zsock_t *sock, const char *needle)
{
    zpoller_t *poller = zpoller_new(sock, NULL);
    bool found = false;
    int64_t until = harness_now() + 2000;
    while (!found && harness_now() < until) {
        if (!zpoller_wait(poller, 100))
            continue;
        zmsg_t *msg = zmsg_recv(sock);
        zframe_t *body = msg && zmsg_size(msg) == 2 ? zmsg_last(msg) : NULL;
        found = body && memmem(zframe_data(body), zframe_size(body), needle, strlen(needle));
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    return found;
}

static void s_case_secrets(void)
{
    keys_t k;
    harness_stack_t s;
    zsock_t *monitor = s_setup(&k, &s, "broker-auth-secrets");
    zsock_t *status = s_dealer(&s, &k, k.status);
    zsock_t *gate = s_dealer(&s, &k, k.gate);
    CHECK(s_ready(status, "status", "status.1", 3000) == 0 &&
              s_ready(gate, "gate", "gate.1", 3000) == 0,
          "actors not served");

    /* status -> gate: a login token */
    const char *token = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7abcd";
    msg_status_login_rsp_t rsp = {.error = 0,
                                  .uid = 5,
                                  .token = (char *)token,
                                  .host = "127.0.0.1",
                                  .port = 18091,
                                  .node = "node1"};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_status_login_rsp_encode(&rsp, &body, &len) == 0, "encode");
    s_send_body(status, ENVELOPE_REPLY, "status", "gate.1", 9, MSG_STATUS_LOGIN_RSP, body, len);
    free(body);
    CHECK(s_received_with(gate, token), "the gate did not get the token intact");

    /* gate -> status: a mail code, under an unknown key name a password */
    msg_varify_check_t check = {.email = "erin@example.com", .code = "913377", .consume = true};
    CHECK(msg_varify_check_encode(&check, &body, &len) == 0, "encode");
    s_send_body(gate, ENVELOPE_REQUEST, "status", NULL, 10, MSG_VARIFY_CHECK, body, len);
    free(body);
    CHECK(s_received_with(status, "913377"), "status did not get the code intact");
    const uint8_t extra[] = "\x82\xa4user\xa4"
                            "erin\xa6passwd\xa9pa55w0rd!";
    s_send_body(gate, ENVELOPE_NOTIFY, "status", NULL, 11, 999, extra, sizeof(extra) - 1);
    CHECK(s_received_with(status, "pa55w0rd!"), "status did not get the password");
    /* a body that is not msgpack cannot be read for secrets: it stays in the broker */
    const char *garbage = "\xc1token=deadbeefcafe";
    s_send_body(gate, ENVELOPE_NOTIFY, "status", NULL, 12, MSG_STATUS_LOGIN_RSP,
                (const uint8_t *)garbage, strlen(garbage));
    CHECK(s_received_with(status, "deadbeefcafe"), "status did not get the raw body");

    tap_seen_t token_seen = {0}, code_seen = {0}, pass_seen = {0}, raw_seen = {0}, mask = {0};
    /* one read of everything, checked for each secret */
    zmsg_t *copies[64];
    int n = 0;
    zpoller_t *poller = zpoller_new(monitor, NULL);
    int64_t until = harness_now() + 1500;
    while (harness_now() < until && n < 64)
        if (zpoller_wait(poller, 50))
            copies[n++] = zmsg_recv(monitor);
    zpoller_destroy(&poller);
    for (int i = 0; i < n; i++) {
        for (zframe_t *f = zmsg_first(copies[i]); f; f = zmsg_next(copies[i])) {
            const void *d = zframe_data(f);
            size_t z = zframe_size(f);
            token_seen.needle_seen |= memmem(d, z, token, 16) != NULL;
            code_seen.needle_seen |= memmem(d, z, "913377", 6) != NULL;
            pass_seen.needle_seen |= memmem(d, z, "pa55w0rd", 8) != NULL;
            raw_seen.needle_seen |= memmem(d, z, "deadbeefcafe", 12) != NULL;
            mask.messages += memmem(d, z, "\xa3***", 4) != NULL;
        }
        zmsg_destroy(&copies[i]);
    }
    CHECK(n > 0, "the monitor read nothing");
    CHECK(!token_seen.needle_seen, "the login token went out on the tap in clear");
    CHECK(!code_seen.needle_seen, "the mail code went out on the tap in clear");
    CHECK(!pass_seen.needle_seen, "the password went out on the tap in clear");
    CHECK(!raw_seen.needle_seen, "an unreadable body went out on the tap");
    CHECK(mask.messages >= 3, "%d masked values on the tap, 3 expected", mask.messages);

    zsock_destroy(&gate);
    zsock_destroy(&status);
    s_teardown(&k, &s, &monitor);
}

int main(int argc, char **argv)
{
    static const harness_case_t cases[] = {
        {"rogue", s_case_rogue}, {"services", s_case_services}, {"tap", s_case_tap},
        {"empty", s_case_empty}, {"plain", s_case_plain},       {"secrets", s_case_secrets},
    };
    return harness_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
