/* chat_group_store.c - creating a group and every change of one (1061-1074) in MySQL.
 *
 * Each is one transaction that locks the group's row first (FOR UPDATE, like a text), checks
 * the actor's role under that lock, makes the change, and stores it as an event (a message of
 * kind 3 whose content is the GROUP_EVENT_ITEM JSON) at last_seq + 1; after the COMMIT the
 * answer carries the event's seq and the event is pushed (1079) to every member online, the
 * actor and a member just removed or gone included. A member added reads from the event that
 * added them (join_seq = its seq - 1). Roles: the owner may do everything; an admin may invite,
 * remove and mute plain members, rename, announce and mute all; a member may invite (unless
 * the owner turned that off) and leave.
 *
 * Limits: `chat/group_max_members` per group (1063), `chat/group_max_per_user` groups per
 * user (1064; counted without a lock on the users, so two groups made at the same instant may
 * pass it by one each).
 *
 * Threads: worker threads (chat_job_t run()).
 */
#include "chat_group.h"
#include "chat_group_db.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uschat/log.h"

#define TX_ATTEMPTS  5
#define EV(f)        USCHAT_FIELD(GROUP_EVENT_ITEM, f)
#define OP_RSP(f)    USCHAT_FIELD(GROUP_OP_RSP, f)
#define UID_OF(item) chat_json_uid(item, USCHAT_FIELD(GROUP_UID_ITEM, uid))

typedef struct {
    chat_job_t *job;
    chat_worker_t *worker;
    int64_t group_id;
    int64_t seq;           /* the event's */
    json_t *event;         /* the GROUP_EVENT_ITEM (owned) */
    json_t *stored;        /* the event as GROUP_MSG_ITEM (owned) */
    chat_group_uids_t fan; /* who gets the push */
    uint64_t gone;         /* a member who left or was removed: pushed too */
} s_change_t;

/* ---- helpers ----------------------------------------------------------------------------------
 */

static int s_on_count(void *arg, const db_value_t *c, size_t ncols)
{
    if (ncols >= 1)
        *(int64_t *)arg = c[0].i64;
    return 0;
}

static int64_t s_count(db_conn_t *db, const char *sql, const db_param_t *p, size_t n)
{
    int64_t count = 0;
    int rc = db_query(db, sql, p, n, s_on_count, &count);
    return rc < 0 ? rc : count;
}

/* The distinct uids of a GROUP_UID_ITEM list as a JSON array text (caller frees), their count in
 * *n; NULL when out of memory. */
static char *s_uid_array(const json_t *list, uint64_t skip, size_t *n)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *item, *seen;
    json_array_foreach(list, i, item)
    {
        uint64_t uid = UID_OF(item);
        bool dup = uid == skip;
        json_array_foreach(out, j, seen) dup = dup || (uint64_t)json_integer_value(seen) == uid;
        if (!dup)
            json_array_append_new(out, json_integer((json_int_t)uid));
    }
    *n = json_array_size(out);
    char *text = out ? chat_json_dump(out, &(size_t){0}) : NULL;
    json_decref(out);
    return text;
}

/* 1016 unless the n users of uids_text (a JSON array) are all friends of uid; 0 or DB_ERR_*. */
static int s_check_friends(db_conn_t *db, uint64_t uid, const char *uids_text, size_t n)
{
    int64_t friends = s_count(db,
                              "SELECT COUNT(*) FROM JSON_TABLE(?, '$[*]' COLUMNS (u BIGINT PATH "
                              "'$')) AS j JOIN friend f ON f.self_id = ? AND f.friend_id = j.u",
                              (db_param_t[]){DB_STR(uids_text), DB_U64(uid)}, 2);
    return friends < 0 ? (int)friends : (size_t)friends != n ? USCHAT_ERR_NOT_FRIENDS : 0;
}

/* 1064 when a user of uids_text is in group_max_per_user groups already; 0 or DB_ERR_*. */
static int s_check_limit(chat_worker_t *worker, db_conn_t *db, const char *uids_text)
{
    int64_t full =
        s_count(db,
                "SELECT COUNT(*) FROM (SELECT m.uid FROM JSON_TABLE(?, '$[*]' COLUMNS "
                "(u BIGINT PATH '$')) AS j JOIN group_member m ON m.uid = j.u GROUP BY "
                "m.uid HAVING COUNT(*) >= ?) AS x",
                (db_param_t[]){DB_STR(uids_text), DB_I64(worker->node->cfg.group_max_per_user)}, 2);
    return full < 0 ? (int)full : full ? USCHAT_ERR_GROUP_TOO_MANY : 0;
}

