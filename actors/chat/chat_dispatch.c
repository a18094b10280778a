/* chat_dispatch.c - what a chat node does with one whole client frame.
 *
 * Runs on the node's I/O thread, called by chat_net.c for every frame a connection completes.
 * The checks every request goes through, in order: the per-connection rate (a token bucket:
 * rate_limit a second with a burst of rate_burst; a refused request's reply carries 1014, and
 * refusals in rate_close_after seconds in a row or ten times the limit within one second close
 * the connection), the id (an unknown id is counted and
 * ignored), the body (not a JSON object: 1001 on the reply id; not UTF-8: 1015), the session
 * (before login only 1005 and 1023: 1017 otherwise), the identity (a body uid/fromuid other than
 * the session's: 1011). What survives is either answered here (heartbeat) or becomes a job for the
 * worker pool, keyed by uid so one user's requests run in order.
 */
#include "chat_dispatch.h"
#include "chat_group.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "chat_net.h"
#include "chat_node.h"
#include "chat_presence.h"
#include "chat_account.h"
#include "chat_friends.h"
#include "chat_store.h"
#include "chat_text.h"
#include "uschat/client_proto.h"

#include <string.h>
#include <time.h>

#include "uschat/log.h"

#define FLOOD_MULTIPLE 10 /* this many times the limit within one second closes at once */

typedef void(route_fn)(chat_node_t *node, chat_conn_t *conn, json_t *body);

typedef struct {
    uint16_t id;
    uint16_t reply_id;
    bool needs_login;
    bool body_uid_is_session; /* a `uid` field names the acting user (not a search key) */
    route_fn *fn;
} route_t;

/* One handler per client-to-server message of schema/messages/client.def: s_on_<name>. */
#define USCHAT_CLIENT_ITEM(NAME, FIELDS, doc)
#define ROUTE_S2C(NAME, name, REPLY, FLAGS)
#define ROUTE_C2S(NAME, name, REPLY, FLAGS) static route_fn s_on_##name;
#define USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, doc)          \
    ROUTE_##DIR(NAME, name, REPLY, FLAGS)
#include "messages/client.def"
#undef ROUTE_C2S
#define ROUTE_C2S(NAME, name, REPLY, FLAGS)                                                        \
    {USCHAT_ID_##NAME, USCHAT_ID_##REPLY, ((FLAGS)&USCHAT_M_LOGIN) != 0,                           \
     ((FLAGS)&USCHAT_M_UID_IS_SESSION) != 0, s_on_##name},
static const route_t s_routes[] = {
#include "messages/client.def"
};
#undef USCHAT_CLIENT_MSG
#undef USCHAT_CLIENT_ITEM
#undef ROUTE_C2S
#undef ROUTE_S2C

static const route_t *s_route(uint16_t id)
{
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (s_routes[i].id == id)
            return &s_routes[i];
    return NULL;
}

/* Milliseconds of the node's monotonic clock (since the node started). */
static uint32_t s_clock_ms(const chat_node_t *node)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return (uint32_t)(ms - node->clock_base_ms);
}

/* The connection's token bucket, refilled at rate_limit tokens a second up to rate_burst. A
 * fresh connection (stamp 0) starts full: a client that loads its whole history right after
 * logging in (the seed client asks for every thread's pages back to back, each request as soon
 * as the previous reply is in) spends the burst, not a per-second allowance. */
static bool s_take_token(chat_node_t *node, chat_conn_t *conn)
{
    uint32_t now = s_clock_ms(node) | 1u; /* 0 marks a fresh connection */
    uint32_t rate = node->cfg.rate_limit, burst = node->cfg.rate_burst;
    if (conn->rate_stamp_ms == 0) {
        conn->rate_tokens = burst;
        conn->rate_stamp_ms = now;
    }
    uint64_t added = (uint64_t)(uint32_t)(now - conn->rate_stamp_ms) * rate / 1000u;
    if (added > 0) {
        /* advance the stamp by the time the added tokens took, so fractions are not lost */
        conn->rate_stamp_ms += (uint32_t)(added * 1000u / rate);
        conn->rate_tokens =
            (uint32_t)(conn->rate_tokens + added < burst ? conn->rate_tokens + added : burst);
        if (conn->rate_tokens == burst)
            conn->rate_stamp_ms = now;
    }
    if (conn->rate_tokens == 0)
        return false;
    conn->rate_tokens--;
    return true;
}

