/* chat_store.c - the MySQL side of login, search and friend requests (schema in
 * sql/migrations/001_data_model.sql).
 *
 * Each function is a chat_job_t run(): it runs on a worker thread with that worker's own MySQL
 * and Redis connections, reads the request the I/O thread already checked for shape, and leaves
 * the reply as ready JSON text (plus pushes for other users) in the job. Every statement is a
 * prepared one with bound values (db.h). A friend request and its acceptance are transactions:
 * accepting writes both friend rows, marks the request(s) accepted and creates the pair's one
 * private thread with its first two messages together, or nothing at all; a deadlock is
 * retried from the start.
 */
#include "chat_store.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_presence.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>

#include "uschat/log.h"

#define APPLY_LIST_MAX  200  /* pending requests shown at login */
#define FRIEND_LIST_MAX 2000 /* friends shown at login (trimmed further to fit one frame) */
/* Numbers here because the SQL text spells them; the protocol's table says the same. */
_Static_assert(APPLY_LIST_MAX == USCHAT_MAX(LOGIN_RSP, apply_list), "client.def apply_list");
_Static_assert(FRIEND_LIST_MAX == USCHAT_MAX(LOGIN_RSP, friend_list), "client.def friend_list");
#define TX_ATTEMPTS  3
#define STR_(x)      #x
#define STR_LIMIT(x) STR_(x)

/* ---- rows -> JSON ---------------------------------------------------------------------------- */

static json_t *s_text(const db_value_t *v)
{
    json_t *s = v->is_null ? NULL : json_stringn(v->str, v->len);
    return s ? s : json_string("");
}

static json_t *s_int(const db_value_t *v)
{
    return json_integer(v->is_null ? 0 : (json_int_t)v->i64);
}

/* Sets the named columns of a row on obj: names[i] for cols[i], NULL = skip. */
static void s_set_row(json_t *obj, const char *const *names, const bool *is_int,
                      const db_value_t *cols, size_t ncols)
{
    for (size_t i = 0; i < ncols && names[i]; i++)
        json_object_set_new(obj, names[i], is_int[i] ? s_int(&cols[i]) : s_text(&cols[i]));
}

typedef struct {
    const char *const *names;
    const bool *is_int;
    json_t *target; /* an object (one row) or an array (one object per row) */
} s_rows_t;

static int s_on_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_rows_t *rows = arg;
    if (json_is_array(rows->target)) {
        json_t *item = json_object();
        if (!item)
            return 1;
        s_set_row(item, rows->names, rows->is_int, cols, ncols);
        json_array_append_new(rows->target, item);
    } else {
        s_set_row(rows->target, rows->names, rows->is_int, cols, ncols);
    }
    return 0;
}

/* JSON names come from the protocol's table (schema/messages/client.def), per shape. */

/* The public profile (search result, pushes): never email or password hash. */
#define PUBLIC(f) USCHAT_FIELD(SEARCH_RSP, f)
static const char *const s_public_names[] = {PUBLIC(uid), PUBLIC(name), PUBLIC(nick), PUBLIC(desc),
                                             PUBLIC(sex), PUBLIC(icon), NULL};
static const bool s_public_ints[] = {true, false, false, false, true, false};
#define SQL_PUBLIC "SELECT uid, name, nick, `desc`, sex, icon FROM user "

/* Loads uid's public profile into obj. 1 found, 0 not found, DB_ERR_* */
static int s_load_public(chat_worker_t *worker, uint64_t uid, json_t *obj)
{
    db_param_t p[] = {DB_U64(uid)};
    s_rows_t rows = {s_public_names, s_public_ints, obj};
    return db_query(worker->db, SQL_PUBLIC "WHERE uid = ?", p, 1, s_on_row, &rows);
}

/* ---- login ----------------------------------------------------------------------------------- */

#define SELF(f) USCHAT_FIELD(LOGIN_RSP, f)
static const char *const s_self_names[] = {SELF(uid),  SELF(name), SELF(email), SELF(nick),
                                           SELF(desc), SELF(sex),  SELF(icon),  NULL};
static const bool s_self_ints[] = {true, false, false, false, false, true, false};
#define APPLY(f) USCHAT_FIELD(APPLY_ITEM, f)
static const char *const s_apply_names[] = {APPLY(uid), APPLY(name), APPLY(nick),   APPLY(icon),
                                            APPLY(sex), APPLY(desc), APPLY(status), NULL};
