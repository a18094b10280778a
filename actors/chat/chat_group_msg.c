/* chat_group_msg.c - the texts of a group and what a member reads: 1077 (send), 1080 (sync and
 * paging back), 1082 (read mark), 1075 (my groups) and 1084 (members), in MySQL.
 *
 * Sends are committed in batches: the send requests of a group that queued on this node while
 * the group's previous write was in the pool (chat_group.c; of one sender or several, at most
 * GROUP_BATCH_MAX) are one transaction. The group's row locked (SELECT ... FOR UPDATE: the seq
 * and each sender's rights are read under the lock every writer of the group takes), then per
 * request in arrival order: the sender's stored copies of its unique_ids read back, its new
 * texts inserted with last_seq + 1, + 2... in item order (one INSERT ... SELECT FROM
 * JSON_TABLE), their ids read back by seq; a request refused (not a member, muted, an unknown
 * file) stores nothing and takes no seq, the others go on. Then last_seq updated once, the
 * members listed once for the push; COMMIT, and only then the answers, and the members' places
 * looked up once in Redis for every request's push. A resent (sender, unique_id) of the group
 * is answered with the stored copy and neither stored nor pushed again (also within one
 * batch: the transaction reads its own rows); the same unique_id twice in one request is one
 * text.
 *
 * A member reads the messages after their join_seq only; without a group_member row (never
 * joined, left, removed) every request here answers 1016.
 *
 * Threads: worker threads (chat_job_t run()), each with its own MySQL connection.
 */
#include "chat_group.h"
#include "chat_group_db.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_store.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uschat/log.h"

#define UTF8_BIN     "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
#define SYNC_DEFAULT 100
#define LIST_PAGE    USCHAT_MAX(GROUP_LIST_RSP, groups)
#define MEMBERS_PAGE USCHAT_MAX(GROUP_MEMBERS_RSP, members)
#define TX_ATTEMPTS  5
#define MSG(f)       USCHAT_FIELD(GROUP_MSG_ITEM, f)
#define MSGS(f)      USCHAT_FIELD(GROUP_TEXT_RSP, f)

void chat_group_now(char out[20])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

json_t *chat_group_msg_item(int64_t group_id, int64_t msg_id, int64_t seq, int kind, int64_t sender,
                            const char *unique_id, const char *content, const char *chat_time,
                            const chat_file_t *file)
{
    bool event = kind == CHAT_KIND_EVENT;
    json_t *item = json_pack("{sIsIsIsisIssssss}", MSG(group_id), (json_int_t)group_id, MSG(msg_id),
                             (json_int_t)msg_id, MSG(seq), (json_int_t)seq, MSG(kind), kind,
                             MSG(sender), (json_int_t)sender, MSG(unique_id), unique_id,
                             MSG(content), event ? "" : content, MSG(chat_time), chat_time);
    if (item && event) {
        json_t *ev = json_loads(content, 0, NULL);
        json_object_set_new(item, MSG(event), ev ? ev : json_object());
    } else if (item && chat_file_json(item, kind, file) < 0) {
        json_decref(item);
        item = NULL;
    }
    return item;
}

/* ---- rows ------------------------------------------------------------------------------------ */

/* A message row: message_id, seq, kind, sender_id, unique_id, content, created_at, then its
 * kind and file (chat_file.h: the `file` row of an image or file joined). */
#define SQL_MSG                                                                                    \
    "SELECT m.message_id, m.seq, m.kind, m.sender_id, m.unique_id, m.content, "                    \
    "m.created_at, " CHAT_FILE_SQL_COLS("m") " FROM group_message m" CHAT_FILE_SQL_JOIN("m")

typedef struct {
    json_t *items;
    int64_t group_id;
} s_msgs_t;

static int s_on_msg(void *arg, const db_value_t *c, size_t ncols)
{
    s_msgs_t *m = arg;
    if (ncols < 7 + CHAT_FILE_NCOLS)
        return 0;
    chat_file_t f;
    int kind = chat_file_from_cols(&c[7], &f, false);
    /* an event's unique_id is NULL */
    json_array_append_new(m->items, chat_group_msg_item(m->group_id, c[0].i64, c[1].i64, kind,
                                                        c[3].i64, c[4].is_null ? "" : c[4].str,
                                                        c[5].str, c[6].str, &f));
    return 0;
}

