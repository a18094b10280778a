/* chat_group.c - the group requests (1061-1085) on the node's I/O thread: each body is checked
 * for shape here, so a worker only sees fields of the right type and range, and becomes a job.
 * Writes (changes, texts) are keyed by the group, so this node runs a group's writes one after
 * the other and pushes them in seq order; reads are keyed by the user, like the one-to-one
 * requests. A group has at most one write in the pool: the writes that come while it runs
 * wait here in arrival order (s_gate_t), and when it comes back the texts at the head of the
 * queue (up to GROUP_BATCH_MAX requests, of any senders) go as one job, committed in one
 * transaction (chat_group_msg.c), a change alone. A busy group's texts thus share one lock,
 * one COMMIT, one member list and one Redis lookup, and their frames reach each member in
 * one loop turn (one write, chat_net.c). The requests waiting count in their connection's
 * max_inflight like those in the pool. What the checks cannot know (membership, roles, limits) the
 * workers answer (chat_group_store.c, chat_group_msg.c).
 *
 * Threads: the node's I/O thread only (called by chat_dispatch.c).
 */
#include "chat_group.h"
#include "chat_text.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_net.h"
#include "uschat/client_proto.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint16_t id, reply_id;
    chat_job_run_fn *run;
    bool by_group; /* keyed by the group (writes) instead of the user */
} s_route_t;

static const s_route_t s_routes[] = {
    {USCHAT_ID_GROUP_CREATE_REQ, USCHAT_ID_GROUP_CREATE_RSP, chat_group_store_create, false},
    {USCHAT_ID_GROUP_INVITE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_LEAVE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_REMOVE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_SET_ADMIN_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_TRANSFER_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_RENAME_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_ANNOUNCE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_MUTE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_MUTE_ALL_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_INVITE_POLICY_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_DISSOLVE_REQ, USCHAT_ID_GROUP_OP_RSP, chat_group_store_change, true},
    {USCHAT_ID_GROUP_LIST_REQ, USCHAT_ID_GROUP_LIST_RSP, chat_group_store_list, false},
    {USCHAT_ID_GROUP_TEXT_REQ, USCHAT_ID_GROUP_TEXT_RSP, chat_group_store_text, true},
    {USCHAT_ID_GROUP_SYNC_REQ, USCHAT_ID_GROUP_SYNC_RSP, chat_group_store_sync, false},
    {USCHAT_ID_GROUP_READ_REQ, USCHAT_ID_GROUP_READ_RSP, chat_group_store_read, false},
    {USCHAT_ID_GROUP_MEMBERS_REQ, USCHAT_ID_GROUP_MEMBERS_RSP, chat_group_store_members, false},
    {USCHAT_ID_GROUP_READ_COUNTS_REQ, USCHAT_ID_GROUP_READ_COUNTS_RSP, chat_group_store_read_counts,
     false},
};

static const s_route_t *s_route(uint16_t id)
{
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (s_routes[i].id == id)
            return &s_routes[i];
    return NULL;
}

/* An id field: 0 when fine (absent and optional reads as 0), else the code. min 0 lets "0"
 * through (a cursor). */
static int s_id(const json_t *body, const char *key, bool required, uint64_t min)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return required ? USCHAT_ERR_JSON : 0;
    if (!json_is_integer(v) && !json_is_string(v))
        return USCHAT_ERR_JSON;
    if (min == 0 && ((json_is_integer(v) && json_integer_value(v) == 0) ||
                     (json_is_string(v) && strcmp(json_string_value(v), "0") == 0)))
        return 0;
    return chat_json_uid(body, key) ? 0 : USCHAT_ERR_OUT_OF_RANGE;
}

static int s_bool(const json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return !v ? USCHAT_ERR_JSON : json_is_boolean(v) ? 0 : USCHAT_ERR_JSON;
}

/* A text of min..max characters: 0, 1001 (absent when required, wrong type) or too_long. */
static int s_text(const json_t *body, const char *key, bool required, size_t min, size_t max,
                  int too_long)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return required ? USCHAT_ERR_JSON : 0;
    if (!json_is_string(v))
        return USCHAT_ERR_JSON;
    size_t n = chat_utf8_chars(json_string_value(v));
    return n < min || n > max ? too_long : 0;
}

