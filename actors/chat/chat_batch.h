/* chat_batch.h - one batch of text messages on its way through MySQL, shared by the two halves
 * of the commit: chat_store_text.c (the transaction) and chat_text_reply.c (the 1018 / 1019
 * bodies built after the COMMIT).
 *
 * Threads: a batch lives on one worker thread for the length of one chat_store_texts() call.
 * Its rows point into the texts' JSON items (owned by the texts, untouched meanwhile by the
 * I/O thread).
 */
#ifndef USCHAT_CHAT_BATCH_H
#define USCHAT_CHAT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_buf.h"
#include "chat_file.h"
#include "chat_jobs.h"
#include "chat_text.h"

#define CHAT_TIME_LEN 19 /* "YYYY-MM-DD HH:MM:SS" */

typedef enum {
    ROW_NEW = 0, /* to be stored by this batch */
    ROW_SAME,    /* an earlier row of this batch has the same (sender, unique_id) */
    ROW_STORED,  /* stored before (a retry): answered with the stored copy */
    ROW_SKIP,    /* its request was refused */
} chat_row_state_t;

typedef struct chat_batch_thread_t chat_batch_thread_t;

/* One text item. */
typedef struct {
    size_t text;        /* index into batch->texts */
    const char *unique; /* the item's unique_id (bytes, NUL-terminated) */
    size_t unique_len;
    const char *content; /* the request's content, or the stored copy's (ROW_STORED) */
    size_t content_len;
    char *stored_content; /* malloc'd: the stored copy's content (ROW_STORED), or the
                             server's own for an image or file */
    uint8_t state;        /* chat_row_state_t */
    size_t same;          /* ROW_SAME: the earlier row */
    int64_t message_id, seq, stored_thread;
    int status;
    char chat_time[CHAT_TIME_LEN + 1];
    uint8_t kind;      /* CHAT_KIND_TEXT, _IMAGE or _FILE */
    chat_file_t *file; /* kind 1/2: malloc'd (chat_file_free() + free()); else NULL */
} chat_batch_row_t;

/* One 1017 of the batch. */
typedef struct {
    chat_text_t *text;
    chat_batch_thread_t *thread;
    size_t first_row, nrows;
    int error;      /* protocol error of the whole request, 0 = stored (or found stored) */
    int file_error; /* USCHAT_ERR_FILE_UNKNOWN: an item names no file the sender may send */
} chat_batch_text_t;

/* A thread touched by the batch (sorted by id: the order its row is locked in). */
struct chat_batch_thread_t {
    int64_t id;
    int64_t last_seq; /* as locked; -1 = no such thread */
    int64_t next_seq; /* the last seq given out by this attempt */
    int64_t user1, user2;
    bool pair;    /* a private thread with its pair read */
    bool friends; /* both friend rows exist */
};

typedef struct {
    chat_worker_t *worker;
    chat_batch_text_t *texts;
    size_t ntexts;
    chat_batch_row_t *rows;
    size_t nrows;
    chat_batch_thread_t *threads;
    size_t nthreads;
    size_t nfiles;   /* rows of kind 1/2 */
    uint32_t *index; /* open-addressing table over rows by (sender, unique_id): row + 1 */
    size_t index_mask;
    bool look_for_stored; /* query stored copies before inserting (after a duplicate key) */
    bool readback_ids;    /* read message ids back instead of counting from the first */
    char now[CHAT_TIME_LEN + 1];
    chat_buf_t param;  /* a JSON parameter being built */
    chat_buf_t param2; /* and a second one */
    chat_buf_t text;   /* a reply body being built */
} chat_batch_t;

/* chat_text_reply.c (worker): after the transaction (rc = its outcome, 0 = committed), sets
 * every text's reply (1018) and, for the messages stored now, its push (1019) to the peer. */
void chat_batch_replies(chat_batch_t *b, int rc);

#endif
