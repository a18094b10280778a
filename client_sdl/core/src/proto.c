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

/* Names and reply ids come from the message table (schema/messages/client.def). */

const char *uschat_msg_name(uint16_t id)
{
    const uschat_msg_desc_t *d = uschat_proto_msg(id);
    return d ? d->name : NULL;
}

uint16_t uschat_reply_id(uint16_t req)
{
    const uschat_msg_desc_t *d = uschat_proto_msg(req);
    return d && d->dir == USCHAT_DIR_C2S ? d->reply : 0;
}

/* ---- builders ----------------------------------------------------------------------- */

json_t *uschat_req_login(int64_t uid, const char *token)
{
    return json_pack("{s:I, s:s}", USCHAT_FIELD(LOGIN_REQ, uid), (json_int_t)uid,
                     USCHAT_FIELD(LOGIN_REQ, token), token);
}

json_t *uschat_req_search(const char *uid_or_name)
{
    return json_pack("{s:s}", USCHAT_FIELD(SEARCH_REQ, uid), uid_or_name);
}

json_t *uschat_req_add_friend(int64_t touid, const char *applyname, const char *bakname)
{
    return json_pack("{s:I, s:s, s:s}", USCHAT_FIELD(ADD_FRIEND_REQ, touid), (json_int_t)touid,
                     USCHAT_FIELD(ADD_FRIEND_REQ, applyname), applyname ? applyname : "",
                     USCHAT_FIELD(ADD_FRIEND_REQ, bakname), bakname ? bakname : "");
}

json_t *uschat_req_auth_friend(int64_t touid, const char *back)
{
    return json_pack("{s:I, s:s}", USCHAT_FIELD(AUTH_FRIEND_REQ, touid), (json_int_t)touid,
                     USCHAT_FIELD(AUTH_FRIEND_REQ, back), back ? back : "");
}

/* One TEXT_ITEM of a 1017/1077: a text, or an image/file naming its upload. NULL when a
 * required field is missing or the kind unknown. */
static json_t *s_text_item(const uschat_msg_item_t *t)
{
#define T(f) USCHAT_FIELD(TEXT_ITEM, f)
    if (!t->content || !t->unique_id || t->kind < USCHAT_MSG_TEXT || t->kind > USCHAT_MSG_FILE)
        return NULL;
    json_t *item = json_pack("{s:s, s:s}", T(content), t->content, T(unique_id), t->unique_id);
    if (!item || t->kind == USCHAT_MSG_TEXT)
        return item; /* a text is exactly what the seed sends */
    int bad = !t->file_id || json_object_set_new(item, T(kind), json_integer(t->kind)) < 0 ||
              json_object_set_new(item, T(file_id), json_string(t->file_id)) < 0;
    if (!bad && t->width > 0)
        bad = json_object_set_new(item, T(width), json_integer(t->width)) < 0;
    if (!bad && t->height > 0)
        bad = json_object_set_new(item, T(height), json_integer(t->height)) < 0;
    if (!bad && t->preview && *t->preview)
        bad = json_object_set_new(item, T(preview), json_string(t->preview)) < 0;
    if (bad) {
        json_decref(item);
        return NULL;
    }
    return item;
#undef T
}

/* The `text_array` of a 1017/1077 from N items: of TEXTS when not NULL, else of ITEMS. A new
 * array, or NULL when N is 0 or an item is refused. */