/* A list of {uid} (GROUP_UID_ITEM), at most max, none of them self. */
static int s_members(const json_t *body, const char *key, bool required, size_t max, uint64_t self)
{
    json_t *list = json_object_get(body, key);
    if (!list)
        return required ? USCHAT_ERR_JSON : 0;
    if (!json_is_array(list))
        return USCHAT_ERR_JSON;
    size_t n = json_array_size(list);
    if ((required && n == 0) || n > max)
        return USCHAT_ERR_OUT_OF_RANGE;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        int error = json_is_object(item) ? s_id(item, USCHAT_FIELD(GROUP_UID_ITEM, uid), true, 1)
                                         : USCHAT_ERR_JSON;
        if (error)
            return error;
        if (chat_json_uid(item, USCHAT_FIELD(GROUP_UID_ITEM, uid)) == self)
            return USCHAT_ERR_OUT_OF_RANGE;
    }
    return 0;
}

/* The 1017-like list of texts, images and files (chat_text_check_items()). */
static int s_texts(const json_t *body)
{
    json_t *list = json_object_get(body, USCHAT_FIELD(GROUP_TEXT_REQ, text_array));
    if (!list)
        return USCHAT_ERR_JSON;
    if (!json_is_array(list))
        return USCHAT_ERR_JSON;
    return chat_text_check_items(list, USCHAT_MAX(GROUP_TEXT_REQ, text_array));
}

static int s_sync_fields(const json_t *body)
{
#define REQ(f) USCHAT_FIELD(GROUP_SYNC_REQ, f)
    int error = s_id(body, REQ(after_seq), false, 0);
    if (!error)
        error = s_id(body, REQ(before_seq), false, 0);
    json_t *limit = json_object_get(body, REQ(limit));
    if (!error && limit && !json_is_integer(limit))
        error = USCHAT_ERR_JSON;
    if (!error && limit &&
        (json_integer_value(limit) < 1 ||
         json_integer_value(limit) > USCHAT_MAX(GROUP_SYNC_REQ, limit)))
        error = USCHAT_ERR_OUT_OF_RANGE;
#undef REQ
    return error;
}