/* Adds the users of uids_text as plain members reading after join_seq. */
static int s_add_members(db_conn_t *db, int64_t group_id, const char *uids_text, int64_t join_seq)
{
    return db_exec(
        db,
        "INSERT INTO group_member (group_id, uid, role, join_seq, read_seq) SELECT ?, "
        "j.u, 0, ?, ? FROM JSON_TABLE(?, '$[*]' COLUMNS (u BIGINT PATH '$')) AS j",
        (db_param_t[]){DB_I64(group_id), DB_I64(join_seq), DB_I64(join_seq), DB_STR(uids_text)}, 4,
        NULL);
}

/* Stores s->event at seq (the group's last_seq + 1), sets last_seq, lists the members. */
static int s_store_event(s_change_t *s, db_conn_t *db, int64_t seq)
{
    char now[20];
    chat_group_now(now);
    char *content = chat_json_dump(s->event, &(size_t){0});
    if (!content)
        return DB_ERR_QUERY;
    db_exec_result_t res = {0};
    int rc = db_exec(db,
                     "INSERT INTO group_message (group_id, seq, kind, sender_id, unique_id, "
                     "content, created_at) VALUES (?, ?, 3, ?, NULL, ?, ?)",
                     (db_param_t[]){DB_I64(s->group_id), DB_I64(seq), DB_U64(s->job->uid),
                                    DB_STR(content), DB_STR(now)},
                     5, &res);
    if (rc >= 0)
        rc = db_exec(db, "UPDATE group_chat SET last_seq = ? WHERE id = ?",
                     (db_param_t[]){DB_I64(seq), DB_I64(s->group_id)}, 2, NULL);
    if (rc >= 0)
        rc = chat_group_uids_load(db, s->group_id, &s->fan);
    if (rc >= 0) {
        json_decref(s->stored);
        s->stored = chat_group_msg_item(s->group_id, (int64_t)res.insert_id, seq, CHAT_KIND_EVENT,
                                        (int64_t)s->job->uid, "", content, now, NULL);
        s->seq = seq;
    }
    free(content);
    return rc < 0 ? rc : 0;
}

/* After the COMMIT: the answer, and the event to every member online (and the one gone). */
static void s_answer(s_change_t *s, int rc)
{
    chat_job_t *job = s->job;
    if (rc < 0) {
        log_warn("chat: change %u of group %" PRId64 " by %" PRIu64 ": %s", job->group_op,
                 s->group_id, job->uid, db_strerror(rc));
        rc = USCHAT_ERR_RPC;
    }
    if (rc > 0) {
        chat_job_set_reply(job, json_pack("{sisIsi}", OP_RSP(error), rc, OP_RSP(group_id),
                                          (json_int_t)s->group_id, OP_RSP(op), job->group_op));
    } else {
        chat_job_set_reply(job, json_pack("{sisIsisI}", OP_RSP(error), 0, OP_RSP(group_id),
                                          (json_int_t)s->group_id, OP_RSP(op), job->group_op,
                                          OP_RSP(seq), (json_int_t)s->seq));
        if (s->stored) {
            job->batch_rows = 1;
            uint64_t *uids = s->gone ? realloc(s->fan.uids, (s->fan.n + 1) * sizeof *uids) : NULL;
            if (uids) { /* the member who left or was removed learns it too */
                s->fan.uids = uids;
                s->fan.uids[s->fan.n++] = s->gone;
            }
            chat_group_fan_make(job, s->worker, (uint64_t)s->group_id, s->fan.uids, s->fan.n, 0,
                                USCHAT_ID_NOTIFY_GROUP_MSG,
                                json_pack("{sisIs[O]}", OP_RSP(error), 0, OP_RSP(group_id),
                                          (json_int_t)s->group_id,
                                          USCHAT_FIELD(NOTIFY_GROUP_MSG, chat_datas), s->stored));
        }
    }
    json_decref(s->event);
    json_decref(s->stored);
    free(s->fan.uids);
}

/* ---- 1061: create -----------------------------------------------------------------------------
 */

