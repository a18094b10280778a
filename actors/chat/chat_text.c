/* chat_text.c - text messages (1017) on the chat node's I/O thread: checks, commit lanes,
 * acknowledgements (1018) and delivery to the peer (1019).
 *
 * Throughput comes from committing many messages in one transaction, and order from never
 * committing two batches of the same thread at once. So messages do not go to the worker pool
 * one by one: each thread is hashed onto one of cfg.message_lanes lanes, and a lane has at most
 * one batch in the pool. While a batch commits, the messages that arrive for its lane wait;
 * when it is done they all leave as the next batch (up to message_batch_max). At low load a
 * batch is one message and leaves at once; under load batches grow by themselves (group
 * commit). Two lanes never lock the same chat_thread row, so they never wait on each other.
 * A sender's messages in one thread are committed in the order they arrived; the ack 1018 is
 * sent only after the commit, then the 1019 to the peer, on this node or through the broker.
 */
#include "chat_text.h"
#include "chat_file.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_net.h"
#include "chat_store.h"
#include "uschat/client_proto.h"
#include "uschat/frame.h"

#include <string.h>

#include "uschat/log.h"

/* worker_pool keys of the lanes: far from any uid, which keys the other jobs. */
#define LANE_KEY(i) (UINT64_MAX - (uint64_t)(i))

static void s_text_free(chat_text_t *t)
{
    json_decref(t->items);
    free(t->reply);
    chat_push_free_list(t->push);
    free(t);
}

void chat_text_free_list(chat_text_t *t)
{
    while (t) {
        chat_text_t *next = t->next;
        s_text_free(t);
        t = next;
    }
}

int chat_text_open(chat_node_t *node)
{
    node->lanes = calloc((size_t)node->cfg.message_lanes, sizeof *node->lanes);
    return node->lanes ? 0 : -1;
}

uint32_t chat_text_unfinished(chat_node_t *node)
{
    uint32_t n = 0;
    for (int i = 0; node->lanes && i < node->cfg.message_lanes; i++)
        n += node->lanes[i].count + node->lanes[i].committing;
    return n;
}

void chat_text_close(chat_node_t *node)
{
    uint32_t left = chat_text_unfinished(node);
    if (left)
        log_warn("chat: %u messages not committed by the end of the drain: not acknowledged "
                 "(their senders send them again)",
                 left);
    for (int i = 0; node->lanes && i < node->cfg.message_lanes; i++)
        chat_text_free_list(node->lanes[i].head);
    free(node->lanes);
    node->lanes = NULL;
    node->texts_pending = 0;
}

static int s_lane_of(chat_node_t *node, int64_t thread_id)
{
    uint64_t h = (uint64_t)thread_id * 0x9E3779B97F4A7C15ULL;
    return (int)((h >> 32) % (uint64_t)node->cfg.message_lanes);
}

static void s_lane_done(chat_node_t *node, chat_job_t *job);

/* Sends the lane's waiting messages as one batch, unless one is already in the pool. */
static void s_lane_kick(chat_node_t *node, int index)
{
    chat_lane_t *lane = &node->lanes[index];
    if (lane->busy || !lane->head)
        return;
    chat_job_t *job = chat_job_new(node, NULL, 0, chat_store_texts, s_lane_done);
    if (!job)
        return;
    job->lane = index;
    uint32_t taken = 0;
    chat_text_t *last = NULL;
    for (chat_text_t *t = lane->head; t && taken < node->cfg.message_batch_max; t = t->next) {
        last = t;
        taken++;
    }
    job->texts = lane->head;
    lane->head = last->next;
    last->next = NULL;
    if (!lane->head)
        lane->tail = NULL;
    if (chat_job_try_submit(node, job, LANE_KEY(index)) < 0) {
        /* The pool is full: the batch goes back to the front; the tick tries again. */
        last->next = lane->head;
        lane->head = job->texts;
        if (!lane->tail)
            lane->tail = last;
        job->texts = NULL;
        chat_job_destroy(&job);
        return;
    }
    if (node->stages)
        job->stamps[CHAT_STAMP_SUBMIT] = chat_stages_now();
    lane->busy = true;
    lane->committing = taken;
    lane->count -= taken;
    node->texts_pending -= taken;
}

void chat_text_tick(chat_node_t *node)
{
    for (int i = 0; node->lanes && i < node->cfg.message_lanes; i++)
        s_lane_kick(node, i);
}

/* The stages of t up to its ack, now: handed on to its push, whose delivery counts them
 * (chat_push.c), or counted here when there is none. */
static void s_stamp_acked(chat_node_t *node, const chat_job_t *job, chat_text_t *t)
{
    for (int s = CHAT_STAMP_SUBMIT; s <= CHAT_STAMP_BUILT; s++)
        t->stamps[s] = job->stamps[s];
    t->stamps[CHAT_STAMP_ACK] = chat_stages_now();
    if (t->push)
        memcpy(t->push->stamps, t->stamps, sizeof t->stamps);
    else
        chat_stages_sender(node->stages, t->stamps, 0);
}