/* The shape of each request beyond its group_id. */
static int s_check(uint16_t id, const json_t *body, uint64_t self)
{
#define F(SHAPE, f) USCHAT_FIELD(SHAPE, f)
    switch (id) {
    case USCHAT_ID_GROUP_CREATE_REQ: {
        int error =
            s_text(body, F(GROUP_CREATE_REQ, name), true, USCHAT_MIN(GROUP_CREATE_REQ, name),
                   USCHAT_MAX(GROUP_CREATE_REQ, name), USCHAT_ERR_GROUP_TEXT_TOO_LONG);
        return error ? error
                     : s_members(body, F(GROUP_CREATE_REQ, members), false,
                                 USCHAT_MAX(GROUP_CREATE_REQ, members), self);
    }
    case USCHAT_ID_GROUP_INVITE_REQ:
        return s_members(body, F(GROUP_INVITE_REQ, members), true,
                         USCHAT_MAX(GROUP_INVITE_REQ, members), self);
    case USCHAT_ID_GROUP_REMOVE_REQ:
    case USCHAT_ID_GROUP_TRANSFER_REQ: {
        int error = s_id(body, F(GROUP_REMOVE_REQ, member), true, 1);
        if (!error && chat_json_uid(body, F(GROUP_REMOVE_REQ, member)) == self)
            error = USCHAT_ERR_OUT_OF_RANGE;
        return error;
    }
    case USCHAT_ID_GROUP_SET_ADMIN_REQ: {
        int error = s_id(body, F(GROUP_SET_ADMIN_REQ, member), true, 1);
        if (!error && chat_json_uid(body, F(GROUP_SET_ADMIN_REQ, member)) == self)
            error = USCHAT_ERR_OUT_OF_RANGE;
        return error ? error : s_bool(body, F(GROUP_SET_ADMIN_REQ, on));
    }
    case USCHAT_ID_GROUP_MUTE_REQ: {
        int error = s_id(body, F(GROUP_MUTE_REQ, member), true, 1);
        if (!error && chat_json_uid(body, F(GROUP_MUTE_REQ, member)) == self)
            error = USCHAT_ERR_OUT_OF_RANGE;
        json_t *until = json_object_get(body, F(GROUP_MUTE_REQ, until));
        if (!error && !json_is_integer(until))
            error = USCHAT_ERR_JSON;
        /* up to the year 9999: the DATETIME column's range */
        if (!error && (json_integer_value(until) < 0 || json_integer_value(until) > 253402300799))
            error = USCHAT_ERR_OUT_OF_RANGE;
        return error;
    }
    case USCHAT_ID_GROUP_MUTE_ALL_REQ:
    case USCHAT_ID_GROUP_INVITE_POLICY_REQ:
        return s_bool(body, F(GROUP_MUTE_ALL_REQ, on));
    case USCHAT_ID_GROUP_RENAME_REQ:
        return s_text(body, F(GROUP_RENAME_REQ, name), true, USCHAT_MIN(GROUP_RENAME_REQ, name),
                      USCHAT_MAX(GROUP_RENAME_REQ, name), USCHAT_ERR_GROUP_TEXT_TOO_LONG);
    case USCHAT_ID_GROUP_ANNOUNCE_REQ:
        return s_text(body, F(GROUP_ANNOUNCE_REQ, announcement), true, 0,
                      USCHAT_MAX(GROUP_ANNOUNCE_REQ, announcement), USCHAT_ERR_GROUP_TEXT_TOO_LONG);
    case USCHAT_ID_GROUP_LIST_REQ:
        return s_id(body, F(GROUP_LIST_REQ, group_id), false, 0);
    case USCHAT_ID_GROUP_TEXT_REQ:
        return s_texts(body);
    case USCHAT_ID_GROUP_SYNC_REQ:
        return s_sync_fields(body);
    case USCHAT_ID_GROUP_READ_REQ:
        return s_id(body, F(GROUP_READ_REQ, seq), true, 1);
    case USCHAT_ID_GROUP_MEMBERS_REQ:
        return s_id(body, F(GROUP_MEMBERS_REQ, uid), false, 0);
    case USCHAT_ID_GROUP_READ_COUNTS_REQ: { /* from <= to, at most a reply's worth of seqs */
        int error = s_id(body, F(GROUP_READ_COUNTS_REQ, from_seq), true, 1);
        if (!error)
            error = s_id(body, F(GROUP_READ_COUNTS_REQ, to_seq), true, 1);
        uint64_t from = chat_json_uid(body, F(GROUP_READ_COUNTS_REQ, from_seq));
        uint64_t to = chat_json_uid(body, F(GROUP_READ_COUNTS_REQ, to_seq));
        if (!error && (to < from || to - from >= USCHAT_MAX(GROUP_READ_COUNTS_RSP, counts)))
            error = USCHAT_ERR_OUT_OF_RANGE;
        return error;
    }
    default:
        return 0; /* leave, dissolve: the group id only */
    }
#undef F
}

/* ---- one write of a group at a time ------------------------------------------------------ */

/* The writes of a group waiting for the one in the pool; present in node->group_gates while
 * a write of the group is in the pool. */
typedef struct {
    chat_job_t *head, *tail; /* linked by job->next */
} s_gate_t;

static uint64_t s_group_of(const chat_job_t *job)
{
    return chat_json_uid(job->request, USCHAT_FIELD(GROUP_LEAVE_REQ, group_id));
}

/* A waiting job the pool did not take (full, or stopping): 1018, like a refused submit. */
static void s_refuse(chat_node_t *node, chat_job_t *job)
{
    chat_conn_t *conn = chat_conn_find(node, job->fd, job->conn_id);
    node->stats.busy++;
    if (conn) {
        if (conn->inflight)
            conn->inflight--;
        chat_conn_send_error(node, conn, job->reply_id, USCHAT_ERR_BUSY);
    }
    chat_job_destroy(&job);
}

/* The group's write came back: its next waiting write (the texts at the head of the queue as
 * one job) goes to the pool; the gate goes away once nothing waits. */
