/* chat_store.h - the store layer: the MySQL side of each request, run by a job on a worker
 * (chat_store.c: login, search, friend requests; chat_store_thread.c: threads, history,
 * sync, read marks; chat_store_text.c: batches of messages).
 *
 * Threads: worker threads only; each call uses the worker's own connections.
 */
#ifndef USCHAT_CHAT_STORE_H
#define USCHAT_CHAT_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "chat_jobs.h"

/* chat_store_text.c (worker): commits a batch of texts (job->texts) */
void chat_store_texts(chat_job_t *job, chat_worker_t *worker);

/* chat_store_thread.c (worker): threads, history, sync, read marks */
void chat_store_threads(chat_job_t *job, chat_worker_t *worker);
void chat_store_private(chat_job_t *job, chat_worker_t *worker);
void chat_store_history(chat_job_t *job, chat_worker_t *worker);
void chat_store_sync(chat_job_t *job, chat_worker_t *worker);
void chat_store_read(chat_job_t *job, chat_worker_t *worker);
/* Makes every commit a read of this worker saw durable before the read is answered (a commit
 * of the worker's read_barrier row: sql/migrations/008_read_barrier.sql). 0 or DB_ERR_*. */
int chat_store_durable(chat_worker_t *worker);
/* Worker: appends to items (an array) the messages of thread_id with seq > after_seq, in seq
 * order, at most limit, as 1030/1032 items {sender, msg_id, seq, thread_id, unique_id,
 * msg_content, chat_time, status}. Rows or DB_ERR_*. */
int chat_store_messages_after(chat_worker_t *worker, int64_t thread_id, int64_t after_seq,
                              int64_t limit, json_t *items);
/* Worker: 1 when uid is a member of thread_id (*other = the other member), 0 when not (or no
 * such thread), DB_ERR_* */
int chat_store_member(chat_worker_t *worker, int64_t thread_id, uint64_t uid, uint64_t *other);

/* chat_store.c (worker threads): the MySQL side of each request */
void chat_store_login(chat_job_t *job, chat_worker_t *worker);
void chat_store_search(chat_job_t *job, chat_worker_t *worker);
void chat_store_apply(chat_job_t *job, chat_worker_t *worker);
void chat_store_auth(chat_job_t *job, chat_worker_t *worker);

#endif
