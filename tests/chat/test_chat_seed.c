/* test_chat_seed.c - the seed's Qt client (llfcchat) against UsChat, scripted: every request is
 * built here as the seed client builds it, and every reply is checked for what the seed client
 * reads from it, with the type it reads it as (docs/protocol.md says per message where UsChat
 * goes further). Nothing goes through the UsChat client library's request builders or parsers:
 * the session (uschat/client/session.h) only frames the JSON bodies written here and queues
 * what arrives, and the gate is spoken to with plain JSON POSTs.
 *
 * The seed client drops any body without an integer "error" (tcpmgr.cpp, TcpMgr::initHandlers,
 * every handler), so every body checked here must have it.
 *
 * The path, as a user of the seed client walks it (test_chat_seed, one stack with the gate):
 *   register and log in two users through the gate, connect them to the two nodes; the first
 *   finds the second by name and asks to be friends (1011 pushed with error 0); the second
 *   accepts, and both see the new conversation with its two first messages (1014 and 1015 with
 *   chat_datas); they chat both ways (1018 / 1019 across nodes); the second makes 19 more
 *   friends and gets 500 messages from the first, then logs in again and loads its conversation
 *   list (1025) and every conversation's whole history forward from 0 with back-to-back 1029s,
 *   as chatdialog.cpp does at login: everything arrives, each message once, in order, no 1014;
 *   finally a second login of the same user sends the first session 1021 with error 0.
 *
 * Runs from the test's main thread against real processes (chat_stack.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/http.h"
#include "uschat/client/session.h"

#define WAIT_MS      10000
#define BULK         500 /* messages in the long conversation */
#define BULK_REQ     50  /* items per 1017 (the node's most) */
#define MORE_FRIENDS 19  /* the second user's other conversations: 20 in all */
#define PASSWORD     "seed secret"

/* ---- what the seed client reads ------------------------------------------------------------ */

static int64_t s_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    CHECK(json_is_integer(v), "\"%s\" is an integer", key);
    return json_integer_value(v);
}

static const char *s_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    CHECK(json_is_string(v), "\"%s\" is a string", key);
    return json_string_value(v);
}

static bool s_bool(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    CHECK(json_is_boolean(v), "\"%s\" is a bool", key);
    return json_is_true(v);
}

static json_t *s_array(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    CHECK(json_is_array(v), "\"%s\" is an array", key);
    return v;
}

/* The seed's handlers start with `if (!jsonObj.contains("error"))` and then read it as int. */
static int s_error(const json_t *body)
{
    return (int)s_int(body, "error");
}

/* Waits for id on s; the body must carry error (returned in *error when not NULL, else it
 * must be 0). */
static json_t *s_wait(uschat_session_t *s, uint16_t id, int *error)
{
    json_t *body = NULL;
    int rc = uschat_session_wait(s, id, WAIT_MS, &body);
    CHECK(rc == 0 && body, "message %u arrives (%s)", id, uschat_strerror(rc));
    int e = s_error(body);
    if (error)
        *error = e;
    else
        CHECK(e == 0, "message %u: error %d", id, e);
    return body;
}

/* Sends body (taken) as id and waits for reply_id with error 0. */
static json_t *s_ask(uschat_session_t *s, uint16_t id, json_t *body, uint16_t reply_id)
{
    CHECK(body && uschat_session_send(s, id, body) == 0, "send %u", id);
    json_decref(body);
    return s_wait(s, reply_id, NULL);
}

/* A chat_datas item of 1014/1015/1030 (chatdialog.cpp / userdata.cpp, TextChatData from
 * msg_id, msg_content, sender, thread_id, unique_id, chat_time, status). */
static void s_check_msg_item(const json_t *item, int64_t thread, int64_t sender,
                             const char *content)
{
    CHECK(s_int(item, "msg_id") > 0, "msg_id");
    CHECK(s_int(item, "thread_id") == thread, "thread_id");
    CHECK(s_int(item, "sender") == sender, "sender %lld", (long long)sender);
    CHECK(strcmp(s_str(item, "msg_content"), content) == 0, "msg_content \"%s\"", content);
    CHECK(s_str(item, "unique_id")[0], "unique_id");
    CHECK(strlen(s_str(item, "chat_time")) == 19, "chat_time YYYY-MM-DD HH:MM:SS");
    int status = (int)s_int(item, "status");
    CHECK(status == 0 || status == 1, "status");
}

