/* proto.c - request builders and reply parsers of the chat node messages (proto.h).
 *
 * Every JSON field name the client uses appears in this file and nowhere else in the client:
 * the builders write exactly the names of docs/protocol.md §2, the parsers read them leniently
 * (absent = 0/"", numbers accepted as decimal strings, 1018 and 1030 item spellings both).
 * Pure functions over jansson values; callable from any thread.
 */
#include "uschat/client/proto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "uschat/client/error.h"

/* ---- ids ---------------------------------------------------------------------------- */

static const struct {
    uint16_t id;
    const char *name;
} s_names[] = {
    {USCHAT_ID_LOGIN_REQ, "login_req"},
    {USCHAT_ID_LOGIN_RSP, "login_rsp"},
    {USCHAT_ID_SEARCH_REQ, "search_req"},
    {USCHAT_ID_SEARCH_RSP, "search_rsp"},
    {USCHAT_ID_ADD_FRIEND_REQ, "add_friend_req"},
    {USCHAT_ID_ADD_FRIEND_RSP, "add_friend_rsp"},
    {USCHAT_ID_NOTIFY_ADD_FRIEND, "notify_add_friend"},
    {USCHAT_ID_AUTH_FRIEND_REQ, "auth_friend_req"},
    {USCHAT_ID_AUTH_FRIEND_RSP, "auth_friend_rsp"},
    {USCHAT_ID_NOTIFY_AUTH_FRIEND, "notify_auth_friend"},
    {USCHAT_ID_TEXT_CHAT_REQ, "text_chat_req"},
    {USCHAT_ID_TEXT_CHAT_RSP, "text_chat_rsp"},
    {USCHAT_ID_NOTIFY_TEXT_CHAT, "notify_text_chat"},
    {USCHAT_ID_NOTIFY_OFFLINE, "notify_offline"},
    {USCHAT_ID_HEARTBEAT_REQ, "heartbeat_req"},
    {USCHAT_ID_HEARTBEAT_RSP, "heartbeat_rsp"},
    {USCHAT_ID_THREAD_LIST_REQ, "thread_list_req"},
    {USCHAT_ID_THREAD_LIST_RSP, "thread_list_rsp"},
    {USCHAT_ID_CREATE_PRIVATE_REQ, "create_private_req"},
    {USCHAT_ID_CREATE_PRIVATE_RSP, "create_private_rsp"},
    {USCHAT_ID_LOAD_CHAT_REQ, "load_chat_req"},
    {USCHAT_ID_LOAD_CHAT_RSP, "load_chat_rsp"},
    {USCHAT_ID_SYNC_REQ, "sync_req"},
    {USCHAT_ID_SYNC_RSP, "sync_rsp"},
    {USCHAT_ID_READ_MARK_REQ, "read_mark_req"},
    {USCHAT_ID_READ_MARK_RSP, "read_mark_rsp"},
    {USCHAT_ID_NOTIFY_READ, "notify_read"},
};

const char *uschat_msg_name(uint16_t id)
{
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++)
        if (s_names[i].id == id)
            return s_names[i].name;
    return NULL;
}

uint16_t uschat_reply_id(uint16_t req)
{
    switch (req) {
    case USCHAT_ID_LOGIN_REQ:
    case USCHAT_ID_SEARCH_REQ:
    case USCHAT_ID_ADD_FRIEND_REQ:
    case USCHAT_ID_AUTH_FRIEND_REQ:
    case USCHAT_ID_TEXT_CHAT_REQ:
    case USCHAT_ID_HEARTBEAT_REQ:
    case USCHAT_ID_THREAD_LIST_REQ:
    case USCHAT_ID_CREATE_PRIVATE_REQ:
    case USCHAT_ID_LOAD_CHAT_REQ:
    case USCHAT_ID_SYNC_REQ:
    case USCHAT_ID_READ_MARK_REQ:
        return (uint16_t)(req + 1);
    default:
        return 0;
    }
}

/* ---- builders ----------------------------------------------------------------------- */

json_t *uschat_req_login(int64_t uid, const char *token)
{
    return json_pack("{s:I, s:s}", "uid", (json_int_t)uid, "token", token);
}

json_t *uschat_req_search(const char *uid_or_name)
{
    return json_pack("{s:s}", "uid", uid_or_name);
}

json_t *uschat_req_add_friend(int64_t touid, const char *applyname, const char *bakname)
{
    return json_pack("{s:I, s:s, s:s}", "touid", (json_int_t)touid, "applyname",
                     applyname ? applyname : "", "bakname", bakname ? bakname : "");
}

