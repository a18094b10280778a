/* test_model.c - the desktop client's model without SDL: the chat node's messages in, the
 * state a user would see out (messages in seq order, each once, unread counts, the chat list
 * order, what is synced and resent after a reconnect, form checks, friend requests).
 *
 * Usage: test_client_sdl_model CASE (one CTest test per case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>

/* The settings folder: %APPDATA%\uschat on Windows (the Windows build runs these tests
 * under wine, with tests/support/win_compat.h for the POSIX calls). */
#ifdef _WIN32
#define CONFIG_HOME_VAR "APPDATA"
#else
#define CONFIG_HOME_VAR "XDG_CONFIG_HOME"
#endif

#include "app_config.h"
#include "check.h"
#include "model_fixture.h"
#include "uschat_client.h"

static const fx_user_t s_friends[] = {
    {2002, "bob", "Bob"}, {2003, "carol", "Carol"}, {2004, "dave", "Dave"}};

static int s_register(app_model_t *m, const char *email, const char *code, const char *user,
                      const char *passwd, const char *confirm)
{
    return app_model_act(m, &(app_act_t){.kind = APP_ACT_REGISTER,
                                         .email = email,
                                         .code = code,
                                         .user = user,
                                         .passwd = passwd,
                                         .confirm = confirm});
}

static app_model_t *s_logged_in(void)
{
    app_model_t *m = app_model_new("alice@example.com");
    CHECK(m != NULL, "model");
    fx_login(m, 3, s_friends);
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_MAIN);
    CHECK_INT(app_model_view(m).conn, APP_CONN_ONLINE);
    return m;
}

/* A 1030 page for THREAD with the items (taken over). */
static void s_history(app_model_t *m, int64_t thread, int load_more, json_t *items)
{
    fx_feed(m, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)thread,
                      "last_message_id", (json_int_t)0, "load_more", load_more, "chat_datas",
                      items));
}

static void s_check_seqs(const app_thread_t *t, const int64_t *seqs, size_t n)
{
    CHECK_INT(t->nmsgs, n);
    for (size_t i = 0; i < n; i++)
        CHECK(t->msgs[i].seq == seqs[i], "message %zu has seq %lld, expected %lld", i,
              (long long)t->msgs[i].seq, (long long)seqs[i]);
}

/* Messages show in seq order whatever order they arrive in. */
static void test_order(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 3, 0, "three", "2024-05-01 10:03:00")));
    fx_drain(m);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    json_t *ask = fx_take(m, USCHAT_ID_LOAD_CHAT_REQ);
    CHECK(ask != NULL, "opening a thread asks for its newest page");
    CHECK_INT(json_integer_value(json_object_get(ask, "message_id")), 0);
    CHECK(json_is_true(json_object_get(ask, "before")), "the newest page: going back");
    json_decref(ask);
    s_history(m, 77, 1,
              json_pack("[ooo]", fx_item(2002, 7703, 3, "b3", "three", "2024-05-01 10:03:00"),
                        fx_item(FX_ME, 7701, 1, "a1", "one", "2024-05-01 10:01:00"),
                        fx_item(2002, 7702, 2, "b2", "two", "2024-05-01 10:02:00")));
    const app_thread_t *t = app_model_view(m).open;
    CHECK(t && t->thread_id == 77, "thread 77 open");
    s_check_seqs(t, (int64_t[]){1, 2, 3}, 3);
    CHECK_INT(t->has_older, 1);
    CHECK_STR(t->msgs[0].content, "one");
    CHECK_INT(t->msgs[0].sender, FX_ME);
    /* pushes out of order: 5 before 4 */
    fx_push(m, 77, 2002, 7705, 5, "five", "2024-05-01 10:05:00");
    fx_push(m, 77, 2002, 7704, 4, "four", "2024-05-01 10:04:00");
    s_check_seqs(t, (int64_t[]){1, 2, 3, 4, 5}, 5);
    CHECK_STR(t->preview, "five");
    /* an older page goes in front */
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_LOAD_OLDER}), 1);
    json_t *older = fx_take(m, USCHAT_ID_LOAD_CHAT_REQ);
    CHECK_INT(json_integer_value(json_object_get(older, "message_id")), 7701);
    CHECK(json_is_true(json_object_get(older, "before")), "an older page");
    json_decref(older);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_LOAD_OLDER}), 0); /* one at a time */
    s_history(m, 77, 0, json_pack("[o]", fx_item(2002, 7600, 0, "z", "zero", "")));
    /* an item without a seq is unusable and ignored; the page's load_more=0 is kept */
    s_check_seqs(t, (int64_t[]){1, 2, 3, 4, 5}, 5);
    CHECK_INT(t->has_older, 0);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_LOAD_OLDER}), 0);
    app_model_destroy(&m);
}

/* The same message arriving twice (push + sync, page + push) is held once; my own message
 * sending is replaced by its committed copy through its unique_id, whichever comes first. */
