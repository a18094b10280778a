/* broker_server.c - the broker's loop: routes [envelope][body] between actors on one ROUTER.
 *
 * Runs on the broker's main thread (started by main.c); nothing here is shared with another
 * thread except the libzmq I/O thread behind the sockets.
 *
 * Hot path, per message: three zmq_msg_recv into messages that live in this struct (no
 * allocation of ours), one envelope decode, one identity lookup, one node lookup or instance
 * pick, and three sends. The body frame is moved, never copied. The envelope frame is sent as
 * received when its `from` already names the sender; otherwise it is re-encoded with `from`
 * set, since the broker is the one that vouches for the sender's name. The socket is drained
 * in batches per poll wake-up: a poll is a system call, a message from the queue is not.
 *
 * The ROUTER has ZMQ_ROUTER_MANDATORY: a send to a vanished or full peer fails at once, and
 * the sender gets an ERROR (UNDELIVERABLE) instead of a silent drop. Every send is
 * non-blocking, so one slow actor never stalls the others.
 *
 * Liveness: any message from an actor touches it in broker_core's last-seen list; the loop
 * wakes for the next heartbeat tick or the next expiry, whichever is first.
 */
#include "broker_server.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "broker_admin.h"
#include "broker_auth.h"
#include "broker_core.h"
#include "broker_tap.h"
#include "uschat/envelope.h"
#include "uschat/log.h"

#define BATCH_MAX 1024 /* messages handled per wake-up before timers get a look in */

struct broker_server_t {
    zsock_t *router_sock;
    void *router;
    zsock_t *monitor_sock;
    void *monitor;
    broker_auth_t *auth; /* NULL: plain TCP */
    broker_tap_t *tap;
    broker_core_t *core;
    zhashx_t *peers; /* "fd" -> peer address, from ACCEPTED events */
    int heartbeat_ms;
    int64_t now;
    int64_t next_heartbeat;
    /* the message being handled, and copies for the tap */
    zmq_msg_t id;
    zmq_msg_t env;
    zmq_msg_t body;
    zmq_msg_t tap_env;
    zmq_msg_t tap_body;
    uint8_t heartbeat[ENVELOPE_MAX_SIZE];
    size_t heartbeat_len;
    /* wake-up */
    int wake_fd;
    broker_server_wake_fn *wake_fn;
    void *wake_arg;
    char endpoint[256];
    /* counters, logged at exit */
    uint64_t routed;
    uint64_t unroutable;
    uint64_t malformed;
    int64_t malformed_logged_at;
    uint64_t malformed_unlogged;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- setup ---------------------------------------------------------------------------- */

/* The broker's key pair on the ROUTER and the ZAP handler behind it. Returns the pair (for
 * the tap; caller destroys it) or NULL (logged). */
static zcert_t *s_setup_curve(broker_server_t *self, const broker_server_config_t *config)
{
    zcert_t *cert = zcert_load(config->curve_secret_file);
    if (!cert) {
        log_error("cannot load the CURVE certificate %s", config->curve_secret_file);
        return NULL;
    }
    self->auth = broker_auth_new(config->curve_authorized_dir);
    if (!self->auth) {
        zcert_destroy(&cert);
        return NULL;
    }
    zcert_apply(cert, self->router_sock);
    zsock_set_curve_server(self->router_sock, 1);
    zsock_set_zap_domain(self->router_sock, BROKER_AUTH_DOMAIN_ROUTER);
    log_info("CURVE on (broker key %s): only keys in %s get in, each for its services",
             zcert_public_txt(cert), config->curve_authorized_dir);
    return cert;
}

broker_server_t *broker_server_new(const broker_server_config_t *config)
{
    if (!config || !config->endpoint || config->heartbeat_ms <= 0 || config->liveness <= 0)
        return NULL;
    broker_server_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    zcert_t *cert = NULL; /* the broker's pair, between the ROUTER and the tap */
    self->wake_fd = -1;
    self->heartbeat_ms = config->heartbeat_ms;
    zmq_msg_init(&self->id);
    zmq_msg_init(&self->env);
    zmq_msg_init(&self->body);
    zmq_msg_init(&self->tap_env);
    zmq_msg_init(&self->tap_body);

    self->core = broker_core_new(config->heartbeat_ms, config->liveness);
    self->peers = zhashx_new();
    self->router_sock = zsock_new(ZMQ_ROUTER);
    if (!self->core || !self->peers || !self->router_sock)
        goto failed;
    zhashx_set_destructor(self->peers, (zhashx_destructor_fn *)zstr_free);
    zhashx_set_duplicator(self->peers, (zhashx_duplicator_fn *)strdup);
    self->router = zsock_resolve(self->router_sock);
    zsock_set_router_mandatory(self->router_sock, 1);
    /* An actor that reconnects under its own fixed identity takes it over. */
    zsock_set_router_handover(self->router_sock, 1);
    zsock_set_linger(self->router_sock, 0);
    /* By default as deep as the actors' own queues (broker_client's 10,000): a burst of pushes to
     * one node must not overflow here while the node would still take it. Beyond it a send fails
     * and the sender gets ERROR undeliverable, never a silent drop. */
    int queue_max = config->queue_max > 0 ? config->queue_max : 10000;
    zsock_set_sndhwm(self->router_sock, queue_max);
    zsock_set_rcvhwm(self->router_sock, queue_max);
    if (config->curve_secret_file && *config->curve_secret_file) {
        if (!(cert = s_setup_curve(self, config)))
            goto failed;
    } else if (config->plain_tcp) {
        log_warn("PLAIN TCP (broker/plain_tcp): no encryption, no authentication; any process "
                 "that reaches %s can register as any service, call any service and read the "
                 "tap. Only for a test bench, never in production.",
                 config->endpoint);
    } else {
        log_error("no CURVE keys (broker/curve_keys_dir or broker/curve_secret_file): refusing "
                  "to start unauthenticated; make keys with uschat-keys, or set "
                  "broker/plain_tcp = true for a test bench");
        goto failed;
    }

    /* Socket events, read on this thread through an inproc PAIR. */
    char monitor_endpoint[64];
    snprintf(monitor_endpoint, sizeof(monitor_endpoint), "inproc://broker-monitor-%p",
             (void *)self);
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(self->router, monitor_endpoint, events) < 0)
        goto failed;
    self->monitor_sock = zsock_new(ZMQ_PAIR);
    if (!self->monitor_sock || zsock_connect(self->monitor_sock, "%s", monitor_endpoint) < 0)
        goto failed;
    self->monitor = zsock_resolve(self->monitor_sock);

