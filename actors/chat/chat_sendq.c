/* chat_sendq.c - the bounded outgoing byte queue of one client connection (chat_sendq.h).
 *
 * The first block of an empty queue fits what is appended (at least SENDQ_FIRST_BLOCK bytes),
 * each next one is twice the last up to 16 KiB (or bigger for one large frame), so a burst of
 * small frames shares blocks, and a block is freed as soon as its last byte is written, so the
 * memory a slow client costs follows what it has not read. Small first blocks matter for the
 * fan-out: every member's frame is queued until the end of the loop turn, so a turn that
 * writes one frame to each of 5,000 members holds 5,000 queues at once; 16 KiB each would be
 * 80 MB taken from the allocator and given back every turn (a page fault per member), a
 * fitted block is a few hundred bytes. Called on the chat node's I/O thread only.
 */
#include "chat_sendq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define SENDQ_BLOCK_SIZE  16384u
#define SENDQ_FIRST_BLOCK 256u
#define SENDQ_IOV_MAX     16

struct chat_sendq_block_t {
    chat_sendq_block_t *next;
    size_t cap; /* bytes of data[] */
    size_t len; /* bytes filled */
    size_t off; /* bytes already written */
    uint8_t data[];
};

void chat_sendq_init(chat_sendq_t *q)
{
    memset(q, 0, sizeof *q);
}

void chat_sendq_clear(chat_sendq_t *q)
{
    chat_sendq_block_t *b = q->head;
    while (b) {
        chat_sendq_block_t *next = b->next;
        free(b);
        b = next;
    }
    chat_sendq_init(q);
}

int chat_sendq_append(chat_sendq_t *q, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    const uint8_t *p = data;
    chat_sendq_block_t *t = q->tail;
    size_t room = t ? t->cap - t->len : 0;
    if (room >= len) {
        memcpy(t->data + t->len, p, len);
        t->len += len;
        q->bytes += len;
        return 0;
    }
    /* Fill the tail, put the rest in one new block: a frame then spans at most two blocks. */
    size_t rest = len - room;
    size_t want = !t                               ? SENDQ_FIRST_BLOCK
                  : t->cap >= SENDQ_BLOCK_SIZE / 2 ? SENDQ_BLOCK_SIZE
                                                   : 2 * t->cap;
    size_t cap = rest > want ? rest : want;
    chat_sendq_block_t *b = malloc(sizeof *b + cap);
    if (!b)
        return -ENOMEM;
    b->next = NULL;
    b->cap = cap;
    b->len = rest;
    b->off = 0;
    if (room) {
        memcpy(t->data + t->len, p, room);
        t->len += room;
    }
    memcpy(b->data, p + room, rest);
    if (t)
        t->next = b;
    else
        q->head = b;
    q->tail = b;
    q->bytes += len;
    return 0;
}

int chat_sendq_flush(chat_sendq_t *q, int fd)
{
    while (q->head) {
        struct iovec iov[SENDQ_IOV_MAX];
        int n = 0;
        size_t total = 0;
        for (chat_sendq_block_t *b = q->head; b && n < SENDQ_IOV_MAX; b = b->next) {
            iov[n].iov_base = b->data + b->off;
            iov[n].iov_len = b->len - b->off;
            total += iov[n].iov_len;
            n++;
        }
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            return -errno;
        }
        size_t left = (size_t)w;
        q->bytes -= left;
        while (left && q->head) {
            chat_sendq_block_t *b = q->head;
            size_t have = b->len - b->off;
            if (left < have) {
                b->off += left;
                left = 0;
                break;
            }
            left -= have;
            q->head = b->next;
            if (!q->head)
                q->tail = NULL;
            free(b);
        }
        /* A short write means the socket buffer is full: do not spin on EAGAIN. */
        if ((size_t)w < total)
            return 1;
    }
    return 0;
}

size_t chat_sendq_memory(const chat_sendq_t *q)
{
    size_t m = 0;
    for (chat_sendq_block_t *b = q->head; b; b = b->next)
        m += sizeof *b + b->cap;
    return m;
}
