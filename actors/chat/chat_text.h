/* chat_text.h - the text layer (chat_text.c): each 1017 checked and queued on a commit lane;
 * one batch per lane at a time goes to the store (chat_store_texts()), whose results
 * (chat_text_reply.c) go back to senders and peers.
 *
 * Threads: the I/O thread, except the results a worker sets in chat_text_t.
 */
#ifndef USCHAT_CHAT_TEXT_H
#define USCHAT_CHAT_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_node.h"

typedef struct chat_text_t chat_text_t;
typedef struct chat_push_t chat_push_t; /* chat_push.h */

/* One 1017 on its way through a commit lane (chat_text.c, chat_store_text.c). */
struct chat_text_t {
    struct chat_text_t *next;
    int fd; /* the sender's connection */
    uint64_t conn_id;
    uint64_t sender;
    uint64_t touid;
    int64_t thread_id;
    json_t *items;                    /* the request's text_array (a reference) */
    int64_t arrived_us;               /* monotonic: how long it has waited for company */
    int64_t stamps[CHAT_STAMPS_SENT]; /* chat_stages.h, all 0 unless the node counts stages */
    /* results, set by the worker */
    int error;
    char *reply; /* 1018 body */
    size_t reply_len;
    chat_push_t *push; /* 1019 to the peer (new messages only) */
};

/* Messages of a set of threads, committed in batches: one batch in the pool at a time, so a
 * thread's messages commit in order and two batches never wait on each other's locks. */
struct chat_lane_t {
    chat_text_t *head, *tail;
    uint32_t count;      /* waiting */
    uint32_t committing; /* in the batch in the pool */
    bool busy;
};

/* Checks the text_array of a 1017 or 1077 (I/O thread): 1..max_items items, each with content
 * (1..4096 bytes) and unique_id (1..64 bytes), an image or file item's fields as
 * chat_file_check_item() wants them, and an answer that fits one frame. 0 or the code. */
int chat_text_check_items(const json_t *items, size_t max_items);

/* chat_text.c (I/O thread): 1017 into the commit lanes */
void chat_text_request(chat_node_t *node, chat_conn_t *conn, json_t *body);
int chat_text_open(chat_node_t *node);
void chat_text_close(chat_node_t *node); /* frees what never reached a worker */
void chat_text_tick(chat_node_t *node);  /* retries lanes the full pool refused */
/* Messages in the lanes, committing or waiting (0 = nothing left to ack). */
uint32_t chat_text_unfinished(chat_node_t *node);
void chat_text_free_list(chat_text_t *texts);

#endif