/* A user profile as UserInfo reads it (userdata.cpp): uid int, sex int, the rest strings. */
static void s_check_profile(const json_t *obj, const char *uid_key, int64_t uid)
{
    CHECK(s_int(obj, uid_key) == uid, "%s", uid_key);
    s_str(obj, "name");
    s_str(obj, "nick");
    s_str(obj, "icon");
    s_int(obj, "sex");
}

/* ---- the gate (registerdialog.cpp, logindialog.cpp) ---------------------------------------- */

static json_t *s_post(uschat_http_t *h, const char *path, json_t *body)
{
    json_t *reply = NULL;
    long status = 0;
    CHECK(uschat_http_post(h, path, body, &reply, &status) == 0 && reply, "%s: HTTP %ld", path,
          status);
    json_decref(body);
    CHECK(s_error(reply) == 0, "%s: error %d", path, s_error(reply));
    return reply;
}

/* The password as the seed's xorString() sends it. */
static json_t *s_wire_passwd(void)
{
    char *wire = NULL;
    size_t len = 0;
    CHECK(uschat_passwd_xor(PASSWORD, strlen(PASSWORD), &wire, &len) == 0, "xor");
    json_t *s = json_stringn(wire, len);
    free(wire);
    return s;
}

/* RegisterDialog: get_varifycode, then user_register (email, user, passwd, confirm, varifycode). */
static int64_t s_register(chat_stack_t *st, uschat_http_t *h, const char *name)
{
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    json_decref(s_post(h, USCHAT_HTTP_PATH(GET_CODE), json_pack("{ss}", "email", email)));
    char code[7];
    chat_stack_mail_code(st, email, code);
    json_t *pw = s_wire_passwd();
    json_t *reply = s_post(h, USCHAT_HTTP_PATH(REGISTER),
                           json_pack("{sssssOsOss}", "email", email, "user", name, "passwd", pw,
                                     "confirm", pw, "varifycode", code));
    json_decref(pw);
    int64_t uid = s_int(reply, "uid");
    CHECK(!json_object_get(reply, "passwd"), "no password echoed");
    json_decref(reply);
    return uid;
}

/* LoginDialog: user_login -> uid, token, host, port (a string, QString in the seed); then the
 * TCP connection and 1005 {uid, token}; 1006 carries the profile and both lists. */
static uschat_session_t *s_login(chat_stack_t *st, uschat_http_t *h, const char *name, int64_t uid,
                                 int avoid_port, int *port_out)
{
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    json_t *reply = s_post(h, USCHAT_HTTP_PATH(LOGIN),
                           json_pack("{ssso}", "email", email, "passwd", s_wire_passwd()));
    CHECK(s_int(reply, "uid") == uid, "login uid");
    int port = atoi(s_str(reply, "port"));
    /* the test puts the two users on different nodes (the token is good on any of them) */
    if (port == avoid_port)
        port = port == st->node_port[0] ? st->node_port[1] : st->node_port[0];
    uschat_session_t *s = uschat_session_connect(s_str(reply, "host"), port, WAIT_MS, NULL);
    CHECK(s, "connect to the node");
    json_t *rsp = s_ask(s, USCHAT_ID_LOGIN_REQ,
                        json_pack("{sIss}", "uid", (json_int_t)uid, "token", s_str(reply, "token")),
                        USCHAT_ID_LOGIN_RSP);
    json_decref(reply);
    s_check_profile(rsp, "uid", uid);
    s_str(rsp, "email");
    s_str(rsp, "desc");
    json_t *item;
    size_t i;
    json_array_foreach(s_array(rsp, "apply_list"), i, item)
    {
        s_check_profile(item, "uid", s_int(item, "uid"));
        s_str(item, "desc");
        s_int(item, "status");
    }
    json_array_foreach(s_array(rsp, "friend_list"), i, item)
    {
        s_check_profile(item, "uid", s_int(item, "uid"));
        s_str(item, "desc");
        s_str(item, "back");
    }
    json_decref(rsp);
    if (port_out)
        *port_out = port;
    return s;
}

/* ---- friends (searchlist.cpp, applyfriend.cpp, authenfriend.cpp) --------------------------- */

/* a asks b (1009 {uid, applyname, bakname, touid}); b gets 1011; b accepts (1013 {fromuid,
 * touid, back}): 1014 to b, 1015 to a, each with the thread's two first messages. Returns the
 * thread. */