    if (zsock_bind(self->router_sock, "%s", config->endpoint) < 0) {
        log_error("cannot bind %s: %s", config->endpoint, zmq_strerror(zmq_errno()));
        goto failed;
    }
    char *last = zsock_last_endpoint(self->router_sock);
    snprintf(self->endpoint, sizeof(self->endpoint), "%s", last ? last : config->endpoint);
    zstr_free(&last);
    if (config->tap && *config->tap &&
        !(self->tap = broker_tap_new(config->tap, cert, BROKER_AUTH_DOMAIN_TAP)))
        goto failed;
    zcert_destroy(&cert);
    if (self->auth)
        broker_auth_set_tap(self->auth, self->tap);

    envelope_t hb;
    memset(&hb, 0, sizeof(hb));
    hb.kind = ENVELOPE_HEARTBEAT;
    int len = envelope_encode(&hb, self->heartbeat, sizeof(self->heartbeat));
    if (len < 0)
        goto failed;
    self->heartbeat_len = (size_t)len;
    self->now = s_now_ms();
    self->next_heartbeat = self->now + self->heartbeat_ms;
    return self;

failed:
    zcert_destroy(&cert);
    broker_server_destroy(&self);
    return NULL;
}

void broker_server_destroy(broker_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_server_t *self = *self_p;
    if (self->router)
        zmq_socket_monitor(self->router, NULL, 0);
    zsock_destroy(&self->monitor_sock);
    zsock_destroy(&self->router_sock);
    broker_tap_destroy(&self->tap);
    broker_auth_destroy(&self->auth);
    broker_core_destroy(&self->core);
    zhashx_destroy(&self->peers);
    zmq_msg_close(&self->id);
    zmq_msg_close(&self->env);
    zmq_msg_close(&self->body);
    zmq_msg_close(&self->tap_env);
    zmq_msg_close(&self->tap_body);
    free(self);
    *self_p = NULL;
}

