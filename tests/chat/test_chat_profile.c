/* test_chat_profile.c - a user changes the own profile (1086) against the real stack: the
 * answer carries what was stored, a friend online on the other node gets the push (1088), a
 * friend's next login lists the new nick, and every wrong field is refused with the code that
 * names it while the stored profile stays as it was.
 *
 * Also the log out (1089) that revokes the login token, and what a user does to a friendship:
 * a remark name (1091), removing a friend (1093, 1095), declining a request with its greeting
 * (1096, 1098).
 *
 * Cases (argv[1]): update, badinput, logout, remark, remove, decline. Main thread only; the stack's
 * processes are stopped at exit by the support library.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "chat_stack.h"
#include "check.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"
#include "uschat/client_proto.h"

#define REQ(f) USCHAT_FIELD(UPDATE_PROFILE_REQ, f)
#define RSP(f) USCHAT_FIELD(UPDATE_PROFILE_RSP, f)

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int64_t s_int(const json_t *obj, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(obj, key));
}

/* The friend uid in the friend list of a 1006, or NULL. */
static json_t *s_friend(json_t *login, int64_t uid)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(login, USCHAT_FIELD(LOGIN_RSP, friend_list)), i, f)
    {
        if (s_int(f, USCHAT_FIELD(FRIEND_ITEM, uid)) == uid)
            return f;
    }
    return NULL;
}

static void s_case_update(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "profile", NULL);
    json_t *rsp = NULL;
    int error = chat_stack_request(
        p.a, USCHAT_ID_UPDATE_PROFILE_REQ,
        json_pack("{sssiss}", REQ(nick), "爱丽丝 Alice", REQ(sex), 2, REQ(desc), "写代码的"), &rsp);
    CHECK_INT(error, 0);
    CHECK_STR(s_str(rsp, RSP(nick)), "爱丽丝 Alice");
    CHECK_INT(s_int(rsp, RSP(sex)), 2);
    CHECK_STR(s_str(rsp, RSP(desc)), "写代码的");
    CHECK_INT(s_int(rsp, RSP(uid)), p.alice);
    json_decref(rsp);

    /* bob, online on the other node, is told at once */
    json_t *push = chat_stack_wait(p.b, USCHAT_ID_NOTIFY_PROFILE);
    CHECK(push, "bob gets 1088");
    CHECK_INT(s_int(push, USCHAT_FIELD(NOTIFY_PROFILE, uid)), p.alice);
    CHECK_STR(s_str(push, USCHAT_FIELD(NOTIFY_PROFILE, nick)), "爱丽丝 Alice");
    json_decref(push);

    /* only the nick: sex and description stay */
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_UPDATE_PROFILE_REQ,
                                 json_pack("{ss}", REQ(nick), "Ally"), &rsp),
              0);
    CHECK_STR(s_str(rsp, RSP(nick)), "Ally");
    CHECK_INT(s_int(rsp, RSP(sex)), 2);
    CHECK_STR(s_str(rsp, RSP(desc)), "写代码的");
    json_decref(rsp);

    /* bob logs in again: his friend list has the new profile */
    char token[128];
    chat_stack_token(p.st, p.bob, token, NULL);
    json_t *login = NULL;
    uschat_session_t *b2 = chat_stack_login(p.st, 0, p.bob, token, &login);
    json_t *f = s_friend(login, p.alice);
    CHECK(f, "alice in bob's friend list");
    CHECK_STR(s_str(f, USCHAT_FIELD(FRIEND_ITEM, nick)), "Ally");
    CHECK_INT(s_int(f, USCHAT_FIELD(FRIEND_ITEM, sex)), 2);
    CHECK_STR(s_str(f, USCHAT_FIELD(FRIEND_ITEM, desc)), "写代码的");
    json_decref(login);
    uschat_session_destroy(&b2);
    chat_pair_stop(&p);
}

/* A log out revokes the token: logging in with it again is refused (1010), as a client's kept
 * "remember me" token is; a token from the gate afterwards works. */
