/* chat_store_text.c - committing a batch of text messages (chat_text.c's lanes) to MySQL.
 *
 * Runs on a worker thread, one batch of one lane at a time. The whole batch is one
 * transaction: for each thread in it, the chat_thread row is locked (SELECT ... FOR UPDATE),
 * membership and friendship are checked, every new message gets seq = last_seq + 1 in arrival
 * order, and last_seq is written back; one COMMIT (one log flush) then covers every message of
 * the batch. So per thread seq grows by exactly one per committed message, in commit order.
 * A message whose (sender, unique_id) is already stored (a client's retry) is not stored again:
 * the INSERT fails on that unique key alone (InnoDB undoes just that statement), the stored row
 * is read back and the retry is answered with its message_id and seq. A deadlock or lock wait
 * timeout rolls the batch back and runs it again; other errors answer every message of the
 * batch with 1002 (nothing was stored: the client sends again with the same unique_ids).
 * After the commit the worker builds each sender's 1018 and, for messages stored now, the
 * peer's 1019, looking up all peers' nodes in one Redis round trip.
 */
#include "chat_internal.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "uschat/log.h"

#define TX_ATTEMPTS 3

typedef struct {
    chat_text_t *text;
    int error;
    json_t *datas; /* every item, as stored (new or found) */
    json_t *fresh; /* the items stored by this batch */
} s_result_t;

typedef struct {
    int64_t message_id, seq;
    int status;
    char chat_time[32];
    bool found;
} s_row_t;

static int s_on_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_row_t *row = arg;
    if (ncols < 4)
        return 1;
    row->message_id = cols[0].i64;
    row->seq = cols[1].i64;
    row->status = (int)cols[2].i64;
    snprintf(row->chat_time, sizeof row->chat_time, "%.*s", (int)cols[3].len,
             cols[3].str ? cols[3].str : "");
    row->found = true;
    return 0;
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

static int s_on_int(void *arg, const db_value_t *cols, size_t ncols)
{
    if (ncols >= 1)
        *(int64_t *)arg = cols[0].i64;
    return 0;
}

static json_t *s_item(const s_row_t *row, const json_t *item)
{
    return json_pack("{sIsIsOsOsiss}", "message_id", (json_int_t)row->message_id, "seq",
                     (json_int_t)row->seq, "unique_id", json_object_get(item, "unique_id"),
                     "content", json_object_get(item, "content"), "status", row->status,
                     "chat_time", row->chat_time);
}

/* Stores the items of one text at the locked thread. 0 or DB_ERR_*. */
static int s_store_items(chat_worker_t *worker, s_result_t *r, int64_t *last_seq, const char *now)
{
    chat_text_t *t = r->text;
    size_t i;
    json_t *item;
    json_array_foreach(t->items, i, item)
    {
        const char *unique = json_string_value(json_object_get(item, "unique_id"));
        json_t *content = json_object_get(item, "content");
        db_exec_result_t res = {0, 0};
        int64_t seq = *last_seq + 1;
        int rc =
            db_exec(worker->db,
                    "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, "
                    "content, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    (db_param_t[]){DB_I64(t->thread_id), DB_I64(seq), DB_U64(t->sender),
                                   DB_U64(t->touid), DB_STR(unique),
                                   DB_STRN(json_string_value(content), json_string_length(content)),
                                   DB_STR(now)},
                    7, &res);
        s_row_t row = {0, 0, 0, "", false};
        if (rc == 0) {
            *last_seq = seq;
            row = (s_row_t){(int64_t)res.insert_id, seq, 0, "", true};
            snprintf(row.chat_time, sizeof row.chat_time, "%s", now);
            json_array_append_new(r->fresh, s_item(&row, item));
        } else if (rc == DB_ERR_DUP) {
            /* a retry: answer with what was stored the first time */
            rc = db_query(worker->db,
                          "SELECT message_id, seq, status, created_at FROM chat_message "
                          "WHERE sender_id = ? AND unique_id = ?",
                          (db_param_t[]){DB_U64(t->sender), DB_STR(unique)}, 2, s_on_row, &row);
            if (rc < 0)
                return rc;
            if (!row.found)
                return DB_ERR_RETRY; /* the other writer rolled back: run the batch again */
        } else {
            return rc;
        }
        json_array_append_new(r->datas, s_item(&row, item));
    }
    return 0;
}

