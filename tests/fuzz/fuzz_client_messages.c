/* fuzz_client_messages.c - libFuzzer target for the desktop client's handling of what a chat
 * node sends: the connection core's frame decoding (uschat_conn_feed), the reply parsers of
 * core/proto.c for every server-to-client id, and the SDL-free model (app_model_on_message)
 * that turns them into users, threads and messages, between the user's own actions.
 *
 * Input: 4 bytes that choose the read sizes (1 to 256 bytes), 1 byte of flags (bit 0: log in
 * first, as tests/client_sdl's fixture does; bits 1-7: which user action follows each
 * message), then the bytes the server sends. Nothing may crash, read out of bounds or leak;
 * every string a parser hands out is readable; a message decoded from one read of the whole
 * stream is decoded the same from the pieces (checked on the count of messages).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app_model.h"
#include "model_fixture.h"
#include "uschat_client.h"

static size_t s_touched; /* keeps the reads of s_touch from being optimised away */

static void s_touch(const char *s)
{
    s_touched += s ? strlen(s) : 0;
}

static void s_user(const uschat_user_t *u)
{
    s_touch(u->name);
    s_touch(u->email);
    s_touch(u->nick);
    s_touch(u->desc);
    s_touch(u->icon);
    s_touch(u->back);
}

static void s_users(const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        uschat_user_t u;
        if (uschat_parse_user(item, &u) == 0)
            s_user(&u);
    }
}

static void s_msgs(const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        uschat_chat_msg_t msg;
        if (uschat_parse_chat_msg(item, &msg) == 0) {
            s_touch(msg.unique_id);
            s_touch(msg.content);
            s_touch(msg.chat_time);
            s_touch(msg.file.file_id); /* an image or file message's fields, "" for a text */
            s_touch(msg.file.name);
            s_touch(msg.file.sha256);
            s_touch(msg.file.mime);
            s_touch(msg.file.preview);
        }
    }
}

/* The proto parser of each server-to-client id, and of the items of its lists. */
static void s_parse(uint16_t id, const json_t *body)
{
    int error = 0;
    (void)uschat_parse_error(body, &error);
    (void)uschat_msg_name(id);
    switch (id) {
    case USCHAT_ID_LOGIN_RSP: {
        uschat_login_rsp_t r;
        if (uschat_parse_login_rsp(body, &r) == 0) {
            s_user(&r.self);
            s_users(r.apply_list);
            s_users(r.friend_list);
        }
        break;
    }
    case USCHAT_ID_SEARCH_RSP: {
        uschat_search_rsp_t r;
        if (uschat_parse_search_rsp(body, &r) == 0)
            s_user(&r.user);
        break;
    }
    case USCHAT_ID_NOTIFY_ADD_FRIEND: {
        uschat_notify_add_friend_t r;
        if (uschat_parse_notify_add_friend(body, &r) == 0)
            s_user(&r.applicant);
        break;
    }
    case USCHAT_ID_AUTH_FRIEND_RSP:
    case USCHAT_ID_NOTIFY_AUTH_FRIEND: {
        uschat_auth_friend_t r;
        if (uschat_parse_auth_friend(body, &r) == 0) {
            s_user(&r.peer);
            s_msgs(r.chat_datas);
        }
        break;
    }
    case USCHAT_ID_TEXT_CHAT_RSP:
    case USCHAT_ID_NOTIFY_TEXT_CHAT: {
        uschat_text_chat_t r;
        if (uschat_parse_text_chat(body, &r) == 0)
            s_msgs(r.chat_datas);
        break;
    }
    case USCHAT_ID_NOTIFY_OFFLINE: {
        uschat_notify_offline_t r;
        (void)uschat_parse_notify_offline(body, &r);
        break;
    }
    case USCHAT_ID_THREAD_LIST_RSP: {
        uschat_thread_list_rsp_t r;
        if (uschat_parse_thread_list_rsp(body, &r) == 0) {
            size_t i;
            json_t *item;
            json_array_foreach(r.threads, i, item)
            {
                uschat_thread_t t;
                (void)uschat_parse_thread(item, &t);
            }
        }
        break;
    }
    case USCHAT_ID_CREATE_PRIVATE_RSP: {
        uschat_create_private_rsp_t r;
        (void)uschat_parse_create_private_rsp(body, &r);
        break;
    }
    case USCHAT_ID_LOAD_CHAT_RSP: {
        uschat_load_chat_rsp_t r;
        if (uschat_parse_load_chat_rsp(body, &r) == 0)
            s_msgs(r.chat_datas);
        break;
    }
    case USCHAT_ID_SYNC_RSP: {
        uschat_sync_rsp_t r;
        if (uschat_parse_sync_rsp(body, &r) == 0)
            s_msgs(r.chat_datas);
        break;
    }
    case USCHAT_ID_NOTIFY_READ: {
        uschat_notify_read_t r;
        (void)uschat_parse_notify_read(body, &r);
        break;
    }
    default:
        break;
    }
}

/* Feeds the stream in pieces (sizes NULL: one piece), to the parsers and the model when
 * model is true; returns the number of messages. */
static size_t s_run(const uint8_t *data, size_t len, const uint8_t *sizes, uint8_t flags,
                    bool model)
{
    app_model_t *m = model ? app_model_new("alice@example.com") : NULL;
    uschat_conn_t *c = uschat_conn_new(0);
    if ((model && !m) || !c)
        abort();
    if (m && (flags & 1))
        fx_login(m, 2, (fx_user_t[]){{2002, "bob", "Bob"}, {2003, "carol", "Carol"}});
    size_t pos = 0, step = 0, messages = 0;
    int err = 0;
    while (pos < len && !err) {
        size_t chunk = sizes ? 1 + sizes[step++ % 4] : len;
        if (chunk > len - pos)
            chunk = len - pos;
        size_t off = 0;
        while (off < chunk) {
            size_t used = 0;
            uschat_msg_t msg = {0};
            int rc = uschat_conn_feed(c, data + pos + off, chunk - off, &used, &msg);
            if (used > chunk - off)
                abort();
            off += used;
            if (rc == 1) {
                if (!json_is_object(msg.body))
                    abort();
                if (m) {
                    s_parse(msg.id, msg.body);
                    app_model_on_message(m, msg.id, msg.body);
                    fx_user_acts(m, (flags >> 1) + (unsigned)messages, (unsigned)messages);
                }
                json_decref(msg.body);
                messages++;
            } else if (rc == 0) {
                if (off != chunk)
                    abort();
            } else if (rc != USCHAT_E_BADBODY) {
                err = rc;
                break;
            }
        }
        pos += chunk;
    }
    if (m)
        fx_drain(m);
    app_model_destroy(&m);
    uschat_conn_destroy(&c);
    return messages;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    /* the model once, on the pieces; the whole stream decoded alone for the comparison */
    size_t whole = s_run(data + 5, size - 5, NULL, data[4], false);
    size_t pieces = s_run(data + 5, size - 5, data, data[4], true);
    if (whole != pieces)
        abort();
    return 0;
}
