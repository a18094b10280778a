/* chat_seen.c - the last node each peer was found on (chat_seen.h). Worker threads. */
#include "chat_seen.h"

#include <stdio.h>
#include <string.h>

static chat_seen_slot_t *s_slot(const chat_seen_t *seen, uint64_t uid)
{
    /* uids are sequential: multiply to spread neighbours over the slots */
    uint64_t h = uid * 0x9E3779B97F4A7C15ull;
    return (chat_seen_slot_t *)&seen->slots[(h >> 56) % CHAT_SEEN_SLOTS];
}

void chat_seen_put(chat_seen_t *seen, uint64_t uid, const char *node, uint64_t session)
{
    chat_seen_slot_t *slot = s_slot(seen, uid);
    if (!node || !node[0]) {
        if (slot->uid == uid)
            slot->uid = 0;
        return;
    }
    slot->uid = uid;
    slot->session = session;
    snprintf(slot->node, sizeof slot->node, "%s", node);
}

bool chat_seen_get(const chat_seen_t *seen, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                   uint64_t *session)
{
    const chat_seen_slot_t *slot = s_slot(seen, uid);
    if (!uid || slot->uid != uid)
        return false;
    memcpy(node, slot->node, ENVELOPE_NODE_MAX);
    *session = slot->session;
    return true;
}
