/* model_fixture.c - known model states for the desktop client's tests (model_fixture.h). */
#include "model_fixture.h"

#include "check.h"
#include "uschat_client.h"

void fx_feed(app_model_t *m, uint16_t id, json_t *body)
{
    CHECK(body != NULL, "fixture body for %u did not build", id);
    app_model_on_message(m, id, body);
    json_decref(body);
}

void fx_login(app_model_t *m, size_t nfriends, const fx_user_t *friends)
{
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGIN,
                                            .email = "alice@example.com",
                                            .passwd = "secret-pass"}),
              0);
    CHECK_INT(app_model_view(m).busy, 1);
    app_cmd_t *c = app_model_take_cmd(m);
    CHECK(c && c->kind == APP_CMD_GATE && c->op == APP_GATE_LOGIN, "no gate login queued");
    CHECK_STR(c->passwd, "secret-pass");
    app_cmd_destroy(&c);
    app_model_on_gate(m, APP_GATE_LOGIN, 0, 0, 0);
    app_model_on_conn(m, APP_CONN_CONNECTING, 0, 0, 0);
    json_t *list = json_array();
    for (size_t i = 0; i < nfriends; i++)
        json_array_append_new(list, json_pack("{sIsssssssissss}", "uid", (json_int_t)friends[i].uid,
                                              "name", friends[i].name, "nick", friends[i].nick,
                                              "icon", "", "sex", 0, "desc", "", "back", ""));
    fx_feed(m, USCHAT_ID_LOGIN_RSP,
            json_pack("{sisIsssssssssssisos[]}", "error", 0, "uid", (json_int_t)FX_ME, "name",
                      "alice", "email", "alice@example.com", "nick", "Alice", "desc", "", "icon",
                      "", "sex", 0, "friend_list", list, "apply_list"));
    app_model_on_conn(m, APP_CONN_ONLINE, 0, 0, 0);
}

json_t *fx_item(int64_t sender, int64_t msg_id, int64_t seq, const char *unique_id,
                const char *content, const char *chat_time)
{
    return json_pack("{sIsIsIsssssssi}", "sender", (json_int_t)sender, "msg_id", (json_int_t)msg_id,
                     "seq", (json_int_t)seq, "unique_id", unique_id, "msg_content", content,
                     "chat_time", chat_time, "status", 0);
}

void fx_push(app_model_t *m, int64_t thread, int64_t peer, int64_t msg_id, int64_t seq,
             const char *content, const char *chat_time)
{
    char uid[48];
    snprintf(uid, sizeof uid, "%lld-push-%lld", (long long)peer, (long long)seq);
    fx_feed(m, USCHAT_ID_NOTIFY_TEXT_CHAT,
            json_pack("{sisIsIsIs[{sIsIsssssssi}]}", "error", 0, "fromuid", (json_int_t)peer,
                      "touid", (json_int_t)FX_ME, "thread_id", (json_int_t)thread, "chat_datas",
                      "message_id", (json_int_t)msg_id, "seq", (json_int_t)seq, "unique_id", uid,
                      "content", content, "chat_time", chat_time, "status", 0));
}

json_t *fx_thread(int64_t thread, int64_t peer, int64_t last_seq, int64_t unread,
                  const char *last_content, const char *last_time)
{
    json_t *t = json_pack("{sIsisIsIsIsI}", "thread_id", (json_int_t)thread, "type", 0, "user1_id",
                          (json_int_t)(peer < FX_ME ? peer : FX_ME), "user2_id",
                          (json_int_t)(peer < FX_ME ? FX_ME : peer), "last_seq",
                          (json_int_t)last_seq, "unread", (json_int_t)unread);
    if (last_content)
        json_object_set_new(t, "last_msg",
                            json_pack("{sIsIsIssss}", "msg_id",
                                      (json_int_t)(thread * 100 + last_seq), "sender",
                                      (json_int_t)peer, "seq", (json_int_t)last_seq, "msg_content",
                                      last_content, "chat_time", last_time));
    else
        json_object_set_new(t, "last_msg", json_null());
    return t;
}

int fx_drain(app_model_t *m)
{
    int n = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        app_cmd_destroy(&c);
        n++;
    }
    return n;
}

json_t *fx_take(app_model_t *m, uint16_t id)
{
    json_t *found = NULL;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        if (!found && c->kind == APP_CMD_CHAT && c->id == id)
            found = json_incref(c->body);
        app_cmd_destroy(&c);
    }
    return found;
}

int fx_count(app_model_t *m, uint16_t id)
{
    int n = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        n += c->kind == APP_CMD_CHAT && c->id == id;
        app_cmd_destroy(&c);
    }
    return n;
}

void fx_user_acts(app_model_t *m, unsigned what, unsigned arg)
{
    switch (what % 10) {
    case 0:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = (int64_t)(arg % 12)});
        break;
    case 1:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "hello"});
        break;
    case 2:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_MARK_READ});
        break;
    case 3:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_LOAD_OLDER});
        break;
    case 4:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = 2000 + (int64_t)(arg % 5)});
        break;
    default:
        break;
    }
    fx_drain(m);
}