/* True when the frame may be served; otherwise it was answered with 1014 (or the connection
 * was closed for flooding). A refused request counts in its second: refusals in rate_close_after
 * seconds in a row, or more than FLOOD_MULTIPLE times rate_limit in one second, close. */
static bool s_rate_ok(chat_node_t *node, chat_conn_t *conn, const route_t *route)
{
    if (s_take_token(node, conn))
        return true;
    uint32_t now = node->now_s;
    uint32_t limit = node->cfg.rate_limit;
    if (conn->rate_window_s != now) {
        /* rate_over counts the consecutive seconds with refusals up to now-1. */
        if (conn->rate_count > 0 && conn->rate_window_s + 1 == now)
            conn->rate_over = conn->rate_over < 255 ? (uint8_t)(conn->rate_over + 1) : 255;
        else
            conn->rate_over = 0;
        conn->rate_window_s = now;
        conn->rate_count = 0;
    }
    conn->rate_count++;
    node->stats.rate_limited++;
    if ((uint32_t)conn->rate_over + 1 >= node->cfg.rate_close_after ||
        conn->rate_count > limit * FLOOD_MULTIPLE) {
        node->stats.flood_closed++;
        log_info("chat: connection %llu (uid %llu) floods (%u refused this second, %u seconds "
                 "over %u/s after a burst of %u): closing",
                 (unsigned long long)conn->id, (unsigned long long)conn->uid, conn->rate_count,
                 (unsigned)conn->rate_over + 1, limit, node->cfg.rate_burst);
        chat_conn_close(node, conn, "request flood");
        return false;
    }
    if (route)
        chat_conn_send_error(node, conn, route->reply_id, USCHAT_ERR_RATE_LIMITED);
    return false;
}

/* A present uid field that is not the session's (or not a usable id at all). */
static bool s_foreign_uid(const json_t *body, const char *key, uint64_t session_uid)
{
    if (!json_object_get(body, key))
        return false;
    return chat_json_uid(body, key) != session_uid;
}

void chat_dispatch_frame(chat_node_t *node, chat_conn_t *conn, const frame_t *frame)
{
    const route_t *route = s_route(frame->id);
    if (!s_rate_ok(node, conn, route))
        return;
    if (!route) {
        node->stats.unknown_ids++;
        log_debug("chat: connection %llu sent unknown id %u (%u bytes): ignored",
                  (unsigned long long)conn->id, frame->id, frame->length);
        return;
    }
    json_error_t jerr;
    json_t *body =
        frame->length ? json_loadb((const char *)frame->body, frame->length, 0, &jerr) : NULL;
    if (!json_is_object(body)) {
        /* Text that is not UTF-8 is a field out of range (1015), other garbage is 1001. */
        bool utf8 = !body && frame->length && json_error_code(&jerr) == json_error_invalid_utf8;
        json_decref(body);
        node->stats.bad_json++;
        chat_conn_send_error(node, conn, route->reply_id,
                             utf8 ? USCHAT_ERR_OUT_OF_RANGE : USCHAT_ERR_JSON);
        return;
    }
    if (route->needs_login && !conn->uid) {
        json_decref(body);
        chat_conn_send_error(node, conn, route->reply_id, USCHAT_ERR_NOT_LOGGED_IN);
        return;
    }
    if (conn->uid && (s_foreign_uid(body, USCHAT_FIELD(TEXT_CHAT_REQ, fromuid), conn->uid) ||
                      (route->body_uid_is_session &&
                       s_foreign_uid(body, USCHAT_FIELD(ADD_FRIEND_REQ, uid), conn->uid)))) {
        json_decref(body);
        chat_conn_send_error(node, conn, route->reply_id, USCHAT_ERR_UID_INVALID);
        return;
    }
    route->fn(node, conn, body);
}

/* ---- the requests ---------------------------------------------------------------------------- */

static void s_on_text_chat_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_text_request(node, conn, body); /* chat_text.c: checks, commit lanes, delivery */
}