static int64_t s_befriend(uschat_session_t *a, int64_t ua, uschat_session_t *b, int64_t ub,
                          const char *greeting)
{
    json_decref(s_ask(a, USCHAT_ID_ADD_FRIEND_REQ,
                      json_pack("{sIsssssI}", "uid", (json_int_t)ua, "applyname", greeting,
                                "bakname", "note", "touid", (json_int_t)ub),
                      USCHAT_ID_ADD_FRIEND_RSP));
    json_t *notify = s_wait(b, USCHAT_ID_NOTIFY_ADD_FRIEND, NULL);
    s_check_profile(notify, "applyuid", ua);
    CHECK(strcmp(s_str(notify, "desc"), greeting) == 0, "1011 desc is the greeting");
    json_decref(notify);
    json_t *rsp = s_ask(
        b, USCHAT_ID_AUTH_FRIEND_REQ,
        json_pack("{sIsIss}", "fromuid", (json_int_t)ub, "touid", (json_int_t)ua, "back", "note"),
        USCHAT_ID_AUTH_FRIEND_RSP);
    s_check_profile(rsp, "uid", ua);
    int64_t thread = s_int(rsp, "thread_id");
    json_t *push = s_wait(a, USCHAT_ID_NOTIFY_AUTH_FRIEND, NULL);
    CHECK(s_int(push, "fromuid") == ub && s_int(push, "touid") == ua, "1015 fromuid, touid");
    s_str(push, "name");
    s_str(push, "nick");
    s_str(push, "icon");
    s_int(push, "sex");
    CHECK(s_int(push, "thread_id") == thread, "1015 names the same thread");
    /* AuthRsp::SetChatDatas reads chat_datas[0].thread_id unchecked: never empty */
    for (int k = 0; k < 2; k++) {
        json_t *items = s_array(k ? push : rsp, "chat_datas");
        CHECK(json_array_size(items) == 2, "1014/1015 carry the two first messages");
        s_check_msg_item(json_array_get(items, 0), thread, ua, greeting);
        s_check_msg_item(json_array_get(items, 1), thread, ub, "We are friends now!");
        CHECK(s_int(json_array_get(items, 0), "msg_id") < s_int(json_array_get(items, 1), "msg_id"),
              "greeting first");
    }
    json_decref(rsp);
    json_decref(push);
    return thread;
}

/* ChatPage::on_send_btn_clicked: 1017 {fromuid, touid, thread_id, text_array:[{content,
 * unique_id}]}, n items numbered from first; waits for 1018 and returns its chat_datas count. */
static void s_send(uschat_session_t *s, int64_t from, int64_t to, int64_t thread, int first, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        char content[32], uniq[48];
        snprintf(content, sizeof content, "m%d", first + i);
        snprintf(uniq, sizeof uniq, "seed-%lld-%d", (long long)from, first + i);
        json_array_append_new(arr, json_pack("{ssss}", "content", content, "unique_id", uniq));
    }
    json_t *ack =
        s_ask(s, USCHAT_ID_TEXT_CHAT_REQ,
              json_pack("{sIsIsIso}", "fromuid", (json_int_t)from, "touid", (json_int_t)to,
                        "thread_id", (json_int_t)thread, "text_array", arr),
              USCHAT_ID_TEXT_CHAT_RSP);
    CHECK(s_int(ack, "thread_id") == thread, "1018 thread");
    CHECK(json_array_size(s_array(ack, "chat_datas")) == (size_t)n, "1018 acks every item");
    json_t *item = json_array_get(s_array(ack, "chat_datas"), 0);
    s_int(item, "message_id");
    s_str(item, "unique_id");
    s_str(item, "content");
    s_int(item, "status");
    s_str(item, "chat_time");
    json_decref(ack);
}

/* The peer's 1019 (same-node and cross-node alike): fromuid, touid, thread_id, chat_datas. */
static void s_expect_push(uschat_session_t *s, int64_t from, int64_t thread, const char *content)
{
    json_t *push = s_wait(s, USCHAT_ID_NOTIFY_TEXT_CHAT, NULL);
    CHECK(s_int(push, "fromuid") == from && s_int(push, "thread_id") == thread, "1019 ids");
    s_int(push, "touid");
    json_t *item = json_array_get(s_array(push, "chat_datas"), 0);
    CHECK(strcmp(s_str(item, "content"), content) == 0, "1019 content %s", content);
    s_int(item, "message_id");
    s_str(item, "unique_id");
    s_int(item, "status");
    s_str(item, "chat_time");
    json_decref(push);
}

/* ---- loading at login (chatdialog.cpp) --------------------------------------------------------
 */

