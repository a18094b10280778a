/* chat_seen.c - the last node each peer was found on (chat_seen.h). Workers of one node. */
#include "chat_seen.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t uid; /* 0 = empty */
    uint64_t session;
    char node[ENVELOPE_NODE_MAX];
} s_slot_t;

struct chat_seen_t {
    pthread_mutex_t lock;
    s_slot_t slots[CHAT_SEEN_SLOTS];
};

chat_seen_t *chat_seen_new(void)
{
    chat_seen_t *self = calloc(1, sizeof *self);
    if (self && pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        self = NULL;
    }
    return self;
}

void chat_seen_destroy(chat_seen_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

static s_slot_t *s_slot(chat_seen_t *self, uint64_t uid)
{
    /* uids are sequential: multiply to spread neighbours over the slots */
    uint64_t h = uid * 0x9E3779B97F4A7C15ull;
    return &self->slots[(h >> 32) % CHAT_SEEN_SLOTS];
}

void chat_seen_put(chat_seen_t *self, uint64_t uid, const char *node, uint64_t session)
{
    if (!self || !uid)
        return;
    pthread_mutex_lock(&self->lock);
    s_slot_t *slot = s_slot(self, uid);
    if (node && node[0]) {
        slot->uid = uid;
        slot->session = session;
        snprintf(slot->node, sizeof slot->node, "%s", node);
    } else if (slot->uid == uid) {
        slot->uid = 0;
    }
    pthread_mutex_unlock(&self->lock);
}

bool chat_seen_get(chat_seen_t *self, uint64_t uid, char node[ENVELOPE_NODE_MAX], uint64_t *session)
{
    if (!self || !uid)
        return false;
    pthread_mutex_lock(&self->lock);
    const s_slot_t *slot = s_slot(self, uid);
    bool found = slot->uid == uid;
    if (found) {
        memcpy(node, slot->node, ENVELOPE_NODE_MAX);
        *session = slot->session;
    }
    pthread_mutex_unlock(&self->lock);
    return found;
}
