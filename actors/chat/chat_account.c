/* chat_account.c - a user's own account: the profile (1086 -> 1087, 1088 to the friends
 * online) and the log out that revokes the login token (1089 -> 1090).
 *
 * The I/O thread checks the body against the protocol table's limits (schema/messages/
 * client.def: a nick of 1-64 characters, sex 0-2, a description of at most 255 characters,
 * at least one of them) so that a wrong field is answered at once with a code that names the
 * problem (1001 the wrong type or nothing to change, 1015 out of range); a worker then writes
 * the given columns in one UPDATE, reads the stored profile back for the reply and pushes it
 * to every friend who is online. Friends offline see the new profile in the friend list of
 * their next login (1006), which is read from the same row.
 *
 * An avatar is a picture the user uploaded to the files service: the request names its file
 * id, the worker reads the file row (the service's record of owner, type and size, never the
 * client's word) and refuses a file of someone else's (1067), a type other than PNG, JPEG, GIF
 * or WebP (1068) or more than 2 MiB (1069). The profile's `icon` stays a string, as the seed's
 * client reads it: "file:<id>:<size>:<sha256>", all a client needs to fetch the picture once,
 * check it and cache it by its hash. The file id also goes to user.avatar_file (indexed, migration
 * 006), through which file_may_read() lets any user download a current avatar, and only that.
 *
 * A log out deletes utoken_<uid> (the token the gate handed out, which a client may keep for
 * "remember me") in one script that first checks usn_<uid> still holds this connection's
 * session number: a newer login elsewhere has its own token, which an old device's log out
 * must not revoke. The session itself ends when the client closes the connection.
 */
#include "chat_account.h"
#include "chat_presence.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_net.h"
#include "chat_store.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>

#include "uschat/log.h"
#include "uschat/redis_keys.h"

#define REQ(f) USCHAT_FIELD(UPDATE_PROFILE_REQ, f)
#define RSP(f) USCHAT_FIELD(UPDATE_PROFILE_RSP, f)

/* A text field: 0 when absent or within [min, max] characters, else the code to answer. */
static int s_check_text(const json_t *body, const char *key, size_t min, size_t max)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return USCHAT_ERR_JSON;
    size_t n = chat_utf8_chars(json_string_value(v));
    return n >= min && n <= max ? 0 : USCHAT_ERR_OUT_OF_RANGE;
}

/* The avatar's largest picture and its types (a client decodes it on its UI thread). */
#define AVATAR_MAX_BYTES (2u * 1024 * 1024)
static const char *const s_avatar_types[] = {"image/png", "image/jpeg", "image/gif", "image/webp"};

/* `icon`: 0 when absent, "" or a file id (32 lower-case hex), else the code to answer. */
static int s_check_icon(const json_t *icon)
{
    if (!icon)
        return 0;
    if (!json_is_string(icon))
        return USCHAT_ERR_JSON;
    const char *s = json_string_value(icon);
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (n != USCHAT_MAX(UPDATE_PROFILE_REQ, icon) || s[strspn(s, "0123456789abcdef")] != '\0')
        return USCHAT_ERR_OUT_OF_RANGE;
    return 0;
}

static int s_check(const json_t *body)
{
    json_t *nick = json_object_get(body, REQ(nick));
    json_t *sex = json_object_get(body, REQ(sex));
    json_t *desc = json_object_get(body, REQ(desc));
    json_t *icon = json_object_get(body, REQ(icon));
    if (!nick && !sex && !desc && !icon)
        return USCHAT_ERR_JSON;
    int icon_error = s_check_icon(icon);
    if (icon_error)
        return icon_error;
    int error = s_check_text(body, REQ(nick), USCHAT_MIN(UPDATE_PROFILE_REQ, nick),
                             USCHAT_MAX(UPDATE_PROFILE_REQ, nick));
    if (!error)
        error = s_check_text(body, REQ(desc), USCHAT_MIN(UPDATE_PROFILE_REQ, desc),
                             USCHAT_MAX(UPDATE_PROFILE_REQ, desc));
    if (!error && nick) {
        /* a nick of blanks only would show as nothing in every friend's list */
        const char *s = json_string_value(nick);
        if (s[strspn(s, " \t\r\n")] == 0)
            error = USCHAT_ERR_OUT_OF_RANGE;
    }
    if (!error && sex) {
        if (!json_is_integer(sex))
            error = USCHAT_ERR_JSON;
        else if (json_integer_value(sex) < USCHAT_MIN(UPDATE_PROFILE_REQ, sex) ||
                 json_integer_value(sex) > USCHAT_MAX(UPDATE_PROFILE_REQ, sex))
            error = USCHAT_ERR_OUT_OF_RANGE;
    }
    return error;
}