/* ---- 1077: texts ----------------------------------------------------------------------------- */

/* One request of a batch. */
typedef struct {
    chat_job_t *job;
    json_t *texts;      /* the request's text_array (borrowed) */
    chat_file_t *files; /* per item: its file (kind 1/2), looked up in the transaction */
    json_t *out;        /* per request item, its stored message */
    json_t *fresh;      /* the items stored by this request */
    int error;          /* this request's refusal (nothing of it stored), 0 */
} s_send_t;

/* The texts of one group committed together: the requests of the job and of those queued
 * behind it (chat_group.c), of one sender or several. */
typedef struct {
    int64_t group_id;
    s_send_t *reqs;
    size_t n;
    int64_t start; /* the group's last_seq when the transaction locked it */
    int64_t seq;   /* the last seq given so far in the transaction, -1 before the lock */
    chat_group_uids_t members;
} s_batch_t;

/* The stored copy of unique_id among rows (an array of items), or NULL. */
static json_t *s_find(json_t *items, const char *unique_id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i,
                       it) if (strcmp(json_string_value(json_object_get(it, MSG(unique_id))),
                                      unique_id) == 0) return it;
    return NULL;
}

/* The request's images and files, looked up under the group's lock: 0, or 1067 when one names
 * no finished file the sender may send (nothing is stored), or DB_ERR_*. Texts cost nothing. */
static int s_files(db_conn_t *db, s_send_t *s, uint64_t uid)
{
    size_t n = json_array_size(s->texts), k = 0;
    chat_file_want_t want[USCHAT_MAX(GROUP_TEXT_REQ, text_array)];
    for (size_t i = 0; i < n && i < sizeof want / sizeof *want; i++)
        if (chat_file_from_item(json_array_get(s->texts, i), &s->files[i]) != CHAT_KIND_TEXT)
            want[k++] = (chat_file_want_t){&s->files[i], uid, false};
    int rc = k ? chat_file_lookup(db, want, k) : 0;
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (!want[i].ok)
            rc = USCHAT_ERR_FILE_UNKNOWN;
    return rc;
}

/* One request inside the batch's transaction: the sender's rights read under the group's
 * lock, its stored copies of the request's unique_ids read back, its new texts inserted after
 * b->seq and their ids read back. 0, a refusal (> 0, nothing of it written) or DB_ERR_*. */