static int s_create_tx(db_conn_t *db, void *arg)
{
    s_change_t *s = arg;
    chat_job_t *job = s->job;
    const json_t *req = job->request;
    size_t n = 0;
    char *uids =
        s_uid_array(json_object_get(req, USCHAT_FIELD(GROUP_CREATE_REQ, members)), job->uid, &n);
    if (!uids)
        return DB_ERR_QUERY;
    int rc = 1 + n > s->worker->node->cfg.group_max_members ? USCHAT_ERR_GROUP_FULL : db_begin(db);
    /* me with them: the per-user limit counts me too */
    char *all = NULL;
    if (rc == 0) {
        json_t *list = json_loads(uids, 0, NULL);
        json_array_append_new(list, json_integer((json_int_t)job->uid));
        all = chat_json_dump(list, &(size_t){0});
        json_decref(list);
        rc = all ? s_check_friends(db, job->uid, uids, n) : DB_ERR_QUERY;
    }
    if (rc == 0)
        rc = s_check_limit(s->worker, db, all);
    const char *name =
        json_string_value(json_object_get(req, USCHAT_FIELD(GROUP_CREATE_REQ, name)));
    db_exec_result_t res = {0};
    if (rc == 0)
        rc = db_exec(db, "INSERT INTO group_chat (name, owner_id, members) VALUES (?, ?, ?)",
                     (db_param_t[]){DB_STR(name), DB_U64(job->uid), DB_I64((int64_t)n + 1)}, 3,
                     &res);
    if (rc == 0) {
        s->group_id = (int64_t)res.insert_id;
        rc = db_exec(db,
                     "INSERT INTO group_member (group_id, uid, role, join_seq, read_seq) VALUES "
                     "(?, ?, 2, 0, 1)",
                     (db_param_t[]){DB_I64(s->group_id), DB_U64(job->uid)}, 2, NULL);
    }
    if (rc == 0 && n > 0)
        rc = s_add_members(db, s->group_id, uids, 0);
    if (rc == 0) {
        json_decref(s->event);
        json_t *members = json_object_get(req, USCHAT_FIELD(GROUP_CREATE_REQ, members));
        s->event = json_pack("{ssssso}", EV(op), "create", EV(name), name, EV(members),
                             members ? json_incref(members) : json_array());
        rc = s->event ? s_store_event(s, db, 1) : DB_ERR_QUERY;
    }
    free(uids);
    free(all);
    return rc == 0 ? db_commit(db) : rc;
}

void chat_group_store_create(chat_job_t *job, chat_worker_t *worker)
{
    s_change_t s = {.job = job, .worker = worker};
    s_answer(&s, db_tx_retry(worker->db, TX_ATTEMPTS, s_create_tx, &s));
}

/* ---- 1063-1074: changes -----------------------------------------------------------------------
 */

/* The request's target member (remove, admin, transfer, mute) and their role (-1: not one). */
static int s_target(db_conn_t *db, s_change_t *s, uint64_t *target, int *role)
{
    *target = chat_json_uid(s->job->request, USCHAT_FIELD(GROUP_REMOVE_REQ, member));
    chat_group_member_t m;
    int rc = chat_group_member(db, s->group_id, *target, &m);
    *role = rc == 1 ? m.role : -1;
    return rc < 0 ? rc : 0;
}

static bool s_on(const json_t *req)
{
    return json_is_true(json_object_get(req, USCHAT_FIELD(GROUP_MUTE_ALL_REQ, on)));
}

