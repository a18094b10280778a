/* broker_client.c - an actor's DEALER connection to the broker (broker_client.h).
 *
 * Used by one thread only: an actor's loop thread (attach + callbacks), or a thread without a
 * loop that calls broker_client_call(). The protocol is docs/broker-protocol.md:
 * READY on (re)connect, HEARTBEAT every heartbeat_ms, any inbound traffic counts as a sign of
 * life, `liveness` silent intervals mean the broker is gone and the socket is rebuilt (which
 * drops whatever was queued for the dead peer), a DISCONNECT from the broker means it does not
 * know us (it restarted) and READY goes out at once. A service holds its first READY (and
 * everything else) until it is set up (hold_ready, broker_client_announce()): a service that
 * fails at start, its port taken, is never routed to.
 *
 * Sending never blocks the loop: every send is ZMQ_DONTWAIT; a full queue drops the message,
 * counts it and says so (request() then returns -1 and no callback runs).
 *
 * Pending requests live in two structures: a CZMQ zhashx by corr (for the reply; keys point
 * into the pending_t, nothing copied) and a list sorted by deadline (for timeouts), so each
 * reply and each expiry is O(1) and the loop needs only one one-shot timer, armed for the
 * earliest deadline.
 */
#include "uschat/broker_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "uschat/host.h"
#include "uschat/log.h"

#define BC_HWM                10000
#define BC_LINGER_MS          100
#define BC_RECONNECT_IVL_MS   100
#define BC_RECV_BATCH         256
#define BC_DEFAULT_TIMEOUT_MS 5000
#define BC_Z85_KEY_LEN        40

typedef struct pending_t pending_t;
struct pending_t {
    uint64_t corr;
    int64_t deadline; /* zclock_mono() ms */
    broker_client_on_reply_fn *on_reply;
    void *arg;
    uint16_t type;
    char service[ENVELOPE_SERVICE_MAX];
    char node[ENVELOPE_NODE_MAX];
    pending_t *prev, *next; /* deadline order */
};

struct broker_client_t {
    char *endpoint, *service, *node;
    char *curve_server_public, *curve_public, *curve_secret;
    int heartbeat_ms, liveness;
    zsock_t *sock;

    zloop_t *loop;
    broker_client_on_message_fn *on_message;
    void *on_message_arg;
    int heartbeat_timer;
    int expiry_timer;     /* one-shot, for the earliest deadline; -1 when none */
    int64_t expiry_armed; /* the deadline it was armed for */

    uint32_t load;
    uint64_t next_corr;
    int64_t broker_expiry; /* the broker counts as dead after this */
    int64_t heartbeat_at;  /* next heartbeat due */
    int64_t ready_sent_at;
    /* The corr of every READY: this object's random tag in the high half, a count of its
     * READYs in the low half. A READY still queued on a socket we gave up can reach the
     * broker after the one of our new socket; by the tag and count the broker knows it for
     * ours and older, and does not let it replace us. */
    uint64_t ready_tag;
    bool held; /* hold_ready: silent until broker_client_announce() */
    bool connected, replaced;
    bool forbidden; /* the broker refused our READY: our key may not register this service */
    uint64_t drops;

    zhashx_t *pending; /* corr -> pending_t (owned here, freed by hand) */
    pending_t *head, *tail;

    /* broker_client_call() in progress */
    uint64_t call_corr;
    bool call_done;
    envelope_t call_env;
    zframe_t *call_body;
};

/* ---- pending requests ------------------------------------------------------------------- */

/* Keys are the pending_t's own corr field: a 64-bit counter, so a multiplicative mix is a
 * good enough hash and equality is an integer compare. */
static size_t s_corr_hash(const void *key)
{
    uint64_t h = *(const uint64_t *)key * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32);
}

static int s_corr_compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static zhashx_t *s_pending_new(void)
{
    zhashx_t *hash = zhashx_new();
    if (!hash)
        return NULL;
    zhashx_set_key_hasher(hash, s_corr_hash);
    zhashx_set_key_comparator(hash, s_corr_compare);
    zhashx_set_key_duplicator(hash, NULL);
    zhashx_set_key_destructor(hash, NULL);
    return hash;
}