static int s_on_profile(void *arg, const db_value_t *cols, size_t ncols)
{
    json_t *rsp = arg;
    if (ncols < 4)
        return 1;
    json_object_set_new(rsp, RSP(nick), json_stringn(cols[0].str ? cols[0].str : "", cols[0].len));
    json_object_set_new(rsp, RSP(sex), json_integer(cols[1].is_null ? 0 : cols[1].i64));
    json_object_set_new(rsp, RSP(desc), json_stringn(cols[2].str ? cols[2].str : "", cols[2].len));
    json_object_set_new(rsp, RSP(icon), json_stringn(cols[3].str ? cols[3].str : "", cols[3].len));
    return 0;
}

/* The file row of a would-be avatar. */
typedef struct {
    uint64_t owner, size;
    char mime[128], sha256[65];
} s_avatar_file_t;

static int s_on_avatar_file(void *arg, const db_value_t *cols, size_t ncols)
{
    s_avatar_file_t *f = arg;
    if (ncols < 4 || cols[2].is_null || cols[3].is_null)
        return 1;
    f->owner = cols[0].u64;
    f->size = cols[1].u64;
    snprintf(f->mime, sizeof f->mime, "%.*s", (int)cols[2].len, cols[2].str);
    snprintf(f->sha256, sizeof f->sha256, "%.*s", (int)cols[3].len, cols[3].str);
    return 0;
}

/* Worker: the icon string for file ID (a file id checked by s_check_icon) into OUT, or the
 * code that refuses it (a DB_ERR_* when the lookup failed). */
static int s_avatar_icon(chat_worker_t *worker, uint64_t uid, const char *id, char *out, size_t cap)
{
    s_avatar_file_t f = {0};
    db_param_t p[] = {DB_STR(id)};
    int rc = db_query(worker->db, "SELECT owner, size, mime, sha256 FROM file WHERE id = ?", p, 1,
                      s_on_avatar_file, &f);
    if (rc < 0)
        return rc;
    /* someone else's file is refused even when readable: an avatar is public, so setting a
     * picture a friend sent would publish it */
    if (rc == 0 || f.owner != uid)
        return USCHAT_ERR_FILE_UNKNOWN;
    bool typed = false;
    for (size_t i = 0; i < sizeof s_avatar_types / sizeof *s_avatar_types; i++)
        typed = typed || strcmp(f.mime, s_avatar_types[i]) == 0;
    if (!typed)
        return USCHAT_ERR_AVATAR_TYPE;
    if (f.size == 0 || f.size > AVATAR_MAX_BYTES)
        return USCHAT_ERR_AVATAR_SIZE;
    snprintf(out, cap, "file:%s:%" PRIu64 ":%s", id, f.size, f.sha256);
    return 0;
}

static int s_on_friend(void *arg, const db_value_t *cols, size_t ncols)
{
    json_t *uids = arg;
    if (ncols >= 1 && !cols[0].is_null)
        json_array_append_new(uids, json_integer(cols[0].i64));
    return 0;
}