static void s_case_logout(void)
{
    chat_stack_t *st = chat_stack_start("logout", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    char token[128];
    chat_stack_token(st, alice, token, NULL);
    uschat_session_t *a = chat_stack_login(st, 0, alice, token, NULL);
    CHECK_INT(chat_stack_request(a, USCHAT_ID_LOGOUT_REQ, json_object(), NULL), 0);
    uschat_session_destroy(&a);
    for (int node = 0; node < CHAT_STACK_NODES; node++) {
        uschat_session_t *s = chat_stack_connect(st, node);
        CHECK_INT(
            chat_stack_request(s, USCHAT_ID_LOGIN_REQ,
                               json_pack("{sIss}", USCHAT_FIELD(LOGIN_REQ, uid), (json_int_t)alice,
                                         USCHAT_FIELD(LOGIN_REQ, token), token),
                               NULL),
            USCHAT_ERR_TOKEN_INVALID);
        uschat_session_destroy(&s);
    }
    /* before login: refused as any request */
    uschat_session_t *s = chat_stack_connect(st, 0);
    CHECK_INT(chat_stack_request(s, USCHAT_ID_LOGOUT_REQ, json_object(), NULL),
              USCHAT_ERR_NOT_LOGGED_IN);
    uschat_session_destroy(&s);
    chat_stack_token(st, alice, token, NULL);
    a = chat_stack_login(st, 1, alice, token, NULL);
    uschat_session_destroy(&a);
    chat_stack_stop(&st);
}

static void s_case_badinput(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "profilebad", NULL);
    char long_nick[4 * 65 + 1] = "";
    for (int i = 0; i < 65; i++)
        strcat(long_nick, "长");
    char long_desc[257];
    memset(long_desc, 'd', 256);
    long_desc[256] = 0;
    struct {
        json_t *body;
        int error;
        const char *why;
    } cases[] = {
        {json_object(), USCHAT_ERR_JSON, "nothing to change"},
        {json_pack("{ss}", REQ(nick), ""), USCHAT_ERR_OUT_OF_RANGE, "empty nick"},
        {json_pack("{ss}", REQ(nick), "   "), USCHAT_ERR_OUT_OF_RANGE, "blank nick"},
        {json_pack("{ss}", REQ(nick), long_nick), USCHAT_ERR_OUT_OF_RANGE, "65 characters"},
        {json_pack("{si}", REQ(nick), 5), USCHAT_ERR_JSON, "nick a number"},
        {json_pack("{si}", REQ(sex), 3), USCHAT_ERR_OUT_OF_RANGE, "sex 3"},
        {json_pack("{si}", REQ(sex), -1), USCHAT_ERR_OUT_OF_RANGE, "sex -1"},
        {json_pack("{ss}", REQ(sex), "1"), USCHAT_ERR_JSON, "sex a string"},
        {json_pack("{ss}", REQ(desc), long_desc), USCHAT_ERR_OUT_OF_RANGE, "desc 256"},
        {json_pack("{sssI}", REQ(nick), "x", "uid", (json_int_t)p.bob), USCHAT_ERR_UID_INVALID,
         "another user's uid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(chat_stack_request(p.a, USCHAT_ID_UPDATE_PROFILE_REQ, cases[i].body, NULL) ==
                  cases[i].error,
              "%s: %d", cases[i].why, cases[i].error);
    /* 64 CJK characters are fine (characters, not bytes) */
    long_nick[3 * 64] = 0;
    json_t *rsp = NULL;
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_UPDATE_PROFILE_REQ,
                                 json_pack("{ss}", REQ(nick), long_nick), &rsp),
              0);
    CHECK_STR(s_str(rsp, RSP(nick)), long_nick);
    json_decref(rsp);
    /* the node still serves */
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_HEARTBEAT_REQ, json_object(), NULL), 0);
    chat_pair_stop(&p);
}

#define TOUID(SHAPE) USCHAT_FIELD(SHAPE, touid)