static int s_send_one(db_conn_t *db, s_batch_t *b, s_send_t *s, const char *now)
{
    uint64_t uid = s->job->uid;
    chat_group_row_t g;
    chat_group_member_t me;
    int rc = chat_group_lock(db, b->group_id, uid, &g, &me);
    if (rc != 0 && g.id == 0)
        return rc;  /* no such group */
    if (b->seq < 0) /* last_seq is written once, at the end: the first read holds for all */
        b->start = b->seq = g.last_seq;
    if (rc != 0)
        return rc; /* not a member */
    if (g.dissolved)
        return USCHAT_ERR_GROUP_DISSOLVED;
    if (me.muted_now || (g.mute_all && me.role == CHAT_GROUP_MEMBER))
        return USCHAT_ERR_GROUP_MUTED;
    /* the sender's stored copies of the request's unique_ids (a resend). A plain read: the
     * group's lock, held, orders every writer of the group, so the snapshot (taken by this
     * first plain read) holds every copy committed before, and this transaction's own rows.
     * A locking read here took gap locks on the unique key that reached into other groups'
     * ranges, and with the AUTO-INC lock of another group's INSERT made deadlocks (2.7 % of
     * texts flat out over 100 groups). */
    json_t *ids = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(s->texts, i, t)
        json_array_append(ids, json_object_get(t, USCHAT_FIELD(TEXT_ITEM, unique_id)));
    char *ids_text = chat_json_dump(ids, &(size_t){0});
    json_decref(ids);
    json_t *stored = json_array();
    s_msgs_t m = {stored, b->group_id};
    rc = ids_text && stored
             ? db_query(db,
                        SQL_MSG "WHERE group_id = ? AND sender_id = ? AND unique_id IN (SELECT j.u "
                                "FROM JSON_TABLE(?, '$[*]' COLUMNS (u VARCHAR(64) " UTF8_BIN
                                " PATH '$')) AS j)",
                        (db_param_t[]){DB_I64(b->group_id), DB_U64(uid), DB_STR(ids_text)}, 3,
                        s_on_msg, &m)
             : DB_ERR_QUERY;
    free(ids_text);
    if (rc < 0) {
        json_decref(stored);
        return rc;
    }
    rc = s_files(db, s, uid);
    if (rc != 0) {
        json_decref(stored);
        return rc;
    }
    /* the new ones: [[seq, unique_id, content, kind, file_id, width, height, preview], ...] in
     * item order */
    json_t *rows = json_array();
    int64_t before = b->seq;
    json_array_foreach(s->texts, i, t)
    {
        const char *u = json_string_value(json_object_get(t, USCHAT_FIELD(TEXT_ITEM, unique_id)));
        const char *c = json_string_value(json_object_get(t, USCHAT_FIELD(TEXT_ITEM, content)));
        const chat_file_t *f = &s->files[i];
        int kind = f->id[0]
                       ? (int)json_integer_value(json_object_get(t, USCHAT_FIELD(TEXT_ITEM, kind)))
                       : CHAT_KIND_TEXT;
        char content[sizeof f->name + 8];
        if (kind != CHAT_KIND_TEXT) {
            chat_file_content(kind, f, content, sizeof content);
            c = content;
        }
        json_t *copy = s_find(stored, u);
        if (!copy)
            copy = s_find(s->fresh, u);
        if (!copy) {
            copy = chat_group_msg_item(b->group_id, 0, ++b->seq, kind, (int64_t)uid, u, c, now, f);
            json_array_append_new(s->fresh, copy);
            json_array_append_new(rows, kind == CHAT_KIND_TEXT
                                            ? json_pack("[Iss]", (json_int_t)b->seq, u, c)
                                            : json_pack("[Issisiio]", (json_int_t)b->seq, u, c,
                                                        kind, f->id, f->width, f->height,
                                                        json_stringn(f->preview, f->preview_len)));
        }
        json_array_append(s->out, copy);
    }
    json_decref(stored);
    rc = 0;
    if (json_array_size(rows) > 0) {
        char *rows_text = chat_json_dump(rows, &(size_t){0});
        rc = rows_text ? db_exec(db,
                                 "INSERT INTO group_message (group_id, seq, kind, sender_id, "
                                 "unique_id, content, created_at, file_id, width, height, "
                                 "preview) SELECT ?, j.s, COALESCE(j.k, 0), ?, j.u, j.c, ?, j.fi, "
                                 "COALESCE(j.w, 0), COALESCE(j.h, 0), NULLIF(j.p, '') "
                                 "FROM JSON_TABLE(?, '$[*]' COLUMNS (s BIGINT PATH '$[0]', "
                                 "u VARCHAR(64) " UTF8_BIN " PATH '$[1]', c VARCHAR(4096) "
                                 "CHARACTER SET utf8mb4 PATH '$[2]', k TINYINT PATH '$[3]', "
                                 "fi CHAR(32) CHARACTER SET ascii PATH '$[4]', w INT PATH '$[5]', "
                                 "h INT PATH '$[6]', p TEXT CHARACTER SET ascii PATH '$[7]')) AS j",
                                 (db_param_t[]){DB_I64(b->group_id), DB_U64(uid), DB_STR(now),
                                                DB_STR(rows_text)},
                                 4, NULL)
                       : DB_ERR_QUERY;
        free(rows_text);
        /* the ids, by seq */
        json_t *ids_by_seq = json_array();
        s_msgs_t back = {ids_by_seq, b->group_id};
        if (rc >= 0)
            rc = db_query(db, SQL_MSG "WHERE group_id = ? AND seq > ? ORDER BY seq",
                          (db_param_t[]){DB_I64(b->group_id), DB_I64(before)}, 2, s_on_msg, &back);
        json_array_foreach(s->fresh, i, t)
        {
            json_t *row = json_array_get(ids_by_seq, i);
            json_object_set(t, MSG(msg_id), json_object_get(row, MSG(msg_id)));
        }
        json_decref(ids_by_seq);
    }
    json_decref(rows);
    return rc < 0 ? rc : 0;
}

/* The batch's transaction: every request in order under the group's lock (a refused one is
 * left out, the others go on), then last_seq once, the members for the push, one COMMIT. */