/* Worker: the UPDATE, the stored profile back, the pushes. */
static void s_store(chat_job_t *job, chat_worker_t *worker)
{
    const json_t *rq = job->request;
    json_t *sex = json_object_get(rq, REQ(sex));
    const char *avatar = chat_json_str(rq, REQ(icon)); /* NULL: unchanged, "": none */
    char icon[160] = "";
    int rc = avatar && *avatar ? s_avatar_icon(worker, job->uid, avatar, icon, sizeof icon) : 0;
    if (rc > 0) {
        chat_job_set_error(job, rc);
        return;
    }
    /* an absent field binds NULL and keeps its column (COALESCE) */
    db_param_t p[] = {DB_STR(chat_json_str(rq, REQ(nick))),
                      sex ? DB_I64(json_integer_value(sex)) : DB_NULL,
                      DB_STR(chat_json_str(rq, REQ(desc))),
                      DB_STR(avatar ? icon : NULL),
                      DB_I64(avatar != NULL),
                      DB_STR(avatar && *avatar ? avatar : NULL),
                      DB_U64(job->uid)};
    if (rc == 0)
        rc = db_exec(worker->db,
                     "UPDATE user SET nick = COALESCE(?, nick), sex = COALESCE(?, sex), "
                     "`desc` = COALESCE(?, `desc`), icon = COALESCE(?, icon), "
                     "avatar_file = IF(?, ?, avatar_file) WHERE uid = ?",
                     p, 7, NULL);
    json_t *rsp = json_pack("{sisI}", RSP(error), 0, RSP(uid), (json_int_t)job->uid);
    json_t *friends = json_array();
    db_param_t self[] = {DB_U64(job->uid)};
    if (rc == 0 && rsp)
        rc = db_query(worker->db, "SELECT nick, sex, `desc`, icon FROM user WHERE uid = ?", self, 1,
                      s_on_profile, rsp);
    if (rc == 1 && friends)
        rc = db_query(worker->db, "SELECT friend_id FROM friend WHERE self_id = ?", self, 1,
                      s_on_friend, friends);
    if (rc < 0 || !rsp || !friends) {
        if (rc < 0)
            log_warn("chat: profile of uid %" PRIu64 ": %s: %s", job->uid, db_strerror(rc),
                     db_conn_error(worker->db));
        json_decref(rsp);
        json_decref(friends);
        chat_job_set_error(job, USCHAT_ERR_RPC);
        return;
    }
    size_t i;
    json_t *uid;
    json_array_foreach(friends, i, uid)
    {
        json_t *push = json_deep_copy(rsp);
        if (push)
            chat_job_add_push(job, worker, (uint64_t)json_integer_value(uid),
                              USCHAT_ID_NOTIFY_PROFILE, push);
    }
    json_decref(friends);
    chat_job_set_reply(job, rsp);
}

void chat_account_profile(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    int error = s_check(body);
    chat_job_t *job =
        error ? NULL : chat_job_new(node, conn, USCHAT_ID_UPDATE_PROFILE_RSP, s_store, NULL);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_UPDATE_PROFILE_RSP,
                             error ? error : USCHAT_ERR_BUSY);
        return;
    }
    job->request = body;
    chat_job_submit(node, job, conn->uid);
}

/* ---- log out -------------------------------------------------------------------------------- */

/* KEYS: utoken, usn. ARGV: the session number. -> 1 revoked, 0 a newer session owns it */
static const char s_logout_lua[] = "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end\n"
                                   "redis.call('DEL', KEYS[1])\n"
                                   "return 1\n";

/* Worker: the token revoked (or left to a newer session). */
static void s_logout(chat_job_t *job, chat_worker_t *worker)
{
    char k_token[REDIS_KEY_MAX], k_usn[48], uid[24], session[24];
    snprintf(uid, sizeof uid, "%" PRIu64, job->uid);
    snprintf(session, sizeof session, "%" PRIu64, job->session);
    redis_key(k_token, REDIS_KEY_TOKEN, uid);
    snprintf(k_usn, sizeof k_usn, CHAT_REDIS_KEY_USN "%s", uid);
    redisReply *r = worker->redis ? redis_conn_command(worker->redis, "EVAL %s 2 %s %s %s",
                                                       s_logout_lua, k_token, k_usn, session)
                                  : NULL;
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        log_warn("chat: revoking the token of uid %" PRIu64 " failed: %s", job->uid,
                 r && r->str ? r->str : "no Redis");
        chat_job_set_error(job, USCHAT_ERR_RPC);
    } else {
        log_debug("chat: uid %" PRIu64 " logged out (token %s)", job->uid,
                  r->integer ? "revoked" : "kept: a newer session");
        chat_job_set_error(job, 0);
    }
    if (r)
        freeReplyObject(r);
}

void chat_account_logout(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_job_t *job = chat_job_new(node, conn, USCHAT_ID_LOGOUT_RSP, s_logout, NULL);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGOUT_RSP, USCHAT_ERR_BUSY);
        return;
    }
    job->request = body;
    job->session = conn->session;
    chat_job_submit(node, job, conn->uid);
}