static pending_t *s_pending_find(broker_client_t *self, uint64_t corr)
{
    return zhashx_lookup(self->pending, &corr);
}

static int s_pending_add(broker_client_t *self, pending_t *p)
{
    if (zhashx_insert(self->pending, &p->corr, p) != 0)
        return -1; /* corr is a counter: never a duplicate */
    /* Deadlines mostly grow with time: walk back from the tail. */
    pending_t *at = self->tail;
    while (at && at->deadline > p->deadline)
        at = at->prev;
    p->prev = at;
    p->next = at ? at->next : self->head;
    if (p->next)
        p->next->prev = p;
    else
        self->tail = p;
    if (at)
        at->next = p;
    else
        self->head = p;
    return 0;
}

static void s_pending_remove(broker_client_t *self, pending_t *p)
{
    zhashx_delete(self->pending, &p->corr);
    if (p->prev)
        p->prev->next = p->next;
    else
        self->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        self->tail = p->prev;
    p->prev = p->next = NULL;
}

/* ---- sending ---------------------------------------------------------------------------- */

static int s_send(broker_client_t *self, const envelope_t *env, const void *body, size_t len)
{
    if (!self->sock)
        return -1;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(env, buf, sizeof buf);
    if (n < 0) {
        log_error("broker: cannot encode a %s envelope", envelope_kind_name(env->kind));
        return -1;
    }
    void *handle = zsock_resolve(self->sock);
    int more = body ? ZMQ_SNDMORE : 0;
    if (zmq_send(handle, buf, (size_t)n, ZMQ_DONTWAIT | more) < 0) {
        self->drops++;
        /* The first drop and then one line per thousand: a stalled broker must not also
         * flood the log. */
        if (self->drops == 1 || self->drops % 1000 == 0)
            log_warn("broker: send queue to %s full or closed (%s); %llu messages dropped",
                     self->endpoint, zmq_strerror(zmq_errno()), (unsigned long long)self->drops);
        return -1;
    }
    /* Once the first part is accepted the rest of the message is too (ZeroMQ queues whole
     * messages). */
    if (body && zmq_send(handle, body, len, ZMQ_DONTWAIT) < 0) {
        log_error("broker: body frame refused (%s)", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int s_send_control(broker_client_t *self, int kind)
{
    if (self->held)
        return -1;
    envelope_t env;
    memset(&env, 0, sizeof env);
    env.kind = (uint8_t)kind;
    if (kind == ENVELOPE_READY)
        env.corr = ++self->ready_tag;
    env.load = self->load;
    snprintf(env.service, sizeof env.service, "%s", self->service);
    snprintf(env.node, sizeof env.node, "%s", self->node);
    return s_send(self, &env, NULL, 0);
}

static void s_send_ready(broker_client_t *self)
{
    self->ready_sent_at = zclock_mono();
    if (s_send_control(self, ENVELOPE_READY) == 0)
        log_debug("broker: READY sent to %s", self->endpoint);
}

/* Fills env for an outbound REQUEST/NOTIFY; -1 when a name does not fit. */
static int s_target(envelope_t *env, int kind, const char *service, const char *node, uint16_t type)
{
    memset(env, 0, sizeof *env);
    env->kind = (uint8_t)kind;
    env->type = type;
    if (!service)
        service = "";
    if (!node)
        node = "";
    if (!*service && !*node)
        return -1;
    if (strlen(service) >= sizeof env->service || strlen(node) >= sizeof env->node)
        return -1;
    strcpy(env->service, service);
    strcpy(env->node, node);
    return 0;
}

/* ---- the socket ------------------------------------------------------------------------- */

static int s_on_readable(zloop_t *loop, zsock_t *reader, void *arg);

static int s_socket_open(broker_client_t *self)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return -1;
    zsock_set_linger(sock, BC_LINGER_MS);
    zsock_set_sndhwm(sock, BC_HWM);
    zsock_set_rcvhwm(sock, BC_HWM);
    zsock_set_immediate(sock, 0);
    zsock_set_reconnect_ivl(sock, BC_RECONNECT_IVL_MS);
    if (self->curve_server_public) {
        zsock_set_curve_serverkey(sock, self->curve_server_public);
        zsock_set_curve_publickey(sock, self->curve_public);
        zsock_set_curve_secretkey(sock, self->curve_secret);
    }
    if (zsock_connect(sock, "%s", self->endpoint) != 0) {
        log_error("broker: cannot connect to %s: %s", self->endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&sock);
        return -1;
    }
    self->sock = sock;
    if (self->loop) {
        if (zloop_reader(self->loop, sock, s_on_readable, self) != 0)
            log_error("broker: cannot watch the new socket");
        else
            zloop_reader_set_tolerant(self->loop, sock);
    }
    return 0;
}

/* The broker is silent: start again with a fresh socket, so nothing queued for the dead
 * connection reaches a new broker late, and register again. */
static void s_reconnect(broker_client_t *self, int64_t now)
{
    log_warn("broker: no sign of life from %s for %d ms; reconnecting", self->endpoint,
             self->heartbeat_ms * self->liveness);
    if (self->sock) {
        if (self->loop)
            zloop_reader_end(self->loop, self->sock);
        zsock_set_linger(self->sock, 0); /* what it still holds is for the dead connection */
        zsock_destroy(&self->sock);
    }
    self->connected = false;
    self->forbidden = false;
    self->broker_expiry = now + (int64_t)self->heartbeat_ms * self->liveness;
    if (s_socket_open(self) == 0)
        s_send_ready(self);
}

/* Heartbeat duty: send one if due, count the broker dead if it has been silent too long. */
static void s_tick(broker_client_t *self, int64_t now, bool force)
{
    if (self->replaced)
        return;
    if (now >= self->broker_expiry)
        s_reconnect(self, now);
    if (force || now >= self->heartbeat_at) {
        s_send_control(self, ENVELOPE_HEARTBEAT);
        self->heartbeat_at = now + self->heartbeat_ms;
    }
}

/* ---- timeouts --------------------------------------------------------------------------- */

static void s_complete_local(broker_client_t *self, pending_t *p, int error)
{
    envelope_t env;
    memset(&env, 0, sizeof env);
    env.kind = ENVELOPE_ERROR;
    env.type = p->type;
    env.corr = p->corr;
    env.error = (uint16_t)error;
    strcpy(env.service, p->service);
    strcpy(env.node, p->node);
    zframe_t *body = NULL;
    p->on_reply(self, &env, &body, p->arg);
    zframe_destroy(&body);
}

static void s_expire(broker_client_t *self, int64_t now)
{
    while (self->head && self->head->deadline <= now) {
        pending_t *p = self->head;
        s_pending_remove(self, p);
        log_debug("broker: request %llu (type %u to %s%s%s) timed out", (unsigned long long)p->corr,
                  p->type, p->service, *p->node ? "/" : "", p->node);
        s_complete_local(self, p, ROUTE_ERR_TIMEOUT);
        free(p);
    }
}

static int s_on_expiry(zloop_t *loop, int timer_id, void *arg);

/* Keeps the one-shot timer armed for the earliest deadline. */
static void s_arm(broker_client_t *self)
{
    if (!self->loop || !self->head)
        return;
    int64_t deadline = self->head->deadline;
    if (self->expiry_timer != -1 && self->expiry_armed <= deadline)
        return;
    if (self->expiry_timer != -1)
        zloop_timer_end(self->loop, self->expiry_timer);
    int64_t delay = deadline - zclock_mono();
    if (delay < 1)
        delay = 1;
    self->expiry_timer = zloop_timer(self->loop, (size_t)delay, 1, s_on_expiry, self);
    self->expiry_armed = deadline;
}

static int s_on_expiry(zloop_t *loop, int timer_id, void *arg)
{
    broker_client_t *self = arg;
    if (timer_id != self->expiry_timer)
        return 0;
    self->expiry_timer = -1;
    s_expire(self, zclock_mono());
    s_arm(self);
    return 0;
}

/* ---- receiving -------------------------------------------------------------------------- */

static void s_dispatch(broker_client_t *self, const envelope_t *env, zframe_t **body)
{
    switch (env->kind) {
    case ENVELOPE_HEARTBEAT:
        self->connected = true;
        break;
    case ENVELOPE_DISCONNECT:
        self->connected = false;
        if (env->error == ROUTE_ERR_REPLACED) {
            if (!self->replaced)
                log_error("broker: another instance registered as node %s; this one stops "
                          "registering",
                          self->node);
            self->replaced = true;
        } else if (!self->replaced && !self->forbidden) {
            /* Several messages sent before our READY reached a restarted broker each earn a
             * DISCONNECT; one READY answers the whole burst. */
            int64_t window = self->heartbeat_ms / 2 < 250 ? self->heartbeat_ms / 2 : 250;
            if (zclock_mono() - self->ready_sent_at >= window) {
                log_info("broker: %s does not know node %s (restarted?); registering again",
                         self->endpoint, self->node);
                s_send_ready(self);
            }
        }
        break;
    case ENVELOPE_REQUEST:
    case ENVELOPE_NOTIFY:
        self->connected = true;
        if (self->call_corr || !self->on_message) {
            log_warn("broker: %s of type %u from %s dropped (no handler here)",
                     envelope_kind_name(env->kind), env->type, env->from);
            break;
        }
        self->on_message(self, env, body, self->on_message_arg);
        break;
    case ENVELOPE_REPLY:
    case ENVELOPE_ERROR: {
        if (env->kind == ENVELOPE_ERROR && env->error == ROUTE_ERR_FORBIDDEN) {
            /* asked again only after a reconnect (liveness), so the refusal is not hammered */
            log_error("broker: %s refuses node %s as service %s: this key may not register it "
                      "(see the broker's allow-list, uschat-keys list)",
                      self->endpoint, self->node, self->service);
            self->forbidden = true;
            break;
        }
        self->connected = true;
        if (self->call_corr && env->corr == self->call_corr && !self->call_done) {
            self->call_env = *env;
            self->call_body = *body;
            *body = NULL;
            self->call_done = true;
            break;
        }
        pending_t *p = s_pending_find(self, env->corr);
        if (!p) {
            log_debug("broker: %s for unknown or expired request %llu",
                      envelope_kind_name(env->kind), (unsigned long long)env->corr);
            break;
        }
        s_pending_remove(self, p);
        p->on_reply(self, env, body, p->arg);
        free(p);
        break;
    }
    default:
        log_debug("broker: unexpected %s from the broker", envelope_kind_name(env->kind));
        break;
    }
}

/* Reads up to max messages without blocking; returns how many were read. */
static int s_receive(broker_client_t *self, int max)
{
    int count = 0;
    while (count < max && self->sock) {
        void *handle = zsock_resolve(self->sock);
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            break;
        }
        count++;
        envelope_t env;
        int rc = envelope_decode(zmq_msg_data(&part), zmq_msg_size(&part), &env);
        int more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        zframe_t *body = NULL;
        int extra = 0;
        while (more) {
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, handle, 0) < 0) { /* the rest of a message is there */
                zmq_msg_close(&part);
                break;
            }
            if (!body && !extra)
                body = zframe_new(zmq_msg_data(&part), zmq_msg_size(&part));
            else
                extra++;
            more = zmq_msg_more(&part);
            zmq_msg_close(&part);
        }
        if (rc != 0 || extra) {
            log_warn("broker: malformed message from %s dropped", self->endpoint);
            zframe_destroy(&body);
            continue;
        }
        self->broker_expiry = zclock_mono() + (int64_t)self->heartbeat_ms * self->liveness;
        s_dispatch(self, &env, &body);
        zframe_destroy(&body);
    }
    return count;
}