static void s_gate_next(chat_node_t *node, uint64_t group_id)
{
    s_gate_t *gate = chat_umap_get(&node->group_gates, group_id);
    while (gate && gate->head) {
        chat_job_t *job = gate->head, *last = job;
        uint32_t n = 1;
        if (job->group_op == USCHAT_ID_GROUP_TEXT_REQ)
            while (last->next && last->next->group_op == USCHAT_ID_GROUP_TEXT_REQ &&
                   n < GROUP_BATCH_MAX) {
                last = last->next;
                n++;
            }
        gate->head = last->next;
        if (!gate->head)
            gate->tail = NULL;
        last->next = NULL;
        if (chat_job_try_submit(node, job, group_id) == 0)
            return;
        while (job) {
            chat_job_t *next = job->next;
            job->next = NULL;
            s_refuse(node, job);
            job = next;
        }
    }
    free(chat_umap_remove(&node->group_gates, group_id));
}

/* A write of a group: to the pool when none of the group's is there, else it waits. */
static void s_gate_submit(chat_node_t *node, chat_conn_t *conn, chat_job_t *job, uint64_t group_id)
{
    s_gate_t *gate = chat_umap_get(&node->group_gates, group_id);
    if (!gate) {
        gate = calloc(1, sizeof *gate);
        if (gate && chat_umap_put(&node->group_gates, group_id, gate) < 0) {
            free(gate);
            gate = NULL;
        }
        if (chat_job_submit(node, job, group_id) < 0 && gate)
            free(chat_umap_remove(&node->group_gates, group_id));
        return; /* without memory for a gate: straight to the pool, as one job */
    }
    if (node->stopping || conn->inflight >= node->cfg.max_inflight) {
        node->stats.busy++;
        chat_conn_send_error(node, conn, job->reply_id, USCHAT_ERR_BUSY);
        chat_job_destroy(&job);
        return;
    }
    conn->inflight++;
    if (gate->tail)
        gate->tail->next = job;
    else
        gate->head = job;
    gate->tail = job;
}

void chat_group_gates_clear(chat_node_t *node)
{
    for (size_t i = 0; i < node->group_gates.cap; i++) {
        s_gate_t *gate = node->group_gates.slots[i].key ? node->group_gates.slots[i].value : NULL;
        if (!gate)
            continue;
        while (gate->head) {
            chat_job_t *job = gate->head;
            gate->head = job->next;
            job->next = NULL;
            chat_job_destroy(&job);
        }
        free(gate);
    }
    chat_umap_clear(&node->group_gates);
}

/* Back on the I/O thread: counts what was stored, answers, pushes (for each text committed
 * with this one too), then lets the group's next write go. */
static void s_done(chat_node_t *node, chat_job_t *job)
{
    if (job->group_op == USCHAT_ID_GROUP_TEXT_REQ)
        node->stats.group_text_commits++;
    for (chat_job_t *j = job; j; j = j->next) {
        if (j != job) { /* chat_job_finish() did this for the job itself */
            chat_conn_t *conn = chat_conn_find(node, j->fd, j->conn_id);
            if (conn && conn->inflight)
                conn->inflight--;
        }
        if (j->group_op == USCHAT_ID_GROUP_TEXT_REQ)
            node->stats.group_texts += j->batch_rows;
        else
            node->stats.group_events += j->batch_rows;
        if (!j->reply && j->reply_id) /* the worker gave up before answering (no connection) */
            chat_job_set_error(j, USCHAT_ERR_RPC);
        chat_job_done_reply(node, j);
    }
    if (s_route(job->group_op)->by_group)
        s_gate_next(node, s_group_of(job));
}

void chat_group_request(chat_node_t *node, chat_conn_t *conn, uint16_t id, json_t *body)
{
    const s_route_t *route = s_route(id);
    if (!route) {
        json_decref(body);
        return;
    }
    const char *gid = USCHAT_FIELD(GROUP_LEAVE_REQ, group_id);
    bool has_group = id != USCHAT_ID_GROUP_CREATE_REQ && id != USCHAT_ID_GROUP_LIST_REQ;
    int error = has_group ? s_id(body, gid, true, 1) : 0;
    if (!error)
        error = s_check(id, body, conn->uid);
    if (error) {
        json_decref(body);
        chat_conn_send_error(node, conn, route->reply_id, error);
        return;
    }
    chat_job_t *job = chat_job_new(node, conn, route->reply_id, route->run, s_done);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, route->reply_id, USCHAT_ERR_BUSY);
        return;
    }
    job->request = body;
    job->group_op = id;
    if (route->by_group)
        s_gate_submit(node, conn, job, chat_json_uid(body, gid));
    else
        chat_job_submit(node, job, conn->uid);
}
