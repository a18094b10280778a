/* chat_presence.h - where each user is connected, kept in Redis (chat_presence.c): the login
 * script, lookups of a uid's node, the TTL refresh of this node's sessions and the clear of
 * sessions that ended.
 *
 * Beside the layers: connections, jobs and the store call it; it includes none of them.
 * Threads: each function says (worker or I/O thread).
 */
#ifndef USCHAT_CHAT_PRESENCE_H
#define USCHAT_CHAT_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "uschat/envelope.h"

typedef struct chat_node_t chat_node_t;
typedef struct chat_worker_t chat_worker_t;

/* The Redis key of a uid's session number (a counter bumped by every login; see
 * chat_presence.c). The other keys are in uschat/redis_keys.h. */
#define CHAT_REDIS_KEY_USN "usn_"

typedef struct {
    uint64_t uid;
    uint64_t session;
} chat_presence_item_t;

typedef struct {
    chat_presence_item_t *items;
    size_t count, cap;
} chat_presence_list_t;

/* Worker: the login script (token check, session number, uip_). Returns 1 and sets
 * job->session / job->old_node when the token is right, 0 when wrong, -1 when Redis failed. */
int chat_presence_login(chat_worker_t *worker, uint64_t uid, const char *token, uint64_t *session,
                        char old_node[ENVELOPE_NODE_MAX]);
/* Worker: the node name (and session) of uid's live session; node "" when offline.
 * 0 or -1 (Redis failed and the node uid was last found on is not known). While Redis fails,
 * the answer is the node uid was last found on (chat_seen.h). */
int chat_presence_lookup(chat_worker_t *worker, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                         uint64_t *session);
/* Worker: the same for n uids in one round trip; nodes[i] "" when offline. 0 or -1. */
int chat_presence_lookup_many(chat_worker_t *worker, const uint64_t *uids, size_t n,
                              char (*nodes)[ENVELOPE_NODE_MAX], uint64_t *sessions);
/* I/O thread: queue a presence clear of (uid, session) (sent in batches). */
void chat_presence_clear_later(chat_node_t *node, uint64_t uid, uint64_t session);
/* I/O thread: once a second, refresh the TTL of a slice of the sessions (every session once
 * per third of presence_ttl_s) and send the pending clears. */
void chat_presence_tick(chat_node_t *node);
/* I/O thread: send the pending clears now (end of an event batch). */
void chat_presence_flush(chat_node_t *node);
/* Shutdown: clears the presence of every session still bound, synchronously on a private
 * Redis connection (the pool is gone by then). */
void chat_presence_clear_all_sync(chat_node_t *node, const chat_presence_list_t *list);
int chat_presence_list_add(chat_presence_list_t *list, uint64_t uid, uint64_t session);
void chat_presence_list_free(chat_presence_list_t *list);

#endif
