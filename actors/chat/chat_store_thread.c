/* chat_store_thread.c - threads, history, sync and read marks in MySQL (1025-1035).
 *
 * Each function is a chat_job_t run() on a worker thread, for a request chat_dispatch.c has
 * already checked for shape; the job is keyed by the user, so one user's requests run in order.
 * Every read of a thread's messages first checks that the user is a member of it (1016 when
 * not). A message's status is not stored per message: it is 1 (read) when the recipient's read
 * mark (thread_read.read_seq) has reached its seq, so a read mark is one row, not an UPDATE of
 * every message it covers.
 */
#include "chat_store.h"
#include "chat_file.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>

#include "uschat/log.h"

#define THREADS_PAGE USCHAT_MAX(THREAD_LIST_RSP, threads)
_Static_assert(THREADS_PAGE + 1 == 51, "the thread list's SQL LIMIT below is one more");
#define HISTORY_PAGE 50 /* 1029 "before": a screenful or two of a conversation */
/* 1029 forward (the seed's wire), used to load whole histories: 100 a page keeps 500 messages
 * to 5 requests, and a page of short messages well inside one frame (longer ones are cut to
 * fit, and paging on still brings everything once) */
#define HISTORY_FORWARD_PAGE USCHAT_MAX(LOAD_CHAT_RSP, chat_datas)
#define SYNC_DEFAULT         100

/* JSON names come from the protocol's table (schema/messages/client.def). 1030, 1032 and 1034
 * all start with error and thread_id, and an error answer to any of them is just those two. */
#define THREAD_RSP(f) USCHAT_FIELD(READ_MARK_RSP, f)
#define LIST_RSP(f)   USCHAT_FIELD(THREAD_LIST_RSP, f)
#define THREAD(f)     USCHAT_FIELD(THREAD_ITEM, f)
#define STORED(f)     USCHAT_FIELD(STORED_ITEM, f)
#define HISTORY(f)    USCHAT_FIELD(LOAD_CHAT_RSP, f)
#define SYNC(f)       USCHAT_FIELD(SYNC_RSP, f)

/* {"error": error, "thread_id": thread_id}; NULL when out of memory. */
static json_t *s_thread_reply(int error, int64_t thread_id)
{
    return json_pack("{sisI}", THREAD_RSP(error), error, THREAD_RSP(thread_id),
                     (json_int_t)thread_id);
}

static int s_on_pair(void *arg, const db_value_t *cols, size_t ncols)
{
    int64_t *pair = arg;
    if (ncols >= 2) {
        pair[0] = cols[0].i64;
        pair[1] = cols[1].i64;
    }
    return 0;
}

int chat_store_member(chat_worker_t *worker, int64_t thread_id, uint64_t uid, uint64_t *other)
{
    int64_t pair[2] = {0, 0};
    int rc = db_query(worker->db, "SELECT user1_id, user2_id FROM private_chat WHERE thread_id = ?",
                      (db_param_t[]){DB_I64(thread_id)}, 1, s_on_pair, pair);
    if (rc <= 0)
        return rc;
    if ((uint64_t)pair[0] == uid || (uint64_t)pair[1] == uid) {
        if (other)
            *other = (uint64_t)((uint64_t)pair[0] == uid ? pair[1] : pair[0]);
        return 1;
    }
    return 0;
}

/* Checks membership and answers 1016 / 1002 when it fails. True when uid may go on. */
static bool s_member_or_answer(chat_job_t *job, chat_worker_t *worker, int64_t thread_id,
                               uint64_t *other, int db_error)
{
    int rc = chat_store_member(worker, thread_id, job->uid, other);
    if (rc == 1)
        return true;
    if (rc < 0)
        log_warn("chat: membership of thread %" PRId64 ": %s: %s", thread_id, db_strerror(rc),
                 db_conn_error(worker->db));
    chat_job_set_reply(job, s_thread_reply(rc < 0 ? db_error : USCHAT_ERR_NOT_FRIENDS, thread_id));
    return false;
}

static json_t *s_text(const db_value_t *v)
{
    json_t *s = v->is_null ? NULL : json_stringn(v->str, v->len);
    return s ? s : json_string("");
}

/* ---- 1025: the user's threads ------------------------------------------------------------- */

typedef struct {
    json_t *threads;
    int64_t last_id;
} s_threads_t;

