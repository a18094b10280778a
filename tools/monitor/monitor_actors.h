/* monitor_actors.h - the live actors as seen on the broker's tap: READY and DISCONNECT events,
 * heartbeats (with their load), expiry.
 *
 * Used by uschat-monitor --stats and by uschat-ctl when the broker cannot be asked directly.
 * A tap subscriber only sees what happens after it connected, so an actor first seen through
 * its heartbeat has an unknown start time (ready_us 0). One thread at a time.
 */
#ifndef USCHAT_MONITOR_ACTORS_H
#define USCHAT_MONITOR_ACTORS_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor_view.h"

typedef struct {
    char node[ENVELOPE_NODE_MAX];
    char service[ENVELOPE_SERVICE_MAX];
    uint64_t ready_us;          /* when it said READY; 0 = before we started watching */
    uint64_t last_heartbeat_us; /* 0 = none seen yet */
    uint64_t last_seen_us;      /* any traffic from it */
    uint32_t load;
} monitor_actor_t;

typedef struct monitor_actors_t monitor_actors_t;

/* Caller owns the result; NULL when out of memory. */
monitor_actors_t *monitor_actors_new(void);
void monitor_actors_destroy(monitor_actors_t **self_p);

/* Feeds one tap item (every item, before any user filter). */
void monitor_actors_update(monitor_actors_t *self, const tap_item_t *item);

/* Forgets actors not heard of for max_silence_us (an expiry event we may have missed). */
void monitor_actors_expire(monitor_actors_t *self, uint64_t now_us, uint64_t max_silence_us);

/* The live actors sorted by service then node. *count gets their number. The array belongs to
 * self and stays valid until the next call on self. */
const monitor_actor_t *monitor_actors_list(monitor_actors_t *self, size_t *count);

#endif