json_t *uschat_req_auth_friend(int64_t touid, const char *back)
{
    return json_pack("{s:I, s:s}", "touid", (json_int_t)touid, "back", back ? back : "");
}

json_t *uschat_req_text_chat(int64_t touid, int64_t thread_id, const uschat_text_t *items, size_t n)
{
    if (!items || n == 0)
        return NULL;
    json_t *array = json_array();
    if (!array)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *item =
            json_pack("{s:s, s:s}", "content", items[i].content, "unique_id", items[i].unique_id);
        if (json_array_append_new(array, item) < 0) { /* NULL item fails here too */
            json_decref(array);
            return NULL;
        }
    }
    return json_pack("{s:I, s:I, s:o}", "touid", (json_int_t)touid, "thread_id",
                     (json_int_t)thread_id, "text_array", array);
}

json_t *uschat_req_heartbeat(int64_t fromuid)
{
    if (fromuid <= 0)
        return json_object();
    return json_pack("{s:I}", "fromuid", (json_int_t)fromuid);
}

json_t *uschat_req_thread_list(int64_t thread_id_cursor)
{
    return json_pack("{s:I}", "thread_id", (json_int_t)thread_id_cursor);
}

json_t *uschat_req_create_private(int64_t other_id)
{
    return json_pack("{s:I}", "other_id", (json_int_t)other_id);
}

json_t *uschat_req_load_chat(int64_t thread_id, int64_t message_id_cursor)
{
    return json_pack("{s:I, s:I}", "thread_id", (json_int_t)thread_id, "message_id",
                     (json_int_t)message_id_cursor);
}

json_t *uschat_req_load_older(int64_t thread_id, int64_t message_id_cursor)
{
    return json_pack("{s:I, s:I, s:b}", "thread_id", (json_int_t)thread_id, "message_id",
                     (json_int_t)message_id_cursor, "before", 1);
}

json_t *uschat_req_sync(int64_t thread_id, int64_t after_seq, int limit)
{
    return json_pack("{s:I, s:I, s:i}", "thread_id", (json_int_t)thread_id, "after_seq",
                     (json_int_t)after_seq, "limit", limit);
}

json_t *uschat_req_read_mark(int64_t thread_id, int64_t seq)
{
    return json_pack("{s:I, s:I}", "thread_id", (json_int_t)thread_id, "seq", (json_int_t)seq);
}

int uschat_unique_id(int64_t sender, char *out, size_t cap)
{
    static atomic_uint_fast64_t counter;
    if (!out || cap == 0)
        return USCHAT_E_ARG;
    uint64_t n = atomic_fetch_add(&counter, 1);
    int len = snprintf(out, cap, "%" PRId64 "-%" PRId64 "-%" PRIu64, sender, plat_wall_us(), n);
    if (len < 0 || (size_t)len >= cap) {
        out[0] = '\0';
        return USCHAT_E_ARG;
    }
    return 0;
}

/* ---- field readers ------------------------------------------------------------------ */

/* Reads an integer field: absent or null = 0; integer, integral real, boolean, or a decimal
 * string. -1 for an unusable value (object, array, non-numeric string). */
static int s_int(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1 : 0;
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d < -9.2e18 || d > 9.2e18)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (*s == '\0')
            return 0;
        char *end = NULL;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
        *out = (int64_t)n;
        return 0;
    }
    return -1;
}

static int s_int32(const json_t *obj, const char *key, int *out)
{
    int64_t v = 0;
    int rc = s_int(obj, key, &v);
    *out = (v < INT32_MIN || v > INT32_MAX) ? 0 : (int)v;
    return (v < INT32_MIN || v > INT32_MAX) ? -1 : rc;
}

