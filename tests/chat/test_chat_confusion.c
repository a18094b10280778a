/* test_chat_confusion.c - every request field of every request id, given values of every JSON
 * type (null, booleans, negative, fractional, huge and out-of-range numbers, strings that are
 * and are not numbers, arrays, objects, text items of the wrong shape), against the real stack
 * (chat_stack.h): each request gets its reply on its reply id, the connection stays up, and
 * the node goes on serving both users. Under the test build's sanitizers, a field read the
 * wrong way (a borrowed value used after its body was freed, a type assumed) fails here.
 *
 * Run by CTest as `test_chat_confusion`, one process and one stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define WAIT_MS 20000

static const char *const s_env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", NULL};

/* Values of every JSON type; "@A", "@B" and "@T" stand for alice's uid, bob's and their
 * thread. */
static const char *const s_values[] = {"null",
                                       "true",
                                       "false",
                                       "-1",
                                       "0",
                                       "1.5",
                                       "1e308",
                                       "18446744073709551616",
                                       "-9223372036854775808",
                                       "\"\"",
                                       "\"abc\"",
                                       "\"-1\"",
                                       "\"99999999999999999999\"",
                                       "\"é中😀\"",
                                       "[]",
                                       "{}",
                                       "[1,2]",
                                       "{\"a\":1}",
                                       "[{\"content\":5,\"unique_id\":7}]",
                                       "[{}]",
                                       "[{\"content\":\"x\"}]",
                                       "[{\"content\":\"\",\"unique_id\":\"\"}]",
                                       "@A",
                                       "@B",
                                       "@T"};

typedef struct {
    uint16_t id;
    const char *fields[4]; /* each with its valid value, "name=value", NULL-terminated */
} request_t;

static const request_t s_requests[] = {
    {USCHAT_ID_SEARCH_REQ, {"uid=\"bob\""}},
    {USCHAT_ID_ADD_FRIEND_REQ, {"touid=@B", "applyname=\"hi\"", "bakname=\"b\""}},
    {USCHAT_ID_AUTH_FRIEND_REQ, {"touid=@B", "back=\"b\""}},
    {USCHAT_ID_TEXT_CHAT_REQ,
     {"touid=@B", "thread_id=@T", "text_array=[{\"content\":\"hi\",\"unique_id\":\"@U\"}]"}},
    {USCHAT_ID_HEARTBEAT_REQ, {"fromuid=@A"}},
    {USCHAT_ID_THREAD_LIST_REQ, {"thread_id=0"}},
    {USCHAT_ID_CREATE_PRIVATE_REQ, {"other_id=@B"}},
    {USCHAT_ID_LOAD_CHAT_REQ, {"thread_id=@T", "message_id=0", "before=true"}},
    {USCHAT_ID_SYNC_REQ, {"thread_id=@T", "after_seq=0", "limit=10"}},
    {USCHAT_ID_READ_MARK_REQ, {"thread_id=@T", "seq=0"}},
    /* groups: @T stands for a group id too (one of those the creates made, or none) */
    {USCHAT_ID_GROUP_CREATE_REQ, {"name=\"g\"", "members=[{\"uid\":@B}]"}},
    {USCHAT_ID_GROUP_INVITE_REQ, {"group_id=@T", "members=[{\"uid\":@B}]"}},
    {USCHAT_ID_GROUP_LEAVE_REQ, {"group_id=@T"}},
    {USCHAT_ID_GROUP_REMOVE_REQ, {"group_id=@T", "member=@B"}},
    {USCHAT_ID_GROUP_SET_ADMIN_REQ, {"group_id=@T", "member=@B", "on=true"}},
    {USCHAT_ID_GROUP_TRANSFER_REQ, {"group_id=@T", "member=@B"}},
    {USCHAT_ID_GROUP_RENAME_REQ, {"group_id=@T", "name=\"n\""}},
    {USCHAT_ID_GROUP_ANNOUNCE_REQ, {"group_id=@T", "announcement=\"a\""}},
    {USCHAT_ID_GROUP_MUTE_REQ, {"group_id=@T", "member=@B", "until=0"}},
    {USCHAT_ID_GROUP_MUTE_ALL_REQ, {"group_id=@T", "on=false"}},
    {USCHAT_ID_GROUP_INVITE_POLICY_REQ, {"group_id=@T", "on=true"}},
    {USCHAT_ID_GROUP_LIST_REQ, {"group_id=0"}},
    {USCHAT_ID_GROUP_TEXT_REQ,
     {"group_id=@T", "text_array=[{\"content\":\"hi\",\"unique_id\":\"@U\"}]"}},
    {USCHAT_ID_GROUP_SYNC_REQ, {"group_id=@T", "after_seq=0", "limit=10"}},
    {USCHAT_ID_GROUP_READ_REQ, {"group_id=@T", "seq=1"}},
    {USCHAT_ID_GROUP_MEMBERS_REQ, {"group_id=@T", "uid=0"}},
    {USCHAT_ID_GROUP_DISSOLVE_REQ, {"group_id=@T"}},
};