static json_t *s_text_array(const uschat_text_t *texts, const uschat_msg_item_t *items, size_t n)
{
    if ((!texts && !items) || n == 0)
        return NULL;
    json_t *array = json_array();
    for (size_t i = 0; array && i < n; i++) {
        uschat_msg_item_t text = {0};
        if (texts)
            text =
                (uschat_msg_item_t){.content = texts[i].content, .unique_id = texts[i].unique_id};
        json_t *item = s_text_item(texts ? &text : &items[i]);
        if (json_array_append_new(array, item) < 0) { /* NULL item fails here too */
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *s_text_chat(int64_t touid, int64_t thread_id, json_t *array)
{
    if (!array)
        return NULL;
    return json_pack("{s:I, s:I, s:o}", USCHAT_FIELD(TEXT_CHAT_REQ, touid), (json_int_t)touid,
                     USCHAT_FIELD(TEXT_CHAT_REQ, thread_id), (json_int_t)thread_id,
                     USCHAT_FIELD(TEXT_CHAT_REQ, text_array), array);
}

json_t *uschat_req_text_chat(int64_t touid, int64_t thread_id, const uschat_text_t *items, size_t n)
{
    return s_text_chat(touid, thread_id, s_text_array(items, NULL, n));
}

json_t *uschat_req_chat_items(int64_t touid, int64_t thread_id, const uschat_msg_item_t *items,
                              size_t n)
{
    return s_text_chat(touid, thread_id, s_text_array(NULL, items, n));
}

json_t *uschat_req_heartbeat(int64_t fromuid)
{
    if (fromuid <= 0)
        return json_object();
    return json_pack("{s:I}", USCHAT_FIELD(HEARTBEAT_REQ, fromuid), (json_int_t)fromuid);
}

json_t *uschat_req_thread_list(int64_t thread_id_cursor)
{
    return json_pack("{s:I}", USCHAT_FIELD(THREAD_LIST_REQ, thread_id),
                     (json_int_t)thread_id_cursor);
}

json_t *uschat_req_create_private(int64_t other_id)
{
    return json_pack("{s:I}", USCHAT_FIELD(CREATE_PRIVATE_REQ, other_id), (json_int_t)other_id);
}

json_t *uschat_req_load_chat(int64_t thread_id, int64_t message_id_cursor)
{
    return json_pack("{s:I, s:I}", USCHAT_FIELD(LOAD_CHAT_REQ, thread_id), (json_int_t)thread_id,
                     USCHAT_FIELD(LOAD_CHAT_REQ, message_id), (json_int_t)message_id_cursor);
}

json_t *uschat_req_load_older(int64_t thread_id, int64_t message_id_cursor)
{
    return json_pack("{s:I, s:I, s:b}", USCHAT_FIELD(LOAD_CHAT_REQ, thread_id),
                     (json_int_t)thread_id, USCHAT_FIELD(LOAD_CHAT_REQ, message_id),
                     (json_int_t)message_id_cursor, USCHAT_FIELD(LOAD_CHAT_REQ, before), 1);
}

json_t *uschat_req_sync(int64_t thread_id, int64_t after_seq, int limit)
{
    return json_pack("{s:I, s:I, s:i}", USCHAT_FIELD(SYNC_REQ, thread_id), (json_int_t)thread_id,
                     USCHAT_FIELD(SYNC_REQ, after_seq), (json_int_t)after_seq,
                     USCHAT_FIELD(SYNC_REQ, limit), limit);
}

json_t *uschat_req_read_mark(int64_t thread_id, int64_t seq)
{
    return json_pack("{s:I, s:I}", USCHAT_FIELD(READ_MARK_REQ, thread_id), (json_int_t)thread_id,
                     USCHAT_FIELD(READ_MARK_REQ, seq), (json_int_t)seq);
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
    bad |= s_int32(obj, USCHAT_FIELD(LOGIN_RSP, sex), &out->sex);
    bad |= s_int32(obj, USCHAT_FIELD(SENT_ITEM, status), &out->status);
    out->name = s_str(obj, USCHAT_FIELD(LOGIN_RSP, name));
    out->email = s_str(obj, USCHAT_FIELD(LOGIN_RSP, email));
    out->nick = s_str(obj, USCHAT_FIELD(LOGIN_RSP, nick));
    out->desc = s_str(obj, USCHAT_FIELD(LOGIN_RSP, desc));
    out->icon = s_str(obj, USCHAT_FIELD(LOGIN_RSP, icon));
    out->back = s_str(obj, USCHAT_FIELD(FRIEND_ITEM, back));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_user(const json_t *obj, uschat_user_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    return s_user(obj, USCHAT_FIELD(FRIEND_ITEM, uid), out);
}

/* Reads `kind` and the file fields an image/file message carries (SENT_ITEM, STORED_ITEM and
 * GROUP_MSG_ITEM spell them alike); a text leaves FILE all 0 / "". */
static int s_file_meta(const json_t *obj, int *kind, uschat_file_meta_t *file)
{
#define F(f) USCHAT_FIELD(STORED_ITEM, f)
    memset(file, 0, sizeof *file);
    file->file_id = file->name = file->sha256 = file->mime = file->preview = "";
    int bad = s_int32(obj, F(kind), kind);
    if (*kind != USCHAT_MSG_IMAGE && *kind != USCHAT_MSG_FILE)
        return bad;
    file->file_id = s_str(obj, F(file_id));
    file->name = s_str(obj, F(file_name));
    bad |= s_int(obj, F(file_size), &file->size);
    file->sha256 = s_str(obj, F(file_sha256));
    file->mime = s_str(obj, F(file_mime));
    bad |= s_int32(obj, F(width), &file->width);
    bad |= s_int32(obj, F(height), &file->height);
    file->preview = s_str(obj, F(preview));
    return bad;
#undef F
}

int uschat_parse_chat_msg(const json_t *obj, uschat_chat_msg_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    out->unique_id = out->content = out->chat_time = "";
    int file_bad = s_file_meta(obj, &out->kind, &out->file); /* "" strings even for a non-object */
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    /* 1018/1019 spell the id message_id and the text content; 1030/1032 msg_id, msg_content */
    int bad = s_int(obj,
                    json_object_get(obj, USCHAT_FIELD(STORED_ITEM, msg_id))
                        ? USCHAT_FIELD(STORED_ITEM, msg_id)
                        : USCHAT_FIELD(SENT_ITEM, message_id),
                    &out->message_id);
    out->content = s_str(obj, json_object_get(obj, USCHAT_FIELD(STORED_ITEM, msg_content))
                                  ? USCHAT_FIELD(STORED_ITEM, msg_content)
                                  : USCHAT_FIELD(SENT_ITEM, content));
    bad |= s_int(obj, USCHAT_FIELD(STORED_ITEM, seq), &out->seq);
    bad |= s_int(obj, USCHAT_FIELD(STORED_ITEM, sender), &out->sender);
    bad |= s_int(obj, USCHAT_FIELD(STORED_ITEM, thread_id), &out->thread_id);
    bad |= s_int32(obj, USCHAT_FIELD(STORED_ITEM, status), &out->status);
    out->unique_id = s_str(obj, USCHAT_FIELD(STORED_ITEM, unique_id));
    out->chat_time = s_str(obj, USCHAT_FIELD(STORED_ITEM, chat_time));
    bad |= file_bad;
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_thread(const json_t *obj, uschat_thread_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, USCHAT_FIELD(THREAD_ITEM, thread_id), &out->thread_id);
    bad |= s_int32(obj, USCHAT_FIELD(THREAD_ITEM, type), &out->type);
    bad |= s_int(obj, USCHAT_FIELD(THREAD_ITEM, user1_id), &out->user1_id);
    bad |= s_int(obj, USCHAT_FIELD(THREAD_ITEM, user2_id), &out->user2_id);
    bad |= s_int(obj, USCHAT_FIELD(THREAD_ITEM, last_seq), &out->last_seq);
    bad |= s_int(obj, USCHAT_FIELD(THREAD_ITEM, unread), &out->unread);
    bad |= s_int(obj, USCHAT_FIELD(THREAD_ITEM, peer_read_seq), &out->peer_read_seq);
    out->last_msg = json_object_get(obj, USCHAT_FIELD(THREAD_ITEM, last_msg));
    return bad ? USCHAT_E_REPLY : 0;
}

/* ---- reply parsers ------------------------------------------------------------------ */

int uschat_parse_error(const json_t *body, int *error)
{
    int e = 0;
    int bad = json_is_object(body) ? s_int32(body, USCHAT_FIELD(ADD_FRIEND_RSP, error), &e) : -1;
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
    int bad = s_int32(body, USCHAT_FIELD(LOGIN_RSP, error), &out->error);
    bad |= s_user(body, USCHAT_FIELD(LOGIN_RSP, uid), &out->self);
    out->apply_list = s_array(body, USCHAT_FIELD(LOGIN_RSP, apply_list));
    out->friend_list = s_array(body, USCHAT_FIELD(LOGIN_RSP, friend_list));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_search_rsp(const json_t *body, uschat_search_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(SEARCH_RSP, error), &out->error);
    bad |= s_user(body, USCHAT_FIELD(SEARCH_RSP, uid), &out->user);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_add_friend(const json_t *body, uschat_notify_add_friend_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_user(body, USCHAT_FIELD(NOTIFY_ADD_FRIEND, applyuid), &out->applicant);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_auth_friend(const json_t *body, uschat_auth_friend_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, error), &out->error);
    bad |= s_user(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, uid), &out->peer);
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, fromuid), &out->fromuid);
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, touid), &out->touid);
    if (out->peer.uid == 0) /* 1015 names the accepter by fromuid */
        out->peer.uid = out->fromuid;
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, thread_id), &out->thread_id);
    out->chat_datas = s_array(body, USCHAT_FIELD(NOTIFY_AUTH_FRIEND, chat_datas));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_text_chat(const json_t *body, uschat_text_chat_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(TEXT_CHAT_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(TEXT_CHAT_RSP, fromuid), &out->fromuid);
    bad |= s_int(body, USCHAT_FIELD(TEXT_CHAT_RSP, touid), &out->touid);
    bad |= s_int(body, USCHAT_FIELD(TEXT_CHAT_RSP, thread_id), &out->thread_id);
    out->chat_datas = s_array(body, USCHAT_FIELD(TEXT_CHAT_RSP, chat_datas));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_offline(const json_t *body, uschat_notify_offline_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_OFFLINE, uid), &out->uid);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_thread_list_rsp(const json_t *body, uschat_thread_list_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(THREAD_LIST_RSP, error), &out->error);
    bad |= s_int32(body, USCHAT_FIELD(THREAD_LIST_RSP, load_more), &out->load_more);
    bad |= s_int(body, USCHAT_FIELD(THREAD_LIST_RSP, next_last_id), &out->next_last_id);
    out->threads = s_array(body, USCHAT_FIELD(THREAD_LIST_RSP, threads));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_create_private_rsp(const json_t *body, uschat_create_private_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(CREATE_PRIVATE_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(CREATE_PRIVATE_RSP, other_id), &out->other_id);
    bad |= s_int(body, USCHAT_FIELD(CREATE_PRIVATE_RSP, thread_id), &out->thread_id);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_load_chat_rsp(const json_t *body, uschat_load_chat_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(LOAD_CHAT_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(LOAD_CHAT_RSP, thread_id), &out->thread_id);
    bad |= s_int(body, USCHAT_FIELD(LOAD_CHAT_RSP, last_message_id), &out->last_message_id);
    bad |= s_int32(body, USCHAT_FIELD(LOAD_CHAT_RSP, load_more), &out->load_more);
    bad |= s_int(body, USCHAT_FIELD(LOAD_CHAT_RSP, peer_read_seq), &out->peer_read_seq);
    out->chat_datas = s_array(body, USCHAT_FIELD(LOAD_CHAT_RSP, chat_datas));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_sync_rsp(const json_t *body, uschat_sync_rsp_t *out)
{
    int rc = s_begin(body, out, sizeof *out);
    if (rc < 0)
        return rc;
    int bad = s_int32(body, USCHAT_FIELD(SYNC_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(SYNC_RSP, thread_id), &out->thread_id);
    bad |= s_int32(body, USCHAT_FIELD(SYNC_RSP, has_more), &out->has_more);
    bad |= s_int(body, USCHAT_FIELD(SYNC_RSP, peer_read_seq), &out->peer_read_seq);
    out->chat_datas = s_array(body, USCHAT_FIELD(SYNC_RSP, chat_datas));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_notify_read(const json_t *body, uschat_notify_read_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_READ, thread_id), &out->thread_id);
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_READ, reader), &out->reader);
    bad |= s_int(body, USCHAT_FIELD(NOTIFY_READ, seq), &out->seq);
    return bad ? USCHAT_E_REPLY : 0;
}

