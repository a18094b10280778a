/* tap.h - the records the broker publishes on its tap (PUB) socket for the monitor tool.
 *
 * Every tap message is multipart: [topic][record][envelope?][body?]. topic is "msg" for a
 * routed message (envelope and body follow, as they were routed) or "evt" for a broker event
 * (socket connected/disconnected/handshake failed, actor ready/expired/replaced/disconnected).
 * The record is a msgpack map; no I/O here; thread-safe.
 */
#ifndef USCHAT_TAP_H
#define USCHAT_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

#define TAP_TOPIC_MSG       "msg"
#define TAP_TOPIC_EVENT     "evt"
#define TAP_RECORD_MAX_SIZE 512

typedef struct {
    uint64_t time_us;                        /* wall clock, microseconds since the epoch */
    char event[32];                          /* "evt" only: "connected", "disconnected",
                                                "handshake_failed", "ready", "expired",
                                                "replaced", "disconnect", "unroutable" */
    char from_service[ENVELOPE_SERVICE_MAX]; /* who sent it (for an event: the actor) */
    char from_node[ENVELOPE_NODE_MAX];
    char to_service[ENVELOPE_SERVICE_MAX]; /* where it went ("" for events) */
    char to_node[ENVELOPE_NODE_MAX];
    char peer[64]; /* socket events: the peer address if known */
    uint32_t size; /* envelope + body bytes */
} tap_record_t;

int tap_record_encode(const tap_record_t *r, uint8_t *buf, size_t cap); /* bytes or < 0 */
int tap_record_decode(const uint8_t *buf, size_t len, tap_record_t *r); /* 0 or < 0 */

#endif