static int s_on_readable(zloop_t *loop, zsock_t *reader, void *arg)
{
    /* reader may be a socket already replaced by s_reconnect() in a timer of this same loop
     * pass: always read self->sock. */
    broker_client_t *self = arg;
    s_receive(self, BC_RECV_BATCH);
    return 0;
}

static int s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    broker_client_t *self = arg;
    s_tick(self, zclock_mono(), true);
    return 0;
}

/* ---- public API ------------------------------------------------------------------------- */

static bool s_key_ok(const char *key)
{
    return key && strlen(key) == BC_Z85_KEY_LEN;
}

broker_client_t *broker_client_new(const broker_client_config_t *config)
{
    if (!config || !config->endpoint || !*config->endpoint || !config->service ||
        !*config->service || strlen(config->service) >= ENVELOPE_SERVICE_MAX) {
        log_error("broker: a client needs an endpoint and a service name (< %d bytes)",
                  ENVELOPE_SERVICE_MAX);
        return NULL;
    }
    if (config->node && strlen(config->node) >= ENVELOPE_NODE_MAX) {
        log_error("broker: node name %s is too long (< %d bytes)", config->node, ENVELOPE_NODE_MAX);
        return NULL;
    }
    bool any_key = config->curve_server_public || config->curve_public || config->curve_secret;
    if (any_key && !(s_key_ok(config->curve_server_public) && s_key_ok(config->curve_public) &&
                     s_key_ok(config->curve_secret))) {
        log_error("broker: CURVE needs all three keys (server public, public, secret) as "
                  "40-character Z85");
        return NULL;
    }
    broker_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup(config->endpoint);
    self->service = strdup(config->service);
    self->node =
        config->node && *config->node ? strdup(config->node) : host_default_node(config->service);
    if (any_key) {
        self->curve_server_public = strdup(config->curve_server_public);
        self->curve_public = strdup(config->curve_public);
        self->curve_secret = strdup(config->curve_secret);
    }
    self->heartbeat_ms = config->heartbeat_ms > 0 ? config->heartbeat_ms : 1000;
    self->liveness = config->liveness > 0 ? config->liveness : 3;
    self->heartbeat_timer = -1;
    self->expiry_timer = -1;
    self->next_corr = 1;
    uint32_t tag = 0;
    if (getrandom(&tag, sizeof tag, GRND_NONBLOCK) != (ssize_t)sizeof tag)
        tag = (uint32_t)getpid() ^ (uint32_t)zclock_usecs();
    self->ready_tag = (uint64_t)(tag ? tag : 1) << 32; /* 0 means "no tag" to the broker */
    if (!self->endpoint || !self->service || !self->node ||
        (any_key && (!self->curve_server_public || !self->curve_public || !self->curve_secret)) ||
        !(self->pending = s_pending_new()) || s_socket_open(self) != 0) {
        broker_client_destroy(&self);
        return NULL;
    }
    int64_t now = zclock_mono();
    self->broker_expiry = now + (int64_t)self->heartbeat_ms * self->liveness;
    self->heartbeat_at = now + self->heartbeat_ms;
    self->held = config->hold_ready;
    s_send_ready(self);
    if (any_key)
        log_info("broker: node %s (service %s) %s with %s (CURVE)", self->node, self->service,
                 self->held ? "will register" : "registering", self->endpoint);
    else
        log_warn("broker: node %s (service %s) %s with %s over PLAIN TCP: neither side is "
                 "authenticated and nothing is encrypted",
                 self->node, self->service, self->held ? "will register" : "registering",
                 self->endpoint);
    return self;
}

