/* test_chat_messages.c - text messages, threads, history, sync and read marks against the
 * real stack (chat_stack.h): broker, status, two chat nodes, Redis and MariaDB.
 *
 * Run by CTest as `test_chat_messages CASE`, one process (and one stack) per case:
 *   text     friends on different nodes: 1018 after the commit with seq 1, 2, 3..., 1019 to
 *            the peer across the broker; a retry is stored once; 1016 for a stranger or a
 *            thread that is not theirs; 1015 for empty or oversized content
 *   offline  messages to an offline friend: 1026 shows them unread with the last one, sync
 *            from a seq misses nothing, history pages backwards, a read mark gives 1035 to
 *            the sender and marks the messages read; 1026, 1030 and 1032 carry it
 *            (peer_read_seq)
 *   gate     the whole path of two new users: code by mail, register and log in through the
 *            gate, connect to the node status picked, find each other, befriend, chat
 *   order    two friends send hundreds of messages to each other at once, pipelined, from
 *            two nodes: every one acked, each side's acks in send order, the thread's seqs
 *            exactly 1..N in the database, every message delivered to the peer once
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
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define F CHAT_STACK_FIRST_SEQS /* a thread starts with two messages */

#define WAIT_MS 5000

static int64_t s_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* One 1017 with a single item; returns the 1018's error, *reply the body. */
static int s_send(uschat_session_t *s, int64_t touid, int64_t thread, const char *content,
                  const char *unique, json_t **reply)
{
    uschat_text_t item = {content, unique};
    return chat_stack_request(s, USCHAT_ID_TEXT_CHAT_REQ,
                              uschat_req_text_chat(touid, thread, &item, 1), reply);
}

static json_t *s_item(json_t *reply, size_t i)
{
    return json_array_get(json_object_get(reply, "chat_datas"), i);
}

/* ---- text ------------------------------------------------------------------------------------ */