typedef struct {
    int64_t alice, bob, thread;
    int sent;
} ctx_t;

/* Appends value to out, with @A/@B/@T/@U replaced. */
static void s_put_value(char *out, size_t cap, const char *value, const ctx_t *c)
{
    size_t len = strlen(out);
    for (const char *p = value; *p && len + 32 < cap; p++) {
        if (p[0] == '@' && (p[1] == 'A' || p[1] == 'B' || p[1] == 'T' || p[1] == 'U')) {
            long long v = p[1] == 'A'   ? c->alice
                          : p[1] == 'B' ? c->bob
                          : p[1] == 'T' ? c->thread
                                        : c->sent;
            len += (size_t)snprintf(out + len, cap - len, p[1] == 'U' ? "c%lld" : "%lld", v);
            p++;
        } else {
            out[len++] = *p;
            out[len] = '\0';
        }
    }
}

/* The body of request r with its field number `which` set to value (the others valid). */
static void s_body(char *out, size_t cap, const request_t *r, int which, const char *value,
                   const ctx_t *c)
{
    snprintf(out, cap, "{");
    for (int i = 0; i < 4 && r->fields[i]; i++) {
        const char *eq = strchr(r->fields[i], '=');
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s\"%.*s\":", i ? "," : "", (int)(eq - r->fields[i]),
                 r->fields[i]);
        s_put_value(out, cap, i == which ? value : eq + 1, c);
    }
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "}");
}

/* Sends one raw request and waits for its reply id (pushes in between are skipped). Returns
 * the reply's error code. */
static int s_exchange(uschat_session_t *s, uint16_t id, const char *body)
{
    size_t len = strlen(body);
    uint8_t frame[4096];
    CHECK(len + 4 <= sizeof frame, "body too long for the test");
    frame[0] = (uint8_t)(id >> 8);
    frame[1] = (uint8_t)id;
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    memcpy(frame + 4, body, len);
    CHECK(uschat_session_send_bytes(s, frame, len + 4) == 0, "send %u %s", id, body);
    for (;;) {
        uint16_t got = 0;
        json_t *reply = NULL;
        int rc = uschat_session_next(s, WAIT_MS, &got, &reply);
        CHECK(rc == 0, "no reply to %u %s: %s", id, body, uschat_strerror(rc));
        if (got == uschat_reply_id(id)) {
            int error = (int)json_integer_value(json_object_get(reply, "error"));
            json_decref(reply);
            return error;
        }
        json_decref(reply);
    }
}

int main(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatconfusion", s_env);
    ctx_t c = {.alice = p.alice, .bob = p.bob, .thread = p.thread};

    int answered = 0, refused = 0;
    size_t nvalues = sizeof s_values / sizeof s_values[0];
    for (size_t r = 0; r < sizeof s_requests / sizeof s_requests[0]; r++) {
        const request_t *req = &s_requests[r];
        /* -1: the request as it should be, then each field with each value */
        for (int which = -1; which < 4 && (which < 0 || req->fields[which]); which++) {
            for (size_t v = 0; v < (which < 0 ? 1 : nvalues); v++) {
                char body[2048];
                c.sent++;
                s_body(body, sizeof body, req, which, which < 0 ? "" : s_values[v], &c);
                int error = s_exchange(p.a, req->id, body);
                answered++;
                refused += error != 0;
            }
        }
    }
    /* both users are still served, on both nodes */
    int error = -1;
    CHECK(uschat_session_heartbeat(p.a, c.alice, WAIT_MS, &error) == 0 && error == 0, "alice");
    CHECK(uschat_session_heartbeat(p.b, c.bob, WAIT_MS, &error) == 0 && error == 0, "bob");
    printf("confusion: %d requests of %zu kinds answered on their reply ids (%d refused); both "
           "users still served\n",
           answered, sizeof s_requests / sizeof s_requests[0], refused);
    chat_pair_stop(&p);
    return CHECK_DONE();
}
