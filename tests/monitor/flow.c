/* flow.c - a user's register, login, friend request and message through the client library
 * (flow.h).
 *
 * Called from the main thread of the flow tests. The verification code is read where varify
 * puts mail when no SMTP server is configured: one .eml file per mail in its mail folder.
 */
#include "flow.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uschat/client/http.h"
#include "uschat/client/proto.h"
#include "uschat/frame.h"

void flow_user_init(flow_user_t *u, const char *tag)
{
    memset(u, 0, sizeof(*u));
    unsigned salt = (unsigned)getpid() * 7919u + (unsigned)time(NULL);
    snprintf(u->user, sizeof(u->user), "%s%u", tag, salt % 100000000u);
    snprintf(u->email, sizeof(u->email), "%s@example.com", u->user);
    snprintf(u->passwd, sizeof(u->passwd), "pw-%s-%u", tag, salt % 9973u);
}

void flow_user_clear(flow_user_t *u)
{
    uschat_session_destroy(&u->session);
}

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65537);
    if (buf)
        fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

/* The code of the newest mail to email, or -1 when none came within timeout_ms. */
static int s_read_code(const char *dir, const char *email, char *code, size_t cap, int timeout_ms)
{
    char to[160];
    snprintf(to, sizeof(to), "To: <%s>", email);
    const char *marker = "verification code is: ";
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
                continue;
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            char *text = s_slurp(path);
            const char *at = text && strstr(text, to) ? strstr(text, marker) : NULL;
            if (at) {
                at += strlen(marker);
                size_t n = strspn(at, "0123456789");
                snprintf(code, cap, "%.*s", (int)n, at);
                free(text);
                closedir(d);
                return n > 0 ? 0 : -1;
            }
            free(text);
        }
        if (d)
            closedir(d);
        usleep(100 * 1000);
    }
    return -1;
}

int flow_register(const flow_config_t *config, flow_user_t *u)
{
    uschat_http_t *h = uschat_http_new(config->gate_url, config->timeout_ms);
    if (!h)
        return -1;
    int error = -1, rc = -1;
    if (uschat_http_get_varifycode(h, u->email, &error) != 0 || error != 0) {
        fprintf(stderr, "flow: /get_varifycode for %s: error %d\n", u->email, error);
        goto done;
    }
    if (s_read_code(config->mail_dir, u->email, u->code, sizeof(u->code), config->timeout_ms)) {
        fprintf(stderr, "flow: no mail with a code for %s in %s\n", u->email, config->mail_dir);
        goto done;
    }
    uschat_register_req_t req = {.email = u->email,
                                 .user = u->user,
                                 .passwd = u->passwd,
                                 .confirm = u->passwd,
                                 .varifycode = u->code,
                                 .sex = -1};
    if (uschat_http_register(h, &req, &error, &u->uid) != 0 || error != 0 || u->uid <= 0) {
        fprintf(stderr, "flow: /user_register %s: error %d\n", u->user, error);
        goto done;
    }
    rc = 0;
done:
    uschat_http_destroy(&h);
    return rc;
}

int flow_login(const flow_config_t *config, flow_user_t *u)
{
    uschat_http_t *h = uschat_http_new(config->gate_url, config->timeout_ms);
    if (!h)
        return -1;
    uschat_login_info_t info;
    int rc = uschat_http_login(h, u->email, u->passwd, &info);
    uschat_http_destroy(&h);
    if (rc != 0 || info.error != 0) {
        fprintf(stderr, "flow: /user_login %s: rc %d error %d\n", u->email, rc, info.error);
        return -1;
    }
    snprintf(u->token, sizeof(u->token), "%s", info.token);
    snprintf(u->host, sizeof(u->host), "%s", info.host);
    u->port = info.port;
    int err = 0;
    u->session = uschat_session_connect(u->host, u->port, config->timeout_ms, &err);
    if (!u->session) {
        fprintf(stderr, "flow: cannot connect to the chat node %s:%d (%d)\n", u->host, u->port,
                err);
        return -1;
    }
    int error = -1;
    if (uschat_session_login(u->session, u->uid, u->token, config->timeout_ms, NULL, &error) != 0 ||
        error != 0) {
        fprintf(stderr, "flow: 1005 login of %lld on %s:%d: error %d\n", (long long)u->uid, u->host,
                u->port, error);
        return -1;
    }
    return 0;
}

int flow_befriend(const flow_config_t *config, flow_user_t *from, flow_user_t *to)
{
    int t = config->timeout_ms, error = -1;
    json_t *reply = NULL;
    if (uschat_session_request(from->session, USCHAT_ID_ADD_FRIEND_REQ,
                               uschat_req_add_friend(to->uid, "hello from the other host", "note"),
                               t, &reply) != 0 ||
        uschat_parse_error(reply, &error) != 0 || error != 0) {
        fprintf(stderr, "flow: 1009 -> 1010 error %d\n", error);
        json_decref(reply);
        return -1;
    }
    json_decref(reply);
    json_t *push = NULL;
    uschat_notify_add_friend_t apply;
    if (uschat_session_wait(to->session, USCHAT_ID_NOTIFY_ADD_FRIEND, t, &push) != 0 ||
        uschat_parse_notify_add_friend(push, &apply) != 0 || apply.applicant.uid != from->uid) {
        fprintf(stderr, "flow: %s got no 1011 from %s\n", to->user, from->user);
        json_decref(push);
        return -1;
    }
    json_decref(push);
    reply = NULL;
    uschat_auth_friend_t auth;
    if (uschat_session_request(to->session, USCHAT_ID_AUTH_FRIEND_REQ,
                               uschat_req_auth_friend(from->uid, "friend"), t, &reply) != 0 ||
        uschat_parse_auth_friend(reply, &auth) != 0 || auth.error != 0) {
        fprintf(stderr, "flow: 1013 -> 1014 failed\n");
        json_decref(reply);
        return -1;
    }
    to->thread_id = auth.thread_id;
    json_decref(reply);
    push = NULL;
    if (uschat_session_wait(from->session, USCHAT_ID_NOTIFY_AUTH_FRIEND, t, &push) != 0 ||
        uschat_parse_auth_friend(push, &auth) != 0 || auth.fromuid != to->uid) {
        fprintf(stderr, "flow: %s got no 1015\n", from->user);
        json_decref(push);
        return -1;
    }
    from->thread_id = auth.thread_id;
    json_decref(push);
    if (from->thread_id <= 0 || from->thread_id != to->thread_id) {
        fprintf(stderr, "flow: threads %lld and %lld for one pair\n", (long long)from->thread_id,
                (long long)to->thread_id);
        return -1;
    }
    return 0;
}