static void test_dedup(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 0, 0, NULL, NULL)));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    fx_drain(m);
    fx_push(m, 77, 2002, 7701, 1, "hello", "2024-05-01 10:01:00");
    fx_push(m, 77, 2002, 7701, 1, "hello", "2024-05-01 10:01:00");
    s_history(m, 77, 0,
              json_pack("[o]", fx_item(2002, 7701, 1, "x", "hello", "2024-05-01 10:01:00")));
    const app_thread_t *t = app_model_view(m).open;
    s_check_seqs(t, (int64_t[]){1}, 1);

    /* my message: sending, then the sync brings it, then the ack: one copy, committed */
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "  你好, Bob!  \n"}),
              0);
    json_t *req = fx_take(m, USCHAT_ID_TEXT_CHAT_REQ);
    CHECK(req != NULL, "a 1017 went out");
    CHECK_INT(json_integer_value(json_object_get(req, "touid")), 2002);
    CHECK_INT(json_integer_value(json_object_get(req, "thread_id")), 77);
    json_t *item = json_array_get(json_object_get(req, "text_array"), 0);
    CHECK_STR(json_string_value(json_object_get(item, "content")), "你好, Bob!");
    char unique[64];
    snprintf(unique, sizeof unique, "%s", json_string_value(json_object_get(item, "unique_id")));
    json_decref(req);
    CHECK_INT(t->nmsgs, 2);
    CHECK_INT(t->msgs[1].state, APP_MSG_SENDING);
    CHECK_STR(t->preview, "你好, Bob!");
    fx_feed(m, USCHAT_ID_SYNC_RSP,
            json_pack("{sisIs[o]sb}", "error", 0, "thread_id", (json_int_t)77, "chat_datas",
                      fx_item(FX_ME, 7702, 2, unique, "你好, Bob!", "2024-05-01 10:02:00"),
                      "has_more", 0));
    s_check_seqs(t, (int64_t[]){1, 2}, 2);
    CHECK_INT(t->msgs[1].state, APP_MSG_SENT);
    fx_feed(m, USCHAT_ID_TEXT_CHAT_RSP,
            json_pack("{sisIsIsIs[{sIsIsssssssi}]}", "error", 0, "fromuid", (json_int_t)FX_ME,
                      "touid", (json_int_t)2002, "thread_id", (json_int_t)77, "chat_datas",
                      "message_id", (json_int_t)7702, "seq", (json_int_t)2, "unique_id", unique,
                      "content", "你好, Bob!", "chat_time", "2024-05-01 10:02:00", "status", 0));
    s_check_seqs(t, (int64_t[]){1, 2}, 2);
    CHECK_INT(t->msgs[1].message_id, 7702);
    CHECK_INT(t->unread, 1); /* the peer's one message, held once; mine never count */

    /* the ack first this time, then a duplicate push of the same seq */
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "second"}), 0);
    req = fx_take(m, USCHAT_ID_TEXT_CHAT_REQ);
    item = json_array_get(json_object_get(req, "text_array"), 0);
    snprintf(unique, sizeof unique, "%s", json_string_value(json_object_get(item, "unique_id")));
    json_decref(req);
    fx_feed(m, USCHAT_ID_TEXT_CHAT_RSP,
            json_pack("{sisIsIsIs[{sIsIsssssssi}]}", "error", 0, "fromuid", (json_int_t)FX_ME,
                      "touid", (json_int_t)2002, "thread_id", (json_int_t)77, "chat_datas",
                      "message_id", (json_int_t)7703, "seq", (json_int_t)3, "unique_id", unique,
                      "content", "second", "chat_time", "2024-05-01 10:03:00", "status", 0));
    fx_feed(m, USCHAT_ID_SYNC_RSP,
            json_pack("{sisIs[oo]sb}", "error", 0, "thread_id", (json_int_t)77, "chat_datas",
                      fx_item(FX_ME, 7702, 2, "other", "你好, Bob!", "2024-05-01 10:02:00"),
                      fx_item(FX_ME, 7703, 3, unique, "second", "2024-05-01 10:03:00"), "has_more",
                      0));
    s_check_seqs(t, (int64_t[]){1, 2, 3}, 3);
    CHECK_STR(t->msgs[2].content, "second");
    app_model_destroy(&m);
}

/* Unread: the server's count at login, one more per new message of the peer (not for a
 * duplicate, not for mine), zero and a read mark when the conversation is read. */
