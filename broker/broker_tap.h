/* broker_tap.h - the broker's tap: a copy of every routed message and every broker event,
 * published for the monitor tool (record format in schema's tap.h).
 *
 * The socket is an XPUB, which SUB clients see as an ordinary PUB, so the broker learns when
 * somebody subscribes: with no subscriber to a topic, publishing it costs one flag test (no
 * record encoding, no frame copies). Publishing never blocks: a slow subscriber loses messages
 * (its high-water mark), never slows routing.
 *
 * Used by the broker's loop thread only.
 */
#ifndef USCHAT_BROKER_TAP_H
#define USCHAT_BROKER_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

typedef struct broker_tap_t broker_tap_t;

/* Binds an XPUB at endpoint in the CZMQ context. NULL (logged) when it cannot bind. Caller
 * owns the result. */
broker_tap_t *broker_tap_new(const char *endpoint);
void broker_tap_destroy(broker_tap_t **self_p);

/* The libzmq socket, for zmq_poll (readable = subscription changes to read). */
void *broker_tap_handle(broker_tap_t *self);
/* Reads pending (un)subscriptions. Call when the handle is readable. */
void broker_tap_read_subscriptions(broker_tap_t *self);
/* True when something was published since the last read_subscriptions(): publishing may
 * consume the socket's readiness signal, so the loop reads subscriptions before sleeping. */
bool broker_tap_sent_since_read(const broker_tap_t *self);
/* The last bound endpoint (with the real port when bound to :*). */
const char *broker_tap_endpoint(broker_tap_t *self);

/* Whether anybody listens to "msg" / "evt"; NULL-safe (false). */
bool broker_tap_wants_messages(const broker_tap_t *self);
bool broker_tap_wants_events(const broker_tap_t *self);

/* Publishes a routed message: envelope and body are moved (left empty); body may be NULL. */
void broker_tap_message(broker_tap_t *self, const char *from_service, const char *from_node,
                        const char *to_service, const char *to_node, zmq_msg_t *envelope,
                        zmq_msg_t *body);

/* Publishes an event ("ready", "expired", ...; see tap.h). Any string may be NULL (empty);
 * envelope (may be NULL) is an encoded envelope to attach, copied. */
void broker_tap_event(broker_tap_t *self, const char *event, const char *service, const char *node,
                      const char *peer, const uint8_t *envelope, size_t envelope_len);

#endif
