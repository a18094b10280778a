/* chat_seen.h - the node each peer was last found on, for when Redis cannot be asked.
 *
 * A push goes to the node in uip_<uid>. While Redis is unreachable that lookup fails, and a
 * peer that is online would miss its pushes until it syncs; a Redis restarted empty knows
 * nobody until the sessions' next refresh. Every successful lookup is noted here (a user found
 * offline is forgotten), and one that failed, or found Redis empty for that user, falls back
 * to the last node seen:
 * a stale entry costs only a push the other node drops (it checks the session). Direct-mapped
 * by uid, fixed size, allocated once. One per chat node, shared by its workers under a mutex
 * (held for a copy of one entry).
 */
#ifndef USCHAT_CHAT_SEEN_H
#define USCHAT_CHAT_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "uschat/envelope.h"

#define CHAT_SEEN_SLOTS 1024

typedef struct chat_seen_t chat_seen_t;

/* NULL when out of memory. Caller owns it: chat_seen_destroy. */
chat_seen_t *chat_seen_new(void);
void chat_seen_destroy(chat_seen_t **self_p);
/* Notes where uid was found: node "" (offline) forgets it. Any thread. */
void chat_seen_put(chat_seen_t *self, uint64_t uid, const char *node, uint64_t session);
/* The last node uid was found on, with its session; false when not known. Any thread. */
bool chat_seen_get(chat_seen_t *self, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                   uint64_t *session);

#endif
