/* broker_tap.c - the broker's tap socket (see broker_tap.h).
 *
 * Called from the broker's loop thread only. Subscriptions arrive on the XPUB as
 * [1|0][topic]; libzmq passes up only the first subscription to a topic and the last
 * unsubscription (also when a subscriber disconnects), so counting them per topic gives
 * "somebody listens". A topic frame "msg" reaches subscribers whose topic is a prefix of it:
 * "", "m", "ms" or "msg" -- those are the ones counted.
 */
#include "broker_tap.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/tap.h"

struct broker_tap_t {
    zsock_t *sock;
    void *handle;
    int msg_topics; /* subscribed topics that are a prefix of "msg" */
    int evt_topics;
    bool sent; /* written to since the last read of subscriptions */
    char endpoint[256];
};

broker_tap_t *broker_tap_new(const char *endpoint, zcert_t *cert, const char *zap_domain)
{
    broker_tap_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->sock = zsock_new(ZMQ_XPUB);
    if (!self->sock) {
        log_error("tap: cannot create socket");
        broker_tap_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->sock, 0);
    zsock_set_sndhwm(self->sock, 10000);
    if (cert) {
        zcert_apply(cert, self->sock);
        zsock_set_curve_server(self->sock, 1);
        zsock_set_zap_domain(self->sock, zap_domain);
    }
    if (zsock_bind(self->sock, "%s", endpoint) < 0) {
        log_error("tap: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        broker_tap_destroy(&self);
        return NULL;
    }
    self->handle = zsock_resolve(self->sock);
    char *last = zsock_last_endpoint(self->sock);
    snprintf(self->endpoint, sizeof(self->endpoint), "%s", last ? last : endpoint);
    zstr_free(&last);
    return self;
}

void broker_tap_destroy(broker_tap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_tap_t *self = *self_p;
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

void *broker_tap_handle(broker_tap_t *self)
{
    return self ? self->handle : NULL;
}

const char *broker_tap_endpoint(broker_tap_t *self)
{
    return self ? self->endpoint : "";
}

static bool s_is_prefix(const uint8_t *topic, size_t len, const char *of)
{
    return len <= strlen(of) && memcmp(topic, of, len) == 0;
}

void broker_tap_read_subscriptions(broker_tap_t *self)
{
    self->sent = false;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (zmq_msg_recv(&msg, self->handle, ZMQ_DONTWAIT) >= 0) {
        const uint8_t *data = zmq_msg_data(&msg);
        size_t size = zmq_msg_size(&msg);
        if (size == 0 || data[0] > 1)
            continue; /* not a subscription message */
        int delta = data[0] == 1 ? 1 : -1;
        if (s_is_prefix(data + 1, size - 1, TAP_TOPIC_MSG))
            self->msg_topics += delta;
        if (s_is_prefix(data + 1, size - 1, TAP_TOPIC_EVENT))
            self->evt_topics += delta;
        if (self->msg_topics < 0)
            self->msg_topics = 0;
        if (self->evt_topics < 0)
            self->evt_topics = 0;
        log_debug("tap: %s '%.*s' (msg %d, evt %d)", delta > 0 ? "subscribe" : "unsubscribe",
                  (int)(size - 1), (const char *)data + 1, self->msg_topics, self->evt_topics);
    }
    zmq_msg_close(&msg);
}

bool broker_tap_sent_since_read(const broker_tap_t *self)
{
    return self && self->sent;
}

bool broker_tap_wants_messages(const broker_tap_t *self)
{
    return self && self->msg_topics > 0;
}

bool broker_tap_wants_events(const broker_tap_t *self)
{
    return self && self->evt_topics > 0;
}

static uint64_t s_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void s_copy(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t len = strnlen(src, cap - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Sends topic and record (more: frames follow); returns 0 or -1 (then nothing was sent). */
static int s_send_head(broker_tap_t *self, const char *topic, const tap_record_t *record, bool more)
{
    uint8_t buf[TAP_RECORD_MAX_SIZE];
    int len = tap_record_encode(record, buf, sizeof(buf));
    self->sent = true;
    if (len < 0)
        return -1;
    /* XPUB never blocks; it drops for a subscriber at its high-water mark. */
    if (zmq_send(self->handle, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send(self->handle, buf, (size_t)len, more ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT) <
        0)
        return -1;
    return 0;
}

static void s_release(zmq_msg_t *envelope, zmq_msg_t *body)
{
    zmq_msg_close(envelope);
    zmq_msg_init(envelope);
    if (body) {
        zmq_msg_close(body);
        zmq_msg_init(body);
    }
}

/* Replaces body by a copy without secrets when it has any. Returns 0, or -1 when the body must
 * not go out (not msgpack, or no memory to mask it). */
static int s_mask(uint16_t type, zmq_msg_t *body)
{
    uint8_t *masked = NULL;
    size_t len = 0;
    int rc = msg_mask_secrets(type, zmq_msg_data(body), zmq_msg_size(body), &masked, &len);
    if (rc <= 0)
        return rc == 0 ? 0 : -1;
    zmq_msg_close(body);
    if (zmq_msg_init_size(body, len) < 0) {
        zmq_msg_init(body);
        free(masked);
        return -1;
    }
    memcpy(zmq_msg_data(body), masked, len);
    free(masked);
    return 0;
}

void broker_tap_message(broker_tap_t *self, const char *from_service, const char *from_node,
                        const char *to_service, const char *to_node, uint16_t type,
                        zmq_msg_t *envelope, zmq_msg_t *body)
{
    if (!broker_tap_wants_messages(self)) {
        s_release(envelope, body);
        return;
    }
    /* what the table calls secret never leaves the broker in clear; an unreadable body might
     * hold anything, so it stays here (the record still says how big it was) */
    size_t body_size = body ? zmq_msg_size(body) : 0;
    if (body && s_mask(type, body) < 0) {
        zmq_msg_close(body);
        zmq_msg_init(body);
        body = NULL;
    }
    tap_record_t record;
    memset(&record, 0, sizeof(record));
    record.time_us = s_wall_us();
    s_copy(record.from_service, sizeof(record.from_service), from_service);
    s_copy(record.from_node, sizeof(record.from_node), from_node);
    s_copy(record.to_service, sizeof(record.to_service), to_service);
    s_copy(record.to_node, sizeof(record.to_node), to_node);
    record.size = (uint32_t)(zmq_msg_size(envelope) + body_size);
    if (s_send_head(self, TAP_TOPIC_MSG, &record, true) < 0) {
        s_release(envelope, body);
        return;
    }
    zmq_msg_send(envelope, self->handle, body ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT);
    if (body)
        zmq_msg_send(body, self->handle, ZMQ_DONTWAIT);
}

static void s_event(broker_tap_t *self, const char *event, const char *service, const char *node,
                    const char *to_service, const char *to_node, const char *peer,
                    const uint8_t *envelope, size_t envelope_len)
{
    if (!broker_tap_wants_events(self))
        return;
    tap_record_t record;
    memset(&record, 0, sizeof(record));
    record.time_us = s_wall_us();
    s_copy(record.event, sizeof(record.event), event);
    s_copy(record.from_service, sizeof(record.from_service), service);
    s_copy(record.from_node, sizeof(record.from_node), node);
    s_copy(record.to_service, sizeof(record.to_service), to_service);
    s_copy(record.to_node, sizeof(record.to_node), to_node);
    s_copy(record.peer, sizeof(record.peer), peer);
    record.size = (uint32_t)envelope_len;
    bool with_envelope = envelope && envelope_len > 0;
    if (s_send_head(self, TAP_TOPIC_EVENT, &record, with_envelope) < 0)
        return;
    if (with_envelope)
        zmq_send(self->handle, envelope, envelope_len, ZMQ_DONTWAIT);
}

void broker_tap_event(broker_tap_t *self, const char *event, const char *service, const char *node,
                      const char *peer, const uint8_t *envelope, size_t envelope_len)
{
    s_event(self, event, service, node, NULL, NULL, peer, envelope, envelope_len);
}

void broker_tap_refusal(broker_tap_t *self, const char *what, const char *service, const char *node,
                        const char *key, const char *peer)
{
    s_event(self, "refused", service, node, what, key && *key ? key : "no-key", peer, NULL, 0);
}
