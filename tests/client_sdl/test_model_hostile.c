/* test_model_hostile.c - the desktop client's model fed what a broken or hostile server could
 * send: every server-to-client id with bodies of random shape (the protocol's field names with
 * values of every JSON type, lists of such, deep nesting, long and odd strings), interleaved
 * with the user's own actions, 10,000 rounds. Under the test build's sanitizers nothing may
 * crash, read out of bounds or leak, and afterwards a well-formed message is still shown as it
 * should be. Deterministic (a fixed seed); run by CTest as `test_client_sdl_model_hostile`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model_fixture.h"
#include "uschat_client.h"

static const char *const s_fields[] = {
    "error", "uid", "name", "nick", "icon", "sex", "desc", "back", "status", "email", "apply_list",
    "friend_list", "applyuid", "fromuid", "touid", "thread_id", "chat_datas", "message_id", "seq",
    "unique_id", "content", "chat_time", "sender", "msg_id", "msg_content", "threads", "load_more",
    "next_last_id", "last_seq", "unread", "last_msg", "type", "user1_id", "user2_id", "other_id",
    "last_message_id", "has_more", "reader", "token",
    /* groups */
    "group_id", "groups", "kind", "event", "op", "members", "member", "announcement", "role",
    "owner", "join_seq", "read_seq", "muted_until", "mute_all", "dissolved", "members_invite",
    "next_uid", "counts", "read", "until", "on"};
#define NFIELDS (sizeof s_fields / sizeof s_fields[0])

static const uint16_t s_ids[] = {
    USCHAT_ID_LOGIN_RSP, USCHAT_ID_SEARCH_RSP, USCHAT_ID_ADD_FRIEND_RSP,
    USCHAT_ID_NOTIFY_ADD_FRIEND, USCHAT_ID_AUTH_FRIEND_RSP, USCHAT_ID_NOTIFY_AUTH_FRIEND,
    USCHAT_ID_TEXT_CHAT_RSP, USCHAT_ID_NOTIFY_TEXT_CHAT, USCHAT_ID_NOTIFY_OFFLINE, 1024,
    USCHAT_ID_THREAD_LIST_RSP, USCHAT_ID_CREATE_PRIVATE_RSP, USCHAT_ID_LOAD_CHAT_RSP,
    USCHAT_ID_SYNC_RSP, USCHAT_ID_READ_MARK_RSP, USCHAT_ID_NOTIFY_READ, (USCHAT_ID_NOTIFY_READ + 1),
    0,
    /* groups */
    USCHAT_ID_GROUP_LIST_RSP, USCHAT_ID_GROUP_TEXT_RSP, USCHAT_ID_NOTIFY_GROUP_MSG,
    USCHAT_ID_GROUP_SYNC_RSP, USCHAT_ID_GROUP_MEMBERS_RSP, USCHAT_ID_GROUP_CREATE_RSP,
    USCHAT_ID_GROUP_OP_RSP, USCHAT_ID_GROUP_READ_COUNTS_RSP};
#define NIDS (sizeof s_ids / sizeof s_ids[0])

static uint64_t s_state = 0x2545F4914F6CDD1Dull;

static uint32_t s_rand(uint32_t n)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return n ? (uint32_t)(s_state % n) : 0;
}

static json_t *s_string(void)
{
    static const char *const pieces[] = {
        "a", "é", "中", "😀", "\n", "\"", " ", "\t", "2024-", "05-01 10:00:00", "", "9", "-"};
    size_t n = s_rand(50) == 0 ? 2000 + s_rand(4000) : s_rand(20);
    char *text = malloc(n * 16 + 1);
    CHECK(text, "memory");
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[s_rand(sizeof pieces / sizeof pieces[0])];
        memcpy(text + len, p, strlen(p));
        len += strlen(p);
    }
    text[len] = '\0';
    json_t *s = json_stringn(text, len);
    free(text);
    return s;
}

static json_t *s_value(int depth);

static json_t *s_object(int depth)
{
    json_t *obj = json_object();
    int n = (int)s_rand(12);
    for (int i = 0; i < n; i++)
        json_object_set_new(obj, s_fields[s_rand(NFIELDS)], s_value(depth + 1));
    return obj;
}

static json_t *s_value(int depth)
{
    static const json_int_t ints[] = {0,    1,    -1,        2,         7,        1001,
                                      1002, 2002, INT32_MAX, INT64_MAX, INT64_MIN};
    switch (s_rand(depth > 3 ? 6 : 9)) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(s_rand(2));
    case 2:
    case 3:
        return json_integer(s_rand(3) ? (json_int_t)s_rand(12) : ints[s_rand(11)]);
    case 4:
        return json_real(s_rand(2) ? 1.5 : -1e300);
    case 5:
        return s_string();
    case 6: {
        json_t *list = json_array();
        int n = (int)s_rand(s_rand(40) == 0 ? 300 : 6);
        for (int i = 0; i < n; i++)
            json_array_append_new(list, s_rand(3) ? s_object(depth + 1) : s_value(depth + 1));
        return list;
    }
    default:
        return s_object(depth);
    }
}

int main(void)
{
    const int rounds = 10000;
    app_model_t *m = app_model_new("alice@example.com");
    CHECK(m, "model");
    fx_login(m, 2, (fx_user_t[]){{2002, "bob", "Bob"}, {2003, "carol", "Carol"}});
    size_t groups = 0; /* rounds that ended with groups held (sessions end now and then) */
    for (int i = 0; i < rounds; i++) {
        uint16_t id = s_ids[s_rand(NIDS)];
        json_t *body = s_rand(10) ? s_object(0) : s_value(0);
        app_model_on_message(m, id, body);
        json_decref(body);
        for (size_t k = 0; k < app_model_chat_count(m); k++) /* the group paths taken too */
            groups += app_model_chat_at(m, k).thread && app_model_chat_at(m, k).thread->group;
        /* now and then, what the user does meanwhile */
        unsigned what = s_rand(10);
        fx_user_acts(m, what, s_rand(60));
        if (app_model_view(m).screen != APP_SCREEN_MAIN) /* a 1021 or a failed 1006 sent us out */
            fx_login(m, 1, (fx_user_t[]){{2002, "bob", "Bob"}});
    }
    /* still a working client: a well-formed push in a new thread is shown */
    fx_push(m, 9999, 2002, 999901, 1, "still here", "2024-05-01 10:00:00");
    const app_thread_t *t = app_model_thread(m, 9999);
    CHECK(t && t->nmsgs == 1 && strcmp(t->msgs[0].content, "still here") == 0,
          "the push after the noise");
    CHECK(groups > 0, "groups made of the noise");
    printf("hostile: %d messages of random shape (groups held in %zu rounds); the model still "
           "shows a good push\n",
           rounds, groups);
    app_model_destroy(&m);
    return CHECK_DONE();
}
