/* chat_stages.c - the stage histograms of text messages (chat_stages.h), on the node's I/O
 * thread: the sender's node counts the stages from the frame's read to its push leaving, the
 * peer's node the broker hop and the write of the 1019 (from the stamps the push carries).
 * Histograms are tools/load's (hist.h: exact below 128 us, within 1/128 above).
 */
#include "chat_stages.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hist.h"
#include "uschat/log.h"

typedef enum {
    H_LANE,   /* read -> submit: waiting for the lane's batch before */
    H_POOL,   /* submit -> start: waiting for a worker */
    H_TX,     /* start -> commit: the transaction */
    H_BUILT,  /* commit -> built: replies and the peers' presence (Redis) */
    H_BACK,   /* built -> ack: back to the I/O thread and the 1018 written */
    H_ACKED,  /* read -> ack */
    H_PUSH,   /* ack -> sent: the push written here or handed to the broker */
    H_LOCAL,  /* read -> sent for a peer on the same node: its delivery */
    H_HOP,    /* sent -> recv: the broker hop to the peer's node */
    H_WRITE,  /* recv -> write: the 1019 written on the peer's node */
    H_REMOTE, /* read -> write for a peer on another node: its delivery */
    H_COUNT
} chat_hist_t;

static const char *const s_names[H_COUNT] = {"lane", "pool",   "tx",  "replies", "back+ack", "=ack",
                                             "push", "=local", "hop", "write",   "=remote"};

struct chat_stages_t {
    hist_t hist[H_COUNT];
};

int64_t chat_stages_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

chat_stages_t *chat_stages_new(void)
{
    chat_stages_t *self = malloc(sizeof *self);
    for (int i = 0; self && i < H_COUNT; i++)
        hist_init(&self->hist[i]);
    return self;
}

void chat_stages_destroy(chat_stages_t **self_p)
{
    if (self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

/* Counts to - from when both stamps were taken. */
static void s_count(chat_stages_t *self, chat_hist_t h, int64_t from, int64_t to)
{
    if (from > 0 && to > 0)
        hist_record(&self->hist[h], to - from);
}

void chat_stages_sender(chat_stages_t *self, const int64_t *s, int local)
{
    if (!self)
        return;
    s_count(self, H_LANE, s[CHAT_STAMP_READ], s[CHAT_STAMP_SUBMIT]);
    s_count(self, H_POOL, s[CHAT_STAMP_SUBMIT], s[CHAT_STAMP_START]);
    s_count(self, H_TX, s[CHAT_STAMP_START], s[CHAT_STAMP_COMMIT]);
    s_count(self, H_BUILT, s[CHAT_STAMP_COMMIT], s[CHAT_STAMP_BUILT]);
    s_count(self, H_BACK, s[CHAT_STAMP_BUILT], s[CHAT_STAMP_ACK]);
    s_count(self, H_ACKED, s[CHAT_STAMP_READ], s[CHAT_STAMP_ACK]);
    s_count(self, H_PUSH, s[CHAT_STAMP_ACK], s[CHAT_STAMP_SENT]);
    if (local)
        s_count(self, H_LOCAL, s[CHAT_STAMP_READ], s[CHAT_STAMP_SENT]);
}

void chat_stages_peer(chat_stages_t *self, const int64_t *s, size_t count, int64_t recv,
                      int64_t write)
{
    if (!self || count < CHAT_STAMPS_SENT)
        return;
    s_count(self, H_HOP, s[CHAT_STAMP_SENT], recv);
    s_count(self, H_WRITE, recv, write);
    s_count(self, H_REMOTE, s[CHAT_STAMP_READ], write);
}

void chat_stages_log(chat_stages_t *self, const char *node_name)
{
    if (!self)
        return;
    char line[1024];
    size_t len = 0;
    for (int i = 0; i < H_COUNT && len < sizeof line; i++) {
        const hist_t *h = &self->hist[i];
        if (!h->count)
            continue;
        len += (size_t)snprintf(line + len, sizeof line - len, " %s %lld/%lld (%llu)", s_names[i],
                                (long long)hist_percentile(h, 50),
                                (long long)hist_percentile(h, 99), (unsigned long long)h->count);
    }
    if (len)
        log_info("chat: %s stages, us p50/p99 (count):%s", node_name, line);
    for (int i = 0; i < H_COUNT; i++)
        hist_init(&self->hist[i]);
}
