/* chat_friends.c - a friendship after it began: my remark name for a friend (1091 -> 1092),
 * removing a friend (1093 -> 1094, 1095 to the other one) and declining a friend request
 * (1096 -> 1097, 1098 to the applicant).
 *
 * The I/O thread checks the shape (a `touid` that is a user other than me, a remark within the
 * table's 64 characters) and queues a job keyed by my uid; the worker runs one statement each:
 * a removal deletes both friend rows in one DELETE (the commit lanes read both rows FOR UPDATE,
 * so a text is either committed before it or refused with 1016 after it); the pair's thread
 * and its messages stay, readable by both. A decline deletes the pending request, so the
 * applicant may ask again. The other user hears of a removal or a decline only while online
 * (a push); offline, the friend list of the next login says it.
 */
#include "chat_friends.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_net.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>

#include "uschat/log.h"

/* The `touid` of a request: 0 when fine (*to set), else the code to answer. */
static int s_touid(const json_t *body, uint64_t me, const char *key, uint64_t *to)
{
    if (!json_object_get(body, key))
        return USCHAT_ERR_JSON;
    *to = chat_json_uid(body, key);
    if (!*to)
        return USCHAT_ERR_UID_INVALID;
    return *to == me ? USCHAT_ERR_OUT_OF_RANGE : 0;
}

/* Queues run for conn's request, or answers reply_id with error (body taken). */
static void s_submit(chat_node_t *node, chat_conn_t *conn, json_t *body, uint16_t reply_id,
                     chat_job_run_fn *run, int error)
{
    chat_job_t *job = error ? NULL : chat_job_new(node, conn, reply_id, run, NULL);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, reply_id, error ? error : USCHAT_ERR_BUSY);
        return;
    }
    job->request = body;
    chat_job_submit(node, job, conn->uid);
}

/* Worker: answers {error: 0, uid: to} (the shape of 1092, 1094 and 1097). */
static void s_reply_ok(chat_job_t *job, const char *error_key, const char *uid_key, uint64_t to)
{
    json_t *rsp = json_pack("{sisI}", error_key, 0, uid_key, (json_int_t)to);
    if (rsp)
        chat_job_set_reply(job, rsp);
    else
        chat_job_set_error(job, USCHAT_ERR_RPC);
}

static int s_on_name(void *arg, const db_value_t *cols, size_t ncols)
{
    json_t *push = arg;
    if (ncols >= 2) {
        json_object_set_new(push, USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, name),
                            json_stringn(cols[0].str ? cols[0].str : "", cols[0].len));
        json_object_set_new(push, USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, nick),
                            json_stringn(cols[1].str ? cols[1].str : "", cols[1].len));
    }
    return 0;
}

/* Worker: tells `to` (when online) that I removed them or declined their request. */
static void s_push_gone(chat_job_t *job, chat_worker_t *worker, uint64_t to, uint16_t frame)
{
    json_t *push = json_pack("{sisI}", USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, error), 0,
                             USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, uid), (json_int_t)job->uid);
    db_param_t p[] = {DB_U64(job->uid)};
    if (push && db_query(worker->db, "SELECT name, nick FROM user WHERE uid = ?", p, 1, s_on_name,
                         push) < 0)
        log_warn("chat: the name of uid %" PRIu64 " for a push: %s", job->uid,
                 db_conn_error(worker->db));
    if (push)
        chat_job_add_push(job, worker, to, frame, push);
}

/* ---- remark ---------------------------------------------------------------------------------- */

static void s_store_remark(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t to = chat_json_uid(job->request, USCHAT_FIELD(SET_REMARK_REQ, touid));
    const char *back = chat_json_str(job->request, USCHAT_FIELD(SET_REMARK_REQ, back));
    db_param_t who[] = {DB_U64(job->uid), DB_U64(to)};
    int rc = db_query(worker->db, "SELECT 1 FROM friend WHERE self_id = ? AND friend_id = ?", who,
                      2, NULL, NULL);
    if (rc > 0) {
        db_param_t p[] = {DB_STR(back), DB_U64(job->uid), DB_U64(to)};
        rc = db_exec(worker->db, "UPDATE friend SET back = ? WHERE self_id = ? AND friend_id = ?",
                     p, 3, NULL);
        rc = rc == 0 ? 1 : rc;
    }
    if (rc <= 0) {
        if (rc < 0)
            log_warn("chat: remark %" PRIu64 " -> %" PRIu64 ": %s", job->uid, to,
                     db_conn_error(worker->db));
        chat_job_set_error(job, rc == 0 ? USCHAT_ERR_NOT_FRIENDS : USCHAT_ERR_RPC);
        return;
    }
    json_t *rsp = json_pack("{sisIss}", USCHAT_FIELD(SET_REMARK_RSP, error), 0,
                            USCHAT_FIELD(SET_REMARK_RSP, uid), (json_int_t)to,
                            USCHAT_FIELD(SET_REMARK_RSP, back), back);
    if (rsp)
        chat_job_set_reply(job, rsp);
    else
        chat_job_set_error(job, USCHAT_ERR_RPC);
}