static void test_unread(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[oo]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 4, 2, "four", "2024-05-01 10:04:00"),
                      fx_thread(78, 2003, 1, 0, "hi", "2024-05-01 09:00:00")));
    fx_drain(m);
    CHECK_INT(app_model_thread(m, 77)->unread, 2);
    CHECK_INT(app_model_view(m).unread_total, 2);
    fx_push(m, 77, 2002, 7705, 5, "five", "2024-05-01 10:05:00");
    fx_push(m, 77, 2002, 7705, 5, "five", "2024-05-01 10:05:00");
    fx_push(m, 78, 2003, 7802, 2, "hey", "2024-05-01 10:06:00");
    CHECK_INT(app_model_thread(m, 77)->unread, 3);
    CHECK_INT(app_model_thread(m, 78)->unread, 1);
    CHECK_INT(app_model_view(m).unread_total, 4);
    /* a history page of old messages adds nothing */
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    fx_drain(m);
    s_history(m, 77, 0,
              json_pack("[ooo]", fx_item(2002, 7703, 3, "u3", "three", "2024-05-01 10:03:00"),
                        fx_item(2002, 7704, 4, "u4", "four", "2024-05-01 10:04:00"),
                        fx_item(2002, 7705, 5, "u5", "five", "2024-05-01 10:05:00")));
    CHECK_INT(app_model_thread(m, 77)->unread, 3);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_MARK_READ});
    CHECK_INT(app_model_thread(m, 77)->unread, 0);
    json_t *mark = fx_take(m, USCHAT_ID_READ_MARK_REQ);
    CHECK(mark != NULL, "a read mark went out");
    CHECK_INT(json_integer_value(json_object_get(mark, "thread_id")), 77);
    CHECK_INT(json_integer_value(json_object_get(mark, "seq")), 5);
    json_decref(mark);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_MARK_READ}); /* nothing new: no second mark */
    CHECK_INT(fx_count(m, USCHAT_ID_READ_MARK_REQ), 0);
    /* my message in the open thread adds nothing; the peer's read receipt is kept */
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "ok"}), 0);
    fx_drain(m);
    CHECK_INT(app_model_thread(m, 77)->unread, 0);
    fx_feed(m, USCHAT_ID_NOTIFY_READ,
            json_pack("{sIsIsI}", "thread_id", (json_int_t)77, "reader", (json_int_t)2002, "seq",
                      (json_int_t)5));
    CHECK_INT(app_model_thread(m, 77)->peer_read, 5);
    app_model_destroy(&m);
}

/* The chat list: threads by their last message, newest first, then friends without a thread;
 * a new message moves its thread to the top. */
static void test_list_order(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[ooo]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 1, 0, "older", "2024-05-01 10:00:00"),
                      fx_thread(78, 2003, 1, 0, "newer", "2024-05-01 11:00:00"),
                      fx_thread(79, 9999, 0, 0, NULL, NULL)));
    fx_drain(m);
    CHECK_INT(app_model_chat_count(m), 4); /* 3 threads + Dave, who has none */
    CHECK_INT(app_model_chat_at(m, 0).thread->thread_id, 78);
    CHECK_INT(app_model_chat_at(m, 1).thread->thread_id, 77);
    CHECK_INT(app_model_chat_at(m, 2).thread->thread_id, 79);
    CHECK(app_model_chat_at(m, 2).peer == NULL, "a stranger's thread has no friend");
    CHECK_STR(app_model_display_name(m, 9999), "User 9999");
    CHECK(app_model_chat_at(m, 3).thread == NULL, "friend without thread last");
    CHECK_INT(app_model_chat_at(m, 3).peer_uid, 2004);
    CHECK_STR(app_model_display_name(m, 2004), "Dave");
    fx_push(m, 77, 2002, 7702, 2, "now", "2024-05-01 12:00:00");
    CHECK_INT(app_model_chat_at(m, 0).thread->thread_id, 77);
    CHECK_STR(app_model_chat_at(m, 0).thread->preview, "now");
    /* sending moves a thread up too */
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 79});
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "hello stranger"}),
              0);
    fx_drain(m);
    CHECK_INT(app_model_chat_at(m, 0).thread->thread_id, 79);
    /* opening a friend without a thread creates it */
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = 2004});
    json_t *create = fx_take(m, USCHAT_ID_CREATE_PRIVATE_REQ);
    CHECK(create != NULL, "1027 sent");
    CHECK_INT(json_integer_value(json_object_get(create, "other_id")), 2004);
    json_decref(create);
    CHECK(app_model_view(m).open == NULL, "no thread until 1028");
    fx_feed(m, USCHAT_ID_CREATE_PRIVATE_RSP,
            json_pack("{sisIsI}", "error", 0, "other_id", (json_int_t)2004, "thread_id",
                      (json_int_t)80));
    CHECK(app_model_view(m).open && app_model_view(m).open->thread_id == 80, "thread 80 open");
    CHECK_INT(fx_count(m, USCHAT_ID_LOAD_CHAT_REQ), 1);
    CHECK_INT(app_model_chat_count(m), 4);
    app_model_destroy(&m);
}

/* A reconnect: the new 1006 asks for the thread list again, syncs each thread whose history
 * is held from its highest seq, and resends what was still sending with the same unique_id. */
