/* test_chat_profile.c - a user changes the own profile (1061) against the real stack: the
 * answer carries what was stored, a friend online on the other node gets the push (1063), a
 * friend's next login lists the new nick, and every wrong field is refused with the code that
 * names it while the stored profile stays as it was.
 *
 * Also the log out (1064) that revokes the login token.
 *
 * Cases (argv[1]): update, badinput, logout. Main thread only; the stack's processes are stopped at
 * exit by the support library.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "chat_stack.h"
#include "check.h"
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
    CHECK(push, "bob gets 1063");
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

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "update") == 0)
        s_case_update();
    else if (strcmp(which, "badinput") == 0)
        s_case_badinput();
    else if (strcmp(which, "logout") == 0)
        s_case_logout();
    else {
        fprintf(stderr, "usage: test_chat_profile update|badinput|logout\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
