/* chat_pushq.c - pushes for other nodes that wait while the broker link is down
 * (chat_pushq.h).
 *
 * Runs on the chat node's I/O thread only (the broker client is that thread's). The link's
 * state is sampled at every send and every tick: a fall of broker_client_connected() resets
 * the time the link came up, so queued pushes are held until the restarted broker has had
 * settle_ms to hear from every node again.
 */
#include "chat_pushq.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/log.h"

#define PUSHQ_NODE_MAX 64 /* a broker node name fits (envelope.h) */

typedef struct pushq_item_t {
    struct pushq_item_t *next;
    char target[PUSHQ_NODE_MAX];
    uint16_t type;
    size_t len;
    uint8_t body[]; /* len bytes */
} pushq_item_t;

struct chat_pushq_t {
    pushq_item_t *head, *tail;
    size_t items, bytes, max_items, max_bytes;
    int64_t settle_ms;
    int64_t up_since; /* monotonic ms the link was first seen up, 0 while down */
    uint64_t dropped;
};

chat_pushq_t *chat_pushq_new(size_t max_items, size_t max_bytes, int64_t settle_ms)
{
    chat_pushq_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->max_items = max_items;
    self->max_bytes = max_bytes;
    self->settle_ms = settle_ms;
    return self;
}

void chat_pushq_destroy(chat_pushq_t **self_p)
{
    chat_pushq_t *self = *self_p;
    if (!self)
        return;
    if (self->items)
        log_warn("chat: %zu pushes for other nodes dropped: the broker link did not come back "
                 "before the node stopped",
                 self->items);
    while (self->head) {
        pushq_item_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    free(self);
    *self_p = NULL;
}

/* Samples the link; true when queued pushes may go now. */
static bool s_link_ready(chat_pushq_t *self, broker_client_t *broker, int64_t now)
{
    if (!broker_client_connected(broker)) {
        self->up_since = 0;
        return false;
    }
    if (!self->up_since)
        self->up_since = now;
    return now - self->up_since >= self->settle_ms;
}

int chat_pushq_send(chat_pushq_t *self, broker_client_t *broker, const char *target, uint16_t type,
                    const uint8_t *body, size_t len, int64_t now)
{
    bool up = broker_client_connected(broker);
    s_link_ready(self, broker, now);
    if (up && !self->head && broker_client_notify(broker, "chat", target, type, body, len) == 0)
        return 0;
    if (strlen(target) >= PUSHQ_NODE_MAX || self->items >= self->max_items ||
        len > self->max_bytes - self->bytes) {
        if (self->dropped++ % 1000 == 0)
            log_warn("chat: broker link down and %zu pushes (%zu bytes) waiting: a push to %s "
                     "dropped (%llu so far); its peer gets it by sync",
                     self->items, self->bytes, target, (unsigned long long)self->dropped);
        return -ENOBUFS;
    }
    pushq_item_t *item = malloc(sizeof *item + len);
    if (!item)
        return -ENOMEM;
    item->next = NULL;
    snprintf(item->target, sizeof item->target, "%s", target);
    item->type = type;
    item->len = len;
    memcpy(item->body, body, len);
    if (self->tail)
        self->tail->next = item;
    else
        self->head = item;
    self->tail = item;
    if (self->items++ == 0)
        log_info("chat: broker link down: pushes for other nodes wait (at most %zu)",
                 self->max_items);
    self->bytes += len;
    return 1;
}

size_t chat_pushq_flush(chat_pushq_t *self, broker_client_t *broker, int64_t now)
{
    if (!s_link_ready(self, broker, now) || !self->head)
        return 0;
    size_t sent = 0;
    while (self->head) {
        pushq_item_t *item = self->head;
        if (broker_client_notify(broker, "chat", item->target, item->type, item->body, item->len) !=
            0)
            break; /* the send queue is full: the rest at the next tick */
        self->head = item->next;
        if (!self->head)
            self->tail = NULL;
        self->items--;
        self->bytes -= item->len;
        free(item);
        sent++;
    }
    log_info("chat: broker link back: %zu waiting pushes sent, %zu still waiting", sent,
             self->items);
    return sent;
}

size_t chat_pushq_waiting(const chat_pushq_t *self)
{
    return self->items;
}

uint64_t chat_pushq_dropped(const chat_pushq_t *self)
{
    return self->dropped;
}
