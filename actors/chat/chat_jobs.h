/* chat_jobs.h - the jobs layer (chat_jobs.c): blocking work (MySQL, Redis) of the node as
 * chat_job_t, run by the base's worker pool on a chat_worker_t and handed back to the I/O
 * thread, and the pushes (frames for other users) a job carries back.
 *
 * Threads: each function says; a job belongs to one thread at a time (the I/O thread until
 * submitted, then its worker, then the I/O thread again in its done callback).
 */
#ifndef USCHAT_CHAT_JOBS_H
#define USCHAT_CHAT_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/db.h"
#include "uschat/envelope.h"
#include "uschat/loop_queue.h"
#include "uschat/redis_conn.h"

#include "chat_json.h"
#include "chat_node.h"
#include "chat_push.h"

typedef struct chat_job_t chat_job_t;
typedef struct chat_text_t chat_text_t;           /* chat_text.h */
typedef struct chat_group_fan_t chat_group_fan_t; /* chat_group.h */

typedef struct chat_worker_t {
    chat_node_t *node;
    db_conn_t *db;
    redis_conn_t *redis;
    char script_sha[4][41]; /* SHA1 of the Lua scripts once loaded, "" before */
    int consecutive_ids;    /* ids of one multi-row INSERT consecutive: 1, 0, -1 unknown */
    int index;              /* this worker's number on its node: its read_barrier row */
} chat_worker_t;

typedef void(chat_job_run_fn)(chat_job_t *job, chat_worker_t *worker);
typedef void(chat_job_done_fn)(chat_node_t *node, chat_job_t *job);

struct chat_job_t {
    loop_item_t item;       /* first: the completion queue's link */
    chat_job_run_fn *run;   /* on a worker */
    chat_job_done_fn *done; /* on the I/O thread; NULL = chat_job_done_reply */
    chat_node_t *node;
    int fd; /* the requesting connection, -1 = none */
    uint64_t conn_id;
    uint64_t uid;      /* the acting user (the session's, or the one logging in) */
    uint16_t reply_id; /* frame id of the reply, 0 = none */
    json_t *request;   /* the request body (owned) */
    char *reply;       /* JSON body of the reply (malloc'd), NULL = none */
    size_t reply_len;
    chat_push_t *pushes; /* frames for other users */
    int error;           /* protocol error code of the outcome, 0 = success */
    /* login */
    uint64_t session;
    char old_node[ENVELOPE_NODE_MAX];
    /* message batches */
    chat_text_t *texts;
    uint64_t lanes; /* the commit lanes the batch took its texts from, a bit each */
    uint32_t batch_texts, batch_rows, batch_us; /* what the commit took */
    int64_t stamps[CHAT_STAMPS_SENT];           /* submit, start, commit, built (chat_stages.h) */
    /* presence batches */
    chat_presence_item_t *items;
    size_t nitems;
    uint8_t *results; /* per item: 1 = still ours, 0 = superseded */
    /* group requests */
    uint16_t group_op;     /* the request's id */
    chat_group_fan_t *fan; /* a frame for the group's members online, NULL = none */
    /* the group's next write waiting for this one (chat_group.c), then, once submitted, the
     * texts committed in this job's transaction with it (owned: destroyed with the job) */
    chat_job_t *next;
};

/* chat_jobs.c (I/O thread unless noted) */
chat_job_t *chat_job_new(chat_node_t *node, chat_conn_t *conn, uint16_t reply_id,
                         chat_job_run_fn *run, chat_job_done_fn *done);
void chat_job_destroy(chat_job_t **job_p);
/* Queues job on the pool under key (jobs of one key run in order). On failure the job is
 * destroyed and the connection (if any) gets reply_id with 1018. 0 or -1. */
int chat_job_submit(chat_node_t *node, chat_job_t *job, uint64_t key);
/* Same for jobs of the node itself: on failure (-EBUSY) the job is left to the caller. */
int chat_job_try_submit(chat_node_t *node, chat_job_t *job, uint64_t key);
/* loop_queue callback: a finished job is back on the I/O thread. */
void chat_job_finish(loop_item_t *item, void *node);
/* The default done: reply to the connection if it is still there, then deliver the pushes. */
void chat_job_done_reply(chat_node_t *node, chat_job_t *job);
/* Worker pool thread hooks. */
void *chat_worker_init(void *node);
void chat_worker_fini(void *worker);
/* Worker thread: sets job->reply to {"error": code} (plus nothing else). */
void chat_job_set_error(chat_job_t *job, int code);
/* Worker thread: takes the JSON object (json_decref'd) as the reply. */
void chat_job_set_reply(chat_job_t *job, json_t *body);
/* Worker thread: chat_job_set_reply for a paged reply that must fit one frame: items are
 * dropped from one end of list (see chat_json_dump_fit) and fix updates the cursors. */
void chat_job_set_reply_fit(chat_job_t *job, json_t *body, const char *list, bool from_front,
                            chat_json_fit_fn *fix);

#endif
