/* chat_push.h - frames for users wherever they are connected: a worker makes a push for a uid
 * and looks up the node its session is on; the I/O thread then writes it to the session here,
 * or sends it to that node as a CHAT_PUSH broker message (a list: every push of one committed
 * batch for one node goes in one message), and a node that receives one writes each push to
 * its session in list order.
 *
 * Threads: chat_push_new() and chat_job_add_push() run on a worker; everything else on the
 * node's I/O thread. Pushes are fire-and-forget: the data they announce is already in MySQL,
 * so a push that finds nobody is dropped (the user reads it at the next login or sync); a push
 * for another node waits in the node's chat_pushq_t while the broker link is down.
 */
#ifndef USCHAT_CHAT_PUSH_H
#define USCHAT_CHAT_PUSH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_stages.h"
#include "uschat/envelope.h"

typedef struct chat_node_t chat_node_t;
typedef struct chat_job_t chat_job_t;
typedef struct chat_worker_t chat_worker_t;

/* A frame to write to a uid wherever it is connected (resolved by the worker from uip_). */
typedef struct chat_push_t {
    struct chat_push_t *next;
    uint64_t uid;
    uint64_t fromuid;
    uint64_t session; /* of the target session, 0 = any */
    uint16_t frame;
    char node[ENVELOPE_NODE_MAX]; /* "" = offline */
    char *body;                   /* JSON, NUL-terminated, malloc'd */
    size_t len;
    /* a text's stages (chat_stages.h; stamps[CHAT_STAMP_READ] 0 = none), and the same as
     * little-endian u64s for the CHAT_PUSH record (filled when it is encoded) */
    int64_t stamps[CHAT_STAMPS_SENT];
    uint8_t wire[CHAT_STAMPS_SENT * 8];
} chat_push_t;

/* Worker thread: a push to uid at a node already looked up ("" = offline: body dropped, NULL
 * returned). Takes body (json_decref'd). Returns the push (not linked anywhere; the caller owns
 * it: chat_push_free_list()) or NULL. */
chat_push_t *chat_push_new(uint64_t uid, uint64_t fromuid, const char *node, uint64_t session,
                           uint16_t frame, json_t *body);
/* Frees push and every push linked after it. NULL is fine. */
void chat_push_free_list(chat_push_t *push);
/* Worker thread: adds a push of body (taken, json_decref'd) from the job's user to uid,
 * resolving uid's node; nothing when uid is offline. */
void chat_job_add_push(chat_job_t *job, chat_worker_t *worker, uint64_t uid, uint16_t frame,
                       json_t *body);

/* I/O thread: delivers one push, locally or through the broker. */
void chat_push_deliver(chat_node_t *node, chat_push_t *push);
/* I/O thread: delivers n pushes (the array is not freed): the local ones at once, those for
 * each other node together as one CHAT_PUSH per node, in the order given. */
void chat_push_deliver_set(chat_node_t *node, chat_push_t *const *pushes, size_t n);
/* I/O thread: delivers job->pushes (chat_push_deliver_set()). */
void chat_job_deliver_pushes(chat_node_t *node, chat_job_t *job);
/* I/O thread: writes the frame to uid's session here (any session when session is 0). True
 * if written. */
bool chat_push_local(chat_node_t *node, uint64_t uid, uint64_t session, uint16_t frame,
                     const char *body, size_t len);
/* I/O thread: a CHAT_PUSH body from another node, each push written to its session here in
 * list order. 0, or -EBADMSG when the body is malformed (nothing of it is delivered). */
int chat_push_receive(chat_node_t *node, const uint8_t *body, size_t len);

#endif
