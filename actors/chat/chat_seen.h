/* chat_seen.h - the node each peer was last found on, kept by a worker for when Redis cannot
 * be asked.
 *
 * A push goes to the node in uip_<uid>. While Redis is unreachable that lookup fails, and a
 * peer that is online would miss its pushes until it syncs. Every successful lookup is noted
 * here (a user found offline is forgotten), and a failed one falls back to the last node seen:
 * a stale entry costs only a push the other node drops (it checks the session). Direct-mapped
 * by uid, fixed size, no allocation. One per worker thread; not thread-safe.
 */
#ifndef USCHAT_CHAT_SEEN_H
#define USCHAT_CHAT_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "uschat/envelope.h"

#define CHAT_SEEN_SLOTS 256

typedef struct {
    uint64_t uid; /* 0 = empty */
    uint64_t session;
    char node[ENVELOPE_NODE_MAX];
} chat_seen_slot_t;

typedef struct {
    chat_seen_slot_t slots[CHAT_SEEN_SLOTS];
} chat_seen_t;

/* Notes where uid was found: node "" (offline) forgets it. */
void chat_seen_put(chat_seen_t *seen, uint64_t uid, const char *node, uint64_t session);
/* The last node uid was found on, with its session; false when not known. */
bool chat_seen_get(const chat_seen_t *seen, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                   uint64_t *session);

#endif