void broker_client_announce(broker_client_t *self)
{
    if (!self || !self->held)
        return;
    self->held = false;
    /* the broker's silence counts from now: nothing could have come before READY */
    int64_t now = zclock_mono();
    self->broker_expiry = now + (int64_t)self->heartbeat_ms * self->liveness;
    self->heartbeat_at = now + self->heartbeat_ms;
    s_send_ready(self);
    log_debug("broker: node %s ready", self->node);
}

void broker_client_destroy(broker_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_client_t *self = *self_p;
    if (self->sock && !self->replaced)
        s_send_control(self, ENVELOPE_DISCONNECT);
    while (self->head) {
        pending_t *p = self->head;
        s_pending_remove(self, p);
        free(p);
    }
    zhashx_destroy(&self->pending);
    zframe_destroy(&self->call_body);
    zsock_destroy(&self->sock);
    free(self->endpoint);
    free(self->service);
    free(self->node);
    free(self->curve_server_public);
    free(self->curve_public);
    free(self->curve_secret);
    free(self);
    *self_p = NULL;
}

int broker_client_attach(broker_client_t *self, zloop_t *loop,
                         broker_client_on_message_fn *on_message, void *arg)
{
    if (!self || !loop || self->loop)
        return -1;
    self->loop = loop;
    self->on_message = on_message;
    self->on_message_arg = arg;
    if (self->sock) {
        if (zloop_reader(loop, self->sock, s_on_readable, self) != 0) {
            self->loop = NULL;
            return -1;
        }
        zloop_reader_set_tolerant(loop, self->sock);
    }
    self->heartbeat_timer = zloop_timer(loop, (size_t)self->heartbeat_ms, 0, s_on_heartbeat, self);
    if (self->heartbeat_timer == -1) {
        broker_client_detach(self);
        return -1;
    }
    s_arm(self);
    return 0;
}

