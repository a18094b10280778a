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
#include <czmq.h>
#include <zmq.h>

typedef struct broker_tap_t broker_tap_t;

/* Binds an XPUB at endpoint in the CZMQ context. With cert (the broker's key pair, not kept)
 * the tap is a CURVE server in ZAP domain zap_domain, so only keys the broker's ZAP handler
 * lets read the tap get anything; NULL = plain. NULL (logged) when it cannot bind. Caller owns
 * the result. */
broker_tap_t *broker_tap_new(const char *endpoint, zcert_t *cert, const char *zap_domain);
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

/* Publishes a routed message: envelope and body are moved (left empty); body may be NULL.
 * type is the envelope's message type: the fields the message table marks secret go out as
 * "***" (msg_mask_secrets), and a body that is not well-formed msgpack does not go at all. */
void broker_tap_message(broker_tap_t *self, const char *from_service, const char *from_node,
                        const char *to_service, const char *to_node, uint16_t type,
                        zmq_msg_t *envelope, zmq_msg_t *body);

/* Publishes an event ("ready", "expired", ...; see tap.h). Any string may be NULL (empty);
 * envelope (may be NULL) is an encoded envelope to attach, copied. */
void broker_tap_event(broker_tap_t *self, const char *event, const char *service, const char *node,
                      const char *peer, const uint8_t *envelope, size_t envelope_len);

/* Publishes event "refused": a key refused at the handshake (what "handshake", or "tap" on
 * the tap) or a READY refused (what "ready", with the service and node asked for). The record
 * carries service/node as from, what/key as to, and the peer address. NULL-safe. */
void broker_tap_refusal(broker_tap_t *self, const char *what, const char *service, const char *node,
                        const char *key, const char *peer);

#endif
