/* test_model_group.c - the desktop client's model with groups, without SDL: my groups in the
 * chat list with the one-to-one threads by last message, events said as sentences and changing
 * what I may do, my texts kept across a reconnect and stored once, and each role's rights.
 *
 * Usage: test_client_sdl_model_group CASE (one CTest test per case).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "group_fixture.h"
#include "model_fixture.h"
#include "uschat_client.h"

static const fx_user_t s_friends[] = {{2002, "bob", "Bob"}, {2003, "carol", "Carol"}};

static app_model_t *s_logged_in(void)
{
    app_model_t *m = app_model_new("alice@example.com");
    CHECK(m != NULL, "model");
    fx_login(m, 2, s_friends);
    return m;
}

static const app_thread_t *s_group_thread(app_model_t *m, int64_t gid)
{
    const app_thread_t *t = app_model_thread(m, -gid);
    CHECK(t != NULL && t->group != NULL, "group %lld has a thread", (long long)gid);
    return t;
}

/* The login asks for the groups; they show in the chat list among the one-to-one threads by
 * their last message, with their unread counts and names. */
static void test_list(void)
{
    app_model_t *m = app_model_new("alice@example.com");
    fx_login(m, 2, s_friends);
    CHECK_INT(fx_count(m, USCHAT_ID_GROUP_LIST_REQ), 1);
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 3, 0, "hi", "2024-05-01 10:03:00")));
    fx_group_list(m,
                  json_pack("[oo]",
                            fx_group(5, "Climbing", 0, 3, 9, 4,
                                     fx_gtext(5, 9, 2003, "c9", "see you", "2024-05-01 11:00:00")),
                            fx_group(6, "Old group", 2, 2, 1, 0, NULL)));
    CHECK_INT(app_model_chat_count(m), 4); /* 2 groups, 1 thread, Carol without one */
    app_chat_row_t first = app_model_chat_at(m, 0);
    CHECK(first.thread && first.thread->group, "the newest is the group");
    CHECK_STR(app_model_display_name(m, first.peer_uid), "Climbing");
    CHECK_INT(first.thread->unread, 4);
    CHECK_STR(first.thread->preview, "see you");
    CHECK_INT(app_model_chat_at(m, 1).thread->thread_id, 77);
    CHECK_INT(app_model_view(m).unread_total, 4);
    app_model_destroy(&m);
}

/* Opening a group asks for its newest page and members; events are sentences with the names,
 * and change the group: renamed, muted until a time, removed. Others' pushes count as unread. */