void broker_client_detach(broker_client_t *self)
{
    if (!self || !self->loop)
        return;
    if (self->sock)
        zloop_reader_end(self->loop, self->sock);
    if (self->heartbeat_timer != -1)
        zloop_timer_end(self->loop, self->heartbeat_timer);
    if (self->expiry_timer != -1)
        zloop_timer_end(self->loop, self->expiry_timer);
    self->heartbeat_timer = self->expiry_timer = -1;
    self->loop = NULL;
    self->on_message = NULL;
    self->on_message_arg = NULL;
}

void broker_client_set_load(broker_client_t *self, uint32_t load)
{
    if (self)
        self->load = load;
}

int broker_client_request(broker_client_t *self, const char *service, const char *node,
                          uint16_t type, const void *body, size_t len, int timeout_ms,
                          broker_client_on_reply_fn *on_reply, void *arg)
{
    if (!self || !self->loop || !on_reply)
        return -1;
    envelope_t env;
    if (s_target(&env, ENVELOPE_REQUEST, service, node, type) != 0)
        return -1;
    pending_t *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    env.corr = self->next_corr++;
    env.load = self->load;
    if (s_send(self, &env, body, len) != 0) {
        free(p);
        return -1;
    }
    p->corr = env.corr;
    p->deadline = zclock_mono() + (timeout_ms > 0 ? timeout_ms : BC_DEFAULT_TIMEOUT_MS);
    p->on_reply = on_reply;
    p->arg = arg;
    p->type = type;
    strcpy(p->service, env.service);
    strcpy(p->node, env.node);
    if (s_pending_add(self, p) != 0) {
        /* Sent but untrackable (out of memory): the reply, if any, will be dropped. */
        free(p);
        return -1;
    }
    s_arm(self);
    return 0;
}

