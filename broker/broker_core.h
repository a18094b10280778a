/* broker_core.h - the broker's routing state, with no sockets in it.
 *
 * Who is registered (ZeroMQ routing identity, service, node name, load), when each actor was
 * last heard from, and which instance of a service gets the next message. The socket side
 * (broker_server.c) asks it questions and tells it what happened; this file never sends
 * anything, which is what lets the unit test drive it directly.
 *
 * Costs, since this sits on the per-message path: identity, node and service lookups are hash
 * tables (O(1)); "heard from" is an intrusive list kept in last-seen order, so touching an actor is
 * a few pointer moves and finding the expired ones looks only at the oldest; picking an instance
 * scans the instances of one service (a handful). No allocation per message: actors are only
 * allocated on READY and are recycled through a free list.
 *
 * One thread (the broker's loop) owns a broker_core_t. Times are monotonic milliseconds given
 * by the caller, so tests control the clock.
 */
#ifndef USCHAT_BROKER_CORE_H
#define USCHAT_BROKER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/envelope.h"

#define BROKER_IDENTITY_MAX 255 /* ZeroMQ routing ids are 1..255 bytes */

typedef struct broker_core_t broker_core_t;
typedef struct broker_service_t broker_service_t;
typedef struct broker_actor_t broker_actor_t;

/* A registered actor. The fields above the line may be read by the broker; only
 * broker_core.c writes them. */
struct broker_actor_t {
    uint8_t identity[BROKER_IDENTITY_MAX];
    uint8_t identity_len;
    char service[ENVELOPE_SERVICE_MAX];
    char node[ENVELOPE_NODE_MAX];
    uint32_t load;      /* as last reported with READY or HEARTBEAT */
    uint32_t routed;    /* messages routed to it since that report (plus penalties) */
    int64_t ready_at;   /* when it registered */
    int64_t last_seen;  /* last traffic from it */
    uint64_t msgs_in;   /* messages it sent that the broker routed */
    uint64_t msgs_out;  /* messages routed to it */
    uint64_t ready_tag; /* the corr of its latest READY (set by the server): sender tag | count */
    /* ---- private to broker_core.c ---- */
    broker_actor_t *identity_next; /* hash chain by identity */
    broker_actor_t *seen_prev;     /* the last-seen list, oldest first */
    broker_actor_t *seen_next;
    broker_service_t *svc;
    size_t svc_slot; /* index in svc's instance array */
};

/* heartbeat_ms * liveness is how long an actor may stay silent. Returns NULL when out of
 * memory. Caller owns the result. */
broker_core_t *broker_core_new(int heartbeat_ms, int liveness);
/* Frees every actor and service. NULL-safe; NULLs the caller's pointer. */
void broker_core_destroy(broker_core_t **self_p);

/* Registers a new actor. The identity and the node name must not be registered already (the
 * caller removes an older holder first: that is the "replaced" rule, which needs a message to
 * the old one). service and node are non-empty. Returns the actor, or NULL when out of memory
 * or the arguments are invalid. The actor belongs to the core. */
broker_actor_t *broker_core_add(broker_core_t *self, const uint8_t *identity, size_t identity_len,
                                const char *service, const char *node, uint32_t load, int64_t now);
/* Unregisters and recycles the actor; the pointer is invalid afterwards. */
void broker_core_remove(broker_core_t *self, broker_actor_t *actor);

broker_actor_t *broker_core_find_identity(broker_core_t *self, const uint8_t *identity,
                                          size_t identity_len);
broker_actor_t *broker_core_find_node(broker_core_t *self, const char *node);

/* Traffic from the actor: it is alive at now. */
void broker_core_touch(broker_core_t *self, broker_actor_t *actor, int64_t now);
/* A fresh load report (READY or HEARTBEAT): replaces the load, forgets routed. */
void broker_core_report(broker_core_t *self, broker_actor_t *actor, uint32_t load);
/* The actor's queue was full: make it look busier until its next report. */
void broker_core_penalize(broker_core_t *self, broker_actor_t *actor);

/* The live instance of service with the least (load + routed), ties taken in turn; counts the
 * pick as routed to it. NULL when the service has no instance. */
broker_actor_t *broker_core_pick(broker_core_t *self, const char *service);
/* Instances of a service (0 when unknown). */
size_t broker_core_service_size(broker_core_t *self, const char *service);

/* The actor silent the longest, if it has been silent for heartbeat_ms * liveness at now;
 * else NULL. Call it until NULL, removing each. */
broker_actor_t *broker_core_expired(broker_core_t *self, int64_t now);
/* When the next actor expires if nobody speaks (INT64_MAX when nobody is registered). */
int64_t broker_core_next_expiry(broker_core_t *self);

/* Iteration in last-seen order (oldest first). Removing the current actor is allowed if the
 * caller took its successor first. */
broker_actor_t *broker_core_first(broker_core_t *self);
broker_actor_t *broker_core_next(broker_core_t *self, broker_actor_t *actor);
size_t broker_core_size(broker_core_t *self);

#endif
