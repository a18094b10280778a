/* chat_jobs.c - blocking work of a chat node, off its I/O thread.
 *
 * The I/O thread makes a chat_job_t per request that needs MySQL or Redis and submits it to
 * the node's worker_pool_t (bounded: when the queue is full the client gets 1018 at once),
 * keyed by uid so one user's requests run in order. Each worker thread owns one MySQL and one
 * Redis connection (chat_worker_t, made by the pool's thread_init). When run() returns, the
 * worker posts the job to the node's loop_queue_t, and the job's done() runs on the I/O
 * thread. A job carries its answer as ready JSON text, and frames for
 * other users as pushes whose node the worker already looked up in Redis (chat_push.h), so
 * the I/O thread only writes bytes or forwards them to the broker.
 */
#include "chat_jobs.h"
#include "chat_group.h"
#include "chat_json.h"
#include "chat_net.h"
#include "chat_node.h"
#include "chat_presence.h"
#include "chat_text.h"
#include "uschat/client_proto.h"

#include <errno.h>

#include "uschat/log.h"
#include "uschat/message.h"

chat_job_t *chat_job_new(chat_node_t *node, chat_conn_t *conn, uint16_t reply_id,
                         chat_job_run_fn *run, chat_job_done_fn *done)
{
    chat_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->node = node;
    job->fd = conn ? conn->fd : -1;
    job->conn_id = conn ? conn->id : 0;
    job->uid = conn ? conn->uid : 0;
    job->reply_id = reply_id;
    job->run = run;
    job->done = done;
    return job;
}

void chat_job_destroy(chat_job_t **job_p)
{
    chat_job_t *job = job_p ? *job_p : NULL;
    if (!job)
        return;
    json_decref(job->request);
    free(job->reply);
    chat_push_free_list(job->pushes);
    chat_text_free_list(job->texts);
    chat_group_fan_free(job->fan);
    for (chat_job_t *next = job->next, *f; (f = next);) {
        next = f->next;
        f->next = NULL;
        chat_job_destroy(&f);
    }
    free(job->items);
    free(job->results);
    free(job);
    *job_p = NULL;
}

/* Worker thread: runs the job, then hands it back to the I/O thread. */
static void s_job_run(void *arg, void *state)
{
    chat_job_t *job = arg;
    chat_worker_t *worker = state;
    if (worker)
        job->run(job, worker);
    else
        chat_job_set_error(job, USCHAT_ERR_RPC);
    if (service_base_post(job->node->base, &job->item) < 0)
        chat_job_destroy(&job); /* the node is stopping and no longer listens */
}

int chat_job_try_submit(chat_node_t *node, chat_job_t *job, uint64_t key)
{
    if (!node->base)
        return -EBUSY;
    return service_base_submit(node->base, key, s_job_run, job) < 0 ? -EBUSY : 0;
}

int chat_job_submit(chat_node_t *node, chat_job_t *job, uint64_t key)
{
    chat_conn_t *conn = chat_conn_find(node, job->fd, job->conn_id);
    int rc = -EBUSY;
    if (!node->stopping && (!conn || conn->inflight < node->cfg.max_inflight))
        rc = chat_job_try_submit(node, job, key);
    if (rc < 0) {
        node->stats.busy++;
        if (conn && job->reply_id)
            chat_conn_send_error(node, conn, job->reply_id, USCHAT_ERR_BUSY);
        chat_job_destroy(&job);
        return -1;
    }
    if (conn)
        conn->inflight++;
    return 0;
}

void chat_job_finish(loop_item_t *item, void *arg)
{
    chat_node_t *node = arg;
    chat_job_t *job = (chat_job_t *)item;
    chat_conn_t *conn = chat_conn_find(node, job->fd, job->conn_id);
    if (conn && conn->inflight)
        conn->inflight--;
    if (job->done)
        job->done(node, job);
    else
        chat_job_done_reply(node, job);
    chat_job_destroy(&job);
}

void chat_job_done_reply(chat_node_t *node, chat_job_t *job)
{
    chat_conn_t *conn = chat_conn_find(node, job->fd, job->conn_id);
    if (conn && job->reply_id && job->reply)
        chat_conn_send(node, conn, job->reply_id, job->reply, job->reply_len);
    chat_job_deliver_pushes(node, job);
    if (job->fan)
        chat_group_fan_deliver(node, job->fan);
}

/* ---- worker side ----------------------------------------------------------------------------- */

void *chat_worker_init(void *arg)
{
    chat_node_t *node = arg; /* the pool named this thread after the node already */
    chat_worker_t *worker = calloc(1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->node = node;
    worker->consecutive_ids = -1;
    worker->index = __atomic_fetch_add(&node->workers_made, 1, __ATOMIC_RELAXED);
    worker->db = db_conn_new(&node->cfg.mysql);
    worker->redis = redis_conn_new(&node->cfg.redis);
    if (!worker->db || !worker->redis) {
        chat_worker_fini(worker);
        return NULL;
    }
    return worker;
}

void chat_worker_fini(void *state)
{
    chat_worker_t *worker = state;
    if (!worker)
        return;
    db_conn_destroy(&worker->db);
    redis_conn_destroy(&worker->redis);
    free(worker);
}

void chat_job_set_reply(chat_job_t *job, json_t *body)
{
    if (!body) { /* a json_pack() that failed: out of memory */
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    free(job->reply);
    job->reply = body ? chat_json_dump(body, &job->reply_len) : NULL;
    json_decref(body);
    if (!job->reply && !job->error)
        job->error = USCHAT_ERR_RPC;
}

void chat_job_set_reply_fit(chat_job_t *job, json_t *body, const char *list, bool from_front,
                            chat_json_fit_fn *fix)
{
    if (!body) {
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    free(job->reply);
    job->reply = chat_json_dump_fit(body, json_object_get(body, list), from_front, fix, NULL,
                                    &job->reply_len);
    json_decref(body);
    if (!job->reply && !job->error)
        chat_job_set_error(job, USCHAT_ERR_RPC);
}

void chat_job_set_error(chat_job_t *job, int code)
{
    job->error = code;
    free(job->reply);
    job->reply = malloc(32);
    /* the names of an error-only reply (client.def): every reply carries `error` */
    if (job->reply)
        job->reply_len = (size_t)snprintf(job->reply, 32, "{\"%s\":%d}",
                                          USCHAT_FIELD(ADD_FRIEND_RSP, error), code);
}