static void s_case_text(void)
{
    chat_stack_t *st = chat_stack_start("chattext", NULL);
    int64_t alice = chat_stack_user(st, "alice"), bob = chat_stack_user(st, "bob");
    int64_t carol = chat_stack_user(st, "carol");
    char ta[128], tb[128], tc[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    chat_stack_token(st, carol, tc, NULL);
    uschat_session_t *a = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_t *b = chat_stack_login(st, 1, bob, tb, NULL);
    uschat_session_t *c = chat_stack_login(st, 1, carol, tc, NULL);
    int64_t thread = chat_stack_befriend(a, alice, b, bob);

    /* three messages, seq 3 4 5 (after the two the thread started with), each pushed to bob on
     * the other node */
    for (int i = 1; i <= 3; i++) {
        char text[32], unique[32];
        snprintf(text, sizeof text, "message %d", i);
        snprintf(unique, sizeof unique, "a-%d", i);
        json_t *ack = NULL;
        CHECK(s_send(a, bob, thread, text, unique, &ack) == 0, "send %d", i);
        json_t *item = s_item(ack, 0);
        CHECK(s_int(item, "seq") == F + i && s_int(item, "message_id") > 0 &&
                  strcmp(s_str(item, "content"), text) == 0 &&
                  strcmp(s_str(item, "unique_id"), unique) == 0 &&
                  strlen(s_str(item, "chat_time")) == 19,
              "ack %d carries seq %d, id, content, unique_id, chat_time", i, F + i);
        CHECK(s_int(ack, "fromuid") == alice && s_int(ack, "touid") == bob &&
                  s_int(ack, "thread_id") == thread,
              "ack %d names the thread", i);
        json_t *push = chat_stack_wait(b, USCHAT_ID_NOTIFY_TEXT_CHAT);
        CHECK(s_int(s_item(push, 0), "seq") == F + i &&
                  s_int(s_item(push, 0), "message_id") == s_int(item, "message_id") &&
                  s_int(push, "fromuid") == alice,
              "bob gets message %d with the same id and seq", i);
        json_decref(push);
        json_decref(ack);
    }
    /* several items in one request: consecutive seqs */
    uschat_text_t two[] = {{"four", "a-4"}, {"five", "a-5"}};
    json_t *ack = NULL;
    CHECK(chat_stack_request(a, USCHAT_ID_TEXT_CHAT_REQ, uschat_req_text_chat(bob, thread, two, 2),
                             &ack) == 0,
          "two items");
    CHECK(s_int(s_item(ack, 0), "seq") == F + 4 && s_int(s_item(ack, 1), "seq") == F + 5,
          "seq 4, 5 of alice's");
    json_decref(ack);
    json_decref(chat_stack_wait(b, USCHAT_ID_NOTIFY_TEXT_CHAT));
    /* a retry of message 2: same id and seq, nothing new stored, nothing pushed */
    CHECK(s_send(a, bob, thread, "message 2", "a-2", &ack) == 0, "retry");
    CHECK(s_int(s_item(ack, 0), "seq") == F + 2, "the retry gets seq 2 of alice's back");
    json_decref(ack);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM chat_message WHERE thread_id = %lld",
             (long long)thread);
    CHECK(chat_stack_query_int(st, sql) == F + 5, "five rows more");
    snprintf(sql, sizeof sql, "SELECT last_seq FROM chat_thread WHERE id = %lld",
             (long long)thread);
    CHECK(chat_stack_query_int(st, sql) == F + 5, "last_seq");
    /* bob answers: the next seq */
    CHECK(s_send(b, alice, thread, "hi alice", "b-1", &ack) == 0, "bob sends");
    CHECK(s_int(s_item(ack, 0), "seq") == F + 6, "bob's message is the next seq");
    json_decref(ack);
    json_t *push = chat_stack_wait(a, USCHAT_ID_NOTIFY_TEXT_CHAT);
    CHECK(s_int(s_item(push, 0), "seq") == F + 6, "alice gets it");
    json_decref(push);
    CHECK(uschat_session_queued(b) == 0, "bob got no push for the retry");

    /* refusals that store nothing */
    CHECK(s_send(c, alice, thread, "intruder", "c-1", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "carol in alice and bob's thread: 1016");
    CHECK(s_send(a, carol, thread, "to carol", "a-x", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "alice to carol (not friends): 1016");
    CHECK(s_send(a, bob, thread + 1000, "nowhere", "a-y", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "a thread that does not exist: 1016");
    CHECK(s_send(a, bob, thread, "", "a-z", NULL) == USCHAT_ERR_OUT_OF_RANGE, "empty: 1015");
    char *big = malloc(4098);
    memset(big, 'x', 4097);
    big[4097] = 0;
    CHECK(s_send(a, bob, thread, big, "a-big", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "4097 bytes: 1015");
    big[4096] = 0;
    CHECK(s_send(a, bob, thread, big, "a-4096", &ack) == 0, "4096 bytes are fine");
    CHECK(s_int(s_item(ack, 0), "seq") == F + 7, "the next seq");
    json_decref(ack);
    free(big);
    json_decref(chat_stack_wait(b, USCHAT_ID_NOTIFY_TEXT_CHAT));
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM chat_message WHERE thread_id = %lld",
             (long long)thread);
    CHECK(chat_stack_query_int(st, sql) == F + 7, "nothing else stored");
    /* 1027: the pair's existing thread; a stranger gets 1016 */
    json_t *rsp = NULL;
    CHECK(chat_stack_request(a, USCHAT_ID_CREATE_PRIVATE_REQ, uschat_req_create_private(bob),
                             &rsp) == 0,
          "1027");
    CHECK(s_int(rsp, "thread_id") == thread && s_int(rsp, "other_id") == bob, "the same thread");
    json_decref(rsp);
    CHECK(chat_stack_request(a, USCHAT_ID_CREATE_PRIVATE_REQ, uschat_req_create_private(carol),
                             NULL) == USCHAT_ERR_NOT_FRIENDS,
          "1027 with a stranger: 1016");
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    uschat_session_destroy(&c);
    chat_stack_stop(&st);
}

/* ---- offline ------------------------------------------------------------------------------- */

static void s_case_offline(void)
{
    chat_stack_t *st = chat_stack_start("chatoffline", NULL);
    int64_t alice = chat_stack_user(st, "alice"), bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *a = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_t *b = chat_stack_login(st, 1, bob, tb, NULL);
    int64_t thread = chat_stack_befriend(a, alice, b, bob);
    uschat_session_destroy(&b);
    CHECK(chat_stack_wait_presence(st, bob, NULL, WAIT_MS) == 0, "bob is offline");
    /* 60 messages while bob is away: more than a history page */
    for (int i = 1; i <= 60; i++) {
        char text[32], unique[32];
        snprintf(text, sizeof text, "while away %d", i);
        snprintf(unique, sizeof unique, "away-%d", i);
        CHECK(s_send(a, bob, thread, text, unique, NULL) == 0, "send %d", i);
    }
    b = chat_stack_login(st, 0, bob, tb, NULL);
    json_t *rsp = NULL;
    CHECK(chat_stack_request(b, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &rsp) == 0,
          "1025");
    json_t *t = json_array_get(json_object_get(rsp, "threads"), 0);
    CHECK(json_array_size(json_object_get(rsp, "threads")) == 1 && s_int(t, "thread_id") == thread,
          "one thread");
    /* unread: alice's greeting and her 60 (bob's "We are friends now!" is his own) */
    CHECK(s_int(t, "last_seq") == F + 60 && s_int(t, "unread") == 61, "61 unread (got %lld)",
          (long long)s_int(t, "unread"));
    CHECK(strcmp(s_str(json_object_get(t, "last_msg"), "msg_content"), "while away 60") == 0,
          "the last message");
    CHECK((s_int(t, "user1_id") == alice && s_int(t, "user2_id") == bob) ||
              (s_int(t, "user1_id") == bob && s_int(t, "user2_id") == alice),
          "the pair");
    json_decref(rsp);
    CHECK(chat_stack_request(a, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &rsp) == 0,
          "1025 for alice");
    t = json_array_get(json_object_get(rsp, "threads"), 0);
    CHECK(s_int(t, "unread") == 1, "alice's own messages are not unread to her, bob's one is");
    json_decref(rsp);
    /* sync from alice's 55th: 56..60 in order, nothing more */
    CHECK(chat_stack_request(b, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, F + 55, 200), &rsp) ==
              0,
          "1031");
    json_t *items = json_object_get(rsp, "chat_datas");
    CHECK(json_array_size(items) == 5, "5 after seq 55");
    for (size_t i = 0; i < 5; i++)
        CHECK(s_int(json_array_get(items, i), "seq") == (int64_t)(F + 56 + i) &&
                  s_int(json_array_get(items, i), "sender") == alice,
              "seq %zu in order", 56 + i);
    CHECK(!json_is_true(json_object_get(rsp, "has_more")), "no more");
    json_decref(rsp);
    CHECK(chat_stack_request(b, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, 0, 10), &rsp) == 0,
          "1031 limit 10");
    CHECK(json_array_size(json_object_get(rsp, "chat_datas")) == 10 &&
              json_is_true(json_object_get(rsp, "has_more")),
          "10 and more to come");
    json_decref(rsp);
    CHECK(chat_stack_request(b, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, 0, 201), NULL) ==
              USCHAT_ERR_OUT_OF_RANGE,
          "limit 201: 1015");
    /* history, newest page first, each page oldest first */
    CHECK(chat_stack_request(b, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(thread, 0), &rsp) ==
              0,
          "1029");
    items = json_object_get(rsp, "chat_datas");
    CHECK(json_array_size(items) == 50 && json_is_true(json_object_get(rsp, "load_more")),
          "a page of 50, more before");
    CHECK(s_int(json_array_get(items, 0), "seq") == F + 11 &&
              s_int(json_array_get(items, 49), "seq") == F + 60,
          "alice's 11..60");
    int64_t cursor = s_int(rsp, "last_message_id");
    CHECK(cursor == s_int(json_array_get(items, 0), "msg_id"), "cursor = oldest of the page");
    json_decref(rsp);
    CHECK(chat_stack_request(b, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(thread, cursor),
                             &rsp) == 0,
          "1029 older");
    items = json_object_get(rsp, "chat_datas");
    CHECK(json_array_size(items) == F + 10 && !json_is_true(json_object_get(rsp, "load_more")) &&
              s_int(json_array_get(items, 0), "seq") == 1,
          "the first two and alice's first 10");
    CHECK(s_int(json_array_get(items, 0), "status") == 0, "unread yet");
    json_decref(rsp);
    /* the read mark: 1034, 1035 to alice, statuses, unread 0 */
    CHECK(chat_stack_request(b, USCHAT_ID_READ_MARK_REQ, uschat_req_read_mark(thread, F + 60),
                             NULL) == 0,
          "1033");
    json_t *receipt = chat_stack_wait(a, USCHAT_ID_NOTIFY_READ);
    CHECK(s_int(receipt, "thread_id") == thread && s_int(receipt, "reader") == bob &&
              s_int(receipt, "seq") == F + 60,
          "alice gets the receipt");
    json_decref(receipt);
    CHECK(chat_stack_request(b, USCHAT_ID_READ_MARK_REQ, uschat_req_read_mark(thread, F + 61),
                             NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "past the last seq: 1015");
    CHECK(chat_stack_request(b, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &rsp) == 0,
          "1025");
    CHECK(s_int(json_array_get(json_object_get(rsp, "threads"), 0), "unread") == 0, "all read");
    json_decref(rsp);
    CHECK(chat_stack_request(a, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, F + 59, 10), &rsp) == 0,
          "1031");
    CHECK(s_int(json_array_get(json_object_get(rsp, "chat_datas"), 0), "status") == 1,
          "alice sees her message read");
    json_decref(rsp);
    /* the peer's read mark rides on the thread list, sync and history, so a receipt sent
     * while alice was away is not lost */
    CHECK(chat_stack_request(a, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &rsp) == 0,
          "1025 of alice");
    CHECK(s_int(json_array_get(json_object_get(rsp, "threads"), 0), "peer_read_seq") == F + 60,
          "1026 carries bob's read mark");
    json_decref(rsp);
    CHECK(chat_stack_request(a, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, F + 60, 10), &rsp) == 0,
          "1031 at the end");
    CHECK(s_int(rsp, "peer_read_seq") == F + 60, "1032 carries bob's read mark");
    json_decref(rsp);
    CHECK(chat_stack_request(a, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(thread, 0), &rsp) ==
              0,
          "1029 of alice");
    CHECK(s_int(rsp, "peer_read_seq") == F + 60, "1030 carries bob's read mark");
    json_decref(rsp);
    CHECK(chat_stack_request(b, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_chat(thread, 0), &rsp) ==
              0,
          "1029 of bob");
    CHECK(json_object_get(rsp, "peer_read_seq") && s_int(rsp, "peer_read_seq") == 0,
          "alice has read nothing: 0");
    json_decref(rsp);
    /* a stranger's sync: 1016 */
    int64_t eve = chat_stack_user(st, "eve");
    char te[128];
    chat_stack_token(st, eve, te, NULL);
    uschat_session_t *e = chat_stack_login(st, 1, eve, te, NULL);
    CHECK(chat_stack_request(e, USCHAT_ID_SYNC_REQ, uschat_req_sync(thread, 0, 10), NULL) ==
              USCHAT_ERR_NOT_FRIENDS,
          "eve cannot read their thread");
    CHECK(chat_stack_request(e, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(thread, 0), NULL) ==
              USCHAT_ERR_NOT_FRIENDS,
          "nor its history");
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    uschat_session_destroy(&e);
    chat_stack_stop(&st);
}