static void test_events(void)
{
    app_model_t *m = s_logged_in();
    fx_group_list(m, json_pack("[o]", fx_group(5, "Climbing", 0, 3, 3, 0, NULL)));
    fx_drain(m);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -5});
    int syncs = 0, members = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_GROUP_SYNC_REQ) {
            syncs++;
            CHECK_INT(json_integer_value(json_object_get(c->body, "before_seq")), 4);
        }
        members += c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_GROUP_MEMBERS_REQ;
        app_cmd_destroy(&c);
    }
    CHECK_INT(syncs, 1);
    CHECK_INT(members, 1);
    fx_group_page(m, 5, 0,
                  json_pack("[ooo]",
                            fx_gevent(5, 1, 2002, "2024-05-01 10:00:00",
                                      json_pack("{sss[{sI}{sI}]ss}", "op", "create", "members",
                                                "uid", (json_int_t)FX_ME, "uid", (json_int_t)3001,
                                                "name", "Climbing")),
                            fx_gtext(5, 2, 3001, "d2", "hello all", "2024-05-01 10:01:00"),
                            fx_gtext(5, 3, FX_ME, "a3", "hi Dan", "2024-05-01 10:02:00")));
    const app_thread_t *t = s_group_thread(m, 5);
    CHECK_INT(t->nmsgs, 3);
    CHECK_INT(t->msgs[0].kind, USCHAT_MSG_EVENT);
    /* the page holds my text: how many read it is asked, and shown under it */
    json_t *ask = fx_take(m, USCHAT_ID_GROUP_READ_COUNTS_REQ);
    CHECK(ask != NULL, "1100 asked for my messages");
    CHECK_INT(json_integer_value(json_object_get(ask, "from_seq")), 3);
    CHECK_INT(json_integer_value(json_object_get(ask, "to_seq")), 3);
    json_decref(ask);
    fx_feed(m, USCHAT_ID_GROUP_READ_COUNTS_RSP,
            json_pack("{sisIs[{sIsI}]}", "error", 0, "group_id", (json_int_t)5, "counts", "seq",
                      (json_int_t)3, "read", (json_int_t)2));
    CHECK_INT(t->msgs[2].read_by, 2);
    CHECK_STR(t->msgs[0].content, "Bob created the group \"Climbing\" with you and User 3001");
    /* the member list brings Dan's name: the line is said again */
    fx_group_members(m, 5, 3, (int64_t[]){FX_ME, 2002, 3001},
                     (const char *const[]){"Alice", "Bob", "Dan"}, (int[]){0, 2, 0}, NULL);
    CHECK_STR(t->msgs[0].content, "Bob created the group \"Climbing\" with you and Dan");
    CHECK_STR(app_model_display_name(m, 3001), "Dan");
    /* pushes: Dan writes (unread), Bob renames and mutes me for an hour */
    int64_t until = (int64_t)time(NULL) + 3600;
    app_model_act(m, &(app_act_t){.kind = APP_ACT_CLOSE_CONVERSATION});
    fx_group_push(m, 5,
                  json_pack("[ooo]", fx_gtext(5, 4, 3001, "d4", "anyone?", "2024-05-01 10:03:00"),
                            fx_gevent(5, 5, 2002, "2024-05-01 10:04:00",
                                      json_pack("{ssss}", "op", "rename", "name", "Crag")),
                            fx_gevent(5, 6, 2002, "2024-05-01 10:05:00",
                                      json_pack("{sssIsI}", "op", "mute", "member",
                                                (json_int_t)FX_ME, "until", (json_int_t)until))));
    CHECK_INT(t->unread, 3);
    CHECK_STR(t->group->name, "Crag");
    CHECK_STR(t->msgs[4].content, "Bob renamed the group to \"Crag\"");
    CHECK(strncmp(t->msgs[5].content, "Bob muted you until ", 20) == 0, "mute line: %s",
          t->msgs[5].content);
    const char *locked = app_model_group_locked(m, t->group);
    CHECK(locked && strncmp(locked, "You are muted until", 19) == 0, "muted: %s",
          locked ? locked : "(null)");
    CHECK(!app_model_group_rights(m, t->group, NULL).send, "a muted member may not send");
    /* removed: read-only, said so */
    fx_group_push(m, 5,
                  json_pack("[o]", fx_gevent(5, 7, 2002, "2024-05-01 10:06:00",
                                             json_pack("{sssI}", "op", "remove", "member",
                                                       (json_int_t)FX_ME))));
    CHECK_STR(t->msgs[6].content, "Bob removed you");
    CHECK(t->group->removed, "removed");
    CHECK_STR(app_model_group_locked(m, t->group), "You are no longer a member of this group.");
    CHECK_INT(app_model_view(m).unread_total, 4);
    app_model_destroy(&m);
}

/* A text written while the connection is down is sent after the next login with the same
 * unique_id, the group is synced from its highest seq, and the ack replaces my copy: once. */
static void test_reconnect(void)
{
    app_model_t *m = s_logged_in();
    fx_group_list(m, json_pack("[o]", fx_group(5, "Climbing", 1, 3, 2, 0, NULL)));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -5});
    fx_group_page(m, 5, 0,
                  json_pack("[oo]", fx_gtext(5, 1, 2002, "b1", "one", "2024-05-01 10:00:00"),
                            fx_gtext(5, 2, 2002, "b2", "two", "2024-05-01 10:01:00")));
    fx_drain(m);
    app_model_on_conn(m, APP_CONN_RECONNECTING, 2000, USCHAT_E_CLOSED, 1000);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "while away"}), 0);
    json_t *first = fx_take(m, USCHAT_ID_GROUP_TEXT_REQ);
    CHECK(first != NULL, "the text is queued for the group");
    char unique[64];
    snprintf(unique, sizeof unique, "%s",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(first, "text_array"), 0), "unique_id")));
    json_decref(first);
    fx_feed(m, USCHAT_ID_LOGIN_RSP,
            json_pack("{sisIsssss[]s[]}", "error", 0, "uid", (json_int_t)FX_ME, "name", "alice",
                      "nick", "Alice", "friend_list", "apply_list"));
    int list = 0, sync = 0, text = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        list += c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_GROUP_LIST_REQ;
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_GROUP_SYNC_REQ) {
            sync++;
            CHECK_INT(json_integer_value(json_object_get(c->body, "after_seq")), 2);
        }
        if (c->kind == APP_CMD_CHAT && c->id == USCHAT_ID_GROUP_TEXT_REQ) {
            text++;
            json_t *it = json_array_get(json_object_get(c->body, "text_array"), 0);
            CHECK_STR(json_string_value(json_object_get(it, "unique_id")), unique);
        }
        app_cmd_destroy(&c);
    }
    CHECK_INT(list, 1);
    CHECK_INT(sync, 1);
    CHECK_INT(text, 1);
    /* the sync brought it (the first send did reach the server), then the ack comes too */
    json_t *stored = fx_gtext(5, 3, FX_ME, unique, "while away", "2024-05-01 10:02:00");
    fx_group_page(m, 5, 0, json_pack("[O]", stored));
    fx_group_ack(m, 5, json_pack("[o]", stored));
    const app_thread_t *t = s_group_thread(m, 5);
    CHECK_INT(t->nmsgs, 3);
    CHECK_INT(t->msgs[2].seq, 3);
    CHECK_INT(t->msgs[2].state, APP_MSG_SENT);
    CHECK_INT(t->unread, 0);
    /* a refused text: muted */
    app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "again"});
    fx_feed(m, USCHAT_ID_GROUP_TEXT_RSP,
            json_pack("{sisIs[]}", "error", USCHAT_ERR_GROUP_MUTED, "group_id", (json_int_t)5,
                      "chat_datas"));
    CHECK_INT(t->msgs[3].state, APP_MSG_FAILED);
    CHECK_STR(app_model_view(m).notice, "Message not sent: you are muted");
    app_model_destroy(&m);
}