/* 1025 {uid, thread_id} from 0 while load_more; the thread ids into threads. */
static size_t s_load_threads(uschat_session_t *s, int64_t uid, int64_t *threads, size_t cap,
                             int *requests)
{
    size_t n = 0;
    int64_t cursor = 0;
    for (bool more = true; more;) {
        json_t *rsp =
            s_ask(s, USCHAT_ID_THREAD_LIST_REQ,
                  json_pack("{sIsI}", "uid", (json_int_t)uid, "thread_id", (json_int_t)cursor),
                  USCHAT_ID_THREAD_LIST_RSP);
        (*requests)++;
        json_t *t;
        size_t i;
        json_array_foreach(s_array(rsp, "threads"), i, t)
        {
            CHECK(n < cap, "too many threads");
            threads[n++] = s_int(t, "thread_id");
            s_int(t, "type");
            CHECK(s_int(t, "user1_id") == uid || s_int(t, "user2_id") == uid, "my thread");
        }
        more = s_bool(rsp, "load_more");
        cursor = s_int(rsp, "next_last_id");
        json_decref(rsp);
    }
    return n;
}

/* 1029 {thread_id, message_id} from 0, each request as soon as the reply is in, until
 * load_more is false; every message once, in id order. Returns how many; *last_content gets
 * the content of the last one (caller frees). */
static size_t s_load_history(uschat_session_t *s, int64_t thread, int *requests,
                             char **last_content)
{
    int64_t cursor = 0, last_id = 0;
    size_t n = 0;
    for (bool more = true; more;) {
        CHECK(uschat_session_send_take(s, USCHAT_ID_LOAD_CHAT_REQ,
                                       json_pack("{sIsI}", "thread_id", (json_int_t)thread,
                                                 "message_id", (json_int_t)cursor)) == 0,
              "1029");
        (*requests)++;
        int error = -1;
        json_t *rsp = s_wait(s, USCHAT_ID_LOAD_CHAT_RSP, &error);
        CHECK(error == 0, "1030 of thread %lld: error %d (1014 = rate limited)", (long long)thread,
              error);
        CHECK(s_int(rsp, "thread_id") == thread, "1030 thread");
        json_t *item;
        size_t i;
        json_array_foreach(s_array(rsp, "chat_datas"), i, item)
        {
            int64_t id = s_int(item, "msg_id");
            CHECK(id > last_id, "message %lld after %lld: each once, oldest first", (long long)id,
                  (long long)last_id);
            last_id = id;
            s_int(item, "sender");
            s_str(item, "unique_id");
            s_str(item, "chat_time");
            s_int(item, "status");
            free(*last_content);
            *last_content = strdup(s_str(item, "msg_content"));
            n++;
        }
        more = s_bool(rsp, "load_more");
        int64_t next = s_int(rsp, "last_message_id");
        CHECK(!more || next > cursor, "the cursor moves forward (%lld after %lld)", (long long)next,
              (long long)cursor);
        CHECK(json_array_size(s_array(rsp, "chat_datas")) == 0 || next == last_id,
              "last_message_id is the last one returned");
        cursor = next;
        json_decref(rsp);
    }
    return n;
}

/* ---- the case -------------------------------------------------------------------------------- */