static void test_reconnect(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[oo]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 2, 0, "b", "2024-05-01 10:02:00"),
                      fx_thread(78, 2003, 9, 0, "x", "2024-05-01 09:00:00")));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    s_history(m, 77, 0,
              json_pack("[oo]", fx_item(2002, 7701, 1, "u1", "a", "2024-05-01 10:01:00"),
                        fx_item(2002, 7702, 2, "u2", "b", "2024-05-01 10:02:00")));
    fx_drain(m);
    app_model_on_conn(m, APP_CONN_RECONNECTING, 2000, USCHAT_E_CLOSED, 1000);
    CHECK_INT(app_model_view(m).conn, APP_CONN_RECONNECTING);
    CHECK_INT(app_model_retry_in(m, 1500), 1500);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "while offline"}),
              0);
    json_t *first = fx_take(m, USCHAT_ID_TEXT_CHAT_REQ);
    char unique[64];
    snprintf(unique, sizeof unique, "%s",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(first, "text_array"), 0), "unique_id")));
    json_decref(first);
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_MAIN);
    /* re-login */
    fx_feed(m, USCHAT_ID_LOGIN_RSP,
            json_pack("{sisIsssss[]s[]}", "error", 0, "uid", (json_int_t)FX_ME, "name", "alice",
                      "nick", "Alice", "friend_list", "apply_list"));
    int list = 0, sync = 0, text = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_THREAD_LIST_REQ)
            list++;
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_SYNC_REQ) {
            sync++;
            CHECK_INT(json_integer_value(json_object_get(c->body, "thread_id")), 77);
            CHECK_INT(json_integer_value(json_object_get(c->body, "after_seq")), 2);
        }
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_TEXT_CHAT_REQ) {
            text++;
            json_t *it = json_array_get(json_object_get(c->body, "text_array"), 0);
            CHECK_STR(json_string_value(json_object_get(it, "unique_id")), unique);
        }
        app_cmd_destroy(&c);
    }
    CHECK_INT(list, 1);
    CHECK_INT(sync, 1); /* thread 78's history was never loaded: no sync for it */
    CHECK_INT(text, 1);
    /* the sync brings a message missed while away, and reports more */
    fx_feed(m, USCHAT_ID_SYNC_RSP,
            json_pack("{sisIs[o]sb}", "error", 0, "thread_id", (json_int_t)77, "chat_datas",
                      fx_item(2002, 7703, 3, "u3", "missed", "2024-05-01 10:03:00"), "has_more",
                      1));
    json_t *again = fx_take(m, USCHAT_ID_SYNC_REQ);
    CHECK(again != NULL, "has_more asks for the next batch");
    CHECK_INT(json_integer_value(json_object_get(again, "after_seq")), 3);
    json_decref(again);
    const app_thread_t *t = app_model_thread(m, 77);
    CHECK_INT(t->nmsgs, 4); /* 1, 2, 3 and mine, still sending */
    CHECK_INT(t->unread, 1);
    CHECK_STR(t->msgs[2].content, "missed");
    CHECK_INT(t->msgs[3].state, APP_MSG_SENDING);
    /* the 1026 after the reconnect: the server's unread count wins */
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 3, 1, "missed", "2024-05-01 10:03:00")));
    CHECK_INT(t->unread, 1);
    app_model_destroy(&m);
}

/* A push past a gap (pushes lost on the way) syncs from the gap; the sync fills it, a push
 * during the sync waits for it, and a gap still left afterwards is synced again. */
static void test_gap(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 2, 0, "b", "2024-05-01 10:02:00")));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    s_history(m, 77, 0,
              json_pack("[oo]", fx_item(2002, 7701, 1, "u1", "a", "2024-05-01 10:01:00"),
                        fx_item(2002, 7702, 2, "u2", "b", "2024-05-01 10:02:00")));
    fx_drain(m);
    fx_push(m, 77, 2002, 7703, 3, "c", "2024-05-01 10:03:00");
    CHECK_INT(fx_count(m, USCHAT_ID_SYNC_REQ), 0); /* 3 follows 2: nothing missed */
    fx_push(m, 77, 2002, 7706, 6, "f", "2024-05-01 10:06:00");
    json_t *sync = fx_take(m, USCHAT_ID_SYNC_REQ);
    CHECK(sync != NULL, "a push past a gap asks for what is missing");
    CHECK_INT(json_integer_value(json_object_get(sync, "after_seq")), 3);
    json_decref(sync);
    fx_push(m, 77, 2002, 7708, 8, "h", "2024-05-01 10:08:00");
    CHECK_INT(fx_count(m, USCHAT_ID_SYNC_REQ), 0); /* one sync at a time */
    /* the sync brings 4 and 5 only (7 is still missing): it goes on from the gap at 7 */
    fx_feed(m, USCHAT_ID_SYNC_RSP,
            json_pack("{sisIs[oo]sb}", "error", 0, "thread_id", (json_int_t)77, "chat_datas",
                      fx_item(2002, 7704, 4, "u4", "d", "2024-05-01 10:04:00"),
                      fx_item(2002, 7705, 5, "u5", "e", "2024-05-01 10:05:00"), "has_more", 0));
    sync = fx_take(m, USCHAT_ID_SYNC_REQ);
    CHECK(sync != NULL, "the gap at 7 is asked for too");
    CHECK_INT(json_integer_value(json_object_get(sync, "after_seq")), 6);
    json_decref(sync);
    fx_feed(m, USCHAT_ID_SYNC_RSP,
            json_pack("{sisIs[oo]sb}", "error", 0, "thread_id", (json_int_t)77, "chat_datas",
                      fx_item(2002, 7707, 7, "u7", "g", "2024-05-01 10:07:00"),
                      fx_item(2002, 7708, 8, "u8", "h", "2024-05-01 10:08:00"), "has_more", 0));
    CHECK_INT(fx_count(m, USCHAT_ID_SYNC_REQ), 0);
    static const int64_t seqs[] = {1, 2, 3, 4, 5, 6, 7, 8};
    s_check_seqs(app_model_thread(m, 77), seqs, 8);
    app_model_destroy(&m);
}