static int s_on_thread(void *arg, const db_value_t *c, size_t ncols)
{
    s_threads_t *st = arg;
    if (ncols < 13)
        return 1;
    /* unread: the other member's messages past my read mark (my own are never unread);
     * peer_read_seq: the other member's read mark, so receipts sent while I was away are not
     * lost */
    int64_t last_seq = c[4].i64;
    json_t *t =
        json_pack("{sIsisIsIsIsIsI}", THREAD(thread_id), (json_int_t)c[0].i64, THREAD(type),
                  (int)c[1].i64, THREAD(user1_id), (json_int_t)c[2].i64, THREAD(user2_id),
                  (json_int_t)c[3].i64, THREAD(last_seq), (json_int_t)last_seq, THREAD(unread),
                  (json_int_t)c[5].i64, THREAD(peer_read_seq), (json_int_t)c[11].i64);
    if (!t)
        return 1;
    /* last_msg: the names of a stored message (STORED_ITEM), six of them; an image or file's
     * content is the server's "[Image]" / "[File] <name>" */
    if (!c[6].is_null)
        json_object_set_new(t, THREAD(last_msg),
                            json_pack("{sIsIsIsososi}", STORED(msg_id), (json_int_t)c[6].i64,
                                      STORED(sender), (json_int_t)c[7].i64, STORED(seq),
                                      (json_int_t)last_seq, STORED(msg_content), s_text(&c[8]),
                                      STORED(chat_time), s_text(&c[9]), STORED(kind),
                                      (int)c[12].i64));
    else
        json_object_set_new(t, THREAD(last_msg), json_null());
    json_array_append_new(st->threads, t);
    st->last_id = c[0].i64;
    return 0;
}

/* Threads with long last messages did not fit one frame: the page ends earlier. */
static void s_threads_trimmed(json_t *rsp, void *arg)
{
    (void)arg;
    json_t *threads = json_object_get(rsp, LIST_RSP(threads));
    json_t *last = json_array_get(threads, json_array_size(threads) - 1);
    json_object_set_new(rsp, LIST_RSP(load_more), json_true());
    json_object_set(rsp, LIST_RSP(next_last_id), json_object_get(last, THREAD(thread_id)));
}

void chat_store_threads(chat_job_t *job, chat_worker_t *worker)
{
    int64_t cursor = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(THREAD_LIST_REQ, thread_id));
    s_threads_t st = {json_array(), cursor};
    if (!st.threads) {
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    /* The user's side of the pair is either column: two index range scans, merged. */
    int rc = db_query(
        worker->db,
        "SELECT p.thread_id, t.type, p.user1_id, p.user2_id, t.last_seq, "
        "(SELECT COUNT(*) FROM chat_message u WHERE u.thread_id = p.thread_id AND "
        "u.seq > COALESCE(r.read_seq, 0) AND u.sender_id <> ?), "
        "m.message_id, m.sender_id, m.content, m.created_at, "
        "m.unique_id, COALESCE(pr.read_seq, 0), m.kind FROM ("
        "(SELECT thread_id, user1_id, user2_id FROM private_chat WHERE user1_id = ? AND "
        "thread_id > ?) UNION ALL "
        "(SELECT thread_id, user1_id, user2_id FROM private_chat WHERE user2_id = ? AND "
        "thread_id > ?)) p JOIN chat_thread t ON t.id = p.thread_id "
        "LEFT JOIN thread_read r ON r.thread_id = p.thread_id AND r.uid = ? "
        "LEFT JOIN thread_read pr ON pr.thread_id = p.thread_id AND pr.uid = "
        "IF(p.user1_id = ?, p.user2_id, p.user1_id) "
        "LEFT JOIN chat_message m ON m.thread_id = p.thread_id AND m.seq = t.last_seq "
        "ORDER BY p.thread_id LIMIT 51",
        (db_param_t[]){DB_U64(job->uid), DB_U64(job->uid), DB_I64(cursor), DB_U64(job->uid),
                       DB_I64(cursor), DB_U64(job->uid), DB_U64(job->uid)},
        7, s_on_thread, &st);
    if (rc > 0) /* the last messages and seqs it shows: on disk first */
        rc = chat_store_durable(worker);
    if (rc < 0) {
        log_warn("chat: threads of %" PRIu64 ": %s: %s", job->uid, db_strerror(rc),
                 db_conn_error(worker->db));
        json_decref(st.threads);
        chat_job_set_error(job, USCHAT_ERR_LOAD_CHAT);
        return;
    }
    bool more = json_array_size(st.threads) > THREADS_PAGE;
    if (more) {
        json_array_remove(st.threads, THREADS_PAGE);
        st.last_id = json_integer_value(
            json_object_get(json_array_get(st.threads, THREADS_PAGE - 1), THREAD(thread_id)));
    }
    chat_job_set_reply_fit(job,
                           json_pack("{sisbsIso}", LIST_RSP(error), 0, LIST_RSP(load_more), more,
                                     LIST_RSP(next_last_id), (json_int_t)st.last_id,
                                     LIST_RSP(threads), st.threads),
                           LIST_RSP(threads), false, s_threads_trimmed);
}