static int s_batch_tx(db_conn_t *db, void *arg)
{
    s_batch_t *b = arg;
    b->start = b->seq = -1;
    b->members.n = 0;
    int rc = db_begin(db);
    if (rc < 0)
        return rc;
    char now[20];
    chat_group_now(now);
    for (size_t i = 0; i < b->n; i++) {
        s_send_t *s = &b->reqs[i];
        json_array_clear(s->out);
        json_array_clear(s->fresh);
        s->error = 0;
        rc = s_send_one(db, b, s, now);
        if (rc < 0)
            return rc;
        s->error = rc;
    }
    if (b->seq > b->start) {
        rc = db_exec(db, "UPDATE group_chat SET last_seq = ? WHERE id = ?",
                     (db_param_t[]){DB_I64(b->seq), DB_I64(b->group_id)}, 2, NULL);
        if (rc >= 0)
            rc = chat_group_uids_load(db, b->group_id, &b->members);
        if (rc < 0)
            return rc;
    }
    return db_commit(db);
}

void chat_group_store_text(chat_job_t *job, chat_worker_t *worker)
{
    int64_t group_id = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_TEXT_REQ, group_id));
    s_batch_t b = {.group_id = group_id};
    for (chat_job_t *j = job; j; j = j->next)
        b.n++;
    b.reqs = calloc(b.n, sizeof *b.reqs);
    int rc = b.reqs ? 0 : DB_ERR_QUERY;
    size_t i = 0;
    for (chat_job_t *j = job; j && rc == 0; j = j->next, i++) {
        s_send_t *s = &b.reqs[i];
        s->job = j;
        s->texts = json_object_get(j->request, USCHAT_FIELD(GROUP_TEXT_REQ, text_array));
        s->out = json_array();
        s->fresh = json_array();
        s->files = calloc(json_array_size(s->texts) + 1, sizeof *s->files);
        if (!s->out || !s->fresh || !s->files)
            rc = DB_ERR_QUERY;
    }
    if (rc == 0)
        rc = db_tx_retry(worker->db, TX_ATTEMPTS, s_batch_tx, &b);
    if (rc < 0)
        log_warn("chat: texts to group %" PRId64 " (%zu requests): %s", group_id, b.n,
                 db_strerror(rc));
    /* where the members are: looked up once for every request that stored something */
    chat_group_fan_t *where = NULL;
    if (rc == 0 && b.members.n)
        where = chat_group_fan_lookup(worker, (uint64_t)group_id, b.members.uids, b.members.n);
    for (chat_job_t *j = job; j; j = j->next)
        if (!b.reqs)
            chat_job_set_error(j, USCHAT_ERR_RPC);
    for (i = 0; b.reqs && i < b.n; i++) {
        s_send_t *s = &b.reqs[i];
        int error = rc < 0 ? USCHAT_ERR_RPC : rc > 0 ? rc : s->error;
        if (error) {
            chat_job_set_reply(s->job, json_pack("{sisIs[]}", MSGS(error), error, MSGS(group_id),
                                                 (json_int_t)group_id, MSGS(chat_datas)));
        } else {
            s->job->batch_rows = (uint32_t)json_array_size(s->fresh);
            chat_job_set_reply(s->job, json_pack("{sisIsO}", MSGS(error), 0, MSGS(group_id),
                                                 (json_int_t)group_id, MSGS(chat_datas), s->out));
            if (json_array_size(s->fresh) > 0)
                chat_group_fan_attach(s->job, where, s->job->uid, USCHAT_ID_NOTIFY_GROUP_MSG,
                                      json_pack("{sisIsO}", MSGS(error), 0, MSGS(group_id),
                                                (json_int_t)group_id, MSGS(chat_datas), s->fresh));
        }
        free(s->files);
        json_decref(s->out);
        json_decref(s->fresh);
    }
    chat_group_fan_free(where);
    free(b.members.uids);
    free(b.reqs);
}

/* ---- 1080: sync and paging back ------------------------------------------------------------- */

static void s_sync_trimmed(json_t *rsp, void *arg)
{
    (void)arg;
    json_object_set_new(rsp, USCHAT_FIELD(GROUP_SYNC_RSP, has_more), json_true());
}