/* A refused message is marked failed and can be sent again. */
static void test_failed_send(void)
{
    app_model_t *m = s_logged_in();
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 0, 0, NULL, NULL)));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "   "}),
              -1); /* blank: nothing */
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "refused"}), 0);
    fx_drain(m);
    fx_feed(m, USCHAT_ID_TEXT_CHAT_RSP,
            json_pack("{sisIsIsIs[]}", "error", USCHAT_ERR_NOT_FRIENDS, "fromuid",
                      (json_int_t)FX_ME, "touid", (json_int_t)2002, "thread_id", (json_int_t)77,
                      "chat_datas"));
    const app_thread_t *t = app_model_view(m).open;
    CHECK_INT(t->msgs[0].state, APP_MSG_FAILED);
    CHECK(strstr(app_model_view(m).notice, "not friends") != NULL, "notice");
    CHECK_INT(app_model_view(m).notice_error, 1);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_RESEND, .index = 0});
    CHECK_INT(t->msgs[0].state, APP_MSG_SENDING);
    CHECK_INT(fx_count(m, USCHAT_ID_TEXT_CHAT_REQ), 1);
    /* a long text goes out in pieces of at most 4096 bytes */
    size_t big = 4096 * 2 + 100;
    char *text = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    text[big] = '\0';
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = text}), 0);
    free(text);
    CHECK_INT(fx_count(m, USCHAT_ID_TEXT_CHAT_REQ), 3);
    app_model_destroy(&m);
}

/* Forms: wrong fields are answered at once, the gate's codes become sentences, a registered
 * account goes back to the login form. */
static void test_forms(void)
{
    app_model_t *m = app_model_new(NULL);
    CHECK_STR(app_model_view(m).form_email, "");
    CHECK_INT(app_model_act(
                  m, &(app_act_t){.kind = APP_ACT_LOGIN, .email = "not-an-email", .passwd = "x"}),
              -1);
    CHECK(strstr(app_model_view(m).form_error, "email") != NULL, "%s",
          app_model_view(m).form_error);
    CHECK_INT(fx_drain(m), 0);
    CHECK_INT(app_model_act(
                  m, &(app_act_t){.kind = APP_ACT_LOGIN, .email = "a@b.c", .passwd = "wrong-pass"}),
              0);
    CHECK_INT(app_model_act(
                  m, &(app_act_t){.kind = APP_ACT_LOGIN, .email = "a@b.c", .passwd = "wrong-pass"}),
              -1); /* busy */
    CHECK_INT(fx_drain(m), 1);
    app_model_on_gate(m, APP_GATE_LOGIN, 0, USCHAT_ERR_PASSWD_INVALID, 0);
    CHECK_STR(app_model_view(m).form_error, "Wrong email or password.");
    CHECK_INT(app_model_view(m).busy, 0);
    CHECK_INT(app_model_view(m).conn, APP_CONN_OFFLINE);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGIN, .email = "a@b.c", .passwd = "x"});
    app_model_on_gate(m, APP_GATE_LOGIN, USCHAT_E_IO, 0, 0);
    CHECK(strstr(app_model_view(m).form_error, "Cannot reach") != NULL, "%s",
          app_model_view(m).form_error);
    fx_drain(m);

    app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_REGISTER);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE,
                                            .email = "new@example.com",
                                            .now_ms = 1000}),
              0);
    app_model_on_gate(m, APP_GATE_CODE, 0, 0, 1000);
    CHECK(strstr(app_model_view(m).form_info, "new@example.com") != NULL, "%s",
          app_model_view(m).form_info);
    CHECK_INT(app_model_code_wait(m, 31000), 30000);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE,
                                            .email = "new@example.com",
                                            .now_ms = 31000}),
              -1);
    CHECK_INT(s_register(m, "new@example.com", "12345", "neo", "secret1", "secret1"), -1);
    CHECK(strstr(app_model_view(m).form_error, "6 digits") != NULL, "%s",
          app_model_view(m).form_error);
    CHECK_INT(s_register(m, "new@example.com", "123456", "neo", "short", "short"), -1);
    CHECK_INT(s_register(m, "new@example.com", "123456", "neo", "secret1", "secret2"), -1);
    CHECK_STR(app_model_view(m).form_error, "The two passwords differ.");
    CHECK_INT(s_register(m, "new@example.com", "123456", "neo", "secret1", "secret1"), 0);
    fx_drain(m); /* the code request and the register */
    app_model_on_gate(m, APP_GATE_REGISTER, 0, USCHAT_ERR_CODE_WRONG, 0);
    CHECK_STR(app_model_view(m).form_error, "Wrong verification code.");
    CHECK_INT(s_register(m, "new@example.com", "123456", "neo", "secret1", "secret1"), 0);
    app_cmd_t *c = app_model_take_cmd(m);
    CHECK(c && c->op == APP_GATE_REGISTER, "register command");
    CHECK_STR(c->user, "neo");
    CHECK_STR(c->confirm, "secret1");
    app_cmd_destroy(&c);
    app_model_on_gate(m, APP_GATE_REGISTER, 0, 0, 0);
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_LOGIN);
    CHECK_STR(app_model_view(m).form_email, "new@example.com");
    CHECK(*app_model_view(m).form_info, "a success message");

    app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_RESET});
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_RESET,
                                            .email = "new@example.com",
                                            .code = "654321",
                                            .user = "neo",
                                            .passwd = "newsecret"}),
              0);
    fx_drain(m);
    app_model_on_gate(m, APP_GATE_RESET, 0, USCHAT_ERR_EMAIL_MISMATCH, 0);
    CHECK_STR(app_model_view(m).form_error, "The user name and email do not match.");
    app_model_destroy(&m);
}