/* What each role is offered: the owner everything but leaving, an admin plain members, a
 * member invites (while allowed) and leaves. */
static void test_rights(void)
{
    app_model_t *m = s_logged_in();
    fx_group_list(m, json_pack("[ooo]", fx_group(5, "Mine", 2, 3, 1, 0, NULL),
                               fx_group(6, "Admin", 1, 3, 1, 0, NULL),
                               fx_group(7, "Member", 0, 3, 1, 0, NULL)));
    app_member_t plain = {2003, "carol", "Carol", 0, 0, ""}, admin = {2002, "bob", "Bob", 1, 0, ""};
    app_group_rights_t r = app_model_group_rights(m, app_model_group(m, 5), &admin);
    CHECK(r.manage && r.admins && r.edit && r.policy && r.dissolve && r.invite && !r.leave &&
              r.send,
          "owner");
    r = app_model_group_rights(m, app_model_group(m, 6), &admin);
    CHECK(!r.manage && !r.admins && r.edit && !r.policy && !r.dissolve && r.leave,
          "admin over an admin");
    r = app_model_group_rights(m, app_model_group(m, 6), &plain);
    CHECK(r.manage, "admin over a member");
    r = app_model_group_rights(m, app_model_group(m, 7), &plain);
    CHECK(!r.manage && !r.edit && !r.policy && r.invite && r.leave && r.send, "member");
    /* the requests */
    fx_drain(m);
    CHECK_INT(
        app_model_act(
            m,
            &(app_act_t){.kind = APP_ACT_GROUP_MUTE, .id = 5, .member = 2003, .until = 1700000000}),
        0);
    json_t *mute = fx_take(m, USCHAT_ID_GROUP_MUTE_REQ);
    CHECK(mute != NULL, "1071 queued");
    CHECK_INT(json_integer_value(json_object_get(mute, "until")), 1700000000);
    json_decref(mute);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_GROUP_POLICY, .id = 5, .on = false}),
              0);
    json_t *policy = fx_take(m, USCHAT_ID_GROUP_INVITE_POLICY_REQ);
    CHECK(policy && json_is_false(json_object_get(policy, "on")), "1073 queued");
    CHECK_INT(json_integer_value(json_object_get(policy, "group_id")), 5);
    json_decref(policy);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_GROUP_CREATE,
                                            .text = "New",
                                            .ids = (int64_t[]){2002, 2003},
                                            .nids = 2}),
              0);
    json_t *create = fx_take(m, USCHAT_ID_GROUP_CREATE_REQ);
    CHECK(create != NULL, "1061 queued");
    CHECK_INT(json_array_size(json_object_get(create, "members")), 2);
    json_decref(create);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_GROUP_LEAVE, .id = 99}), -1);
    app_model_destroy(&m);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {{"list", test_list},
                 {"events", test_events},
                 {"reconnect", test_reconnect},
                 {"rights", test_rights}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            printf("ok %s\n", cases[i].name);
        }
    }
    return CHECK_DONE();
}