/* 1091 alice -> uid with back; the reply's error. */
static int s_remark(chat_pair_t *p, int64_t uid, const char *back)
{
    return chat_stack_request(p->a, USCHAT_ID_SET_REMARK_REQ,
                              json_pack("{sIss}", TOUID(SET_REMARK_REQ), (json_int_t)uid,
                                        USCHAT_FIELD(SET_REMARK_REQ, back), back),
                              NULL);
}

/* A remark name: stored, in the next friend list; only for a friend, within 64 characters. */
static void s_case_remark(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "remark", NULL);
    CHECK_INT(s_remark(&p, p.bob, "老板 Bob"), 0);
    CHECK_INT(s_remark(&p, p.alice, "me"), USCHAT_ERR_OUT_OF_RANGE);
    int64_t carol = chat_stack_user(p.st, "carol");
    CHECK_INT(s_remark(&p, carol, "stranger"), USCHAT_ERR_NOT_FRIENDS);
    char long_back[66];
    memset(long_back, 'x', 65);
    long_back[65] = 0;
    CHECK_INT(s_remark(&p, p.bob, long_back), USCHAT_ERR_OUT_OF_RANGE);
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_SET_REMARK_REQ,
                                 json_pack("{sI}", TOUID(SET_REMARK_REQ), (json_int_t)p.bob), NULL),
              USCHAT_ERR_JSON);
    char token[128];
    chat_stack_token(p.st, p.alice, token, NULL);
    json_t *login = NULL;
    uschat_session_destroy(&p.a);
    p.a = chat_stack_login(p.st, 0, p.alice, token, &login);
    json_t *f = s_friend(login, p.bob);
    CHECK(f, "bob in the list");
    CHECK_STR(s_str(f, USCHAT_FIELD(FRIEND_ITEM, back)), "老板 Bob");
    json_decref(login);
    chat_pair_stop(&p);
}

/* Removing a friend: both lists lose it, the other one is told, texts are refused with 1016,
 * the history stays readable; asking and accepting again makes them friends in the same
 * thread. */
static void s_case_remove(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "remove", NULL);
    json_t *rsp = NULL;
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_REMOVE_FRIEND_REQ,
                                 json_pack("{sI}", TOUID(REMOVE_FRIEND_REQ), (json_int_t)p.bob),
                                 &rsp),
              0);
    CHECK_INT(s_int(rsp, USCHAT_FIELD(REMOVE_FRIEND_RSP, uid)), p.bob);
    json_decref(rsp);
    json_t *push = chat_stack_wait(p.b, USCHAT_ID_NOTIFY_REMOVE_FRIEND);
    CHECK(push, "bob is told");
    CHECK_INT(s_int(push, USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, uid)), p.alice);
    CHECK_STR(s_str(push, USCHAT_FIELD(NOTIFY_REMOVE_FRIEND, name)), "alice");
    json_decref(push);
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_REMOVE_FRIEND_REQ,
                                 json_pack("{sI}", TOUID(REMOVE_FRIEND_REQ), (json_int_t)p.bob),
                                 NULL),
              USCHAT_ERR_NOT_FRIENDS);
    /* texts both ways refused, the history still there */
    uschat_text_t item = {"still there?", "rm-1"};
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_TEXT_CHAT_REQ,
                                 uschat_req_text_chat(p.bob, p.thread, &item, 1), NULL),
              USCHAT_ERR_NOT_FRIENDS);
    item.unique_id = "rm-2";
    CHECK_INT(chat_stack_request(p.b, USCHAT_ID_TEXT_CHAT_REQ,
                                 uschat_req_text_chat(p.alice, p.thread, &item, 1), NULL),
              USCHAT_ERR_NOT_FRIENDS);
    CHECK_INT(
        chat_stack_request(p.b, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(p.thread, 0), &rsp),
        0);
    CHECK_INT(json_array_size(json_object_get(rsp, USCHAT_FIELD(LOAD_CHAT_RSP, chat_datas))),
              CHAT_STACK_FIRST_SEQS);
    json_decref(rsp);
    /* bob's next friend list has no alice */
    char token[128];
    chat_stack_token(p.st, p.bob, token, NULL);
    json_t *login = NULL;
    uschat_session_destroy(&p.b);
    p.b = chat_stack_login(p.st, 1, p.bob, token, &login);
    CHECK(s_friend(login, p.alice) == NULL, "alice is gone from bob's list");
    json_decref(login);
    /* friends again: the same thread */
    CHECK_INT(chat_stack_befriend(p.a, p.alice, p.b, p.bob), p.thread);
    item.unique_id = "rm-3";
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_TEXT_CHAT_REQ,
                                 uschat_req_text_chat(p.bob, p.thread, &item, 1), NULL),
              0);
    chat_pair_stop(&p);
}