/* Fields the gate would refuse without saying which: the form names the field and what is
 * wrong with it before anything goes out; a friend request that is already pending or already
 * accepted says so. */
static void test_fields(void)
{
    app_model_t *m = app_model_new(NULL);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
    CHECK_INT(
        app_model_act(m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE, .email = "", .now_ms = 1000}),
        -1);
    CHECK(strstr(app_model_view(m).form_error, "Enter your email address first") != NULL, "%s",
          app_model_view(m).form_error);
    const char *bad[] = {"ann@example",      "ann@@example.com", "ann@exa mple.com",
                         "an n@example.com", "ann@.example.com", "ann@example..com",
                         ".ann@example.com", "ann@-x.com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(
            app_model_act(
                m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE, .email = bad[i], .now_ms = 1000}),
            -1);
        CHECK(strstr(app_model_view(m).form_error, "not valid") != NULL, "%s: %s", bad[i],
              app_model_view(m).form_error);
    }
    CHECK_INT(fx_drain(m), 0);

    CHECK_INT(s_register(m, "new@example.com", "123456", "ann smith", "secret1", "secret1"), -1);
    CHECK_STR(app_model_view(m).form_error, "The user name cannot contain spaces.");
    CHECK_INT(s_register(m, "new@example.com", "123456", "ann-smith", "secret1", "secret1"), -1);
    CHECK(strstr(app_model_view(m).form_error, "user name may hold only") != NULL, "%s",
          app_model_view(m).form_error);
    CHECK_INT(
        s_register(m, "new@example.com", "123456", "ann\xF0\x9F\x98\x80", "secret1", "secret1"),
        -1); /* an emoji */
    CHECK_INT(fx_drain(m), 0);
    CHECK_INT(s_register(m, "new@example.com", "123456", "\xE5\xBC\xA0\xE4\xB8\x89_01", "secret1",
                         "secret1"),
              0); /* 张三_01 */
    CHECK_INT(fx_drain(m), 1);
    app_model_destroy(&m);

    /* 1019 / 1020 to a friend request: a sentence, not "unknown error" */
    const int codes[] = {USCHAT_ERR_PENDING, USCHAT_ERR_ALREADY_FRIENDS};
    const char *says[] = {"already waiting", "already friends"};
    for (int k = 0; k < 2; k++) {
        m = s_logged_in();
        fx_drain(m);
        app_model_act(m, &(app_act_t){.kind = APP_ACT_ADD_FRIEND, .id = 3005, .text = NULL});
        fx_drain(m);
        fx_feed(m, USCHAT_ID_ADD_FRIEND_RSP, json_pack("{si}", "error", codes[k]));
        CHECK_INT(app_model_view(m).apply_state, APP_APPLY_FAILED);
        const char *notice = app_model_view(m).notice;
        CHECK(notice && strstr(notice, says[k]) && !strstr(notice, "unknown"), "%d: %s", codes[k],
              notice ? notice : "(none)");
        app_model_destroy(&m);
    }
}