/* ---- 1027: the private thread with a friend ------------------------------------------------- */

static int s_on_int(void *arg, const db_value_t *cols, size_t ncols)
{
    if (ncols >= 1)
        *(int64_t *)arg = cols[0].i64;
    return 0;
}

typedef struct {
    chat_worker_t *worker;
    uint64_t me, other;
    int64_t *thread_id;
} s_private_t;

/* One attempt (db_tx_fn on worker->db): the pair's thread, created if missing. 0, a protocol
 * error, or DB_ERR_*. */
static int s_private_tx(db_conn_t *db, void *arg)
{
    (void)db;
    const s_private_t *a = arg;
    chat_worker_t *worker = a->worker;
    uint64_t me = a->me, other = a->other;
    int64_t *thread_id = a->thread_id;
    *thread_id = 0;
    uint64_t lo = me < other ? me : other, hi = me < other ? other : me;
    int rc = db_query(worker->db, "SELECT 1 FROM friend WHERE self_id = ? AND friend_id = ?",
                      (db_param_t[]){DB_U64(me), DB_U64(other)}, 2, NULL, NULL);
    if (rc <= 0)
        return rc == 0 ? USCHAT_ERR_NOT_FRIENDS : rc;
    rc = db_query(worker->db,
                  "SELECT thread_id FROM private_chat WHERE user1_id = ? AND user2_id = ?",
                  (db_param_t[]){DB_U64(lo), DB_U64(hi)}, 2, s_on_int, thread_id);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = db_begin(worker->db)) < 0)
        return rc;
    db_exec_result_t res = {0, 0};
    rc = db_exec(worker->db, "INSERT INTO chat_thread (type) VALUES (0)", NULL, 0, &res);
    if (rc == 0) {
        *thread_id = (int64_t)res.insert_id;
        rc = db_exec(worker->db,
                     "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (?, ?, ?)",
                     (db_param_t[]){DB_I64(*thread_id), DB_U64(lo), DB_U64(hi)}, 3, NULL);
        if (rc == DB_ERR_DUP)
            rc = DB_ERR_RETRY; /* made meanwhile by the other one: read it */
    }
    if (rc == 0)
        rc = db_commit(worker->db);
    if (rc != 0)
        db_rollback(worker->db);
    return rc;
}

void chat_store_private(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t other = chat_json_uid(job->request, USCHAT_FIELD(CREATE_PRIVATE_REQ, other_id));
    int64_t thread_id = 0;
    s_private_t a = {worker, job->uid, other, &thread_id};
    int rc = db_tx_retry(worker->db, 3, s_private_tx, &a);
    if (rc < 0)
        log_warn("chat: private thread %" PRIu64 "/%" PRIu64 ": %s: %s", job->uid, other,
                 db_strerror(rc), db_conn_error(worker->db));
    int error = rc < 0 ? USCHAT_ERR_CREATE_CHAT : rc;
#define RSP(f) USCHAT_FIELD(CREATE_PRIVATE_RSP, f)
    chat_job_set_reply(job,
                       json_pack("{sisIsI}", RSP(error), error, RSP(other_id), (json_int_t)other,
                                 RSP(thread_id), (json_int_t)(error ? 0 : thread_id)));
#undef RSP
}

/* ---- 1029 / 1031: messages of a thread ------------------------------------------------------ */

/* InnoDB shows a commit to other readers once it is committed in memory, before its redo log
 * is flushed: a MariaDB killed in that moment loses what a sync may already have handed out,
 * and the seqs it held go to other messages. A commit of our own, begun after the read, is
 * durable only once the log is flushed past every commit the read saw; so a read that found
 * messages is answered after one (a round trip, and a log flush shared with whatever else
 * commits then). A read that found none answers at once. */