static void s_on_heartbeat_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    json_decref(body);
    chat_conn_send_error(node, conn, USCHAT_ID_HEARTBEAT_RSP, 0);
}

static void s_login_done(chat_node_t *node, chat_job_t *job)
{
    chat_conn_t *conn = chat_conn_find(node, job->fd, job->conn_id);
    if (job->error) {
        node->stats.login_failed++;
        if (job->session)
            chat_presence_clear_later(node, job->uid, job->session);
        if (conn)
            chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, job->error);
        return;
    }
    if (!conn) {
        /* The client left while its login ran: undo the presence it set. */
        chat_presence_clear_later(node, job->uid, job->session);
        return;
    }
    if (conn->uid && conn->uid != job->uid) {
        chat_presence_clear_later(node, job->uid, job->session);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_UID_INVALID);
        return;
    }
    chat_conn_t *old = chat_session_find(node, job->uid);
    if (old && old != conn) {
        if (old->session < job->session) {
            chat_conn_kick(node, old, false, "logged in again");
        } else {
            /* A newer login of the same uid finished first: this one is the stale session. */
            conn->uid = job->uid;
            conn->session = job->session;
            chat_conn_kick(node, conn, false, "a newer session exists");
            return;
        }
    }
    if (conn->uid == job->uid) {
        conn->session = job->session; /* logged in again on the same connection */
    } else if (chat_session_bind(node, conn, job->uid, job->session) < 0) {
        chat_presence_clear_later(node, job->uid, job->session);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_RPC);
        return;
    }
    if (job->old_node[0] && strcmp(job->old_node, node->name) != 0)
        chat_kick_remote(node, job->old_node, job->uid, job->session);
    node->stats.logins++;
    if (job->reply)
        chat_conn_send(node, conn, USCHAT_ID_LOGIN_RSP, job->reply, job->reply_len);
}

static void s_on_login_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t uid = chat_json_uid(body, USCHAT_FIELD(LOGIN_REQ, uid));
    const char *token = chat_json_str(body, USCHAT_FIELD(LOGIN_REQ, token));
    if (!uid || !token) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_JSON);
        return;
    }
    if (strlen(token) > USCHAT_MAX(LOGIN_REQ, token) || !token[0]) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_TOKEN_INVALID);
        return;
    }
    if (conn->uid && conn->uid != uid) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_UID_INVALID);
        return;
    }
    chat_job_t *job = chat_job_new(node, conn, USCHAT_ID_LOGIN_RSP, chat_store_login, s_login_done);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_LOGIN_RSP, USCHAT_ERR_BUSY);
        return;
    }
    job->uid = uid;
    job->request = body;
    chat_job_submit(node, job, uid);
}

/* Submits a job for a logged-in user's request (body taken). */
static void s_submit(chat_node_t *node, chat_conn_t *conn, json_t *body, uint16_t reply_id,
                     chat_job_run_fn *run)
{
    chat_job_t *job = chat_job_new(node, conn, reply_id, run, NULL);
    if (!job) {
        json_decref(body);
        chat_conn_send_error(node, conn, reply_id, USCHAT_ERR_BUSY);
        return;
    }
    job->request = body;
    chat_job_submit(node, job, conn->uid);
}

static void s_on_search_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    json_t *key = json_object_get(body, USCHAT_FIELD(SEARCH_REQ, uid));
    bool ok = (json_is_string(key) && json_string_length(key) > 0 &&
               json_string_length(key) <= USCHAT_MAX(SEARCH_REQ, uid)) ||
              (json_is_integer(key) && json_integer_value(key) > 0);
    if (!ok) {
        /* key belongs to body: pick the code before body goes */
        int error = json_is_string(key) && json_string_length(key) ? USCHAT_ERR_OUT_OF_RANGE
                                                                   : USCHAT_ERR_JSON;
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_SEARCH_RSP, error);
        return;
    }
    s_submit(node, conn, body, USCHAT_ID_SEARCH_RSP, chat_store_search);
}

/* An optional string field of at most max characters: -1 when it has the wrong type or is too
 * long (the caller answers), 0 otherwise. */
static int s_check_text(const json_t *body, const char *key, size_t max)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return -1;
    return chat_utf8_chars(json_string_value(v)) <= max ? 0 : -1;
}