/* Friend requests both ways, and the search. */
static void test_friends(void)
{
    app_model_t *m = s_logged_in();
    fx_drain(m);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = " zed "});
    json_t *q = fx_take(m, USCHAT_ID_SEARCH_REQ);
    CHECK_STR(json_string_value(json_object_get(q, "uid")), "zed");
    json_decref(q);
    CHECK_INT(app_model_view(m).search_state, APP_SEARCH_BUSY);
    fx_feed(
        m, USCHAT_ID_SEARCH_RSP,
        json_pack("{sisIssss}", "error", 0, "uid", (json_int_t)3005, "name", "zed", "nick", "Zed"));
    CHECK_INT(app_model_view(m).search_state, APP_SEARCH_FOUND);
    CHECK_STR(app_model_view(m).search_result->nick, "Zed");
    app_model_act(m, &(app_act_t){.kind = APP_ACT_ADD_FRIEND, .id = 3005, .text = NULL});
    json_t *apply = fx_take(m, USCHAT_ID_ADD_FRIEND_REQ);
    CHECK_INT(json_integer_value(json_object_get(apply, "touid")), 3005);
    CHECK_STR(json_string_value(json_object_get(apply, "applyname")), "Hi, I'm Alice.");
    CHECK_STR(json_string_value(json_object_get(apply, "bakname")), "Zed");
    json_decref(apply);
    fx_feed(m, USCHAT_ID_ADD_FRIEND_RSP, json_pack("{si}", "error", 0));
    CHECK_INT(app_model_view(m).apply_state, APP_APPLY_SENT);
    /* Zed accepts: a friend and a thread that starts with my greeting and Zed's answer */
    fx_feed(
        m, USCHAT_ID_NOTIFY_AUTH_FRIEND,
        json_pack(
            "{sisIsIsssssssisIs[oo]}", "error", 0, "fromuid", (json_int_t)3005, "touid",
            (json_int_t)FX_ME, "name", "zed", "nick", "Zed", "icon", "", "sex", 0, "thread_id",
            (json_int_t)90, "chat_datas",
            fx_item(FX_ME, 9001, 1, "friends-90-1", "Hi, I'm Alice.", "2024-05-01 10:00:00"),
            fx_item(3005, 9002, 2, "friends-90-2", "We are friends now!", "2024-05-01 10:00:00")));
    CHECK(app_model_friend(m, 3005) != NULL, "Zed is a friend");
    const app_thread_t *zt = app_model_thread(m, 90);
    CHECK(zt && zt->peer == 3005, "thread 90");
    s_check_seqs(zt, (int64_t[]){1, 2}, 2);
    CHECK_STR(zt->msgs[0].content, "Hi, I'm Alice.");
    CHECK_INT(zt->msgs[0].sender, FX_ME);
    CHECK_STR(zt->msgs[1].content, "We are friends now!");
    CHECK_INT(zt->unread, 1);
    CHECK(strstr(app_model_view(m).notice, "accepted") != NULL, "notice");

    app_model_act(m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = "nobody"});
    fx_drain(m);
    fx_feed(m, USCHAT_ID_SEARCH_RSP, json_pack("{si}", "error", USCHAT_ERR_UID_INVALID));
    CHECK_INT(app_model_view(m).search_state, APP_SEARCH_NOT_FOUND);

    /* Erin asks me; I accept */
    fx_feed(m, USCHAT_ID_NOTIFY_ADD_FRIEND,
            json_pack("{sIsssssssssi}", "applyuid", (json_int_t)3006, "name", "erin", "desc",
                      "Hi, Erin here", "nick", "Erin", "icon", "", "sex", 1));
    CHECK_INT(app_model_view(m).napplies, 1);
    CHECK_INT(app_model_view(m).pending_applies, 1);
    CHECK_STR(app_model_view(m).applies[0].user.desc, "Hi, Erin here");
    app_model_act(m, &(app_act_t){.kind = APP_ACT_ACCEPT, .id = 3006});
    json_t *auth = fx_take(m, USCHAT_ID_AUTH_FRIEND_REQ);
    CHECK_INT(json_integer_value(json_object_get(auth, "touid")), 3006);
    json_decref(auth);
    CHECK_INT(app_model_view(m).applies[0].accepting, 1);
    fx_feed(
        m, USCHAT_ID_AUTH_FRIEND_RSP,
        json_pack(
            "{sisIsssssssisIs[oo]}", "error", 0, "uid", (json_int_t)3006, "name", "erin", "nick",
            "Erin", "icon", "", "sex", 1, "thread_id", (json_int_t)91, "chat_datas",
            fx_item(3006, 9101, 1, "friends-91-1", "Hi, Erin here", "2024-05-01 10:00:00"),
            fx_item(FX_ME, 9102, 2, "friends-91-2", "We are friends now!", "2024-05-01 10:00:00")));
    const app_thread_t *et = app_model_thread(m, 91);
    CHECK(et && et->nmsgs == 2, "thread 91 starts with two messages");
    CHECK_STR(et->msgs[0].content, "Hi, Erin here");
    CHECK_STR(et->msgs[1].content, "We are friends now!");
    CHECK_INT(app_model_view(m).applies[0].accepted, 1);
    CHECK_INT(app_model_view(m).pending_applies, 0);
    CHECK(app_model_friend(m, 3006) != NULL, "Erin is a friend");
    CHECK_INT(app_model_view(m).nfriends, 5);
    CHECK_STR(app_model_view(m).friends[0].nick, "Bob"); /* by name */
    app_model_destroy(&m);
}