int chat_store_durable(chat_worker_t *worker)
{
    int rc = db_exec(worker->db,
                     "INSERT INTO read_barrier (node, worker, n) VALUES (?, ?, 1) "
                     "ON DUPLICATE KEY UPDATE n = n + 1",
                     (db_param_t[]){DB_STR(worker->node->name), DB_I64(worker->index)}, 2, NULL);
    return rc < 0 ? rc : 0;
}

/* The read mark of OTHER in the thread (0 when none or on a failed read: the field only ever
 * raises the client's mark), for 1030 and 1032 to carry as peer_read_seq. */
static int64_t s_peer_read(chat_worker_t *worker, int64_t thread_id, uint64_t other)
{
    int64_t seq = 0;
    if (db_query(worker->db, "SELECT read_seq FROM thread_read WHERE thread_id = ? AND uid = ?",
                 (db_param_t[]){DB_I64(thread_id), DB_U64(other)}, 2, s_on_int, &seq) < 0)
        seq = 0;
    return seq;
}

/* A message row, its kind and its file (an image or file: the `file` row joined) last. */
#define SQL_MESSAGES                                                                               \
    "SELECT m.message_id, m.seq, m.sender_id, m.unique_id, m.content, m.created_at, "              \
    "COALESCE(r.read_seq, 0) >= m.seq, " CHAT_FILE_SQL_COLS(                                       \
        "m") " FROM chat_message m "                                                               \
             "LEFT JOIN thread_read r ON r.thread_id = m.thread_id AND r.uid = "                   \
             "m.recv_id" CHAT_FILE_SQL_JOIN("m")

typedef struct {
    json_t *items;
    int64_t thread_id;
} s_messages_t;

static int s_on_message(void *arg, const db_value_t *c, size_t ncols)
{
    s_messages_t *m = arg;
    if (ncols < 7 + CHAT_FILE_NCOLS)
        return 1;
    json_t *item = json_pack("{sIsIsIsIsosososi}", STORED(sender), (json_int_t)c[2].i64,
                             STORED(msg_id), (json_int_t)c[0].i64, STORED(seq),
                             (json_int_t)c[1].i64, STORED(thread_id), (json_int_t)m->thread_id,
                             STORED(unique_id), s_text(&c[3]), STORED(msg_content), s_text(&c[4]),
                             STORED(chat_time), s_text(&c[5]), STORED(status), c[6].i64 ? 1 : 0);
    chat_file_t f;
    if (!item || chat_file_json(item, chat_file_from_cols(&c[7], &f, false), &f) < 0) {
        json_decref(item);
        return 1;
    }
    json_array_append_new(m->items, item);
    return 0;
}

/* Long messages did not fit one frame: a page going back keeps the newest, and the cursor
 * follows. */
static void s_history_trimmed_back(json_t *rsp, void *arg)
{
    (void)arg;
    json_t *oldest = json_array_get(json_object_get(rsp, HISTORY(chat_datas)), 0);
    json_object_set_new(rsp, HISTORY(load_more), json_true());
    json_object_set(rsp, HISTORY(last_message_id), json_object_get(oldest, STORED(msg_id)));
}

/* The same for a page going forward: it keeps the oldest, the cursor is the last one kept. */
static void s_history_trimmed_forward(json_t *rsp, void *arg)
{
    (void)arg;
    json_t *items = json_object_get(rsp, HISTORY(chat_datas));
    json_t *last = json_array_get(items, json_array_size(items) - 1);
    json_object_set_new(rsp, HISTORY(load_more), json_true());
    json_object_set(rsp, HISTORY(last_message_id), json_object_get(last, STORED(msg_id)));
}

/* 1029 as the seed's LogicSystem.cpp / MysqlDao.cpp answer it: the messages after the cursor
 * (message_id > cursor, oldest first), last_message_id = the last one returned, load_more when
 * more follow. The seed client (chatdialog.cpp) loads every thread from 0 this way at login.
 * Up to one more than a page into items. */