/* A string field, borrowed; "" when absent or not a string. */
static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* An array field, borrowed; NULL when absent or not an array. */
static const json_t *s_array(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

/* ---- item parsers ------------------------------------------------------------------- */

/* Fills the user fields common to every user shape; UID_KEY names the id field. */
static int s_user(const json_t *obj, const char *uid_key, uschat_user_t *out)
{
    memset(out, 0, sizeof *out);
    out->name = out->email = out->nick = out->desc = out->icon = out->back = "";
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, uid_key, &out->uid);
    bad |= s_int32(obj, "sex", &out->sex);
    bad |= s_int32(obj, "status", &out->status);
    out->name = s_str(obj, "name");
    out->email = s_str(obj, "email");
    out->nick = s_str(obj, "nick");
    out->desc = s_str(obj, "desc");
    out->icon = s_str(obj, "icon");
    out->back = s_str(obj, "back");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_user(const json_t *obj, uschat_user_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    return s_user(obj, "uid", out);
}

int uschat_parse_chat_msg(const json_t *obj, uschat_chat_msg_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    out->unique_id = out->content = out->chat_time = "";
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    /* 1018/1019 spell the id message_id and the text content; 1030/1032 msg_id, msg_content */
    int bad =
        s_int(obj, json_object_get(obj, "msg_id") ? "msg_id" : "message_id", &out->message_id);
    out->content = s_str(obj, json_object_get(obj, "msg_content") ? "msg_content" : "content");
    bad |= s_int(obj, "seq", &out->seq);
    bad |= s_int(obj, "sender", &out->sender);
    bad |= s_int(obj, "thread_id", &out->thread_id);
    bad |= s_int32(obj, "status", &out->status);
    out->unique_id = s_str(obj, "unique_id");
    out->chat_time = s_str(obj, "chat_time");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_thread(const json_t *obj, uschat_thread_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, "thread_id", &out->thread_id);
    bad |= s_int32(obj, "type", &out->type);
    bad |= s_int(obj, "user1_id", &out->user1_id);
    bad |= s_int(obj, "user2_id", &out->user2_id);
    bad |= s_int(obj, "last_seq", &out->last_seq);
    bad |= s_int(obj, "unread", &out->unread);
    bad |= s_int(obj, "peer_read_seq", &out->peer_read_seq);
    out->last_msg = json_object_get(obj, "last_msg");
    return bad ? USCHAT_E_REPLY : 0;
}

/* ---- reply parsers ------------------------------------------------------------------ */

int uschat_parse_error(const json_t *body, int *error)
{
    int e = 0;
    int bad = json_is_object(body) ? s_int32(body, "error", &e) : -1;
    if (error)
        *error = e;
    return bad ? USCHAT_E_REPLY : 0;
}

/* Starts every reply parser: zeroes OUT (SIZE bytes) and checks BODY. */
static int s_begin(const json_t *body, void *out, size_t size)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, size);
    return json_is_object(body) ? 0 : USCHAT_E_REPLY;
}

int uschat_parse_login_rsp(const json_t *body, uschat_login_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_user(body, "uid", &out->self);
    out->apply_list = s_array(body, "apply_list");
    out->friend_list = s_array(body, "friend_list");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_search_rsp(const json_t *body, uschat_search_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_user(body, "uid", &out->user);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_add_friend(const json_t *body, uschat_notify_add_friend_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_user(body, "applyuid", &out->applicant);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_auth_friend(const json_t *body, uschat_auth_friend_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_user(body, "uid", &out->peer);
    bad |= s_int(body, "fromuid", &out->fromuid);
    bad |= s_int(body, "touid", &out->touid);
    if (out->peer.uid == 0) /* 1015 names the accepter by fromuid */
        out->peer.uid = out->fromuid;
    bad |= s_int(body, "thread_id", &out->thread_id);
    out->chat_datas = s_array(body, "chat_datas");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_text_chat(const json_t *body, uschat_text_chat_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_int(body, "fromuid", &out->fromuid);
    bad |= s_int(body, "touid", &out->touid);
    bad |= s_int(body, "thread_id", &out->thread_id);
    out->chat_datas = s_array(body, "chat_datas");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_offline(const json_t *body, uschat_notify_offline_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int(body, "uid", &out->uid);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_thread_list_rsp(const json_t *body, uschat_thread_list_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_int32(body, "load_more", &out->load_more);
    bad |= s_int(body, "next_last_id", &out->next_last_id);
    out->threads = s_array(body, "threads");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_create_private_rsp(const json_t *body, uschat_create_private_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_int(body, "other_id", &out->other_id);
    bad |= s_int(body, "thread_id", &out->thread_id);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_load_chat_rsp(const json_t *body, uschat_load_chat_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_int(body, "thread_id", &out->thread_id);
    bad |= s_int(body, "last_message_id", &out->last_message_id);
    bad |= s_int32(body, "load_more", &out->load_more);
    bad |= s_int(body, "peer_read_seq", &out->peer_read_seq);
    out->chat_datas = s_array(body, "chat_datas");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_sync_rsp(const json_t *body, uschat_sync_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, "error", &out->error);
    bad |= s_int(body, "thread_id", &out->thread_id);
    bad |= s_int32(body, "has_more", &out->has_more);
    bad |= s_int(body, "peer_read_seq", &out->peer_read_seq);
    out->chat_datas = s_array(body, "chat_datas");
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_read(const json_t *body, uschat_notify_read_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int(body, "thread_id", &out->thread_id);
    bad |= s_int(body, "reader", &out->reader);
    bad |= s_int(body, "seq", &out->seq);
    return bad ? USCHAT_E_REPLY : 0;
}