void chat_friends_remark(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t to = 0;
    int error = s_touid(body, conn->uid, USCHAT_FIELD(SET_REMARK_REQ, touid), &to);
    json_t *back = json_object_get(body, USCHAT_FIELD(SET_REMARK_REQ, back));
    if (!error && !json_is_string(back))
        error = USCHAT_ERR_JSON;
    if (!error && chat_utf8_chars(json_string_value(back)) > USCHAT_MAX(SET_REMARK_REQ, back))
        error = USCHAT_ERR_OUT_OF_RANGE;
    if (error == USCHAT_ERR_UID_INVALID)
        error = USCHAT_ERR_NOT_FRIENDS; /* no such user is no friend either */
    s_submit(node, conn, body, USCHAT_ID_SET_REMARK_RSP, s_store_remark, error);
}

/* ---- remove ---------------------------------------------------------------------------------- */

/* Worker: the one DELETE of a removal or a decline (SQL with P), then the answer
 * {error: 0, uid: other} (1094 and 1097 have one shape) and the push FRAME to OTHER; MISSING
 * is the answer when nothing was deleted. */
static void s_delete_tell(chat_job_t *job, chat_worker_t *worker, const char *sql,
                          const db_param_t *p, size_t np, uint64_t other, int missing,
                          uint16_t frame)
{
    db_exec_result_t res = {0};
    int rc = db_exec(worker->db, sql, p, np, &res);
    if (rc < 0 || res.affected == 0) {
        if (rc < 0)
            log_warn("chat: uid %" PRIu64 " and %" PRIu64 ": %s: %s", job->uid, other, sql,
                     db_conn_error(worker->db));
        chat_job_set_error(job, rc < 0 ? USCHAT_ERR_RPC : missing);
        return;
    }
    s_reply_ok(job, USCHAT_FIELD(REMOVE_FRIEND_RSP, error), USCHAT_FIELD(REMOVE_FRIEND_RSP, uid),
               other);
    s_push_gone(job, worker, other, frame);
}

static void s_store_remove(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t to = chat_json_uid(job->request, USCHAT_FIELD(REMOVE_FRIEND_REQ, touid));
    db_param_t p[] = {DB_U64(job->uid), DB_U64(to), DB_U64(to), DB_U64(job->uid)};
    s_delete_tell(job, worker,
                  "DELETE FROM friend WHERE (self_id = ? AND friend_id = ?) "
                  "OR (self_id = ? AND friend_id = ?)",
                  p, 4, to, USCHAT_ERR_NOT_FRIENDS, USCHAT_ID_NOTIFY_REMOVE_FRIEND);
}

void chat_friends_remove(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t to = 0;
    int error = s_touid(body, conn->uid, USCHAT_FIELD(REMOVE_FRIEND_REQ, touid), &to);
    if (error == USCHAT_ERR_UID_INVALID)
        error = USCHAT_ERR_NOT_FRIENDS;
    s_submit(node, conn, body, USCHAT_ID_REMOVE_FRIEND_RSP, s_store_remove, error);
}

/* ---- decline --------------------------------------------------------------------------------- */

static void s_store_decline(chat_job_t *job, chat_worker_t *worker)
{
    uint64_t from = chat_json_uid(job->request, USCHAT_FIELD(DECLINE_FRIEND_REQ, touid));
    db_param_t p[] = {DB_U64(from), DB_U64(job->uid)};
    s_delete_tell(job, worker,
                  "DELETE FROM friend_apply WHERE from_uid = ? AND to_uid = ? AND status = 0", p, 2,
                  from, USCHAT_ERR_UID_INVALID, USCHAT_ID_NOTIFY_DECLINE_FRIEND);
}

void chat_friends_decline(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t from = 0;
    int error = s_touid(body, conn->uid, USCHAT_FIELD(DECLINE_FRIEND_REQ, touid), &from);
    s_submit(node, conn, body, USCHAT_ID_DECLINE_FRIEND_RSP, s_store_decline, error);
}