static int s_history_forward(chat_worker_t *worker, int64_t thread_id, int64_t cursor,
                             json_t *items)
{
    s_messages_t m = {items, thread_id};
    return db_query(
        worker->db,
        SQL_MESSAGES "WHERE m.thread_id = ? AND m.message_id > ? "
                     "ORDER BY m.message_id LIMIT ?",
        (db_param_t[]){DB_I64(thread_id), DB_I64(cursor), DB_I64(HISTORY_FORWARD_PAGE + 1)}, 3,
        s_on_message, &m);
}

/* 1029 with "before": true (UsChat's client scrolling up): the messages below the cursor
 * (0 = from the newest), newest first from the index, turned oldest first for the page. Up to
 * one more than a page into items (the extra one first). */
static int s_history_back(chat_worker_t *worker, int64_t thread_id, int64_t cursor, json_t *items)
{
    json_t *newest_first = json_array();
    s_messages_t m = {newest_first, thread_id};
    int rc =
        newest_first
            ? db_query(worker->db,
                       SQL_MESSAGES "WHERE m.thread_id = ? AND m.message_id < ? "
                                    "ORDER BY m.message_id DESC LIMIT ?",
                       (db_param_t[]){DB_I64(thread_id), DB_I64(cursor > 0 ? cursor : INT64_MAX),
                                      DB_I64(HISTORY_PAGE + 1)},
                       3, s_on_message, &m)
            : DB_ERR_QUERY;
    size_t n = json_array_size(newest_first);
    for (size_t i = n; rc >= 0 && i > 0; i--)
        json_array_append(items, json_array_get(newest_first, i - 1));
    json_decref(newest_first);
    return rc;
}

void chat_store_history(chat_job_t *job, chat_worker_t *worker)
{
#define REQ(f) USCHAT_FIELD(LOAD_CHAT_REQ, f)
    int64_t thread_id = (int64_t)chat_json_uid(job->request, REQ(thread_id));
    int64_t cursor = (int64_t)chat_json_uid(job->request, REQ(message_id));
    bool before = json_is_true(json_object_get(job->request, REQ(before)));
#undef REQ
    uint64_t other = 0;
    if (!s_member_or_answer(job, worker, thread_id, &other, USCHAT_ERR_LOAD_CHAT))
        return;
    json_t *items = json_array();
    int rc = !items   ? DB_ERR_QUERY
             : before ? s_history_back(worker, thread_id, cursor, items)
                      : s_history_forward(worker, thread_id, cursor, items);
    if (rc > 0)
        rc = chat_store_durable(worker);
    if (rc < 0) {
        log_warn("chat: history of thread %" PRId64 ": %s", thread_id, db_strerror(rc));
        json_decref(items);
        chat_job_set_reply(job, s_thread_reply(USCHAT_ERR_LOAD_CHAT, thread_id));
        return;
    }
    /* one more than a page was asked for: it says whether more follow, and goes */
    size_t page = before ? HISTORY_PAGE : HISTORY_FORWARD_PAGE;
    bool more = json_array_size(items) > page;
    if (more)
        json_array_remove(items, before ? 0 : page); /* the extra one: the far end */
    size_t n = json_array_size(items);
    /* the next cursor: the oldest going back, the newest going forward (the seed's); an empty
     * forward page keeps the cursor, so a client asking again does not start over */
    json_t *edge = json_array_get(items, before ? 0 : n - 1);
    int64_t next = n        ? json_integer_value(json_object_get(edge, STORED(msg_id)))
                   : before ? 0
                            : cursor;
    chat_job_set_reply_fit(
        job,
        json_pack("{sisIsIsbsosI}", HISTORY(error), 0, HISTORY(thread_id), (json_int_t)thread_id,
                  HISTORY(last_message_id), (json_int_t)next, HISTORY(load_more), more,
                  HISTORY(chat_datas), items, HISTORY(peer_read_seq),
                  (json_int_t)s_peer_read(worker, thread_id, other)),
        HISTORY(chat_datas), before, before ? s_history_trimmed_back : s_history_trimmed_forward);
}

/* Sync (1031) and the first messages of a new friendship (chat_store.c): after_seq onwards. */
int chat_store_messages_after(chat_worker_t *worker, int64_t thread_id, int64_t after_seq,
                              int64_t limit, json_t *items)
{
    s_messages_t m = {items, thread_id};
    return db_query(
        worker->db, SQL_MESSAGES "WHERE m.thread_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
        (db_param_t[]){DB_I64(thread_id), DB_I64(after_seq), DB_I64(limit)}, 3, s_on_message, &m);
}