/* The change itself, under the group's lock; fills s->event. 0, a code or DB_ERR_*. */
static int s_apply(s_change_t *s, db_conn_t *db, const chat_group_row_t *g,
                   const chat_group_member_t *me)
{
    chat_job_t *job = s->job;
    const json_t *req = job->request;
    int64_t gid = s->group_id, seq = g->last_seq + 1;
    bool owner = me->role == CHAT_GROUP_OWNER, admin = me->role >= CHAT_GROUP_ADMIN;
    uint64_t target = 0;
    int trole = -1, rc = 0;
    switch (job->group_op) {
    case USCHAT_ID_GROUP_INVITE_REQ: {
        if (!g->members_invite && !admin)
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        size_t n = 0;
        char *all = s_uid_array(json_object_get(req, USCHAT_FIELD(GROUP_INVITE_REQ, members)),
                                job->uid, &n);
        /* those not in yet */
        json_t *fresh = json_array(), *list = all ? json_loads(all, 0, NULL) : NULL;
        size_t i;
        json_t *u;
        json_array_foreach(list, i, u)
        {
            chat_group_member_t m;
            rc = chat_group_member(db, gid, (uint64_t)json_integer_value(u), &m);
            if (rc < 0)
                break;
            if (rc == 0)
                json_array_append(fresh, u);
        }
        rc = rc < 0                        ? rc
             : !list                       ? DB_ERR_QUERY
             : json_array_size(fresh) == 0 ? USCHAT_ERR_OUT_OF_RANGE
                                           : 0;
        n = json_array_size(fresh);
        char *text = rc == 0 ? chat_json_dump(fresh, &(size_t){0}) : NULL;
        if (rc == 0 && g->members + (int64_t)n > (int64_t)s->worker->node->cfg.group_max_members)
            rc = USCHAT_ERR_GROUP_FULL;
        if (rc == 0)
            rc = text ? s_check_friends(db, job->uid, text, n) : DB_ERR_QUERY;
        if (rc == 0)
            rc = s_check_limit(s->worker, db, text);
        if (rc == 0)
            rc = s_add_members(db, gid, text, seq - 1);
        if (rc == 0)
            rc = db_exec(db, "UPDATE group_chat SET members = members + ? WHERE id = ?",
                         (db_param_t[]){DB_I64((int64_t)n), DB_I64(gid)}, 2, NULL);
        if (rc == 0) {
            json_t *members = json_array();
            json_array_foreach(fresh, i, u) json_array_append_new(
                members, json_pack("{sO}", USCHAT_FIELD(GROUP_UID_ITEM, uid), u));
            s->event = json_pack("{ssso}", EV(op), "invite", EV(members), members);
        }
        free(all);
        free(text);
        json_decref(list);
        json_decref(fresh);
        return rc;
    }
    case USCHAT_ID_GROUP_LEAVE_REQ:
        if (owner)
            return USCHAT_ERR_GROUP_NOT_PERMITTED; /* hand it over or dissolve it first */
        target = job->uid;
        s->event = json_pack("{ss}", EV(op), "leave");
        break;
    case USCHAT_ID_GROUP_REMOVE_REQ:
        if ((rc = s_target(db, s, &target, &trole)) < 0)
            return rc;
        if (trole < 0)
            return USCHAT_ERR_NOT_FRIENDS;
        if (!owner && !(admin && trole == CHAT_GROUP_MEMBER))
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        s->event = json_pack("{sssI}", EV(op), "remove", EV(member), (json_int_t)target);
        break;
    case USCHAT_ID_GROUP_SET_ADMIN_REQ:
    case USCHAT_ID_GROUP_TRANSFER_REQ: {
        bool transfer = job->group_op == USCHAT_ID_GROUP_TRANSFER_REQ;
        if ((rc = s_target(db, s, &target, &trole)) < 0)
            return rc;
        if (!owner)
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        if (trole < 0)
            return USCHAT_ERR_NOT_FRIENDS;
        int role = transfer ? CHAT_GROUP_OWNER : s_on(req) ? CHAT_GROUP_ADMIN : CHAT_GROUP_MEMBER;
        rc = db_exec(db, "UPDATE group_member SET role = ? WHERE group_id = ? AND uid = ?",
                     (db_param_t[]){DB_I64(role), DB_I64(gid), DB_U64(target)}, 3, NULL);
        if (rc == 0 && transfer)
            rc = db_exec(db, "UPDATE group_member SET role = 1 WHERE group_id = ? AND uid = ?",
                         (db_param_t[]){DB_I64(gid), DB_U64(job->uid)}, 2, NULL);
        if (rc == 0 && transfer)
            rc = db_exec(db, "UPDATE group_chat SET owner_id = ? WHERE id = ?",
                         (db_param_t[]){DB_U64(target), DB_I64(gid)}, 2, NULL);
        s->event = json_pack("{sssI}", EV(op),
                             transfer    ? "transfer"
                             : s_on(req) ? "admin"
                                         : "unadmin",
                             EV(member), (json_int_t)target);
        return rc;
    }
    case USCHAT_ID_GROUP_RENAME_REQ:
    case USCHAT_ID_GROUP_ANNOUNCE_REQ: {
        if (!admin)
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        bool rename = job->group_op == USCHAT_ID_GROUP_RENAME_REQ;
        const char *key = rename ? EV(name) : EV(announcement);
        const char *text = json_string_value(json_object_get(req, key));
        rc = db_exec(db,
                     rename ? "UPDATE group_chat SET name = ? WHERE id = ?"
                            : "UPDATE group_chat SET announcement = ? WHERE id = ?",
                     (db_param_t[]){DB_STR(text), DB_I64(gid)}, 2, NULL);
        s->event = json_pack("{ssss}", EV(op), rename ? "rename" : "announce", key, text);
        return rc;
    }
    case USCHAT_ID_GROUP_MUTE_REQ: {
        if ((rc = s_target(db, s, &target, &trole)) < 0)
            return rc;
        if (trole < 0)
            return USCHAT_ERR_NOT_FRIENDS;
        if (!(owner && trole != CHAT_GROUP_OWNER) && !(admin && trole == CHAT_GROUP_MEMBER))
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        json_int_t until =
            json_integer_value(json_object_get(req, USCHAT_FIELD(GROUP_MUTE_REQ, until)));
        char text[20];
        time_t t = (time_t)until;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
        if (until <= (json_int_t)time(NULL))
            until = 0;
        rc = db_exec(db, "UPDATE group_member SET muted_until = ? WHERE group_id = ? AND uid = ?",
                     (db_param_t[]){until ? DB_STR(text) : DB_NULL, DB_I64(gid), DB_U64(target)}, 3,
                     NULL);
        s->event =
            json_pack("{sssIsI}", EV(op), "mute", EV(member), (json_int_t)target, EV(until), until);
        return rc;
    }
    case USCHAT_ID_GROUP_MUTE_ALL_REQ:
    case USCHAT_ID_GROUP_INVITE_POLICY_REQ: {
        bool mute_all = job->group_op == USCHAT_ID_GROUP_MUTE_ALL_REQ;
        if (mute_all ? !admin : !owner)
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        rc = db_exec(db,
                     mute_all ? "UPDATE group_chat SET mute_all = ? WHERE id = ?"
                              : "UPDATE group_chat SET members_invite = ? WHERE id = ?",
                     (db_param_t[]){DB_I64(s_on(req)), DB_I64(gid)}, 2, NULL);
        /* mute_all's op is named after the group's flag it sets */
        s->event = json_pack("{sssb}", EV(op),
                             mute_all ? USCHAT_FIELD(GROUP_ITEM, mute_all) : "invite_policy",
                             EV(on), s_on(req));
        return rc;
    }
    case USCHAT_ID_GROUP_DISSOLVE_REQ:
        if (!owner)
            return USCHAT_ERR_GROUP_NOT_PERMITTED;
        s->event = json_pack("{ss}", EV(op), "dissolve");
        return db_exec(db, "UPDATE group_chat SET dissolved = 1 WHERE id = ?",
                       (db_param_t[]){DB_I64(gid)}, 1, NULL);
    default:
        return USCHAT_ERR_JSON;
    }
    /* leave and remove: the member's row goes; they get this one event pushed still */
    rc = db_exec(db, "DELETE FROM group_member WHERE group_id = ? AND uid = ?",
                 (db_param_t[]){DB_I64(gid), DB_U64(target)}, 2, NULL);
    if (rc == 0)
        rc = db_exec(db, "UPDATE group_chat SET members = members - 1 WHERE id = ?",
                     (db_param_t[]){DB_I64(gid)}, 1, NULL);
    s->gone = target;
    return rc;
}

static int s_change_tx(db_conn_t *db, void *arg)
{
    s_change_t *s = arg;
    json_decref(s->event);
    s->event = NULL;
    s->gone = 0;
    chat_group_row_t g;
    chat_group_member_t me;
    int rc = db_begin(db);
    if (rc == 0)
        rc = chat_group_lock(db, s->group_id, s->job->uid, &g, &me);
    if (rc != 0)
        return rc;
    if (g.dissolved)
        return USCHAT_ERR_GROUP_DISSOLVED;
    rc = s_apply(s, db, &g, &me);
    if (rc == 0)
        rc = s->event ? s_store_event(s, db, g.last_seq + 1) : DB_ERR_QUERY;
    return rc == 0 ? db_commit(db) : rc;
}

void chat_group_store_change(chat_job_t *job, chat_worker_t *worker)
{
    s_change_t s = {
        .job = job,
        .worker = worker,
        .group_id = (int64_t)chat_json_uid(job->request, USCHAT_FIELD(GROUP_LEAVE_REQ, group_id))};
    s_answer(&s, db_tx_retry(worker->db, TX_ATTEMPTS, s_change_tx, &s));
}
