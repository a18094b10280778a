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
 * Under load a commit also waits a little for company: when 1017s arrive at least two per
 * chat/message_gather_ms, what the idle lanes hold leaves once its oldest message has waited
 * that long (or the batch is full), as one batch (one transaction for several lanes, which
 * stay busy until it is done), because a commit costs the servers far more than a message.
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

/* Under load a batch waits for about this many messages (at most chat/message_gather_ms):
 * the commit's cost shared by 16 is a small part of each message's. */
#define GATHER_TARGET 16

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

/* Every lane: the mask of s_kick(). */
static uint64_t s_all_lanes(const chat_node_t *node)
{
    int n = node->cfg.message_lanes;
    return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/* Puts the texts of a batch that could not be submitted back at the front of their lanes, in
 * their order. */
static void s_unkick(chat_node_t *node, chat_text_t *texts)
{
    chat_text_t *head[64] = {0}, *tail[64] = {0};
    while (texts) {
        chat_text_t *t = texts;
        texts = t->next;
        t->next = NULL;
        int i = s_lane_of(node, t->thread_id);
        if (tail[i])
            tail[i]->next = t;
        else
            head[i] = t;
        tail[i] = t;
    }
    for (int i = 0; i < node->cfg.message_lanes; i++) {
        chat_lane_t *lane = &node->lanes[i];
        if (!head[i])
            continue;
        tail[i]->next = lane->head;
        lane->head = head[i];
        if (!lane->tail)
            lane->tail = tail[i];
    }
}

/* Sends the waiting messages of every idle lane of MASK as ONE batch (up to message_batch_max):
 * those lanes are busy until it is done. A lane with a batch in the pool keeps its messages
 * waiting. One transaction for several lanes keeps the rule that a thread is in at most one
 * batch at a time (its lane is busy), and the rows still lock in ascending thread order. */
static void s_kick(chat_node_t *node, uint64_t mask)
{
    uint32_t taken_of[64] = {0}, taken = 0, budget = node->cfg.message_batch_max;
    uint64_t lanes = 0;
    chat_text_t *first = NULL, *last = NULL;
    for (int i = 0; i < node->cfg.message_lanes && taken < budget; i++) {
        chat_lane_t *lane = &node->lanes[i];
        if (!(mask >> i & 1) || lane->busy || !lane->head)
            continue;
        chat_text_t *from = lane->head, *end = NULL;
        for (chat_text_t *t = from; t && taken < budget; t = t->next) {
            end = t;
            taken++;
            taken_of[i]++;
        }
        lane->head = end->next;
        if (!lane->head)
            lane->tail = NULL;
        end->next = NULL;
        if (last)
            last->next = from;
        else
            first = from;
        last = end;
        lanes |= UINT64_C(1) << i;
    }
    if (!taken)
        return;
    chat_job_t *job = chat_job_new(node, NULL, 0, chat_store_texts, s_lane_done);
    if (job) {
        job->texts = first;
        job->lanes = lanes;
    }
    if (!job || chat_job_try_submit(node, job, LANE_KEY(__builtin_ctzll(lanes))) < 0) {
        /* The pool is full: the texts go back; the tick or the next batch tries again. */
        s_unkick(node, first);
        if (job) {
            job->texts = NULL;
            chat_job_destroy(&job);
        }
        return;
    }
    if (node->stages)
        job->stamps[CHAT_STAMP_SUBMIT] = chat_stages_now();
    for (int i = 0; i < node->cfg.message_lanes; i++) {
        if (!(lanes >> i & 1))
            continue;
        node->lanes[i].busy = true;
        node->lanes[i].committing = taken_of[i];
        node->lanes[i].count -= taken_of[i];
    }
    node->texts_pending -= taken;
}

void chat_text_tick(chat_node_t *node)
{
    if (node->lanes)
        s_kick(node, s_all_lanes(node));
}

/* Counts a 1017 arriving at NOW into the mean gap between them. */
static void s_arrival(chat_node_t *node, int64_t now)
{
    int64_t gap = node->text_last_us ? now - node->text_last_us : 1000000;
    node->text_last_us = now;
    if (gap > 1000000)
        gap = 1000000;
    node->text_gap_us += (gap - node->text_gap_us) / 8; /* a mean over the last 8 or so */
}

static void s_schedule(chat_node_t *node);

static int s_on_gather_end(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    chat_node_t *node = arg;
    node->gather_armed = false;
    if (node->lanes)
        s_schedule(node);
    return 0;
}

/* Sends what the idle lanes hold now, or lets it wait for company: when 1017s have been
 * arriving at least two per chat/message_gather_ms (a commit costs the servers about as much CPU
 * as twenty messages in a full batch, BENCHMARKS.md), the batch leaves once its oldest message has
 * waited for about GATHER_TARGET arrivals, at most that long, or at once when it is full. A
 * quiet node, or one stopping, never waits. */
static void s_schedule(chat_node_t *node)
{
    int64_t now = zclock_usecs(), window = (int64_t)node->cfg.message_gather_ms * 1000;
    if (window > GATHER_TARGET * node->text_gap_us) /* the faster they come, the shorter */
        window = GATHER_TARGET * node->text_gap_us;
    int64_t oldest = INT64_MAX;
    for (int i = 0; i < node->cfg.message_lanes; i++)
        if (!node->lanes[i].busy && node->lanes[i].head && node->lanes[i].head->arrived_us < oldest)
            oldest = node->lanes[i].head->arrived_us;
    if (oldest == INT64_MAX)
        return;
    int64_t left = oldest + window - now;
    if (!window || node->stopping || node->text_gap_us * 2 > window || left <= 0 ||
        node->texts_pending >= node->cfg.message_batch_max) {
        s_kick(node, s_all_lanes(node));
        return;
    }
    if (!node->gather_armed &&
        zloop_timer(service_base_loop(node->base), (size_t)((left + 999) / 1000), 1,
                    s_on_gather_end, node) >= 0)
        node->gather_armed = true;
    if (!node->gather_armed) /* no timer: no wait */
        s_kick(node, s_all_lanes(node));
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
    for (int i = 0; node->lanes && i < node->cfg.message_lanes; i++) {
        if (job->lanes >> i & 1) {
            node->lanes[i].busy = false;
            node->lanes[i].committing = 0;
        }
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
    /* what waited meanwhile goes when its wait for company is over; also while stopping: the
     * drain commits and acknowledges what the lanes hold */
    if (node->lanes)
        s_schedule(node);
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
    t->arrived_us = zclock_usecs();
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
    s_arrival(node, t->arrived_us);
    if (!lane->busy) /* a busy lane sends it with its next batch */
        s_schedule(node);
}