/* Long messages did not fit one frame: fewer than asked, and the client syncs again after the
 * last seq it got. */
static void s_sync_trimmed(json_t *rsp, void *arg)
{
    (void)arg;
    json_object_set_new(rsp, SYNC(has_more), json_true());
}

void chat_store_sync(chat_job_t *job, chat_worker_t *worker)
{
#define REQ(f) USCHAT_FIELD(SYNC_REQ, f)
    int64_t thread_id = (int64_t)chat_json_uid(job->request, REQ(thread_id));
    int64_t after = (int64_t)chat_json_uid(job->request, REQ(after_seq));
    json_t *jl = json_object_get(job->request, REQ(limit));
#undef REQ
    int64_t limit = json_is_integer(jl) ? json_integer_value(jl) : SYNC_DEFAULT;
    uint64_t other = 0;
    if (!s_member_or_answer(job, worker, thread_id, &other, USCHAT_ERR_LOAD_CHAT))
        return;
    json_t *items = json_array();
    int rc = items ? chat_store_messages_after(worker, thread_id, after, limit + 1, items)
                   : DB_ERR_QUERY;
    if (rc > 0)
        rc = chat_store_durable(worker);
    if (rc < 0) {
        log_warn("chat: sync of thread %" PRId64 ": %s", thread_id, db_strerror(rc));
        json_decref(items);
        chat_job_set_reply(job, s_thread_reply(USCHAT_ERR_LOAD_CHAT, thread_id));
        return;
    }
    bool more = (int64_t)json_array_size(items) > limit;
    if (more)
        json_array_remove(items, (size_t)limit);
    chat_job_set_reply_fit(job,
                           json_pack("{sisIsosbsI}", SYNC(error), 0, SYNC(thread_id),
                                     (json_int_t)thread_id, SYNC(chat_datas), items, SYNC(has_more),
                                     more, SYNC(peer_read_seq),
                                     (json_int_t)s_peer_read(worker, thread_id, other)),
                           SYNC(chat_datas), false, s_sync_trimmed);
}

/* ---- 1033: read mark ------------------------------------------------------------------------ */

void chat_store_read(chat_job_t *job, chat_worker_t *worker)
{
    int64_t thread_id =
        (int64_t)chat_json_uid(job->request, USCHAT_FIELD(READ_MARK_REQ, thread_id));
    int64_t seq = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(READ_MARK_REQ, seq));
    uint64_t other = 0;
    if (!s_member_or_answer(job, worker, thread_id, &other, USCHAT_ERR_RPC))
        return;
    int64_t last_seq = -1;
    int rc = db_query(worker->db, "SELECT last_seq FROM chat_thread WHERE id = ?",
                      (db_param_t[]){DB_I64(thread_id)}, 1, s_on_int, &last_seq);
    if (rc >= 0 && seq > last_seq) {
        chat_job_set_reply(job, s_thread_reply(USCHAT_ERR_OUT_OF_RANGE, thread_id));
        return;
    }
    if (rc >= 0)
        rc = db_exec(worker->db,
                     "INSERT INTO thread_read (thread_id, uid, read_seq) VALUES (?, ?, ?) "
                     "ON DUPLICATE KEY UPDATE read_seq = GREATEST(read_seq, VALUES(read_seq))",
                     (db_param_t[]){DB_I64(thread_id), DB_U64(job->uid), DB_I64(seq)}, 3, NULL);
    if (rc < 0) {
        log_warn("chat: read mark of thread %" PRId64 ": %s", thread_id, db_strerror(rc));
        chat_job_set_reply(job, s_thread_reply(USCHAT_ERR_RPC, thread_id));
        return;
    }
    chat_job_set_reply(job, json_pack("{sisIsI}", THREAD_RSP(error), 0, THREAD_RSP(thread_id),
                                      (json_int_t)thread_id, THREAD_RSP(seq), (json_int_t)seq));
    /* the read receipt, to the other member wherever it is */
#define PUSH(f) USCHAT_FIELD(NOTIFY_READ, f)
    json_t *push = json_pack("{sisIsIsI}", PUSH(error), 0, PUSH(thread_id), (json_int_t)thread_id,
                             PUSH(reader), (json_int_t)job->uid, PUSH(seq), (json_int_t)seq);
#undef PUSH
    if (push)
        chat_job_add_push(job, worker, other, USCHAT_ID_NOTIFY_READ, push);
}