/* The one message of a 1018/1019 body, or -1. */
static int s_one_message(const json_t *body, uschat_text_chat_t *chat, uschat_chat_msg_t *msg)
{
    if (uschat_parse_text_chat(body, chat) != 0 || chat->error != 0 ||
        json_array_size(chat->chat_datas) != 1)
        return -1;
    return uschat_parse_chat_msg(json_array_get(chat->chat_datas, 0), msg);
}

int flow_message(const flow_config_t *config, flow_user_t *from, flow_user_t *to,
                 const char *content)
{
    int t = config->timeout_ms;
    char unique_id[64];
    if (uschat_unique_id(from->uid, unique_id, sizeof(unique_id)) != 0)
        return -1;
    uschat_text_t item = {.content = content, .unique_id = unique_id};
    json_t *ack = NULL, *push = NULL;
    uschat_text_chat_t chat;
    uschat_chat_msg_t sent, got;
    int rc = -1;
    if (uschat_session_request(from->session, USCHAT_ID_TEXT_CHAT_REQ,
                               uschat_req_text_chat(to->uid, from->thread_id, &item, 1), t,
                               &ack) != 0 ||
        s_one_message(ack, &chat, &sent) != 0 || sent.seq < 1 || sent.message_id < 1 ||
        strcmp(sent.unique_id, unique_id) != 0) {
        fprintf(stderr, "flow: %s's message was not acknowledged\n", from->user);
        goto done;
    }
    if (uschat_session_wait(to->session, USCHAT_ID_NOTIFY_TEXT_CHAT, t, &push) != 0 ||
        s_one_message(push, &chat, &got) != 0 || chat.fromuid != from->uid ||
        chat.thread_id != from->thread_id || got.message_id != sent.message_id ||
        got.seq != sent.seq || strcmp(got.content, content) != 0) {
        fprintf(stderr, "flow: %s did not get %s's message (seq %lld) as sent\n", to->user,
                from->user, (long long)sent.seq);
        goto done;
    }
    rc = 0;
done:
    json_decref(ack);
    json_decref(push);
    return rc;
}

int flow_message_burst(const flow_config_t *config, flow_user_t *from, flow_user_t *to,
                       const char *const *contents, size_t n)
{
    int t = config->timeout_ms;
    size_t cap = n * (FRAME_HEADER_SIZE + 1024), len = 0;
    uint8_t *bytes = calloc(1, cap ? cap : 1); /* zeroed: with n == 0 gcc sees it sent unset */
    if (!bytes)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char unique_id[64];
        if (uschat_unique_id(from->uid, unique_id, sizeof(unique_id)) != 0)
            goto fail;
        uschat_text_t item = {.content = contents[i], .unique_id = unique_id};
        json_t *req = uschat_req_text_chat(to->uid, from->thread_id, &item, 1);
        char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        int w =
            body ? frame_encode(USCHAT_ID_TEXT_CHAT_REQ, body, strlen(body), bytes + len, cap - len)
                 : -1;
        free(body);
        if (w < 0)
            goto fail;
        len += (size_t)w;
    }
    if (uschat_session_send_bytes(from->session, bytes, len) != 0)
        goto fail;
    free(bytes);
    bytes = NULL;

    int64_t last_seq = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *ack = NULL;
        uschat_text_chat_t chat;
        uschat_chat_msg_t sent;
        int rc = uschat_session_wait(from->session, USCHAT_ID_TEXT_CHAT_RSP, t, &ack) == 0 &&
                         s_one_message(ack, &chat, &sent) == 0 && sent.seq > 0
                     ? 0
                     : -1;
        json_decref(ack);
        if (rc != 0) {
            fprintf(stderr, "flow: %s's message %zu of %zu was not acknowledged\n", from->user,
                    i + 1, n);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *push = NULL;
        uschat_text_chat_t chat;
        uschat_chat_msg_t got;
        int rc = uschat_session_wait(to->session, USCHAT_ID_NOTIFY_TEXT_CHAT, t, &push) == 0 &&
                         s_one_message(push, &chat, &got) == 0 && chat.fromuid == from->uid &&
                         strcmp(got.content, contents[i]) == 0 && got.seq > last_seq
                     ? 0
                     : -1;
        if (rc == 0)
            last_seq = got.seq;
        json_decref(push);
        if (rc != 0) {
            fprintf(stderr, "flow: %s did not get %s's message %zu of %zu, in order\n", to->user,
                    from->user, i + 1, n);
            return -1;
        }
    }
    return 0;
fail:
    free(bytes);
    return -1;
}