static const bool s_apply_ints[] = {true, false, false, false, true, false, true};
#define FRIEND(f) USCHAT_FIELD(FRIEND_ITEM, f)
static const char *const s_friend_names[] = {FRIEND(uid), FRIEND(name), FRIEND(nick), FRIEND(icon),
                                             FRIEND(sex), FRIEND(desc), FRIEND(back), NULL};
static const bool s_friend_ints[] = {true, false, false, false, true, false, false};

/* Drops list entries from the end until the reply fits one frame (a user with thousands of
 * friends still logs in; the protocol has no paging for 1006): friends first, then requests. */
static void s_fit_frame(chat_job_t *job, json_t *rsp)
{
    size_t len = 0;
    char *text =
        chat_json_dump_fit(rsp, json_object_get(rsp, SELF(friend_list)), false, NULL, NULL, &len);
    if (!text)
        text = chat_json_dump_fit(rsp, json_object_get(rsp, SELF(apply_list)), false, NULL, NULL,
                                  &len);
    log_debug("chat: login reply of uid %" PRIu64 ": %zu bytes", job->uid, len);
    free(job->reply);
    job->reply = text;
    job->reply_len = len;
    if (!text)
        job->error = USCHAT_ERR_RPC;
}

void chat_store_login(chat_job_t *job, chat_worker_t *worker)
{
    const char *token = chat_json_str(job->request, USCHAT_FIELD(LOGIN_REQ, token));
    int ok = chat_presence_login(worker, job->uid, token, &job->session, job->old_node);
    if (ok <= 0) {
        chat_job_set_error(job, ok < 0 ? USCHAT_ERR_RPC : USCHAT_ERR_TOKEN_INVALID);
        return;
    }
    json_t *rsp = json_pack("{si}", SELF(error), 0);
    json_t *applies = json_array();
    json_t *friends = json_array();
    if (!rsp || !applies || !friends) {
        json_decref(rsp);
        json_decref(applies);
        json_decref(friends);
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    db_param_t p[] = {DB_U64(job->uid)};
    s_rows_t self = {s_self_names, s_self_ints, rsp};
    int rc = db_query(worker->db,
                      "SELECT uid, name, email, nick, `desc`, sex, icon FROM user WHERE uid = ?", p,
                      1, s_on_row, &self);
    if (rc == 1) {
        s_rows_t rows = {s_apply_names, s_apply_ints, applies};
        rc = db_query(worker->db,
                      "SELECT a.from_uid, u.name, u.nick, u.icon, u.sex, a.greeting, a.status "
                      "FROM friend_apply a JOIN user u ON u.uid = a.from_uid "
                      "WHERE a.to_uid = ? AND a.status = 0 ORDER BY a.id DESC LIMIT " STR_LIMIT(
                          APPLY_LIST_MAX),
                      p, 1, s_on_row, &rows);
    } else if (rc == 0) {
        rc = -USCHAT_ERR_UID_INVALID;
    }
    if (rc >= 0) {
        s_rows_t rows = {s_friend_names, s_friend_ints, friends};
        rc = db_query(worker->db,
                      "SELECT f.friend_id, u.name, u.nick, u.icon, u.sex, u.`desc`, f.back "
                      "FROM friend f JOIN user u ON u.uid = f.friend_id "
                      "WHERE f.self_id = ? ORDER BY f.created_at, f.friend_id LIMIT " STR_LIMIT(
                          FRIEND_LIST_MAX),
                      p, 1, s_on_row, &rows);
    }
    json_object_set_new(rsp, SELF(apply_list), applies);
    json_object_set_new(rsp, SELF(friend_list), friends);
    if (rc < 0) {
        if (rc != -USCHAT_ERR_UID_INVALID)
            log_warn("chat: login of uid %" PRIu64 ": %s: %s", job->uid, db_strerror(rc),
                     db_conn_error(worker->db));
        json_decref(rsp);
        chat_job_set_error(job,
                           rc == -USCHAT_ERR_UID_INVALID ? USCHAT_ERR_UID_INVALID : USCHAT_ERR_RPC);
        return;
    }
    s_fit_frame(job, rsp);
    json_decref(rsp);
}

/* ---- search ---------------------------------------------------------------------------------- */

void chat_store_search(chat_job_t *job, chat_worker_t *worker)
{
    json_t *key = json_object_get(job->request, USCHAT_FIELD(SEARCH_REQ, uid));
    uint64_t uid = chat_json_uid(job->request, USCHAT_FIELD(SEARCH_REQ, uid));
    json_t *rsp = json_pack("{si}", PUBLIC(error), 0);
    if (!rsp) {
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    int rc = 0;
    if (uid)
        rc = s_load_public(worker, uid, rsp);
    /* Not all digits, or no such uid: a user name (names may be all digits too). */
    if (rc == 0 && json_is_string(key)) {
        db_param_t p[] = {DB_STRN(json_string_value(key), json_string_length(key))};
        s_rows_t rows = {s_public_names, s_public_ints, rsp};
        rc = db_query(worker->db, SQL_PUBLIC "WHERE name = ?", p, 1, s_on_row, &rows);
    }
    if (rc < 0) {
        log_warn("chat: search: %s: %s", db_strerror(rc), db_conn_error(worker->db));
        json_decref(rsp);
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    if (rc == 0) {
        json_decref(rsp);
        chat_job_set_error(job, USCHAT_ERR_UID_INVALID);
        return;
    }
    chat_job_set_reply(job, rsp);
}

/* ---- friend request -------------------------------------------------------------------------- */

static const char *s_opt(const json_t *body, const char *key)
{
    const char *s = chat_json_str(body, key);
    return s ? s : "";
}

static int s_exists(chat_worker_t *worker, const char *sql, uint64_t a, uint64_t b)
{
    db_param_t p[] = {DB_U64(a), DB_U64(b)};
    return db_query(worker->db, sql, p, b ? 2 : 1, NULL, NULL);
}

typedef struct {
    chat_worker_t *worker;
    uint64_t me, to;
    const char *greeting, *back;
} s_apply_t;

/* One attempt (db_tx_fn on worker->db); returns 0 (done), a protocol error > 0, or DB_ERR_*
 * (< 0). */
static int s_apply_tx(db_conn_t *db, void *arg)
{
    (void)db;
    const s_apply_t *a = arg;
    chat_worker_t *worker = a->worker;
    uint64_t me = a->me, to = a->to;
    const char *greeting = a->greeting, *back = a->back;
    int rc = db_begin(worker->db);
    if (rc < 0)
        return rc;
    rc = s_exists(worker, "SELECT 1 FROM user WHERE uid = ?", to, 0);
    if (rc <= 0) {
        rc = rc == 0 ? USCHAT_ERR_UID_INVALID : rc;
        goto out;
    }
    rc = s_exists(worker, "SELECT 1 FROM friend WHERE self_id = ? AND friend_id = ?", me, to);
    if (rc != 0) {
        rc = rc > 0 ? USCHAT_ERR_ALREADY_FRIENDS : rc;
        goto out;
    }
    rc = db_exec(worker->db,
                 "INSERT INTO friend_apply (from_uid, to_uid, greeting, back, status) "
                 "VALUES (?, ?, ?, ?, 0)",
                 (db_param_t[]){DB_U64(me), DB_U64(to), DB_STR(greeting), DB_STR(back)}, 4, NULL);
    if (rc == DB_ERR_DUP) {
        /* Asked before: still pending means asking twice; accepted means they were friends
         * once and are not now, so the request starts again. */
        rc = s_exists(worker,
                      "SELECT 1 FROM friend_apply WHERE from_uid = ? AND to_uid = ? "
                      "AND status = 0 FOR UPDATE",
                      me, to);
        if (rc != 0) {
            rc = rc > 0 ? USCHAT_ERR_PENDING : rc;
            goto out;
        }
        rc = db_exec(worker->db,
                     "UPDATE friend_apply SET status = 0, greeting = ?, back = ? "
                     "WHERE from_uid = ? AND to_uid = ?",
                     (db_param_t[]){DB_STR(greeting), DB_STR(back), DB_U64(me), DB_U64(to)}, 4,
                     NULL);
    }
    if (rc == 0)
        rc = db_commit(worker->db);
out:
    if (rc != 0)
        db_rollback(worker->db);
    return rc;
}

void chat_store_apply(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t to = chat_json_uid(job->request, USCHAT_FIELD(ADD_FRIEND_REQ, touid));
    const char *greeting = s_opt(job->request, USCHAT_FIELD(ADD_FRIEND_REQ, applyname));
    const char *back = s_opt(job->request, USCHAT_FIELD(ADD_FRIEND_REQ, bakname));
    s_apply_t a = {worker, job->uid, to, greeting, back};
    int rc = db_tx_retry(worker->db, TX_ATTEMPTS, s_apply_tx, &a);
    if (rc != 0) {
        if (rc < 0)
            log_warn("chat: friend request %" PRIu64 " -> %" PRIu64 ": %s: %s", job->uid, to,
                     db_strerror(rc), db_conn_error(worker->db));
        chat_job_set_error(job, rc < 0 ? USCHAT_ERR_RPC : rc);
        return;
    }
    chat_job_set_error(job, 0);
    /* 1011 to the target wherever it is connected; offline it sees the request at login. */
    json_t *me = json_object();
    if (me && s_load_public(worker, job->uid, me) == 1) {
        /* error 0: the seed client (tcpmgr.cpp) drops a push without it, and then fails in
         * SearchList::waitPending on state it never set up */
#define PUSH(f) USCHAT_FIELD(NOTIFY_ADD_FRIEND, f)
        json_t *push = json_pack(
            "{sisOsOsssOsOsO}", PUSH(error), 0, PUSH(applyuid), json_object_get(me, PUBLIC(uid)),
            PUSH(name), json_object_get(me, PUBLIC(name)), PUSH(desc), greeting, PUSH(icon),
            json_object_get(me, PUBLIC(icon)), PUSH(sex), json_object_get(me, PUBLIC(sex)),
            PUSH(nick), json_object_get(me, PUBLIC(nick)));
#undef PUSH
        if (push)
            chat_job_add_push(job, worker, to, USCHAT_ID_NOTIFY_ADD_FRIEND, push);
    }
    json_decref(me);
}

/* ---- accepting a request --------------------------------------------------------------------- */

typedef struct {
    char back[256];      /* what the applicant will call the accepter (friend_apply.back) */
    char greeting[1024]; /* the request's text (friend_apply.greeting: 255 characters) */
    bool found;
} s_apply_row_t;

static int s_on_apply_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_apply_row_t *row = arg;
    row->found = true;
    if (ncols >= 1 && !cols[0].is_null)
        snprintf(row->back, sizeof row->back, "%.*s", (int)cols[0].len, cols[0].str);
    if (ncols >= 2 && !cols[1].is_null)
        snprintf(row->greeting, sizeof row->greeting, "%.*s", (int)cols[1].len, cols[1].str);
    return 0;
}

static int s_on_id(void *arg, const db_value_t *cols, size_t ncols)
{
    if (ncols >= 1 && !cols[0].is_null)
        *(int64_t *)arg = cols[0].i64;
    return 0;
}

#define FRIENDS_NOW      "We are friends now!"
#define GREETING_DEFAULT "Hello!" /* a request sent without a greeting */

/* The first two messages of a friendship, as the seed's accept transaction (MysqlDao.cpp)
 * stores them: the applicant's greeting, then the accepter's "We are friends now!". They are
 * ordinary messages of the thread (the next two seqs, under the thread's row lock like any
 * batch), so they sync, page and count as unread like the others. Their unique_id is made from
 * the thread and seq, unique per sender as the schema wants; *first_seq gets the first seq. */
static int s_first_messages(chat_worker_t *worker, int64_t thread_id, uint64_t applicant,
                            uint64_t accepter, const char *greeting, int64_t *first_seq)
{
    int64_t last_seq = -1;
    int rc = db_query(worker->db, "SELECT last_seq FROM chat_thread WHERE id = ? FOR UPDATE",
                      (db_param_t[]){DB_I64(thread_id)}, 1, s_on_id, &last_seq);
    if (rc <= 0)
        return rc == 0 ? DB_ERR_QUERY : rc;
    char u1[64], u2[64];
    snprintf(u1, sizeof u1, "friends-%" PRId64 "-%" PRId64, thread_id, last_seq + 1);
    snprintf(u2, sizeof u2, "friends-%" PRId64 "-%" PRId64, thread_id, last_seq + 2);
    rc = db_exec(
        worker->db,
        "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content) "
        "VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)",
        (db_param_t[]){DB_I64(thread_id), DB_I64(last_seq + 1), DB_U64(applicant), DB_U64(accepter),
                       DB_STR(u1), DB_STR(greeting[0] ? greeting : GREETING_DEFAULT),
                       DB_I64(thread_id), DB_I64(last_seq + 2), DB_U64(accepter), DB_U64(applicant),
                       DB_STR(u2), DB_STR(FRIENDS_NOW)},
        12, NULL);
    if (rc == 0)
        rc = db_exec(worker->db, "UPDATE chat_thread SET last_seq = ? WHERE id = ?",
                     (db_param_t[]){DB_I64(last_seq + 2), DB_I64(thread_id)}, 2, NULL);
    *first_seq = last_seq + 1;
    return rc;
}

typedef struct {
    chat_worker_t *worker;
    uint64_t me, applicant;
    const char *back;
    int64_t *thread_id;
    json_t *chat_datas;
} s_auth_t;

/* One attempt (db_tx_fn on worker->db); 0 with *thread_id and the thread's first messages in
 * chat_datas, a protocol error > 0, or DB_ERR_*. */
static int s_auth_tx(db_conn_t *db, void *arg)
{
    (void)db;
    const s_auth_t *a = arg;
    chat_worker_t *worker = a->worker;
    uint64_t me = a->me, applicant = a->applicant;
    const char *back = a->back;
    int64_t *thread_id = a->thread_id;
    json_t *chat_datas = a->chat_datas;
    *thread_id = 0;
    json_array_clear(chat_datas);
    int rc = db_begin(worker->db);
    if (rc < 0)
        return rc;
    s_apply_row_t apply = {{0}, {0}, false};
    rc = db_query(worker->db,
                  "SELECT back, greeting FROM friend_apply WHERE from_uid = ? AND to_uid = ? "
                  "FOR UPDATE",
                  (db_param_t[]){DB_U64(applicant), DB_U64(me)}, 2, s_on_apply_row, &apply);
    if (rc <= 0) {
        rc =
            rc == 0 ? USCHAT_ERR_UID_INVALID : rc; /* no request from that user (or no such user) */
        goto out;
    }
    rc =
        s_exists(worker, "SELECT 1 FROM friend WHERE self_id = ? AND friend_id = ?", me, applicant);
    if (rc != 0) {
        rc = rc > 0 ? USCHAT_ERR_ALREADY_FRIENDS : rc;
        goto out;
    }
    rc = db_exec(worker->db,
                 "UPDATE friend_apply SET status = 1 WHERE (from_uid = ? AND to_uid = ?) "
                 "OR (from_uid = ? AND to_uid = ?)",
                 (db_param_t[]){DB_U64(applicant), DB_U64(me), DB_U64(me), DB_U64(applicant)}, 4,
                 NULL);
    if (rc < 0)
        goto out;
    rc = db_exec(worker->db,
                 "INSERT INTO friend (self_id, friend_id, back) VALUES (?, ?, ?), (?, ?, ?)",
                 (db_param_t[]){DB_U64(me), DB_U64(applicant), DB_STR(back), DB_U64(applicant),
                                DB_U64(me), DB_STR(apply.back)},
                 6, NULL);
    if (rc < 0) {
        rc = rc == DB_ERR_DUP ? USCHAT_ERR_ALREADY_FRIENDS : rc;
        goto out;
    }
    /* The pair's one private thread: reuse it when they were friends before. */
    uint64_t lo = me < applicant ? me : applicant, hi = me < applicant ? applicant : me;
    rc = db_query(worker->db,
                  "SELECT thread_id FROM private_chat WHERE user1_id = ? AND user2_id = ? "
                  "FOR UPDATE",
                  (db_param_t[]){DB_U64(lo), DB_U64(hi)}, 2, s_on_id, thread_id);
    if (rc < 0)
        goto out;
    if (rc == 0) {
        db_exec_result_t res = {0, 0};
        rc = db_exec(worker->db, "INSERT INTO chat_thread (type) VALUES (0)", NULL, 0, &res);
        if (rc < 0)
            goto out;
        *thread_id = (int64_t)res.insert_id;
        rc = db_exec(worker->db,
                     "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (?, ?, ?)",
                     (db_param_t[]){DB_I64(*thread_id), DB_U64(lo), DB_U64(hi)}, 3, NULL);
        if (rc == DB_ERR_DUP)
            rc = DB_ERR_RETRY; /* the pair's thread appeared meanwhile: start over, find it */
        if (rc < 0)
            goto out;
    }
    int64_t first_seq = 0;
    rc = s_first_messages(worker, *thread_id, applicant, me, apply.greeting, &first_seq);
    if (rc == 0)
        rc = chat_store_messages_after(worker, *thread_id, first_seq - 1, 2, chat_datas);
    if (rc >= 0)
        rc = json_array_size(chat_datas) == 2 ? db_commit(worker->db) : DB_ERR_QUERY;
out:
    if (rc != 0)
        db_rollback(worker->db);
    return rc;
}

void chat_store_auth(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t applicant = chat_json_uid(job->request, USCHAT_FIELD(AUTH_FRIEND_REQ, touid));
    const char *back = s_opt(job->request, USCHAT_FIELD(AUTH_FRIEND_REQ, back));
    int64_t thread_id = 0;
    json_t *chat_datas = json_array();
    s_auth_t a = {worker, job->uid, applicant, back, &thread_id, chat_datas};
    int rc = chat_datas ? db_tx_retry(worker->db, TX_ATTEMPTS, s_auth_tx, &a) : DB_ERR_QUERY;
    json_t *friend_ = json_object();
    json_t *me = json_object();
    if (rc == 0 && (!friend_ || !me || s_load_public(worker, applicant, friend_) != 1 ||
                    s_load_public(worker, job->uid, me) != 1))
        rc = DB_ERR_QUERY;
    if (rc != 0) {
        if (rc < 0)
            log_warn("chat: accepting %" PRIu64 " by %" PRIu64 ": %s: %s", applicant, job->uid,
                     db_strerror(rc), db_conn_error(worker->db));
        json_decref(friend_);
        json_decref(me);
        json_decref(chat_datas);
        chat_job_set_error(job, rc < 0 ? USCHAT_ERR_RPC : rc);
        return;
    }
    /* 1014 to the accepter: the new friend; 1015 to the applicant: the accepter. Both carry
     * error 0 and the thread's two first messages: the seed client (tcpmgr.cpp, then
     * AuthRsp::SetChatDatas in userdata.cpp) reads the thread from chat_datas[0] unchecked. */
#define RSP(f)  USCHAT_FIELD(AUTH_FRIEND_RSP, f)
#define PUSH(f) USCHAT_FIELD(NOTIFY_AUTH_FRIEND, f)
    json_t *rsp = json_pack(
        "{sisOsOsOsOsOsIsO}", RSP(error), 0, RSP(uid), json_object_get(friend_, PUBLIC(uid)),
        RSP(name), json_object_get(friend_, PUBLIC(name)), RSP(nick),
        json_object_get(friend_, PUBLIC(nick)), RSP(icon), json_object_get(friend_, PUBLIC(icon)),
        RSP(sex), json_object_get(friend_, PUBLIC(sex)), RSP(thread_id), (json_int_t)thread_id,
        RSP(chat_datas), chat_datas);
    json_t *push = json_pack(
        "{sisIsIsOsOsOsOsOsIsO}", PUSH(error), 0, PUSH(fromuid), (json_int_t)job->uid, PUSH(touid),
        (json_int_t)applicant, PUSH(uid), json_object_get(me, PUBLIC(uid)), PUSH(name),
        json_object_get(me, PUBLIC(name)), PUSH(nick), json_object_get(me, PUBLIC(nick)),
        PUSH(icon), json_object_get(me, PUBLIC(icon)), PUSH(sex), json_object_get(me, PUBLIC(sex)),
        PUSH(thread_id), (json_int_t)thread_id, PUSH(chat_datas), chat_datas);
#undef RSP
#undef PUSH
    json_decref(friend_);
    json_decref(me);
    json_decref(chat_datas);
    if (!rsp) {
        json_decref(push);
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    chat_job_set_reply(job, rsp);
    if (push)
        chat_job_add_push(job, worker, applicant, USCHAT_ID_NOTIFY_AUTH_FRIEND, push);
}