/* Reads me (a member of group_id) or answers the job with 1016 / reply_error. true = go on. */
static bool s_member_or_answer(chat_job_t *job, chat_worker_t *worker, int64_t group_id,
                               chat_group_member_t *me, int reply_error)
{
    int rc = chat_group_member(worker->db, group_id, job->uid, me);
    if (rc == 1)
        return true;
    if (rc < 0)
        log_warn("chat: member %" PRIu64 " of group %" PRId64 ": %s", job->uid, group_id,
                 db_strerror(rc));
    chat_job_set_reply(job, json_pack("{sisI}", MSGS(error),
                                      rc < 0 ? reply_error : USCHAT_ERR_NOT_FRIENDS, MSGS(group_id),
                                      (json_int_t)group_id));
    return false;
}

void chat_group_store_sync(chat_job_t *job, chat_worker_t *worker)
{
#define REQ(f) USCHAT_FIELD(GROUP_SYNC_REQ, f)
#define RSP(f) USCHAT_FIELD(GROUP_SYNC_RSP, f)
    int64_t group_id = (int64_t)chat_json_uid(job->request, REQ(group_id));
    int64_t after = (int64_t)chat_json_uid(job->request, REQ(after_seq));
    int64_t before = (int64_t)chat_json_uid(job->request, REQ(before_seq));
    json_t *jl = json_object_get(job->request, REQ(limit));
    int64_t limit = json_is_integer(jl) ? json_integer_value(jl) : SYNC_DEFAULT;
    chat_group_member_t me;
    if (!s_member_or_answer(job, worker, group_id, &me, USCHAT_ERR_LOAD_CHAT))
        return;
    if (after < me.join_seq)
        after = me.join_seq; /* never what came before the join */
    json_t *items = json_array();
    s_msgs_t m = {items, group_id};
    int rc =
        !items ? DB_ERR_QUERY
        : before > 0
            ? db_query(worker->db,
                       SQL_MSG "WHERE group_id = ? AND seq < ? AND seq > ? ORDER BY seq DESC "
                               "LIMIT ?",
                       (db_param_t[]){DB_I64(group_id), DB_I64(before), DB_I64(me.join_seq),
                                      DB_I64(limit + 1)},
                       4, s_on_msg, &m)
            : db_query(worker->db, SQL_MSG "WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                       (db_param_t[]){DB_I64(group_id), DB_I64(after), DB_I64(limit + 1)}, 3,
                       s_on_msg, &m);
    if (rc > 0) /* what it found is on disk before anyone sees it (chat_store_durable) */
        rc = chat_store_durable(worker);
    if (rc < 0) {
        log_warn("chat: sync of group %" PRId64 ": %s", group_id, db_strerror(rc));
        json_decref(items);
        chat_job_set_reply(job, json_pack("{sisI}", RSP(error), USCHAT_ERR_LOAD_CHAT, RSP(group_id),
                                          (json_int_t)group_id));
        return;
    }
    bool more = (int64_t)json_array_size(items) > limit;
    if (more)
        json_array_remove(items, (size_t)limit);
    if (before > 0) { /* newest first from the query: the page goes oldest first */
        json_t *rev = json_array();
        for (size_t i = json_array_size(items); i-- > 0;)
            json_array_append(rev, json_array_get(items, i));
        json_decref(items);
        items = rev;
    }
    chat_job_set_reply_fit(job,
                           json_pack("{sisIsbsIso}", RSP(error), 0, RSP(group_id),
                                     (json_int_t)group_id, RSP(has_more), more, RSP(join_seq),
                                     (json_int_t)me.join_seq, RSP(chat_datas), items),
                           RSP(chat_datas), before > 0, s_sync_trimmed);
#undef REQ
#undef RSP
}

/* ---- 1082: read mark ------------------------------------------------------------------------- */

void chat_group_store_read(chat_job_t *job, chat_worker_t *worker)
{
#define RSP(f) USCHAT_FIELD(GROUP_READ_RSP, f)
    int64_t group_id = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_READ_REQ, group_id));
    int64_t seq = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_READ_REQ, seq));
    chat_group_member_t me;
    if (!s_member_or_answer(job, worker, group_id, &me, USCHAT_ERR_RPC))
        return;
    if (seq > me.last_seq) {
        chat_job_set_reply(job, json_pack("{sisI}", RSP(error), USCHAT_ERR_OUT_OF_RANGE,
                                          RSP(group_id), (json_int_t)group_id));
        return;
    }
    int rc = db_exec(worker->db,
                     "UPDATE group_member SET read_seq = GREATEST(read_seq, ?) WHERE group_id = ? "
                     "AND uid = ?",
                     (db_param_t[]){DB_I64(seq), DB_I64(group_id), DB_U64(job->uid)}, 3, NULL);
    if (rc < 0) {
        log_warn("chat: read mark of group %" PRId64 ": %s", group_id, db_strerror(rc));
        chat_job_set_reply(job, json_pack("{sisI}", RSP(error), USCHAT_ERR_RPC, RSP(group_id),
                                          (json_int_t)group_id));
        return;
    }
    chat_job_set_reply(job,
                       json_pack("{sisIsI}", RSP(error), 0, RSP(group_id), (json_int_t)group_id,
                                 RSP(seq), (json_int_t)(seq > me.read_seq ? seq : me.read_seq)));