static void s_lane_done(chat_node_t *node, chat_job_t *job)
{
    if (node->lanes) {
        node->lanes[job->lane].busy = false;
        node->lanes[job->lane].committing = 0;
    }
    chat_stats_t *st = &node->stats;
    st->batches++;
    st->batch_texts += job->batch_texts;
    st->batch_rows += job->batch_rows;
    st->batch_us += job->batch_us;
    if (job->batch_rows > st->batch_max_rows)
        st->batch_max_rows = job->batch_rows;
    if (job->batch_us > st->batch_max_us)
        st->batch_max_us = job->batch_us;
    size_t npushes = 0;
    for (chat_text_t *t = job->texts; t; t = t->next) {
        chat_conn_t *conn = chat_conn_find(node, t->fd, t->conn_id);
        if (conn) {
            if (conn->inflight)
                conn->inflight--;
            if (t->reply)
                chat_conn_send(node, conn, USCHAT_ID_TEXT_CHAT_RSP, t->reply, t->reply_len);
        }
        npushes += t->push != NULL;
        if (node->stages)
            s_stamp_acked(node, job, t);
    }
    /* then the peers: those on other nodes in one broker message per node */
    chat_push_t **pushes = npushes ? malloc(npushes * sizeof *pushes) : NULL;
    size_t k = 0;
    for (chat_text_t *t = job->texts; t; t = t->next) {
        if (t->push && pushes)
            pushes[k++] = t->push;
        else if (t->push)
            chat_push_deliver(node, t->push);
    }
    chat_push_deliver_set(node, pushes, k);
    free(pushes);
    /* also while stopping: the drain commits and acknowledges what the lanes hold */
    if (node->lanes)
        s_lane_kick(node, job->lane);
}

int chat_text_check_items(const json_t *items, size_t max_items)
{
    size_t n = json_array_size(items);
    if (n == 0 || n > max_items)
        return USCHAT_ERR_OUT_OF_RANGE;
    size_t i, files_extra = 0, reply = 256;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *content = json_object_get(item, USCHAT_FIELD(TEXT_ITEM, content));
        json_t *unique = json_object_get(item, USCHAT_FIELD(TEXT_ITEM, unique_id));
        if (!json_is_string(content) || !json_is_string(unique))
            return USCHAT_ERR_JSON;
        size_t clen = json_string_length(content), ulen = json_string_length(unique);
        if (clen == 0 || clen > USCHAT_MAX(TEXT_ITEM, content) || ulen == 0 ||
            ulen > USCHAT_MAX(TEXT_ITEM, unique_id) || strlen(json_string_value(content)) != clen ||
            strlen(json_string_value(unique)) != ulen)
            return USCHAT_ERR_OUT_OF_RANGE; /* a NUL inside is out of range too */
        size_t extra = 0;
        int rc = chat_file_check_item(item, &extra);
        if (rc)
            return rc;
        files_extra += extra;
        /* the stored item as a reply spells it: escaped text, or the file's fields */
        reply += 2 * ulen + 160 + (extra ? extra : 6 * clen);
    }
    /* an image or file grows its answer beyond the request: refused when the answer (and the
     * push, the same body) could not be one frame. Texts alone are never refused here. */
    return files_extra && reply > FRAME_MAX_BODY ? USCHAT_ERR_OUT_OF_RANGE : 0;
}

static void s_reject(chat_node_t *node, chat_conn_t *conn, json_t *body, int error)
{
#define RSP(f) USCHAT_FIELD(TEXT_CHAT_RSP, f)
#define REQ(f) USCHAT_FIELD(TEXT_CHAT_REQ, f)
    json_t *rsp = json_pack("{sisIsO?sO?}", RSP(error), error, RSP(fromuid), (json_int_t)conn->uid,
                            RSP(touid), json_object_get(body, REQ(touid)), RSP(thread_id),
                            json_object_get(body, REQ(thread_id)));
#undef RSP
#undef REQ
    json_decref(body);
    if (rsp)
        chat_conn_send_json(node, conn, USCHAT_ID_TEXT_CHAT_RSP, rsp);
    else
        chat_conn_send_error(node, conn, USCHAT_ID_TEXT_CHAT_RSP, error);
}

void chat_text_request(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
#define REQ(f) USCHAT_FIELD(TEXT_CHAT_REQ, f)
    uint64_t touid = chat_json_uid(body, REQ(touid));
    int64_t thread_id = (int64_t)chat_json_uid(body, REQ(thread_id));
    json_t *items = json_object_get(body, REQ(text_array));
    int error = 0;
    if (!json_object_get(body, REQ(touid)) || !json_object_get(body, REQ(thread_id)) ||
        !json_is_array(items))
        error = USCHAT_ERR_JSON;
    else if (!touid || !thread_id)
        error = USCHAT_ERR_NOT_FRIENDS;
    else if (touid == conn->uid)
        error = USCHAT_ERR_OUT_OF_RANGE;
    else
        error = chat_text_check_items(items, USCHAT_MAX(TEXT_CHAT_REQ, text_array));
#undef REQ
    if (!error && (node->texts_pending >= node->cfg.message_pending_max ||
                   conn->inflight >= node->cfg.max_inflight || node->stopping)) {
        node->stats.busy++;
        error = USCHAT_ERR_BUSY;
    }
    chat_text_t *t = error ? NULL : calloc(1, sizeof *t);
    if (!error && !t)
        error = USCHAT_ERR_BUSY;
    if (error) {
        s_reject(node, conn, body, error);
        return;
    }
    t->fd = conn->fd;
    t->conn_id = conn->id;
    t->sender = conn->uid;
    t->touid = touid;
    t->thread_id = thread_id;
    t->items = json_incref(items);
    if (node->stages)
        t->stamps[CHAT_STAMP_READ] = chat_stages_now();
    json_decref(body);
    int index = s_lane_of(node, thread_id);
    chat_lane_t *lane = &node->lanes[index];
    if (lane->tail)
        lane->tail->next = t;
    else
        lane->head = t;
    lane->tail = t;
    lane->count++;
    node->texts_pending++;
    conn->inflight++;
    s_lane_kick(node, index);
}