int broker_client_reply(broker_client_t *self, const envelope_t *request, uint16_t type,
                        const void *body, size_t len)
{
    if (!self || !request)
        return -1;
    envelope_t env;
    memset(&env, 0, sizeof env);
    env.kind = ENVELOPE_REPLY;
    env.type = type;
    env.corr = request->corr;
    env.load = self->load;
    snprintf(env.service, sizeof env.service, "%s", request->service);
    snprintf(env.node, sizeof env.node, "%s", request->from);
    if (!*env.node) {
        log_warn("broker: cannot reply to a request without a sender node");
        return -1;
    }
    return s_send(self, &env, body, len);
}

int broker_client_notify(broker_client_t *self, const char *service, const char *node,
                         uint16_t type, const void *body, size_t len)
{
    if (!self)
        return -1;
    envelope_t env;
    if (s_target(&env, ENVELOPE_NOTIFY, service, node, type) != 0)
        return -1;
    env.corr = self->next_corr++;
    env.load = self->load;
    return s_send(self, &env, body, len);
}

/* One blocking exchange; returns 0 with the answer in self->call_env/call_body, or
 * -ROUTE_ERR_TIMEOUT / -ROUTE_ERR_UNDELIVERABLE. */
static int s_call_once(broker_client_t *self, envelope_t *env, const void *body, size_t len,
                       int64_t deadline)
{
    env->corr = self->next_corr++;
    env->load = self->load;
    if (s_send(self, env, body, len) != 0)
        return -ROUTE_ERR_UNDELIVERABLE;
    self->call_corr = env->corr;
    self->call_done = false;
    while (!self->call_done) {
        int64_t now = zclock_mono();
        if (now >= deadline)
            break;
        s_tick(self, now, false);
        s_expire(self, now);
        int64_t wait = deadline - now;
        if (self->heartbeat_at - now < wait)
            wait = self->heartbeat_at - now;
        /* wake at the broker's expiry too: a dead broker is noticed (and the socket rebuilt)
         * on time, not at the next heartbeat, which may come after the call's deadline */
        if (self->broker_expiry - now < wait)
            wait = self->broker_expiry - now;
        if (self->head && self->head->deadline - now < wait)
            wait = self->head->deadline - now;
        if (wait < 1)
            wait = 1;
        if (!self->sock)
            continue;
        zmq_pollitem_t item = {zsock_resolve(self->sock), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)wait);
        if (rc < 0 && zmq_errno() == ETERM)
            break;
        if (rc > 0)
            s_receive(self, BC_RECV_BATCH);
    }
    self->call_corr = 0;
    return self->call_done ? 0 : -ROUTE_ERR_TIMEOUT;
}