/* ---- order ----------------------------------------------------------------------------------- */

#define ORDER_N 300

static void s_case_order(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=1000", NULL};
    chat_stack_t *st = chat_stack_start("chatorder", env);
    int64_t alice = chat_stack_user(st, "alice"), bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *a = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_t *b = chat_stack_login(st, 1, bob, tb, NULL);
    int64_t thread = chat_stack_befriend(a, alice, b, bob);
    /* both send everything without waiting */
    for (int i = 0; i < ORDER_N; i++) {
        char text[32], unique[32];
        uschat_text_t item = {text, unique};
        snprintf(text, sizeof text, "a%d", i);
        snprintf(unique, sizeof unique, "a-%d", i);
        CHECK(uschat_session_send_take(a, USCHAT_ID_TEXT_CHAT_REQ,
                                       uschat_req_text_chat(bob, thread, &item, 1)) == 0,
              "send");
        snprintf(text, sizeof text, "b%d", i);
        snprintf(unique, sizeof unique, "b-%d", i);
        CHECK(uschat_session_send_take(b, USCHAT_ID_TEXT_CHAT_REQ,
                                       uschat_req_text_chat(alice, thread, &item, 1)) == 0,
              "send");
    }
    /* each side: ORDER_N acks in send order with rising seqs, ORDER_N pushes of the other */
    uschat_session_t *sides[2] = {a, b};
    for (int side = 0; side < 2; side++) {
        int acks = 0, pushes = 0;
        int64_t last_ack_seq = 0, last_push_seq = 0;
        while (acks < ORDER_N || pushes < ORDER_N) {
            uint16_t id = 0;
            json_t *body = NULL;
            CHECK(uschat_session_next(sides[side], 10000, &id, &body) == 0,
                  "side %d: %d acks, %d pushes so far", side, acks, pushes);
            json_t *item = s_item(body, 0);
            if (id == USCHAT_ID_TEXT_CHAT_RSP) {
                char expect[32];
                snprintf(expect, sizeof expect, "%c-%d", side ? 'b' : 'a', acks);
                CHECK(s_int(body, "error") == 0, "ack %d error %lld", acks,
                      (long long)s_int(body, "error"));
                CHECK(strcmp(s_str(item, "unique_id"), expect) == 0, "ack %d is for %s, not %s",
                      acks, expect, s_str(item, "unique_id"));
                CHECK(s_int(item, "seq") > last_ack_seq, "acks in seq order");
                last_ack_seq = s_int(item, "seq");
                acks++;
            } else if (id == USCHAT_ID_NOTIFY_TEXT_CHAT) {
                CHECK(s_int(item, "seq") > last_push_seq, "pushes in seq order");
                last_push_seq = s_int(item, "seq");
                pushes++;
            }
            json_decref(body);
        }
    }
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) = %d AND MIN(seq) = 1 AND MAX(seq) = %d AND "
             "COUNT(DISTINCT seq) = %d FROM chat_message WHERE thread_id = %lld",
             F + 2 * ORDER_N, F + 2 * ORDER_N, F + 2 * ORDER_N, (long long)thread);
    CHECK(chat_stack_query_int(st, sql) == 1, "seqs are exactly 1..%d", F + 2 * ORDER_N);
    snprintf(sql, sizeof sql, "SELECT last_seq FROM chat_thread WHERE id = %lld",
             (long long)thread);
    CHECK(chat_stack_query_int(st, sql) == F + 2 * ORDER_N, "last_seq");
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    chat_stack_stop(&st);
}