int main(void)
{
    chat_stack_t *st = chat_stack_start_gate("chatseed", NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", st->gate_port);
    uschat_http_t *h = uschat_http_new(url, 20000);
    CHECK(h, "http client");
    char an[32], bn[32];
    snprintf(an, sizeof an, "ann_%d", (int)getpid());
    snprintf(bn, sizeof bn, "ben_%d", (int)getpid());
    int64_t ann = s_register(st, h, an);
    int64_t ben = s_register(st, h, bn);
    int port_a = 0, port_b = 0;
    uschat_session_t *a = s_login(st, h, an, ann, 0, &port_a);
    uschat_session_t *b = s_login(st, h, bn, ben, port_a, &port_b);

    /* SearchList::slot_user_search: 1007 {uid: the text typed}; 1008 the profile */
    json_t *found =
        s_ask(a, USCHAT_ID_SEARCH_REQ, json_pack("{ss}", "uid", bn), USCHAT_ID_SEARCH_RSP);
    s_check_profile(found, "uid", ben);
    s_str(found, "desc");
    CHECK(!json_object_get(found, "email"), "no email in a search result");
    json_decref(found);

    int64_t thread = s_befriend(a, ann, b, ben, "Hi Ben, it's Ann");

    /* chat both ways across the nodes: seqs 3 and 4 after the two first messages */
    s_send(a, ann, ben, thread, 0, 1);
    s_expect_push(b, ann, thread, "m0");
    s_send(b, ben, ann, thread, 1, 1);
    s_expect_push(a, ben, thread, "m1");
    /* ChatDialog: a friend's conversation without a thread id asks 1027 {uid, other_id} */
    json_t *priv = s_ask(b, USCHAT_ID_CREATE_PRIVATE_REQ,
                         json_pack("{sIsI}", "uid", (json_int_t)ben, "other_id", (json_int_t)ann),
                         USCHAT_ID_CREATE_PRIVATE_RSP);
    CHECK(s_int(priv, "thread_id") == thread && s_int(priv, "other_id") == ann, "1028");
    json_decref(priv);
    /* TcpMgr's heartbeat: 1023 {fromuid} */
    json_decref(
        s_ask(b, USCHAT_ID_HEARTBEAT_REQ, json_pack("{sI}", "fromuid", (json_int_t)ben), 1024));

    /* 19 more friends of ben's, each a conversation with its two first messages; one on ben's
     * node writes to him: the same-node 1019 has the body of the cross-node one */
    bool same_node = false;
    for (int i = 0; i < MORE_FRIENDS; i++) {
        char name[32], token[128];
        snprintf(name, sizeof name, "f%d", i);
        int64_t uid = chat_stack_user(st, name);
        chat_stack_token(st, uid, token, NULL);
        uschat_session_t *f =
            uschat_session_connect("127.0.0.1", st->node_port[i % 2], WAIT_MS, NULL);
        CHECK(f, "connect");
        json_decref(s_ask(f, USCHAT_ID_LOGIN_REQ,
                          json_pack("{sIss}", "uid", (json_int_t)uid, "token", token),
                          USCHAT_ID_LOGIN_RSP));
        int64_t t = s_befriend(f, uid, b, ben, name);
        if (!same_node && st->node_port[i % 2] == port_b) {
            s_send(f, uid, ben, t, 0, 1);
            s_expect_push(b, uid, t, "m0");
            same_node = true;
        }
        uschat_session_destroy(&f);
    }
    /* the long conversation: 500 more messages from ann (pushed to ben's current session) */
    for (int i = 0; i < BULK; i += BULK_REQ)
        s_send(a, ann, ben, thread, 2 + i, BULK_REQ);
    uschat_session_destroy(&b);

    /* ben starts the client again: login, conversation list, every history from 0 */
    b = s_login(st, h, bn, ben, port_a, NULL);
    int requests = 0;
    int64_t threads[64];
    size_t nthreads = s_load_threads(b, ben, threads, 64, &requests);
    CHECK(nthreads == 1 + MORE_FRIENDS, "%zu conversations", nthreads);
    size_t total = 0;
    for (size_t i = 0; i < nthreads; i++) {
        char *last = NULL;
        size_t n = s_load_history(b, threads[i], &requests, &last);
        if (threads[i] == thread) {
            CHECK(n == 2 + 2 + BULK, "the long conversation: %zu messages", n);
            char want[32];
            snprintf(want, sizeof want, "m%d", 2 + BULK - 1);
            CHECK(last && strcmp(last, want) == 0, "ends with the last one sent");
        } else if (n == 3) { /* the friend on ben's node wrote once */
            CHECK(last && strcmp(last, "m0") == 0, "in order");
        } else {
            CHECK(n == 2, "a new friend's conversation: its two first messages");
            CHECK(last && strcmp(last, "We are friends now!") == 0, "in order");
        }
        total += n;
        free(last);
    }
    CHECK(same_node, "a friend wrote from ben's node");
    printf("loaded %zu messages of %zu conversations in %d back-to-back requests, none refused\n",
           total, nthreads, requests);

    /* the same user logs in elsewhere: the first session gets 1021 with error 0, then closes
     * (tcpmgr.cpp: "logged in elsewhere", not a heartbeat timeout) */
    uschat_session_t *again = s_login(st, h, bn, ben, 0, NULL);
    json_t *kicked = s_wait(b, USCHAT_ID_NOTIFY_OFFLINE, NULL);
    CHECK(s_int(kicked, "uid") == ben, "1021 uid");
    json_decref(kicked);
    CHECK(uschat_session_wait_closed(b, WAIT_MS) == 0, "the old session is closed");

    uschat_session_destroy(&again);
    uschat_session_destroy(&b);
    uschat_session_destroy(&a);
    uschat_http_destroy(&h);
    chat_stack_stop(&st);
    printf("ok seed\n");
    return 0;
}
