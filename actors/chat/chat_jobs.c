/* chat_jobs.c - blocking work of a chat node, off its I/O thread.
 *
 * The I/O thread makes a chat_job_t per request that needs MySQL or Redis and submits it to
 * the node's worker_pool_t (bounded: when the queue is full the client gets 1018 at once),
 * keyed by uid so one user's requests run in order. Each worker thread owns one MySQL and one
 * Redis connection (chat_worker_t, made by the pool's thread_init). When run() returns, the
 * worker posts the job to the node's loop_queue_t, and the job's done() runs on the I/O
 * thread. A job carries its answer as ready JSON text, and frames for
 * other users as pushes whose node the worker already looked up in Redis, so the I/O thread
 * only writes bytes or forwards them to the broker.
 */
#include "chat_internal.h"

#include "chat_buf.h"

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
    if (loop_queue_post(job->node->done, &job->item) < 0)
        chat_job_destroy(&job); /* the node is stopping and no longer listens */
}

int chat_job_try_submit(chat_node_t *node, chat_job_t *job, uint64_t key)
{
    if (!node->pool)
        return -EBUSY;
    return worker_pool_submit(node->pool, key, s_job_run, job) < 0 ? -EBUSY : 0;
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
}

void chat_push_deliver(chat_node_t *node, const chat_push_t *p)
{
    if (!p->node[0])
        return;
    if (strcmp(p->node, node->name) == 0) {
        chat_push_local(node, p->uid, p->session, p->frame, p->body, p->len);
        return;
    }
    msg_chat_push_t m = {.uid = p->uid,
                         .frame = p->frame,
                         .body = p->body,
                         .fromuid = p->fromuid,
                         .session = p->session};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_chat_push_encode(&m, &buf, &len) == 0 &&
        chat_pushq_send(node->pushq, node->broker, p->node, MSG_CHAT_PUSH, buf, len,
                        zclock_mono()) >= 0)
        node->stats.pushes_remote++;
    else
        log_warn("chat: push %u to uid %llu on %s not sent", p->frame, (unsigned long long)p->uid,
                 p->node);
    free(buf);
}

#define PUSHES_CHUNK (256 * 1024) /* bytes of one CHAT_PUSHES, far below MSG_MAX_BODY */

static void s_put_be(chat_buf_t *b, uint64_t v, int bytes)
{
    char out[8];
    for (int i = 0; i < bytes; i++)
        out[i] = (char)(v >> (8 * (bytes - 1 - i)));
    chat_buf_append(b, out, (size_t)bytes);
}

static void s_send_pushes(chat_node_t *node, const char *target, chat_buf_t *records,
                          uint32_t count)
{
    msg_chat_pushes_t m = {.count = count, .pushes = {(uint8_t *)records->data, records->len}};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!chat_buf_failed(records) && msg_chat_pushes_encode(&m, &buf, &len) == 0 &&
        chat_pushq_send(node->pushq, node->broker, target, MSG_CHAT_PUSHES, buf, len,
                        zclock_mono()) >= 0)
        node->stats.pushes_remote += count;
    else
        log_warn("chat: %u pushes to %s not sent", count, target);
    free(buf);
    chat_buf_reset(records);
}

void chat_push_deliver_set(chat_node_t *node, chat_push_t *const *pushes, size_t n)
{
    uint8_t *done = calloc(n ? n : 1, 1);
    if (!done) { /* out of memory: one by one */
        for (size_t i = 0; i < n; i++)
            chat_push_deliver(node, pushes[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const chat_push_t *p = pushes[i];
        if (!p->node[0] || strcmp(p->node, node->name) == 0) {
            chat_push_deliver(node, p);
            done[i] = 1;
        }
    }
    chat_buf_t records = {0};
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const char *target = pushes[i]->node;
        size_t same = 0, last = i;
        for (size_t j = i; j < n; j++)
            if (!done[j] && strcmp(pushes[j]->node, target) == 0) {
                same++;
                last = j;
            }
        if (same == 1) {
            chat_push_deliver(node, pushes[i]);
            done[i] = 1;
            continue;
        }
        uint32_t count = 0;
        for (size_t j = i; j <= last; j++) {
            const chat_push_t *p = pushes[j];
            if (done[j] || strcmp(p->node, target) != 0)
                continue;
            done[j] = 1;
            s_put_be(&records, p->uid, 8);
            s_put_be(&records, p->session, 8);
            s_put_be(&records, p->fromuid, 8);
            s_put_be(&records, p->frame, 2);
            s_put_be(&records, p->len, 4);
            chat_buf_append(&records, p->body, p->len);
            count++;
            if (records.len >= PUSHES_CHUNK) {
                s_send_pushes(node, target, &records, count);
                count = 0;
            }
        }
        if (count)
            s_send_pushes(node, target, &records, count);
    }
    chat_buf_free(&records);
    free(done);
}

int chat_push_receive_set(chat_node_t *node, const uint8_t *data, size_t len, uint32_t count)
{
    size_t off = 0;
    uint32_t n = 0;
    while (off < len) {
        if (len - off < 30)
            return -1;
        const uint8_t *h = data + off;
        uint64_t v[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 8; i++)
                v[k] = v[k] << 8 | h[8 * k + i];
        uint16_t frame = (uint16_t)(h[24] << 8 | h[25]);
        uint32_t body_len =
            (uint32_t)h[26] << 24 | (uint32_t)h[27] << 16 | (uint32_t)h[28] << 8 | h[29];
        off += 30;
        if (body_len > len - off || frame == 0)
            return -1;
        chat_push_local(node, v[0], v[1], frame, (const char *)data + off, body_len);
        off += body_len;
        n++;
    }
    return n == count ? 0 : -1;
}

void chat_job_deliver_pushes(chat_node_t *node, chat_job_t *job)
{
    for (chat_push_t *p = job->pushes; p; p = p->next)
        chat_push_deliver(node, p);
}

void chat_push_free_list(chat_push_t *push)
{
    while (push) {
        chat_push_t *next = push->next;
        free(push->body);
        free(push);
        push = next;
    }
}

/* ---- worker side ----------------------------------------------------------------------------- */

void *chat_worker_init(void *arg)
{
    chat_node_t *node = arg;
    log_set_node(node->name);
    chat_worker_t *worker = calloc(1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->node = node;
    worker->consecutive_ids = -1;
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
    if (job->reply)
        job->reply_len = (size_t)snprintf(job->reply, 32, "{\"error\":%d}", code);
}

chat_push_t *chat_push_new(uint64_t uid, uint64_t fromuid, const char *node, uint64_t session,
                           uint16_t frame, json_t *body)
{
    chat_push_t *p = NULL;
    /* Offline: the user sees it at the next login or sync. */
    if (node && node[0] && (p = calloc(1, sizeof *p))) {
        p->uid = uid;
        p->fromuid = fromuid;
        p->session = session;
        p->frame = frame;
        snprintf(p->node, sizeof p->node, "%s", node);
        p->body = chat_json_dump(body, &p->len);
        if (!p->body) {
            free(p);
            p = NULL;
        }
    }
    json_decref(body);
    return p;
}

void chat_job_add_push(chat_job_t *job, chat_worker_t *worker, uint64_t uid, uint16_t frame,
                       json_t *body)
{
    char node[ENVELOPE_NODE_MAX];
    uint64_t session = 0;
    if (chat_presence_lookup(worker, uid, node, &session) < 0)
        node[0] = 0; /* Redis unreachable: like offline */
    chat_push_t *p = chat_push_new(uid, job->uid, node, session, frame, body);
    if (p) {
        p->next = job->pushes;
        job->pushes = p;
    }
}