/* ---- gate ------------------------------------------------------------------------------------ */

static int64_t s_register(chat_stack_t *st, uschat_http_t *h, const char *name)
{
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    int error = -1;
    CHECK(uschat_http_get_varifycode(h, email, &error) == 0 && error == 0, "code for %s: error %d",
          email, error);
    char code[7] = "";
    chat_stack_mail_code(st, email, code);
    uschat_register_req_t req = {.email = email,
                                 .user = name,
                                 .passwd = "open sesame",
                                 .confirm = "open sesame",
                                 .varifycode = code,
                                 .sex = -1};
    int64_t uid = 0;
    CHECK(uschat_http_register(h, &req, &error, &uid) == 0 && error == 0 && uid > 0,
          "register %s: error %d", name, error);
    return uid;
}

/* HTTP login, then the chat node status chose. */
static uschat_session_t *s_login(chat_stack_t *st, uschat_http_t *h, const char *name, int64_t uid)
{
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    uschat_login_info_t info;
    CHECK(uschat_http_login(h, email, "open sesame", &info) == 0 && info.error == 0,
          "login of %s: error %d", name, info.error);
    CHECK(info.uid == uid && info.token[0], "uid and token");
    CHECK_STR(info.files_url, CHAT_STACK_FILES_URL); /* gate/files_url, for pictures and files */
    CHECK(info.port == st->node_port[0] || info.port == st->node_port[1],
          "status sends %s to one of the nodes (port %d)", name, info.port);
    int err = 0;
    uschat_session_t *s = uschat_session_connect(info.host, info.port, 3000, &err);
    CHECK(s, "connect to %s:%d", info.host, info.port);
    int error = -1;
    CHECK(uschat_session_login(s, uid, info.token, 5000, NULL, &error) == 0 && error == 0,
          "1005 with the gate's token: %d", error);
    return s;
}

