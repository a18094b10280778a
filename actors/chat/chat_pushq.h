/* chat_pushq.h - pushes for other nodes that wait while the broker link is down.
 *
 * A push for a user on another node goes through the broker. While the link is down (the
 * broker was killed or restarts) a push handed to ZeroMQ is lost: the broker client rebuilds
 * its socket, dropping what was queued, and a restarted broker refuses messages from a node
 * that has not registered again. Such a push is kept here instead, in a bounded FIFO of
 * encoded broker messages, and sent once the link has been up long enough for the other
 * nodes to have registered again (they do within one heartbeat of the broker's return). While
 * anything waits, newer pushes queue behind it, so a peer gets one sender's pushes in order.
 * Past the bound a push is dropped with a log line (the peer's client still gets the message
 * by sync at its next gap check).
 *
 * Used by the chat node's I/O thread only.
 */
#ifndef USCHAT_CHAT_PUSHQ_H
#define USCHAT_CHAT_PUSHQ_H

#include <stddef.h>
#include <stdint.h>

#include "uschat/broker_client.h"

typedef struct chat_pushq_t chat_pushq_t;

/* A queue of at most max_items messages and max_bytes bytes of bodies; the link counts as up
 * for queued pushes settle_ms after it came back. Caller owns the result; NULL when out of
 * memory. */
chat_pushq_t *chat_pushq_new(size_t max_items, size_t max_bytes, int64_t settle_ms);
/* Drops what still waits (with one log line). NULL-safe; NULLs the caller's pointer. */
void chat_pushq_destroy(chat_pushq_t **self_p);

/* A notify of type with body (len bytes, copied when queued) for the chat node target: sent
 * now when the link is up and nothing waits, queued otherwise. now: monotonic ms. Returns 0
 * sent, 1 queued, -ENOBUFS dropped (queue full), -ENOMEM. */
int chat_pushq_send(chat_pushq_t *self, broker_client_t *broker, const char *target, uint16_t type,
                    const uint8_t *body, size_t len, int64_t now);

/* Looks at the link (call it often: every tick) and, once it has been up for settle_ms, sends
 * what waits, oldest first, until the queue is empty or a send fails. Returns how many were
 * sent. */
size_t chat_pushq_flush(chat_pushq_t *self, broker_client_t *broker, int64_t now);

/* Messages waiting, and those dropped over the queue's life. */
size_t chat_pushq_waiting(const chat_pushq_t *self);
uint64_t chat_pushq_dropped(const chat_pushq_t *self);

#endif