/* ---- groups (1061-1085) -----------------------------------------------------------------------
 */

/* [{uid}, ...] of N ids; NULL when out of memory. */
static json_t *s_uid_list(const int64_t *uids, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (json_array_append_new(list, json_pack("{s:I}", USCHAT_FIELD(GROUP_UID_ITEM, uid),
                                                  (json_int_t)uids[i])) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

json_t *uschat_req_group_create(const char *name, const int64_t *uids, size_t n)
{
    return json_pack("{s:s, s:o}", USCHAT_FIELD(GROUP_CREATE_REQ, name), name ? name : "",
                     USCHAT_FIELD(GROUP_CREATE_REQ, members), s_uid_list(uids, n));
}

json_t *uschat_req_group_invite(int64_t group_id, const int64_t *uids, size_t n)
{
    return json_pack("{s:I, s:o}", USCHAT_FIELD(GROUP_INVITE_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_INVITE_REQ, members), s_uid_list(uids, n));
}

json_t *uschat_req_group_member_op(uint16_t req, int64_t group_id, int64_t member)
{
    if (req != USCHAT_ID_GROUP_LEAVE_REQ && req != USCHAT_ID_GROUP_REMOVE_REQ &&
        req != USCHAT_ID_GROUP_TRANSFER_REQ && req != USCHAT_ID_GROUP_DISSOLVE_REQ)
        return NULL;
    json_t *body =
        json_pack("{s:I}", USCHAT_FIELD(GROUP_REMOVE_REQ, group_id), (json_int_t)group_id);
    if (body && member > 0 &&
        json_object_set_new(body, USCHAT_FIELD(GROUP_REMOVE_REQ, member), json_integer(member)) <
            0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

json_t *uschat_req_group_set_admin(int64_t group_id, int64_t member, int on)
{
    return json_pack("{s:I, s:I, s:b}", USCHAT_FIELD(GROUP_SET_ADMIN_REQ, group_id),
                     (json_int_t)group_id, USCHAT_FIELD(GROUP_SET_ADMIN_REQ, member),
                     (json_int_t)member, USCHAT_FIELD(GROUP_SET_ADMIN_REQ, on), on);
}

json_t *uschat_req_group_rename(int64_t group_id, const char *name)
{
    return json_pack("{s:I, s:s}", USCHAT_FIELD(GROUP_RENAME_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_RENAME_REQ, name), name ? name : "");
}

json_t *uschat_req_group_announce(int64_t group_id, const char *announcement)
{
    return json_pack("{s:I, s:s}", USCHAT_FIELD(GROUP_ANNOUNCE_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_ANNOUNCE_REQ, announcement),
                     announcement ? announcement : "");
}

json_t *uschat_req_group_mute(int64_t group_id, int64_t member, int64_t until)
{
    return json_pack("{s:I, s:I, s:I}", USCHAT_FIELD(GROUP_MUTE_REQ, group_id),
                     (json_int_t)group_id, USCHAT_FIELD(GROUP_MUTE_REQ, member), (json_int_t)member,
                     USCHAT_FIELD(GROUP_MUTE_REQ, until), (json_int_t)until);
}

json_t *uschat_req_group_switch(uint16_t req, int64_t group_id, int on)
{
    if (req != USCHAT_ID_GROUP_MUTE_ALL_REQ && req != USCHAT_ID_GROUP_INVITE_POLICY_REQ)
        return NULL;
    return json_pack("{s:I, s:b}", USCHAT_FIELD(GROUP_MUTE_ALL_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_MUTE_ALL_REQ, on), on);
}

json_t *uschat_req_group_list(int64_t group_id_cursor)
{
    return json_pack("{s:I}", USCHAT_FIELD(GROUP_LIST_REQ, group_id), (json_int_t)group_id_cursor);
}

static json_t *s_group_text(int64_t group_id, json_t *array)
{
    if (!array)
        return NULL;
    return json_pack("{s:I, s:o}", USCHAT_FIELD(GROUP_TEXT_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_TEXT_REQ, text_array), array);
}

json_t *uschat_req_group_text(int64_t group_id, const uschat_text_t *items, size_t n)
{
    return s_group_text(group_id, s_text_array(items, NULL, n));
}

json_t *uschat_req_group_items(int64_t group_id, const uschat_msg_item_t *items, size_t n)
{
    return s_group_text(group_id, s_text_array(NULL, items, n));
}

json_t *uschat_req_group_sync(int64_t group_id, int64_t after_seq, int64_t before_seq, int limit)
{
    json_t *body = json_pack("{s:I}", USCHAT_FIELD(GROUP_SYNC_REQ, group_id), (json_int_t)group_id);
    int bad = !body;
    if (!bad && before_seq > 0)
        bad = json_object_set_new(body, USCHAT_FIELD(GROUP_SYNC_REQ, before_seq),
                                  json_integer(before_seq));
    else if (!bad)
        bad = json_object_set_new(body, USCHAT_FIELD(GROUP_SYNC_REQ, after_seq),
                                  json_integer(after_seq));
    if (!bad && limit > 0)
        bad = json_object_set_new(body, USCHAT_FIELD(GROUP_SYNC_REQ, limit), json_integer(limit));
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

json_t *uschat_req_group_read(int64_t group_id, int64_t seq)
{
    return json_pack("{s:I, s:I}", USCHAT_FIELD(GROUP_READ_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_READ_REQ, seq), (json_int_t)seq);
}

json_t *uschat_req_group_members(int64_t group_id, int64_t uid_cursor)
{
    return json_pack("{s:I, s:I}", USCHAT_FIELD(GROUP_MEMBERS_REQ, group_id), (json_int_t)group_id,
                     USCHAT_FIELD(GROUP_MEMBERS_REQ, uid), (json_int_t)uid_cursor);
}

int uschat_parse_group_uid(const json_t *obj, int64_t *uid)
{
    if (!uid)
        return USCHAT_E_ARG;
    *uid = 0;
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    return s_int(obj, USCHAT_FIELD(GROUP_UID_ITEM, uid), uid) ? USCHAT_E_REPLY : 0;
}

int uschat_parse_group_msg(const json_t *obj, uschat_group_msg_t *out)
{
#define M(f) USCHAT_FIELD(GROUP_MSG_ITEM, f)
#define E(f) USCHAT_FIELD(GROUP_EVENT_ITEM, f)
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    out->unique_id = out->content = out->chat_time = "";
    out->event.op = out->event.name = out->event.announcement = "";
    int file_bad = s_file_meta(obj, &out->kind, &out->file); /* "" strings even for a non-object */
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, M(group_id), &out->group_id);
    bad |= s_int(obj, M(msg_id), &out->msg_id);
    bad |= s_int(obj, M(seq), &out->seq);
    bad |= file_bad;
    bad |= s_int(obj, M(sender), &out->sender);
    out->unique_id = s_str(obj, M(unique_id));
    out->content = s_str(obj, M(content));
    out->chat_time = s_str(obj, M(chat_time));
    const json_t *ev = json_object_get(obj, M(event));
    if (json_is_object(ev)) {
        out->event.op = s_str(ev, E(op));
        bad |= s_int(ev, E(member), &out->event.member);
        out->event.members = s_array(ev, E(members));
        out->event.name = s_str(ev, E(name));
        out->event.announcement = s_str(ev, E(announcement));
        bad |= s_int(ev, E(until), &out->event.until);
        bad |= s_int32(ev, E(on), &out->event.on);
    }
    return bad ? USCHAT_E_REPLY : 0;
#undef M
#undef E
}

int uschat_parse_group(const json_t *obj, uschat_group_t *out)
{
#define G(f) USCHAT_FIELD(GROUP_ITEM, f)
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    out->name = out->announcement = "";
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, G(group_id), &out->group_id);
    out->name = s_str(obj, G(name));
    out->announcement = s_str(obj, G(announcement));
    bad |= s_int(obj, G(owner), &out->owner);
    bad |= s_int32(obj, G(role), &out->role);
    bad |= s_int(obj, G(members), &out->members);
    bad |= s_int32(obj, G(members_invite), &out->members_invite);
    bad |= s_int32(obj, G(mute_all), &out->mute_all);
    bad |= s_int32(obj, G(dissolved), &out->dissolved);
    bad |= s_int(obj, G(muted_until), &out->muted_until);
    bad |= s_int(obj, G(last_seq), &out->last_seq);
    bad |= s_int(obj, G(join_seq), &out->join_seq);
    bad |= s_int(obj, G(read_seq), &out->read_seq);
    bad |= s_int(obj, G(unread), &out->unread);
    const json_t *last = json_object_get(obj, G(last_msg));
    out->last_msg = json_is_object(last) ? last : NULL;
    return bad ? USCHAT_E_REPLY : 0;
#undef G
}

int uschat_parse_group_member(const json_t *obj, uschat_group_member_t *out)
{
#define M(f) USCHAT_FIELD(GROUP_MEMBER_ITEM, f)
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    out->name = out->nick = out->icon = "";
    if (!json_is_object(obj))
        return USCHAT_E_REPLY;
    int bad = s_int(obj, M(uid), &out->uid);
    out->name = s_str(obj, M(name));
    out->nick = s_str(obj, M(nick));
    out->icon = s_str(obj, M(icon));
    bad |= s_int32(obj, M(role), &out->role);
    bad |= s_int(obj, M(muted_until), &out->muted_until);
    return bad ? USCHAT_E_REPLY : 0;
#undef M
}

int uschat_parse_group_op_rsp(const json_t *body, uschat_group_op_rsp_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int32(body, USCHAT_FIELD(GROUP_OP_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(GROUP_OP_RSP, group_id), &out->group_id);
    bad |= s_int32(body, USCHAT_FIELD(GROUP_OP_RSP, op), &out->op);
    bad |= s_int(body, USCHAT_FIELD(GROUP_OP_RSP, seq), &out->seq);
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_group_msgs(const json_t *body, uschat_group_msgs_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int32(body, USCHAT_FIELD(GROUP_SYNC_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(GROUP_SYNC_RSP, group_id), &out->group_id);
    bad |= s_int32(body, USCHAT_FIELD(GROUP_SYNC_RSP, has_more), &out->has_more);
    bad |= s_int(body, USCHAT_FIELD(GROUP_SYNC_RSP, join_seq), &out->join_seq);
    out->chat_datas = s_array(body, USCHAT_FIELD(GROUP_SYNC_RSP, chat_datas));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_group_list_rsp(const json_t *body, uschat_group_list_rsp_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int32(body, USCHAT_FIELD(GROUP_LIST_RSP, error), &out->error);
    bad |= s_int32(body, USCHAT_FIELD(GROUP_LIST_RSP, load_more), &out->load_more);
    bad |= s_int(body, USCHAT_FIELD(GROUP_LIST_RSP, next_last_id), &out->next_last_id);
    out->groups = s_array(body, USCHAT_FIELD(GROUP_LIST_RSP, groups));
    return bad ? USCHAT_E_REPLY : 0;
}

int uschat_parse_group_members_rsp(const json_t *body, uschat_group_members_rsp_t *out)
{
    int bad = s_begin(body, out, sizeof *out);
    if (bad < 0)
        return bad;
    bad |= s_int32(body, USCHAT_FIELD(GROUP_MEMBERS_RSP, error), &out->error);
    bad |= s_int(body, USCHAT_FIELD(GROUP_MEMBERS_RSP, group_id), &out->group_id);
    bad |= s_int32(body, USCHAT_FIELD(GROUP_MEMBERS_RSP, load_more), &out->load_more);
    bad |= s_int(body, USCHAT_FIELD(GROUP_MEMBERS_RSP, next_uid), &out->next_uid);
    out->members = s_array(body, USCHAT_FIELD(GROUP_MEMBERS_RSP, members));
    return bad ? USCHAT_E_REPLY : 0;
}