static void s_case_gate(void)
{
    chat_stack_t *st = chat_stack_start_gate("chatgate", NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", st->gate_port);
    uschat_http_t *h = uschat_http_new(url, 10000);
    CHECK(h, "http client");
    /* names of this run: varify allows one code per email a minute, and Redis is shared */
    char an[32], bn[32];
    snprintf(an, sizeof an, "alice_%d", (int)getpid());
    snprintf(bn, sizeof bn, "bob_%d", (int)getpid());
    int64_t alice = s_register(st, h, an);
    int64_t bob = s_register(st, h, bn);
    uschat_session_t *a = s_login(st, h, an, alice);
    uschat_session_t *b = s_login(st, h, bn, bob);
    json_t *found = NULL;
    CHECK(chat_stack_request(a, USCHAT_ID_SEARCH_REQ, uschat_req_search(bn), &found) == 0,
          "alice finds bob");
    CHECK(s_int(found, "uid") == bob, "by name");
    json_decref(found);
    int64_t thread = chat_stack_befriend(a, alice, b, bob);
    json_t *ack = NULL;
    CHECK(s_send(a, bob, thread, "hello bob", "g-1", &ack) == 0, "alice writes");
    json_decref(ack);
    json_t *push = chat_stack_wait(b, USCHAT_ID_NOTIFY_TEXT_CHAT);
    CHECK(strcmp(s_str(s_item(push, 0), "content"), "hello bob") == 0, "bob reads it");
    json_decref(push);
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    uschat_http_destroy(&h);
    chat_stack_stop(&st);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "text") == 0)
        s_case_text();
    else if (strcmp(which, "offline") == 0)
        s_case_offline();
    else if (strcmp(which, "order") == 0)
        s_case_order();
    else if (strcmp(which, "gate") == 0)
        s_case_gate();
    else {
        fprintf(stderr, "usage: test_chat_messages text|offline|order|gate\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