/* A request with its own greeting, declined: the applicant is told, the request is gone from
 * the next login, a second decline finds nothing, and a new request is possible. */
static void s_case_decline(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "decline", NULL);
    int64_t carol = chat_stack_user(p.st, "carol");
    char token[128];
    chat_stack_token(p.st, carol, token, NULL);
    uschat_session_t *c = chat_stack_login(p.st, 1, carol, token, NULL);
    CHECK_INT(chat_stack_request(c, USCHAT_ID_ADD_FRIEND_REQ,
                                 uschat_req_add_friend(p.alice, "读书会的 Carol，你好！", ""),
                                 NULL),
              0);
    json_t *ask = chat_stack_wait(p.a, USCHAT_ID_NOTIFY_ADD_FRIEND);
    CHECK(ask, "alice is asked");
    CHECK_STR(s_str(ask, USCHAT_FIELD(NOTIFY_ADD_FRIEND, desc)), "读书会的 Carol，你好！");
    json_decref(ask);
    json_t *decline = json_pack("{sI}", TOUID(DECLINE_FRIEND_REQ), (json_int_t)carol);
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_DECLINE_FRIEND_REQ, json_incref(decline), NULL), 0);
    json_t *told = chat_stack_wait(c, USCHAT_ID_NOTIFY_DECLINE_FRIEND);
    CHECK(told, "carol is told");
    CHECK_INT(s_int(told, USCHAT_FIELD(NOTIFY_DECLINE_FRIEND, uid)), p.alice);
    json_decref(told);
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_DECLINE_FRIEND_REQ, decline, NULL),
              USCHAT_ERR_UID_INVALID);
    CHECK_INT(chat_stack_request(p.a, USCHAT_ID_DECLINE_FRIEND_REQ,
                                 json_pack("{sI}", TOUID(DECLINE_FRIEND_REQ), (json_int_t)p.alice),
                                 NULL),
              USCHAT_ERR_OUT_OF_RANGE);
    chat_stack_token(p.st, p.alice, token, NULL);
    json_t *login = NULL;
    uschat_session_destroy(&p.a);
    p.a = chat_stack_login(p.st, 0, p.alice, token, &login);
    CHECK_INT(json_array_size(json_object_get(login, USCHAT_FIELD(LOGIN_RSP, apply_list))), 0);
    json_decref(login);
    CHECK_INT(chat_stack_request(c, USCHAT_ID_ADD_FRIEND_REQ,
                                 uschat_req_add_friend(p.alice, "Once more?", ""), NULL),
              0);
    uschat_session_destroy(&c);
    chat_pair_stop(&p);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "update") == 0)
        s_case_update();
    else if (strcmp(which, "badinput") == 0)
        s_case_badinput();
    else if (strcmp(which, "logout") == 0)
        s_case_logout();
    else if (strcmp(which, "remark") == 0)
        s_case_remark();
    else if (strcmp(which, "remove") == 0)
        s_case_remove();
    else if (strcmp(which, "decline") == 0)
        s_case_decline();
    else {
        fprintf(stderr, "usage: test_chat_profile update|badinput|logout|remark|remove|decline\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