/* Checks and stores every text of thread_id (res[i] with that thread, not yet done). */
static int s_store_thread(chat_worker_t *worker, s_result_t *res, size_t n, size_t first,
                          bool *done, const char *now)
{
    int64_t thread_id = res[first].text->thread_id;
    int64_t last_seq = -1, start;
    int rc = db_query(worker->db, "SELECT last_seq FROM chat_thread WHERE id = ? FOR UPDATE",
                      (db_param_t[]){DB_I64(thread_id)}, 1, s_on_int, &last_seq);
    if (rc < 0)
        return rc;
    int64_t pair[2] = {0, 0};
    if (rc == 1)
        rc = db_query(worker->db, "SELECT user1_id, user2_id FROM private_chat WHERE thread_id = ?",
                      (db_param_t[]){DB_I64(thread_id)}, 1, s_on_pair, pair);
    if (rc < 0)
        return rc;
    bool thread_ok = rc == 1 && last_seq >= 0;
    start = last_seq;
    for (size_t i = first; i < n; i++) {
        chat_text_t *t = res[i].text;
        if (done[i] || t->thread_id != thread_id)
            continue;
        done[i] = true;
        bool member =
            thread_ok && (((int64_t)t->sender == pair[0] && (int64_t)t->touid == pair[1]) ||
                          ((int64_t)t->sender == pair[1] && (int64_t)t->touid == pair[0]));
        if (member) {
            rc = db_query(worker->db, "SELECT 1 FROM friend WHERE self_id = ? AND friend_id = ?",
                          (db_param_t[]){DB_U64(t->sender), DB_U64(t->touid)}, 2, NULL, NULL);
            if (rc < 0)
                return rc;
            member = rc == 1;
        }
        if (!member) {
            res[i].error = CHAT_ERR_NOT_FRIENDS;
            continue;
        }
        rc = s_store_items(worker, &res[i], &last_seq, now);
        if (rc < 0)
            return rc;
    }
    if (last_seq != start)
        rc = db_exec(worker->db, "UPDATE chat_thread SET last_seq = ? WHERE id = ?",
                     (db_param_t[]){DB_I64(last_seq), DB_I64(thread_id)}, 2, NULL);
    return rc < 0 ? rc : 0;
}

static int s_commit(chat_worker_t *worker, s_result_t *res, size_t n, const char *now)
{
    bool *done = calloc(n, sizeof *done);
    if (!done)
        return DB_ERR_QUERY;
    int rc = db_begin(worker->db);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!done[i])
            rc = s_store_thread(worker, res, n, i, done, now);
    if (rc == 0)
        rc = db_commit(worker->db);
    if (rc != 0)
        db_rollback(worker->db);
    free(done);
    return rc;
}

static void s_reset(s_result_t *res, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        res[i].error = 0;
        json_array_clear(res[i].datas);
        json_array_clear(res[i].fresh);
    }
}

void chat_store_texts(chat_job_t *job, chat_worker_t *worker)
{
    size_t n = 0;
    for (chat_text_t *t = job->texts; t; t = t->next)
        n++;
    s_result_t *res = calloc(n ? n : 1, sizeof *res);
    uint64_t *peers = calloc(n ? n : 1, sizeof *peers);
    char(*nodes)[ENVELOPE_NODE_MAX] = calloc(n ? n : 1, sizeof *nodes);
    uint64_t *sessions = calloc(n ? n : 1, sizeof *sessions);
    size_t i = 0;
    bool ok = res && peers && nodes && sessions;
    for (chat_text_t *t = job->texts; ok && t; t = t->next, i++) {
        res[i].text = t;
        res[i].datas = json_array();
        res[i].fresh = json_array();
        ok = res[i].datas && res[i].fresh;
    }
    /* chat_time is UTC, from this clock: the same text in the ack, the push and the row */
    char now[32];
    time_t clock_now = time(NULL);
    struct tm tm;
    gmtime_r(&clock_now, &tm);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", &tm);
    int rc = ok ? DB_ERR_RETRY : DB_ERR_QUERY;
    for (int attempt = 0; ok && attempt < TX_ATTEMPTS && rc == DB_ERR_RETRY; attempt++) {
        s_reset(res, n);
        rc = s_commit(worker, res, n, now);
    }
    if (rc != 0)
        log_warn("chat: a batch of %zu messages failed: %s: %s", n, db_strerror(rc),
                 db_conn_error(worker->db));
    /* the peers of the texts that stored something, looked up together */
    size_t npeers = 0;
    for (i = 0; rc == 0 && i < n; i++)
        if (!res[i].error && json_array_size(res[i].fresh))
            peers[npeers++] = res[i].text->touid;
    if (npeers && chat_presence_lookup_many(worker, peers, npeers, nodes, sessions) < 0)
        log_warn("chat: peers of %zu messages not looked up: %s", npeers,
                 redis_conn_error(worker->redis));
    size_t p = 0;
    for (i = 0; i < n && res; i++) {
        chat_text_t *t = res[i].text;
        int error = rc != 0 ? CHAT_ERR_RPC : res[i].error;
        if (!t)
            break;
        json_t *rsp =
            json_pack("{sisIsIsI}", "error", error, "fromuid", (json_int_t)t->sender, "touid",
                      (json_int_t)t->touid, "thread_id", (json_int_t)t->thread_id);
        if (rsp)
            json_object_set_new(rsp, "chat_datas",
                                error ? json_array() : json_incref(res[i].datas));
        t->error = error;
        t->reply = rsp ? chat_json_dump(rsp, &t->reply_len) : NULL;
        json_decref(rsp);
        if (!t->reply && (t->reply = malloc(32)))
            t->reply_len = (size_t)snprintf(t->reply, 32, "{\"error\":%d}", CHAT_ERR_RPC);
        if (!error && json_array_size(res[i].fresh)) {
            json_t *push = json_pack("{sisIsIsIsO}", "error", 0, "fromuid", (json_int_t)t->sender,
                                     "touid", (json_int_t)t->touid, "thread_id",
                                     (json_int_t)t->thread_id, "chat_datas", res[i].fresh);
            if (push)
                t->push = chat_push_new(t->touid, t->sender, nodes[p], sessions[p],
                                        CHAT_ID_NOTIFY_TEXT, push);
            p++;
        }
    }
    for (i = 0; res && i < n; i++) {
        json_decref(res[i].datas);
        json_decref(res[i].fresh);
    }
    free(res);
    free(peers);
    free(nodes);
    free(sessions);
}
