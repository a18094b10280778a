/* chat_sendq.h - the bounded outgoing byte queue of one client connection.
 *
 * A connection that is idle holds no buffer: the queue is a chain of blocks allocated only
 * when the kernel socket buffer is full and freed as soon as they are written. The owner
 * enforces the bound (chat_sendq_bytes() against the configured maximum) and closes a client
 * that lets it grow past it, so a client that stops reading costs at most that much memory.
 * Used by the chat node's I/O thread only; not thread-safe.
 */
#ifndef USCHAT_CHAT_SENDQ_H
#define USCHAT_CHAT_SENDQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct chat_sendq_block_t chat_sendq_block_t;

typedef struct {
    chat_sendq_block_t *head, *tail;
    size_t bytes; /* queued, not yet written */
} chat_sendq_t;

/* An empty queue is all zeroes; this is the same. */
void chat_sendq_init(chat_sendq_t *q);
/* Frees every block; the queue is empty afterwards. */
void chat_sendq_clear(chat_sendq_t *q);

/* Appends len bytes. Returns 0 or -ENOMEM (nothing appended then). */
int chat_sendq_append(chat_sendq_t *q, const void *data, size_t len);

/* Writes as much of the queue as fd takes (sendmsg with MSG_NOSIGNAL, up to 16 blocks a call,
 * repeated until the kernel says EAGAIN or the queue is empty). Returns 0 when the queue is empty,
 * 1 when bytes remain (wait for EPOLLOUT), or -errno on a socket error. */
int chat_sendq_flush(chat_sendq_t *q, int fd);

static inline size_t chat_sendq_bytes(const chat_sendq_t *q)
{
    return q->bytes;
}

/* Bytes of heap the queue holds (block capacities), for memory accounting. */
size_t chat_sendq_memory(const chat_sendq_t *q);

#endif