#undef RSP
}

/* ---- pages (1076, 1085) ---------------------------------------------------------------------- */

/* The names of a paged answer: its list, its "more" flag, its cursor, and the items' id. */
typedef struct {
    const char *list, *more, *cursor, *item_id;
} s_page_t;

/* The answer was cut to fit one frame: more follow, from its last item on. */
static void s_page_fix(json_t *rsp, void *arg)
{
    const s_page_t *p = arg;
    json_t *items = json_object_get(rsp, p->list);
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    json_object_set_new(rsp, p->more, json_true());
    json_object_set(rsp, p->cursor, json_object_get(last, p->item_id));
}

/* Answers job with rsp (taken) holding items (taken; one more than page when more follow), the
 * more flag and the cursor (the last item's id, else the request's cursor), cut to one frame. */
static void s_page_reply(chat_job_t *job, json_t *rsp, json_t *items, size_t page, int64_t cursor,
                         const s_page_t *p)
{
    bool more = json_array_size(items) > page;
    if (more)
        json_array_remove(items, page);
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    json_int_t next = last ? json_integer_value(json_object_get(last, p->item_id)) : cursor;
    if (!rsp)
        json_decref(items);
    if (!rsp || json_object_set_new(rsp, p->list, items) < 0 ||
        json_object_set_new(rsp, p->more, json_boolean(more)) < 0 ||
        json_object_set_new(rsp, p->cursor, json_integer(next)) < 0) {
        json_decref(rsp);
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    free(job->reply);
    job->reply = chat_json_dump_fit(rsp, items, false, s_page_fix, (void *)p, &job->reply_len);
    json_decref(rsp);
    if (!job->reply)
        chat_job_set_error(job, USCHAT_ERR_RPC);
}

/* ---- 1075: my groups ------------------------------------------------------------------------- */

static int s_on_group(void *arg, const db_value_t *c, size_t ncols)
{
    json_t *groups = arg;
#define G(f) USCHAT_FIELD(GROUP_ITEM, f)
    if (ncols < 21 + CHAT_FILE_NCOLS)
        return 0;
    int64_t gid = c[0].i64, last_seq = c[10].i64, join_seq = c[11].i64, read_seq = c[12].i64;
    if (read_seq < join_seq)
        read_seq = join_seq;
    chat_file_t f;
    int kind = chat_file_from_cols(&c[21], &f, false);
    json_t *last =
        c[13].is_null || last_seq <= join_seq
            ? json_null()
            : chat_group_msg_item(gid, c[13].i64, c[14].i64, kind, c[16].i64,
                                  c[17].is_null ? "" : c[17].str, c[18].str, c[19].str, &f);
    json_array_append_new(
        groups,
        json_pack("{sIsssssIsisIsbsbsbsIsIsIsIsIso}", G(group_id), (json_int_t)gid, G(name),
                  c[1].str, G(announcement), c[2].str, G(owner), (json_int_t)c[3].i64, G(role),
                  (int)c[4].i64, G(members), (json_int_t)c[5].i64, G(members_invite), c[6].i64 != 0,
                  G(mute_all), c[7].i64 != 0, G(dissolved), c[8].i64 != 0, G(muted_until),
                  (json_int_t)c[9].i64, G(last_seq), (json_int_t)last_seq, G(join_seq),
                  (json_int_t)join_seq, G(read_seq), (json_int_t)read_seq, G(unread),
                  (json_int_t)(last_seq - read_seq), G(last_msg), last));
    return 0;
#undef G
}

void chat_group_store_list(chat_job_t *job, chat_worker_t *worker)
{
#define RSP(f) USCHAT_FIELD(GROUP_LIST_RSP, f)
    int64_t cursor = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_LIST_REQ, group_id));
    json_t *groups = json_array();
    int rc =
        groups
            ? db_query(
                  worker->db,
                  "SELECT g.id, g.name, g.announcement, g.owner_id, m.role, g.members, "
                  "g.members_invite, g.mute_all, g.dissolved, " CHAT_GROUP_MUTED_S
                  ", g.last_seq, m.join_seq, m.read_seq, l.message_id, l.seq, l.kind, "
                  "l.sender_id, l.unique_id, l.content, l.created_at, 0, " CHAT_FILE_SQL_COLS(
                      "l") " FROM group_member m JOIN group_chat g ON "
                           "g.id = m.group_id LEFT JOIN group_message l ON l.group_id = g.id AND "
                           "l.seq = g.last_seq" CHAT_FILE_SQL_JOIN(
                               "l") "WHERE m.uid = ? AND "
                                    "m.group_id > ? ORDER BY m.group_id "
                                    "LIMIT ?",
                  (db_param_t[]){DB_U64(job->uid), DB_I64(cursor), DB_I64(LIST_PAGE + 1)}, 3,
                  s_on_group, groups)
            : DB_ERR_QUERY;
    if (rc > 0) /* the last messages and seqs it shows: on disk first (chat_store_durable) */
        rc = chat_store_durable(worker);
    if (rc < 0) {
        log_warn("chat: groups of %" PRIu64 ": %s", job->uid, db_strerror(rc));
        json_decref(groups);
        chat_job_set_error(job, USCHAT_ERR_LOAD_CHAT);
        return;
    }
    static const s_page_t page = {RSP(groups), RSP(load_more), RSP(next_last_id),
                                  USCHAT_FIELD(GROUP_ITEM, group_id)};
    s_page_reply(job, json_pack("{si}", RSP(error), 0), groups, LIST_PAGE, cursor, &page);