static void s_on_add_friend_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t touid = chat_json_uid(body, USCHAT_FIELD(ADD_FRIEND_REQ, touid));
    int error = 0;
    if (!json_object_get(body, USCHAT_FIELD(ADD_FRIEND_REQ, touid)))
        error = USCHAT_ERR_JSON;
    else if (!touid)
        error = USCHAT_ERR_UID_INVALID;
    else if (touid == conn->uid)
        error = USCHAT_ERR_OUT_OF_RANGE;
    else if (s_check_text(body, USCHAT_FIELD(ADD_FRIEND_REQ, applyname),
                          USCHAT_MAX(ADD_FRIEND_REQ, applyname)) < 0 ||
             s_check_text(body, USCHAT_FIELD(ADD_FRIEND_REQ, bakname),
                          USCHAT_MAX(ADD_FRIEND_REQ, bakname)) < 0)
        error = USCHAT_ERR_OUT_OF_RANGE;
    if (error) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_ADD_FRIEND_RSP, error);
        return;
    }
    s_submit(node, conn, body, USCHAT_ID_ADD_FRIEND_RSP, chat_store_apply);
}

static void s_on_auth_friend_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    uint64_t touid = chat_json_uid(body, USCHAT_FIELD(AUTH_FRIEND_REQ, touid));
    int error = 0;
    if (!json_object_get(body, USCHAT_FIELD(AUTH_FRIEND_REQ, touid)))
        error = USCHAT_ERR_JSON;
    else if (!touid)
        error = USCHAT_ERR_UID_INVALID;
    else if (touid == conn->uid)
        error = USCHAT_ERR_OUT_OF_RANGE;
    else if (s_check_text(body, USCHAT_FIELD(AUTH_FRIEND_REQ, back),
                          USCHAT_MAX(AUTH_FRIEND_REQ, back)) < 0)
        error = USCHAT_ERR_OUT_OF_RANGE;
    if (error) {
        json_decref(body);
        chat_conn_send_error(node, conn, USCHAT_ID_AUTH_FRIEND_RSP, error);
        return;
    }
    s_submit(node, conn, body, USCHAT_ID_AUTH_FRIEND_RSP, chat_store_auth);
}

/* A field that must hold an id >= 0 (min 0) or > 0 (min 1): 0 when fine, else the code. An
 * absent optional field (required false) reads as 0. */
static int s_check_id(const json_t *body, const char *key, bool required, uint64_t min)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return required ? USCHAT_ERR_JSON : 0;
    if (!json_is_integer(v) && !json_is_string(v))
        return USCHAT_ERR_JSON;
    if (json_is_integer(v) && json_integer_value(v) == 0 && min == 0)
        return 0;
    if (json_is_string(v) && strcmp(json_string_value(v), "0") == 0 && min == 0)
        return 0;
    return chat_json_uid(body, key) >= (min ? min : 1) ? 0 : USCHAT_ERR_OUT_OF_RANGE;
}

static void s_submit_checked(chat_node_t *node, chat_conn_t *conn, json_t *body, uint16_t reply_id,
                             chat_job_run_fn *run, int error)
{
    if (error) {
        json_decref(body);
        chat_conn_send_error(node, conn, reply_id, error);
        return;
    }
    s_submit(node, conn, body, reply_id, run);
}

static void s_on_thread_list_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    s_submit_checked(node, conn, body, USCHAT_ID_THREAD_LIST_RSP, chat_store_threads,
                     s_check_id(body, USCHAT_FIELD(THREAD_LIST_REQ, thread_id), false, 0));
}

static void s_on_create_private_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    int error = s_check_id(body, USCHAT_FIELD(CREATE_PRIVATE_REQ, other_id), true, 1);
    if (!error && chat_json_uid(body, USCHAT_FIELD(CREATE_PRIVATE_REQ, other_id)) == conn->uid)
        error = USCHAT_ERR_OUT_OF_RANGE;
    s_submit_checked(node, conn, body, USCHAT_ID_CREATE_PRIVATE_RSP, chat_store_private, error);
}