/* Logged in elsewhere: back to the login form with the reason; late messages are ignored. */
static void test_kicked(void)
{
    app_model_t *m = s_logged_in();
    fx_drain(m);
    CHECK_STR(app_model_view(m).email_to_save, "alice@example.com");
    app_model_act(m, &(app_act_t){.kind = APP_ACT_EMAIL_SAVED});
    CHECK(app_model_view(m).email_to_save == NULL, "saved");
    fx_feed(m, USCHAT_ID_NOTIFY_OFFLINE, json_pack("{sI}", "uid", (json_int_t)FX_ME));
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_LOGIN);
    CHECK(strstr(app_model_view(m).form_error, "another device") != NULL, "%s",
          app_model_view(m).form_error);
    fx_push(m, 77, 2002, 1, 1, "late", "2024-05-01 10:00:00");
    CHECK_INT(app_model_view(m).nthreads, 0);
    /* a password changed elsewhere says so, not "another device" */
    app_model_destroy(&m);
    m = s_logged_in();
    fx_drain(m);
    fx_feed(
        m, USCHAT_ID_NOTIFY_OFFLINE,
        json_pack("{sisIss}", "error", 0, "uid", (json_int_t)FX_ME, "reason", "password_reset"));
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_LOGIN);
    CHECK(strstr(app_model_view(m).form_error, "password was changed") != NULL, "%s",
          app_model_view(m).form_error);
    CHECK_INT(app_model_view(m).nfriends, 0);
    CHECK_STR(app_model_view(m).form_email, "alice@example.com");
    /* logging out drops queued commands and queues the logout */
    fx_login(m, 0, NULL);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = "x"});
    app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGOUT});
    app_cmd_t *c = app_model_take_cmd(m);
    CHECK(c && c->kind == APP_CMD_LOGOUT, "logout is the only command");
    app_cmd_destroy(&c);
    CHECK(app_model_take_cmd(m) == NULL, "nothing after it");
    app_model_destroy(&m);
}

/* Settings: the gate URL's order (--gate, USCHAT_GATE_URL, stack.env), the remembered email
 * in $XDG_CONFIG_HOME/uschat (and nothing else there). */
static void test_config(void)
{
    char dir[200], path[256], url[256];
    const char *tmp = getenv("TEMP");
    snprintf(dir, sizeof dir, "%s/uschat-sdl-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL, "tmpdir");
    snprintf(path, sizeof path, "%s/run", dir);
    CHECK(mkdir(path, 0700) == 0, "mkdir");
    snprintf(path, sizeof path, "%s/run/stack.env", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "stack.env");
    fprintf(f, "BROKER_ENDPOINT=tcp://127.0.0.1:15570\nGATE_URL=http://127.0.0.1:9181\n");
    fclose(f);
    setenv("USCHAT_VAR_DIR", dir, 1);
    unsetenv("USCHAT_GATE_URL");
    char *argv0[] = {"uschat-client", NULL};
    CHECK_INT(app_config_gate_url(1, argv0, url, sizeof url), 0);
    CHECK_STR(url, "http://127.0.0.1:9181");
    setenv("USCHAT_GATE_URL", "http://gate.example:8080", 1);
    CHECK_INT(app_config_gate_url(1, argv0, url, sizeof url), 0);
    CHECK_STR(url, "http://gate.example:8080");
    char *argv1[] = {"uschat-client", "--gate", "http://10.0.0.1:8080", NULL};
    CHECK_INT(app_config_gate_url(3, argv1, url, sizeof url), 0);
    CHECK_STR(url, "http://10.0.0.1:8080");
    char *argv2[] = {"uschat-client", "--gate=http://10.0.0.2:8080", NULL};
    CHECK_INT(app_config_gate_url(2, argv2, url, sizeof url), 0);
    CHECK_STR(url, "http://10.0.0.2:8080");
    char *argv3[] = {"uschat-client", "--gate", NULL};
    CHECK_INT(app_config_gate_url(2, argv3, url, sizeof url), -1);
    unsetenv("USCHAT_GATE_URL");
    unsetenv("USCHAT_VAR_DIR");

    snprintf(path, sizeof path, "%s/xdg", dir);
    setenv(CONFIG_HOME_VAR, path, 1);
    CHECK(app_config_load_email() == NULL, "nothing remembered yet");
    CHECK_INT(app_config_save_email("alice@example.com"), 0);
    CHECK_INT(app_config_save_email("bob@example.com"), 0);
    char *email = app_config_load_email();
    CHECK_STR(email, "bob@example.com");
    free(email);
    snprintf(path, sizeof path, "%s/xdg/uschat", dir);
    DIR *d = opendir(path);
    CHECK(d != NULL, "settings folder made");
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        files += e->d_name[0] != '.';
    closedir(d);
    CHECK_INT(files, 1); /* last_email only: no password, no token */
    app_font_spec_t fonts[4];
    setenv("USCHAT_FONT", "/nonexistent.ttf", 1);
    size_t n = app_config_fonts(fonts, 4);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(fonts[i].path, "/nonexistent.ttf") != 0, "missing fonts are not offered");
    unsetenv("USCHAT_FONT");
    char cmd[300];
#ifdef _WIN32
    for (char *c = dir; *c; c++)
        *c = *c == '/' ? '\\' : *c; /* cmd's rmdir takes a / for an option */
    snprintf(cmd, sizeof cmd, "rmdir /s /q \"%s\"", dir);
#else
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
#endif
    CHECK_INT(system(cmd), 0);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {{"order", test_order},
                 {"dedup", test_dedup},
                 {"unread", test_unread},
                 {"list_order", test_list_order},
                 {"reconnect", test_reconnect},
                 {"failed_send", test_failed_send},
                 {"forms", test_forms},
                 {"friends", test_friends},
                 {"kicked", test_kicked},
                 {"config", test_config},
                 {"gap", test_gap},
                 {"fields", test_fields}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            printf("ok %s\n", cases[i].name);
        }
    }
    return 0;
}