#undef RSP
}

/* ---- 1084: members --------------------------------------------------------------------------- */

static int s_on_member(void *arg, const db_value_t *c, size_t ncols)
{
    json_t *members = arg;
#define M(f) USCHAT_FIELD(GROUP_MEMBER_ITEM, f)
    if (ncols < 6)
        return 0;
    json_array_append_new(members,
                          json_pack("{sIsssssssisI}", M(uid), (json_int_t)c[0].i64, M(name),
                                    c[1].str, M(nick), c[2].str, M(icon), c[3].str, M(role),
                                    (int)c[4].i64, M(muted_until), (json_int_t)c[5].i64));
    return 0;
#undef M
}

void chat_group_store_members(chat_job_t *job, chat_worker_t *worker)
{
#define RSP(f) USCHAT_FIELD(GROUP_MEMBERS_RSP, f)
    int64_t group_id =
        (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_MEMBERS_REQ, group_id));
    int64_t cursor = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_MEMBERS_REQ, uid));
    chat_group_member_t me;
    if (!s_member_or_answer(job, worker, group_id, &me, USCHAT_ERR_LOAD_CHAT))
        return;
    json_t *members = json_array();
    int rc =
        members
            ? db_query(worker->db,
                       "SELECT m.uid, u.name, u.nick, u.icon, m.role, " CHAT_GROUP_MUTED_S
                       " FROM group_member m JOIN user u ON u.uid = m.uid WHERE "
                       "m.group_id = ? AND m.uid > ? ORDER BY m.uid LIMIT ?",
                       (db_param_t[]){DB_I64(group_id), DB_I64(cursor), DB_I64(MEMBERS_PAGE + 1)},
                       3, s_on_member, members)
            : DB_ERR_QUERY;
    if (rc < 0) {
        log_warn("chat: members of group %" PRId64 ": %s", group_id, db_strerror(rc));
        json_decref(members);
        chat_job_set_reply(job, json_pack("{sisI}", RSP(error), USCHAT_ERR_LOAD_CHAT, RSP(group_id),
                                          (json_int_t)group_id));
        return;
    }
    static const s_page_t page = {RSP(members), RSP(load_more), RSP(next_uid),
                                  USCHAT_FIELD(GROUP_MEMBER_ITEM, uid)};
    s_page_reply(job, json_pack("{sisI}", RSP(error), 0, RSP(group_id), (json_int_t)group_id),
                 members, MEMBERS_PAGE, cursor, &page);
#undef RSP
}