int broker_client_call(broker_client_t *self, const char *service, const char *node, uint16_t type,
                       const void *body, size_t len, int timeout_ms, envelope_t *reply_env,
                       zframe_t **reply_body)
{
    if (reply_body)
        *reply_body = NULL;
    if (!self || self->call_corr)
        return -ROUTE_ERR_UNDELIVERABLE;
    envelope_t env;
    if (s_target(&env, ENVELOPE_REQUEST, service, node, type) != 0)
        return -ROUTE_ERR_BAD_ENVELOPE;
    int64_t deadline = zclock_mono() + (timeout_ms > 0 ? timeout_ms : BC_DEFAULT_TIMEOUT_MS);
    /* Catch up first: heartbeats queued while the caller was busy elsewhere keep the broker
     * alive in our eyes, and a due heartbeat or re-registration goes out before the request. */
    s_receive(self, BC_RECV_BATCH);
    s_tick(self, zclock_mono(), false);

    int rc = s_call_once(self, &env, body, len, deadline);
    if (rc == 0 && self->call_env.kind == ENVELOPE_ERROR &&
        self->call_env.error == ROUTE_ERR_NOT_READY && !self->replaced) {
        /* The broker forgot us (restart, or we were idle past its expiry): the DISCONNECT
         * that came with this error made us register again, so one retry is worth it. */
        zframe_destroy(&self->call_body);
        if (zclock_mono() - self->ready_sent_at > self->heartbeat_ms)
            s_send_ready(self);
        rc = s_call_once(self, &env, body, len, deadline);
    }
    if (rc != 0)
        return rc;
    zframe_t *answer = self->call_body;
    self->call_body = NULL;
    if (self->call_env.kind != ENVELOPE_REPLY) {
        zframe_destroy(&answer);
        int error = self->call_env.error ? self->call_env.error : ROUTE_ERR_UNDELIVERABLE;
        return -error;
    }
    if (reply_env)
        *reply_env = self->call_env;
    if (reply_body)
        *reply_body = answer;
    else
        zframe_destroy(&answer);
    return 0;
}

bool broker_client_connected(broker_client_t *self)
{
    return self && self->connected;
}

const char *broker_client_node(broker_client_t *self)
{
    return self ? self->node : "";
}

uint64_t broker_client_drops(broker_client_t *self)
{
    return self ? self->drops : 0;
}