static void s_on_load_chat_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    int error = s_check_id(body, USCHAT_FIELD(LOAD_CHAT_REQ, thread_id), true, 1);
    if (!error)
        error = s_check_id(body, USCHAT_FIELD(LOAD_CHAT_REQ, message_id), false, 0);
    /* UsChat's direction field (docs/protocol.md): absent = forward, the seed's paging */
    json_t *before = json_object_get(body, USCHAT_FIELD(LOAD_CHAT_REQ, before));
    if (!error && before && !json_is_boolean(before))
        error = USCHAT_ERR_JSON;
    s_submit_checked(node, conn, body, USCHAT_ID_LOAD_CHAT_RSP, chat_store_history, error);
}

static void s_on_sync_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    int error = s_check_id(body, USCHAT_FIELD(SYNC_REQ, thread_id), true, 1);
    if (!error)
        error = s_check_id(body, USCHAT_FIELD(SYNC_REQ, after_seq), false, 0);
    json_t *limit = json_object_get(body, USCHAT_FIELD(SYNC_REQ, limit));
    if (!error && limit && !json_is_integer(limit))
        error = USCHAT_ERR_JSON;
    if (!error && limit &&
        (json_integer_value(limit) < 1 || json_integer_value(limit) > USCHAT_MAX(SYNC_REQ, limit)))
        error = USCHAT_ERR_OUT_OF_RANGE;
    s_submit_checked(node, conn, body, USCHAT_ID_SYNC_RSP, chat_store_sync, error);
}

static void s_on_read_mark_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    int error = s_check_id(body, USCHAT_FIELD(READ_MARK_REQ, thread_id), true, 1);
    if (!error)
        error = s_check_id(body, USCHAT_FIELD(READ_MARK_REQ, seq), true, 1);
    s_submit_checked(node, conn, body, USCHAT_ID_READ_MARK_RSP, chat_store_read, error);
}

/* ---- groups (chat_group.c) --------------------------------------------------------------------
 */

#define GROUP_ROUTE(name, NAME)                                                                    \
    static void s_on_##name(chat_node_t *node, chat_conn_t *conn, json_t *body)                    \
    {                                                                                              \
        chat_group_request(node, conn, USCHAT_ID_##NAME, body);                                    \
    }
GROUP_ROUTE(group_create_req, GROUP_CREATE_REQ)
GROUP_ROUTE(group_invite_req, GROUP_INVITE_REQ)
GROUP_ROUTE(group_leave_req, GROUP_LEAVE_REQ)
GROUP_ROUTE(group_remove_req, GROUP_REMOVE_REQ)
GROUP_ROUTE(group_set_admin_req, GROUP_SET_ADMIN_REQ)
GROUP_ROUTE(group_transfer_req, GROUP_TRANSFER_REQ)
GROUP_ROUTE(group_rename_req, GROUP_RENAME_REQ)
GROUP_ROUTE(group_announce_req, GROUP_ANNOUNCE_REQ)
GROUP_ROUTE(group_mute_req, GROUP_MUTE_REQ)
GROUP_ROUTE(group_mute_all_req, GROUP_MUTE_ALL_REQ)
GROUP_ROUTE(group_invite_policy_req, GROUP_INVITE_POLICY_REQ)
GROUP_ROUTE(group_dissolve_req, GROUP_DISSOLVE_REQ)
GROUP_ROUTE(group_list_req, GROUP_LIST_REQ)
GROUP_ROUTE(group_text_req, GROUP_TEXT_REQ)
GROUP_ROUTE(group_sync_req, GROUP_SYNC_REQ)
GROUP_ROUTE(group_read_req, GROUP_READ_REQ)
GROUP_ROUTE(group_members_req, GROUP_MEMBERS_REQ)
GROUP_ROUTE(group_read_counts_req, GROUP_READ_COUNTS_REQ)

static void s_on_update_profile_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_account_profile(node, conn, body); /* chat_account.c */
}

static void s_on_logout_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_account_logout(node, conn, body); /* chat_account.c */
}

static void s_on_set_remark_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_friends_remark(node, conn, body); /* chat_friends.c */
}

static void s_on_remove_friend_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_friends_remove(node, conn, body); /* chat_friends.c */
}

static void s_on_decline_friend_req(chat_node_t *node, chat_conn_t *conn, json_t *body)
{
    chat_friends_decline(node, conn, body); /* chat_friends.c */
}
