/* envelope.h - the broker envelope: the first frame of every message between an actor and
 * the broker (docs/broker-protocol.md).
 *
 * A message on the broker's ROUTER is [envelope][body?]. The broker decodes only the envelope
 * (fixed fields, bounded strings) and forwards the body frame untouched, so routing costs one
 * small decode and one small encode per message. Encoding: a msgpack array
 * [version, kind, type, corr, load, error, service, node, from]. No I/O; thread-safe.
 */
#ifndef USCHAT_ENVELOPE_H
#define USCHAT_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION     1
#define ENVELOPE_SERVICE_MAX 32  /* including the NUL */
#define ENVELOPE_NODE_MAX    64  /* including the NUL */
#define ENVELOPE_MAX_SIZE    256 /* an encoded envelope never exceeds this */

typedef enum {
    ENVELOPE_READY = 1,     /* actor -> broker: service, node, load */
    ENVELOPE_HEARTBEAT = 2, /* both ways; actor's carries service, node, load */
    ENVELOPE_DISCONNECT = 3,
    ENVELOPE_REQUEST = 4, /* to service (any live instance) or node; expects a REPLY */
    ENVELOPE_REPLY = 5,   /* to the asker's node, corr copied from the request */
    ENVELOPE_NOTIFY = 6,  /* one-way, to service or node */
    ENVELOPE_ERROR = 7,   /* broker -> sender: could not route; or local timeout */
} envelope_kind_t;

typedef enum {
    ROUTE_OK = 0,
    ROUTE_ERR_NO_SERVICE = 1, /* no live instance of the service */
    ROUTE_ERR_NO_NODE = 2,    /* no live node of that name */
    ROUTE_ERR_BAD_ENVELOPE = 3,
    ROUTE_ERR_NOT_READY = 4,     /* sender has not said READY */
    ROUTE_ERR_TIMEOUT = 5,       /* made by the broker client: no reply in time */
    ROUTE_ERR_REPLACED = 6,      /* a newer READY took this node name */
    ROUTE_ERR_UNDELIVERABLE = 7, /* the peer's queue is full or it vanished */
    ROUTE_ERR_FORBIDDEN = 8,     /* READY for a service the sender's key may not register */
} route_error_t;

typedef struct {
    uint8_t kind;   /* envelope_kind_t */
    uint16_t type;  /* message type (message.h), 0 for control messages */
    uint64_t corr;  /* chosen by the asker, echoed by REPLY and ERROR */
    uint32_t load;  /* READY/HEARTBEAT: the sender's load (connections, queue length) */
    uint16_t error; /* ERROR: route_error_t */
    char service[ENVELOPE_SERVICE_MAX]; /* READY/HEARTBEAT: own; REQUEST/NOTIFY: target */
    char node[ENVELOPE_NODE_MAX];       /* READY/HEARTBEAT: own; else target node or "" */
    char from[ENVELOPE_NODE_MAX];       /* set by the broker: the sender's node */
} envelope_t;

/* Returns the number of bytes written to buf, or a negative value when cap is too small. */
int envelope_encode(const envelope_t *e, uint8_t *buf, size_t cap);

/* Decodes untrusted bytes. Returns 0, or a negative value for anything malformed (wrong
 * version, wrong types, a string over its bound, trailing bytes); *e is then zeroed. */
int envelope_decode(const uint8_t *buf, size_t len, envelope_t *e);

const char *envelope_kind_name(int kind); /* "READY", ...; "?" when unknown */
const char *route_error_name(int error);  /* "no_service", ...; "?" when unknown */

#endif