void broker_server_set_wakeup(broker_server_t *self, int fd, broker_server_wake_fn *fn, void *arg)
{
    self->wake_fd = fd;
    self->wake_fn = fn;
    self->wake_arg = arg;
}

const char *broker_server_endpoint(broker_server_t *self)
{
    return self->endpoint;
}

const char *broker_server_tap_endpoint(broker_server_t *self)
{
    return broker_tap_endpoint(self->tap);
}

/* ---- sending -------------------------------------------------------------------------- */

/* [identity][envelope] to one peer, nothing else; the broker's own messages (ERROR,
 * DISCONNECT, HEARTBEAT). Returns 0 or -errno. */
static int s_send_control(broker_server_t *self, const uint8_t *identity, size_t identity_len,
                          const uint8_t *envelope, size_t envelope_len)
{
    if (zmq_send(self->router, identity, identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    if (zmq_send(self->router, envelope, envelope_len, ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    return 0;
}

/* Tells the sender its message went nowhere. request may be NULL (undecodable), sender NULL
 * (not registered). */
static void s_send_error(broker_server_t *self, const uint8_t *identity, size_t identity_len,
                         const envelope_t *request, route_error_t error,
                         const broker_actor_t *sender)
{
    envelope_t e;
    memset(&e, 0, sizeof(e));
    e.kind = ENVELOPE_ERROR;
    e.error = (uint16_t)error;
    if (request) {
        e.type = request->type;
        e.corr = request->corr;
        memcpy(e.service, request->service, sizeof(e.service));
        memcpy(e.node, request->node, sizeof(e.node));
    }
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = envelope_encode(&e, buf, sizeof(buf));
    if (len < 0)
        return;
    self->unroutable++;
    int rc = s_send_control(self, identity, identity_len, buf, (size_t)len);
    if (rc < 0)
        log_debug("cannot return an error to %s: %s", sender ? sender->node : "a peer",
                  zmq_strerror(-rc));
    broker_tap_event(self->tap, "unroutable", sender ? sender->service : NULL,
                     sender ? sender->node : NULL, NULL, buf, (size_t)len);
}

static void s_send_disconnect(broker_server_t *self, const uint8_t *identity, size_t identity_len,
                              route_error_t reason)
{
    envelope_t e;
    memset(&e, 0, sizeof(e));
    e.kind = ENVELOPE_DISCONNECT;
    e.error = (uint16_t)reason;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = envelope_encode(&e, buf, sizeof(buf));
    if (len >= 0)
        s_send_control(self, identity, identity_len, buf, (size_t)len);
}

/* Unregisters an actor with a log line and a tap event. */
static void s_drop_actor(broker_server_t *self, broker_actor_t *actor, const char *event)
{
    log_info("%s: %s (%s), %" PRIu64 " in / %" PRIu64 " out", event, actor->node, actor->service,
             actor->msgs_in, actor->msgs_out);
    broker_tap_event(self->tap, event, actor->service, actor->node, NULL, NULL, 0);
    broker_core_remove(self->core, actor);
}

/* Sends [dest][self->env][self->body?]. Returns 0 (the frames are moved) or -errno with
 * nothing sent (ROUTER_MANDATORY fails on the identity frame, before anything is queued). */
static int s_forward(broker_server_t *self, broker_actor_t *dest, bool has_body)
{
    if (zmq_send(self->router, dest->identity, dest->identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    /* Past the identity frame a ROUTER send cannot fail for want of room. */
    if (zmq_msg_send(&self->env, self->router, has_body ? ZMQ_SNDMORE : 0) < 0 ||
        (has_body && zmq_msg_send(&self->body, self->router, 0) < 0))
        log_error("send to %s failed after its identity: %s", dest->node,
                  zmq_strerror(zmq_errno()));
    dest->msgs_out++;
    return 0;
}

/* ---- routing -------------------------------------------------------------------------- */

/* Puts `from` = sender's node into the outgoing envelope, re-encoding only when the sender did
 * not already say so. Returns 0 or -1. */
static int s_stamp_from(broker_server_t *self, envelope_t *env, const broker_actor_t *sender)
{
    if (strcmp(env->from, sender->node) == 0)
        return 0;
    memcpy(env->from, sender->node, sizeof(env->from));
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = envelope_encode(env, buf, sizeof(buf));
    if (len < 0)
        return -1;
    zmq_msg_close(&self->env);
    if (zmq_msg_init_size(&self->env, (size_t)len) < 0) {
        zmq_msg_init(&self->env);
        return -1;
    }
    memcpy(zmq_msg_data(&self->env), buf, (size_t)len);
    return 0;
}

static void s_route(broker_server_t *self, broker_actor_t *sender, envelope_t *env, bool has_body)
{
    const uint8_t *sender_id = zmq_msg_data(&self->id);
    size_t sender_id_len = zmq_msg_size(&self->id);
    bool to_node = env->kind == ENVELOPE_REPLY || env->node[0] != '\0';
    if (!to_node && env->service[0] == '\0') {
        s_send_error(self, sender_id, sender_id_len, env, ROUTE_ERR_NO_SERVICE, sender);
        return;
    }
    if (s_stamp_from(self, env, sender) < 0) {
        s_send_error(self, sender_id, sender_id_len, env, ROUTE_ERR_BAD_ENVELOPE, sender);
        return;
    }
    bool tap = broker_tap_wants_messages(self->tap);
    if (tap) {
        zmq_msg_copy(&self->tap_env, &self->env);
        if (has_body)
            zmq_msg_copy(&self->tap_body, &self->body);
    }

    route_error_t error = ROUTE_ERR_UNDELIVERABLE;
    broker_actor_t *dest = NULL;
    if (to_node) {
        dest = broker_core_find_node(self->core, env->node);
        /* A REQUEST/NOTIFY naming both must not land on a node of another service. */
        if (!dest || (env->kind != ENVELOPE_REPLY && env->service[0] != '\0' &&
                      strcmp(dest->service, env->service) != 0)) {
            s_send_error(self, sender_id, sender_id_len, env, ROUTE_ERR_NO_NODE, sender);
            return;
        }
        int rc = s_forward(self, dest, has_body);
        if (rc == 0)
            goto routed;
        if (rc == -EHOSTUNREACH && dest != sender)
            s_drop_actor(self, dest, "expired");
    } else {
        /* A vanished instance is dropped and another one tried; a full one is made to look
         * busy so the next pick prefers the others. A few attempts bound the cost. */
        size_t attempts = broker_core_service_size(self->core, env->service);
        if (attempts == 0)
            error = ROUTE_ERR_NO_SERVICE;
        if (attempts > 3)
            attempts = 3;
        for (size_t i = 0; i < attempts; i++) {
            dest = broker_core_pick(self->core, env->service);
            if (!dest)
                break;
            int rc = s_forward(self, dest, has_body);
            if (rc == 0)
                goto routed;
            /* (the sender itself stays registered: it is still needed for the error) */
            if (rc == -EHOSTUNREACH && dest != sender)
                s_drop_actor(self, dest, "expired");
            else
                broker_core_penalize(self->core, dest);
        }
    }
    s_send_error(self, sender_id, sender_id_len, env, error, sender);
    return;

routed:
    self->routed++;
    sender->msgs_in++;
    if (tap)
        broker_tap_message(self->tap, sender->service, sender->node, dest->service, dest->node,
                           env->type, &self->tap_env, has_body ? &self->tap_body : NULL);
}

/* A READY's corr is the sender's tag (high half, random per broker client) and its count of
 * READYs (low half); 0 is an untagged sender. One with the holder's tag and a lower count is
 * the holder's own, sent before it last reconnected: newest-wins must not apply to it. */
static bool s_ready_is_stale(const broker_actor_t *holder, const envelope_t *env)
{
    uint32_t tag = (uint32_t)(env->corr >> 32);
    return tag != 0 && tag == (uint32_t)(holder->ready_tag >> 32) &&
           (uint32_t)env->corr < (uint32_t)holder->ready_tag;
}

static void s_handle_ready(broker_server_t *self, broker_actor_t *actor, const envelope_t *env)
{
    const uint8_t *id = zmq_msg_data(&self->id);
    size_t id_len = zmq_msg_size(&self->id);
    /* "broker" is the broker's own service name: no actor may take it */
    if (env->service[0] == '\0' || env->node[0] == '\0' ||
        strcmp(env->service, BROKER_ADMIN_SERVICE) == 0) {
        s_send_error(self, id, id_len, env, ROUTE_ERR_BAD_ENVELOPE, NULL);
        return;
    }
    /* With CURVE, the connection's key (its User-Id, set by the ZAP handler) must be allowed
     * this service: a key of the gate cannot pass for status. */
    if (self->auth) {
        const char *key = zmq_msg_gets(&self->env, "User-Id");
        if (!broker_auth_may_register(self->auth, key, env->service)) {
            broker_auth_refused(self->auth, self->now, "ready", env->service, env->node, key, NULL,
                                "key not allowed this service");
            if (actor)
                s_drop_actor(self, actor, "disconnect");
            s_send_error(self, id, id_len, env, ROUTE_ERR_FORBIDDEN, NULL);
            return;
        }
    }
    if (actor) {
        if (strcmp(actor->node, env->node) == 0 && strcmp(actor->service, env->service) == 0) {
            /* A repeated READY (the actor thought it was forgotten): a load report. */
            actor->ready_tag = env->corr;
            broker_core_report(self->core, actor, env->load);
            s_send_control(self, id, id_len, self->heartbeat, self->heartbeat_len);
            return;
        }
        broker_core_remove(self->core, actor); /* the same peer, renamed */
    }
    broker_actor_t *holder = broker_core_find_node(self->core, env->node);
    if (holder && s_ready_is_stale(holder, env)) {
        /* the holder's own earlier READY, from a socket it has since given up and reaching us
         * late: the holder stays; the stale socket is told, in case anyone still reads it */
        log_debug("stale READY for %s ignored", env->node);
        s_send_disconnect(self, id, id_len, ROUTE_ERR_REPLACED);
        return;
    }
    if (holder) {
        /* Newest wins: a restarted node must not wait for its old self to expire. */
        uint8_t old_id[BROKER_IDENTITY_MAX];
        size_t old_len = holder->identity_len;
        memcpy(old_id, holder->identity, old_len);
        s_drop_actor(self, holder, "replaced");
        s_send_disconnect(self, old_id, old_len, ROUTE_ERR_REPLACED);
    }
    actor = broker_core_add(self->core, id, id_len, env->service, env->node, env->load, self->now);
    if (!actor) {
        log_error("cannot register %s (%s): out of memory", env->node, env->service);
        return;
    }
    actor->ready_tag = env->corr;
    log_info("ready: %s (%s), load %u", actor->node, actor->service, actor->load);
    broker_tap_event(self->tap, "ready", actor->service, actor->node, NULL,
                     zmq_msg_data(&self->env), zmq_msg_size(&self->env));
    /* Answer at once, so the actor knows it is registered without waiting a heartbeat. */
    s_send_control(self, id, id_len, self->heartbeat, self->heartbeat_len);
}

static void s_malformed(broker_server_t *self, broker_actor_t *actor, const envelope_t *env,
                        const char *why)
{
    self->malformed++;
    /* A peer sending garbage in a loop must not flood the log: one line per second. */
    if (self->now - self->malformed_logged_at >= 1000) {
        log_warn("bad envelope from %s: %s (%" PRIu64 " more since the last report)",
                 actor ? actor->node : "an unregistered peer", why, self->malformed_unlogged);
        self->malformed_logged_at = self->now;
        self->malformed_unlogged = 0;
    } else {
        self->malformed_unlogged++;
    }
    s_send_error(self, zmq_msg_data(&self->id), zmq_msg_size(&self->id), env,
                 ROUTE_ERR_BAD_ENVELOPE, actor);
}

/* A request to the broker itself (broker_admin.h); the asker need not be registered. */
static void s_answer_admin(broker_server_t *self, broker_actor_t *actor, const envelope_t *env)
{
    const uint8_t *id = zmq_msg_data(&self->id);
    size_t id_len = zmq_msg_size(&self->id);
    uint8_t *body = NULL;
    size_t len = 0;
    uint16_t type = 0;
    int rc = broker_admin_answer(self->core, self->now, env, &body, &len, &type);
    if (rc != 0) {
        s_send_error(self, id, id_len, env, (route_error_t)rc, actor);
        return;
    }
    envelope_t reply;
    memset(&reply, 0, sizeof(reply));
    reply.kind = ENVELOPE_REPLY;
    reply.type = type;
    reply.corr = env->corr;
    snprintf(reply.service, sizeof(reply.service), "%s", BROKER_ADMIN_SERVICE);
    snprintf(reply.from, sizeof(reply.from), "%s", BROKER_ADMIN_SERVICE);
    if (actor)
        memcpy(reply.node, actor->node, sizeof(reply.node));
    uint8_t head[ENVELOPE_MAX_SIZE];
    int head_len = envelope_encode(&reply, head, sizeof(head));
    if (head_len > 0 &&
        zmq_send(self->router, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) == (int)id_len) {
        zmq_send(self->router, head, (size_t)head_len, ZMQ_SNDMORE);
        zmq_send(self->router, body, len, 0);
    }
    free(body);
}

/* One message: self->id, self->env and (if has_body) self->body are filled. */
static void s_handle(broker_server_t *self, bool has_body, bool extra_frames)
{
    const uint8_t *id = zmq_msg_data(&self->id);
    size_t id_len = zmq_msg_size(&self->id);
    broker_actor_t *actor = broker_core_find_identity(self->core, id, id_len);
    if (actor)
        broker_core_touch(self->core, actor, self->now);

    envelope_t env;
    if (envelope_decode(zmq_msg_data(&self->env), zmq_msg_size(&self->env), &env) < 0) {
        s_malformed(self, actor, NULL, "undecodable");
        return;
    }
    if (extra_frames) {
        s_malformed(self, actor, &env, "more than two frames");
        return;
    }
    switch (env.kind) {
    case ENVELOPE_READY:
        s_handle_ready(self, actor, &env);
        return;
    case ENVELOPE_HEARTBEAT:
    case ENVELOPE_DISCONNECT:
    case ENVELOPE_REQUEST:
    case ENVELOPE_REPLY:
    case ENVELOPE_NOTIFY:
        break;
    default:
        s_malformed(self, actor, &env, "kind not accepted from an actor");
        return;
    }
    if (env.kind == ENVELOPE_REQUEST && env.node[0] == '\0' &&
        strcmp(env.service, BROKER_ADMIN_SERVICE) == 0) {
        s_answer_admin(self, actor, &env);
        return;
    }
    if (!actor) {
        if (env.kind == ENVELOPE_DISCONNECT)
            return;
        /* Unknown peer (typically: this broker restarted). A request still gets its answer,
         * and DISCONNECT makes the actor say READY again. */
        if (env.kind != ENVELOPE_HEARTBEAT)
            s_send_error(self, id, id_len, &env, ROUTE_ERR_NOT_READY, NULL);
        s_send_disconnect(self, id, id_len, ROUTE_ERR_NOT_READY);
        return;
    }
    switch (env.kind) {
    case ENVELOPE_HEARTBEAT:
        broker_core_report(self->core, actor, env.load);
        /* on the tap so the monitor can show who is alive and their load */
        if (broker_tap_wants_messages(self->tap) && zmq_msg_copy(&self->tap_env, &self->env) == 0)
            broker_tap_message(self->tap, actor->service, actor->node, "broker", "", 0,
                               &self->tap_env, NULL);
        return;
    case ENVELOPE_DISCONNECT:
        s_drop_actor(self, actor, "disconnect");
        return;
    default:
        s_route(self, actor, &env, has_body);
        return;
    }
}

/* Reads and handles up to BATCH_MAX messages. Returns 1 when it stopped at the batch limit
 * (more may be waiting), 0 when the socket is empty, -1 when the socket is gone. Ending on an
 * EAGAIN matters: that receive processed the socket's pending commands, so from then on new
 * traffic signals the socket's descriptor and the loop may sleep on it. */
static int s_drain_router(broker_server_t *self)
{
    for (int n = 0; n < BATCH_MAX; n++) {
        if (zmq_msg_recv(&self->id, self->router, ZMQ_DONTWAIT) < 0) {
            int err = zmq_errno();
            return err == EAGAIN || err == EINTR ? 0 : -1;
        }
        /* The parts of a message arrive together: once the first is here, the rest are. */
        if (!zmq_msg_more(&self->id) || zmq_msg_recv(&self->env, self->router, 0) < 0)
            continue;
        bool has_body = false, extra = false;
        if (zmq_msg_more(&self->env)) {
            if (zmq_msg_recv(&self->body, self->router, 0) < 0)
                continue;
            has_body = true;
            while (zmq_msg_more(&self->body)) { /* discard the excess */
                extra = true;
                if (zmq_msg_recv(&self->body, self->router, 0) < 0)
                    break;
            }
        }
        s_handle(self, has_body, extra);
    }
    return 1;
}

/* ---- socket events -------------------------------------------------------------------- */

static void s_drain_monitor(broker_server_t *self)
{
    zmq_msg_t head, addr;
    zmq_msg_init(&head);
    zmq_msg_init(&addr);
    while (zmq_msg_recv(&head, self->monitor, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&head) || zmq_msg_recv(&addr, self->monitor, 0) < 0)
            continue;
        if (zmq_msg_size(&head) < 6)
            continue;
        uint16_t event;
        uint32_t value;
        memcpy(&event, zmq_msg_data(&head), 2);
        memcpy(&value, (uint8_t *)zmq_msg_data(&head) + 2, 4);
        char key[16];
        snprintf(key, sizeof(key), "%u", value);
        char peer[64] = "";
        if (event == ZMQ_EVENT_ACCEPTED) {
            /* The event names only our own endpoint; the peer comes from the descriptor (best
             * effort: by now the descriptor may have been closed, even reused). */
            struct sockaddr_storage sa;
            socklen_t sa_len = sizeof(sa);
            char host[INET6_ADDRSTRLEN] = "?";
            if (getpeername((int)value, (struct sockaddr *)&sa, &sa_len) == 0) {
                if (sa.ss_family == AF_INET) {
                    struct sockaddr_in *in = (struct sockaddr_in *)&sa;
                    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
                    snprintf(peer, sizeof(peer), "%s:%u", host, ntohs(in->sin_port));
                } else if (sa.ss_family == AF_INET6) {
                    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
                    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
                    snprintf(peer, sizeof(peer), "[%s]:%u", host, ntohs(in6->sin6_port));
                }
            }
            zhashx_update(self->peers, key, peer);
            log_debug("connected: %s", peer);
            broker_tap_event(self->tap, "connected", NULL, NULL, peer, NULL, 0);
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            const char *known = zhashx_lookup(self->peers, key);
            snprintf(peer, sizeof(peer), "%s", known ? known : "");
            zhashx_delete(self->peers, key);
            log_debug("disconnected: %s", peer);
            broker_tap_event(self->tap, "disconnected", NULL, NULL, peer, NULL, 0);
        } else {
            log_info("handshake failed (event 0x%x, code %u) on %.*s", event, value,
                     (int)zmq_msg_size(&addr), (const char *)zmq_msg_data(&addr));
            broker_tap_event(self->tap, "handshake_failed", NULL, NULL, NULL, NULL, 0);
        }
    }
    zmq_msg_close(&head);
    zmq_msg_close(&addr);
}

/* ---- timers --------------------------------------------------------------------------- */

static void s_timers(broker_server_t *self)
{
    broker_actor_t *actor;
    while ((actor = broker_core_expired(self->core, self->now)))
        s_drop_actor(self, actor, "expired");
    if (self->now < self->next_heartbeat)
        return;
    self->next_heartbeat = self->now + self->heartbeat_ms;
    actor = broker_core_first(self->core);
    while (actor) {
        broker_actor_t *next = broker_core_next(self->core, actor);
        int rc = s_send_control(self, actor->identity, actor->identity_len, self->heartbeat,
                                self->heartbeat_len);
        if (rc == -EHOSTUNREACH) /* its connection is gone: no need to wait for silence */
            s_drop_actor(self, actor, "expired");
        actor = next;
    }
}

static int s_socket_fd(void *socket)
{
    int fd = -1;
    size_t len = sizeof(fd);
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) < 0)
        return -1;
    return fd;
}

/* The loop sleeps in poll() on the sockets' descriptors rather than in zmq_poll(): zmq_poll
 * asks every socket for its state before and after sleeping, which costs a dozen system calls
 * per wake-up; here a wake-up costs the receives it needs. The price is ZeroMQ's edge-triggered
 * descriptor rule: a socket is only slept on after an operation on it that ended in EAGAIN
 * (see s_drain_router), and the tap, which is written to, is re-read before each sleep. */
int broker_server_run(broker_server_t *self)
{
    log_info("serving on %s (tap %s), heartbeat %d ms", self->endpoint,
             self->tap ? broker_tap_endpoint(self->tap) : "off", self->heartbeat_ms);
    enum { ROUTER, MONITOR, WAKE, TAP, AUTH };
    struct pollfd fds[5] = {
        {s_socket_fd(self->router), POLLIN, 0},
        {s_socket_fd(self->monitor), POLLIN, 0},
        {self->wake_fd, POLLIN, 0},
        {self->tap ? s_socket_fd(broker_tap_handle(self->tap)) : -1, POLLIN, 0},
        {self->auth ? s_socket_fd(broker_auth_handle(self->auth)) : -1, POLLIN, 0},
    };
    if (fds[ROUTER].fd < 0 || fds[MONITOR].fd < 0) {
        log_error("cannot get the sockets' descriptors");
        return -1;
    }
    int rc = 0;
    s_drain_monitor(self);
    if (self->tap)
        broker_tap_read_subscriptions(self->tap);
    if (self->auth)
        broker_auth_serve(self->auth, s_now_ms());
    while (true) {
        self->now = s_now_ms();
        s_timers(self);
        int drained = s_drain_router(self);
        if (drained < 0) {
            log_error("receive failed: %s", zmq_strerror(zmq_errno()));
            rc = -1;
            break;
        }
        /* Writing to the tap may have swallowed the signal of a new subscription. */
        if (self->tap && broker_tap_sent_since_read(self->tap))
            broker_tap_read_subscriptions(self->tap);
        int timeout = 0;
        if (drained == 0) {
            int64_t wake_at = broker_core_next_expiry(self->core);
            if (self->next_heartbeat < wake_at)
                wake_at = self->next_heartbeat;
            self->now = s_now_ms();
            timeout = wake_at <= self->now ? 0 : (int)(wake_at - self->now);
        }
        if (poll(fds, 5, timeout) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll failed: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (fds[MONITOR].revents & POLLIN)
            s_drain_monitor(self);
        if (fds[TAP].revents & POLLIN)
            broker_tap_read_subscriptions(self->tap);
        if (fds[AUTH].revents & POLLIN)
            broker_auth_serve(self->auth, s_now_ms());
        if ((fds[WAKE].revents & POLLIN) && self->wake_fn &&
            self->wake_fn(self->wake_fd, self->wake_arg))
            break;
    }
    log_info("stopping: %" PRIu64 " routed, %" PRIu64 " unroutable, %" PRIu64
             " malformed, %zu actors registered",
             self->routed, self->unroutable, self->malformed, broker_core_size(self->core));
    return rc;
}
