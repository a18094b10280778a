/* test_chat_node.c - the chat node as a client sees it, against the real stack: broker,
 * status, two chat nodes (node1, node2), Redis and MariaDB (chat_stack.h). Clients are the
 * client library's sessions; only the malformed-frame cases write raw bytes (through the same
 * session, uschat_session_send_bytes).
 *
 * Run by CTest as `test_chat_node CASE`, one process (and one stack) per case:
 *   friends    users on different nodes find each other, request, accept; pushes cross the
 *              broker; asking twice, accepting twice, yourself, unknown uids change nothing;
 *              after logging in again both see the friendship, an offline user sees the
 *              request it got
 *   kick       a second login closes the first with 1021, across nodes and on one node;
 *              status's SESSION_KICK (password reset) closes the session and clears presence
 *   heartbeat  1023 keeps a connection alive; silence closes it and clears presence; a
 *              connection that never logs in is closed at its deadline
 *   presence   a killed client process: its presence is gone at once
 *   ttl        uip_<uid> has a TTL and is refreshed while the session lives; a session whose
 *              login was superseded without a kick reaching it is closed by the refresh
 *   badinput   every bad input of docs/protocol.md §2, answered as written, the node serving others
 *   rate       beyond the rate limit replies carry 1014; a sustained flood closes
 *   burst      the default bucket serves 900 requests back to back, then limits; a flood closes
 *   slowreader a client that does not read is closed at the send queue limit, node memory flat
 *   sigterm    SIGTERM: the node stops accepting, closes sessions, clears presence, leaves
 *              the broker, exits 0
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"
#include "uschat/message.h"

#define WAIT_MS 5000

#ifndef __has_feature
#define __has_feature(x) 0
#endif

static bool s_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
}

static int64_t s_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* The friend_list entry of uid in a 1006 body, or NULL. */
static json_t *s_find_user(json_t *list, int64_t uid)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (s_int(item, "uid") == uid)
            return item;
    }
    return NULL;
}

static long long s_count(chat_stack_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static long long s_count(chat_stack_t *st, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return chat_stack_query_int(st, sql);
}

/* ---- friends --------------------------------------------------------------------------------- */

static void s_case_friends(void)
{
    chat_stack_t *st = chat_stack_start("chatfriends", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    int64_t bob = chat_stack_user(st, "bob");
    int64_t carol = chat_stack_user(st, "carol");
    char ta[128], tb[128], tc[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    chat_stack_token(st, carol, tc, NULL);

    json_t *me = NULL;
    uschat_session_t *a = chat_stack_login(st, 0, alice, ta, &me);
    CHECK(s_int(me, "uid") == alice && strcmp(s_str(me, "name"), "alice") == 0,
          "own profile in 1006");
    CHECK(strcmp(s_str(me, "email"), "alice@example.org") == 0, "own email in 1006");
    CHECK(!json_object_get(me, "pwd_hash") && !json_object_get(me, "passwd"), "no password");
    CHECK(json_array_size(json_object_get(me, "friend_list")) == 0, "no friends yet");
    json_decref(me);
    uschat_session_t *b = chat_stack_login(st, 1, bob, tb, NULL);
    CHECK(chat_stack_wait_presence(st, alice, "node1", 0) == 0, "uip_alice = node1");
    CHECK(chat_stack_wait_presence(st, bob, "node2", 0) == 0, "uip_bob = node2");

    /* search: by name and by uid (a string of digits); public fields only */
    json_t *found = NULL;
    CHECK(chat_stack_request(a, USCHAT_ID_SEARCH_REQ, uschat_req_search("bob"), &found) == 0,
          "by name");
    CHECK(s_int(found, "uid") == bob && strcmp(s_str(found, "nick"), "nick of bob") == 0,
          "bob found");
    CHECK(!json_object_get(found, "email") && !json_object_get(found, "pwd_hash"),
          "no email or password in a search result");
    json_decref(found);
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)alice);
    CHECK(chat_stack_request(b, USCHAT_ID_SEARCH_REQ, uschat_req_search(key), &found) == 0,
          "by uid");
    CHECK(strcmp(s_str(found, "name"), "alice") == 0, "alice found by uid");
    json_decref(found);
    CHECK(chat_stack_request(a, USCHAT_ID_SEARCH_REQ, uschat_req_search("nobody"), NULL) ==
              USCHAT_ERR_UID_INVALID,
          "unknown name: 1011");

    /* the request, pushed to bob on the other node */
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ,
                             uschat_req_add_friend(bob, "hi bob", "Bobby"), NULL) == 0,
          "friend request");
    json_t *push = chat_stack_wait(b, USCHAT_ID_NOTIFY_ADD_FRIEND);
    CHECK(s_int(push, "applyuid") == alice && strcmp(s_str(push, "desc"), "hi bob") == 0 &&
              strcmp(s_str(push, "name"), "alice") == 0,
          "1011 carries the applicant and the greeting");
    json_decref(push);

    /* errors that change nothing */
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ, uschat_req_add_friend(bob, "again", "x"),
                             NULL) == USCHAT_ERR_PENDING,
          "asking twice: 1019");
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ, uschat_req_add_friend(alice, "me", "me"),
                             NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "yourself: 1015");
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ,
                             uschat_req_add_friend(alice + 999999, "x", "x"),
                             NULL) == USCHAT_ERR_UID_INVALID,
          "unknown uid: 1011");
    CHECK(chat_stack_request(b, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(carol, "c"),
                             NULL) == USCHAT_ERR_UID_INVALID,
          "accepting a request that was never made: 1011");
    CHECK(chat_stack_request(b, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(bob, "me"),
                             NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "accepting yourself: 1015");
    CHECK(s_count(st, "SELECT COUNT(*) FROM friend_apply WHERE from_uid = %lld AND to_uid = %lld",
                  (long long)alice, (long long)bob) == 1,
          "one request row");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM friend_apply WHERE greeting = 'again'") ==
              0,
          "the second ask changed nothing");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM friend_apply") == 1, "no other rows");

    /* accept: 1014 to bob, 1015 pushed to alice across the broker */
    json_t *acc = NULL;
    CHECK(chat_stack_request(b, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(alice, "Ali"),
                             &acc) == 0,
          "accept");
    int64_t thread = s_int(acc, "thread_id");
    CHECK(s_int(acc, "uid") == alice && thread > 0 &&
              json_is_array(json_object_get(acc, "chat_datas")),
          "1014 carries the new friend and the thread");
    json_decref(acc);
    push = chat_stack_wait(a, USCHAT_ID_NOTIFY_AUTH_FRIEND);
    CHECK(s_int(push, "fromuid") == bob && s_int(push, "touid") == alice &&
              s_int(push, "thread_id") == thread && strcmp(s_str(push, "name"), "bob") == 0,
          "1015 carries the accepter and the same thread");
    json_decref(push);
    CHECK(chat_stack_request(b, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(alice, "x"),
                             NULL) == USCHAT_ERR_ALREADY_FRIENDS,
          "accepting twice: 1020");
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ, uschat_req_add_friend(bob, "x", "x"),
                             NULL) == USCHAT_ERR_ALREADY_FRIENDS,
          "asking a friend: 1020");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM friend") == 2, "two friend rows");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM private_chat") == 1, "one thread");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM chat_thread") == 1, "one thread row");
    CHECK(s_count(st,
                  "SELECT COUNT(*) FROM friend_apply WHERE status = 1 AND to_uid = %lld "
                  "AND from_uid = %lld",
                  (long long)bob, (long long)alice) == 1,
          "the request is marked accepted");

    /* a request to carol, who is offline: she sees it when she logs in */
    CHECK(chat_stack_request(a, USCHAT_ID_ADD_FRIEND_REQ,
                             uschat_req_add_friend(carol, "hi carol", "C"), NULL) == 0,
          "request to an offline user");

    /* everybody logs in again, on the other node */
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    CHECK(chat_stack_wait_presence(st, alice, NULL, WAIT_MS) == 0, "alice's presence cleared");
    json_t *ra = NULL, *rb = NULL, *rc = NULL;
    a = chat_stack_login(st, 1, alice, ta, &ra);
    b = chat_stack_login(st, 0, bob, tb, &rb);
    uschat_session_t *c = chat_stack_login(st, 1, carol, tc, &rc);
    json_t *f = s_find_user(json_object_get(ra, "friend_list"), bob);
    CHECK(f && strcmp(s_str(f, "back"), "Bobby") == 0 && strcmp(s_str(f, "name"), "bob") == 0,
          "alice sees bob as friend, under the name she gave");
    f = s_find_user(json_object_get(rb, "friend_list"), alice);
    CHECK(f && strcmp(s_str(f, "back"), "Ali") == 0, "bob sees alice under the name he gave");
    CHECK(json_array_size(json_object_get(rb, "apply_list")) == 0, "bob has nothing pending");
    f = s_find_user(json_object_get(rc, "apply_list"), alice);
    CHECK(f && strcmp(s_str(f, "desc"), "hi carol") == 0 && s_int(f, "status") == 0,
          "carol sees alice's pending request with its greeting");
    /* carol accepts; alice is on the same node: the 1015 push does not leave it */
    CHECK(chat_stack_request(c, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(alice, "A"),
                             NULL) == 0,
          "carol accepts");
    push = chat_stack_wait(a, USCHAT_ID_NOTIFY_AUTH_FRIEND);
    CHECK(s_int(push, "fromuid") == carol && s_int(push, "thread_id") > thread,
          "1015 on the same node, a new thread");
    json_decref(push);
    json_decref(ra);
    json_decref(rb);
    json_decref(rc);
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    uschat_session_destroy(&c);
    chat_stack_stop(&st);
}

/* ---- kick ------------------------------------------------------------------------------------ */

static void s_case_kick(void)
{
    chat_stack_t *st = chat_stack_start("chatkick", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    int64_t bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *bystander = chat_stack_login(st, 0, bob, tb, NULL);

    /* across nodes */
    uschat_session_t *s1 = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_t *s2 = chat_stack_login(st, 1, alice, ta, NULL);
    json_t *kicked = chat_stack_wait(s1, USCHAT_ID_NOTIFY_OFFLINE);
    CHECK(s_int(kicked, "uid") == alice, "1021 names the uid");
    json_decref(kicked);
    CHECK(uschat_session_wait_closed(s1, WAIT_MS) == 0, "the old session is closed");
    CHECK(chat_stack_wait_presence(st, alice, "node2", 0) == 0, "uip_alice = node2");
    int error = -1;
    CHECK(uschat_session_heartbeat(s2, alice, WAIT_MS, &error) == 0 && error == 0,
          "the new session works");

    /* on one node */
    uschat_session_t *s3 = chat_stack_login(st, 1, alice, ta, NULL);
    kicked = chat_stack_wait(s2, USCHAT_ID_NOTIFY_OFFLINE);
    json_decref(kicked);
    CHECK(uschat_session_wait_closed(s2, WAIT_MS) == 0, "closed on the same node too");
    usleep(300 * 1000); /* the kicked sessions' ends must not erase the live presence */
    CHECK(chat_stack_wait_presence(st, alice, "node2", 0) == 0, "uip_alice still node2");
    CHECK(uschat_session_heartbeat(s3, alice, WAIT_MS, &error) == 0 && error == 0,
          "the newest session works");

    /* password reset: gate asks status to revoke; status kicks on the node in uip_. (A call
     * first: the test's client has no loop, the call re-registers it if the broker forgot.) */
    char fresh[128];
    chat_stack_token(st, bob, fresh, NULL);
    msg_status_revoke_t revoke = {.uid = (uint64_t)alice, .reason = "password_reset"};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_status_revoke_encode(&revoke, &body, &len) == 0, "encode");
    CHECK(broker_client_notify(st->client, "status", NULL, MSG_STATUS_REVOKE, body, len) == 0,
          "notify status");
    free(body);
    kicked = chat_stack_wait(s3, USCHAT_ID_NOTIFY_OFFLINE);
    CHECK(kicked, "SESSION_KICK from status gives 1021");
    json_decref(kicked);
    CHECK(uschat_session_wait_closed(s3, WAIT_MS) == 0, "and closes the session");
    CHECK(chat_stack_wait_presence(st, alice, NULL, WAIT_MS) == 0, "and clears presence");
    CHECK(uschat_session_heartbeat(bystander, bob, WAIT_MS, &error) == 0 && error == 0,
          "others are served throughout");
    uschat_session_destroy(&s1);
    uschat_session_destroy(&s2);
    uschat_session_destroy(&s3);
    uschat_session_destroy(&bystander);
    chat_stack_stop(&st);
}

/* ---- heartbeat ------------------------------------------------------------------------------- */

static void s_case_heartbeat(void)
{
    const char *env[] = {"USCHAT_CHAT_IDLE_TIMEOUT_S=2", "USCHAT_CHAT_LOGIN_TIMEOUT_S=3", NULL};
    chat_stack_t *st = chat_stack_start("chatheartbeat", env);
    int64_t alice = chat_stack_user(st, "alice");
    char ta[128];
    chat_stack_token(st, alice, ta, NULL);
    uschat_session_t *lazy = chat_stack_connect(st, 0);
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    /* 4 s of heartbeats, each well inside the 2 s idle timeout */
    for (int i = 0; i < 8; i++) {
        int error = -1;
        CHECK(uschat_session_heartbeat(s, alice, WAIT_MS, &error) == 0 && error == 0,
              "heartbeat %d answered", i);
        usleep(500 * 1000);
    }
    CHECK(!uschat_session_is_closed(s), "alive while heartbeating");
    CHECK(chat_stack_wait_presence(st, alice, "node1", 0) == 0, "present");
    /* the connection that never logged in is closed at its 3 s deadline, heartbeats or not */
    CHECK(uschat_session_wait_closed(lazy, 2000) == 0, "not logged in within 3 s: closed");
    /* silence */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(uschat_session_wait_closed(s, WAIT_MS) == 0, "silent connection closed");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(waited >= 1.4 && waited < 3.5, "closed after %.1f s of silence (timeout 2 s)", waited);
    CHECK(chat_stack_wait_presence(st, alice, NULL, WAIT_MS) == 0, "presence removed");
    uschat_session_destroy(&lazy);
    uschat_session_destroy(&s);
    chat_stack_stop(&st);
}

/* ---- presence TTL ---------------------------------------------------------------------------- */

static long long s_redis_int(chat_stack_t *st, const char *fmt, long long uid)
{
    redisReply *r = redisCommand(st->redis, fmt, uid);
    CHECK(r, "redis");
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
    freeReplyObject(r);
    return v;
}

static void s_case_ttl(void)
{
    const char *env[] = {"USCHAT_CHAT_PRESENCE_TTL_S=3", NULL};
    chat_stack_t *st = chat_stack_start("chatttl", env);
    int64_t alice = chat_stack_user(st, "alice");
    char ta[128];
    chat_stack_token(st, alice, ta, NULL);
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    long long ttl = s_redis_int(st, "TTL uip_%lld", (long long)alice);
    CHECK(ttl > 0 && ttl <= 3, "uip_ has the configured TTL: %lld", ttl);
    /* 6 s, twice the TTL: the node keeps refreshing it while the session lives */
    for (int i = 0; i < 12; i++) {
        int error = -1;
        CHECK(uschat_session_heartbeat(s, alice, WAIT_MS, &error) == 0 && error == 0, "alive");
        CHECK(chat_stack_wait_presence(st, alice, "node1", 0) == 0, "still present at %d", i);
        usleep(500 * 1000);
    }
    /* a newer login whose kick never arrived (its counter moved on): the refresh notices and
     * closes the stale session with 1021, leaving the newer presence alone */
    redisReply *r = redisCommand(st->redis, "INCR usn_%lld", (long long)alice);
    freeReplyObject(r);
    r = redisCommand(st->redis, "SET uip_%lld elsewhere EX 60", (long long)alice);
    freeReplyObject(r);
    json_t *kicked = NULL;
    CHECK(uschat_session_wait(s, USCHAT_ID_NOTIFY_OFFLINE, WAIT_MS, &kicked) == 0,
          "the superseded session gets 1021");
    json_decref(kicked);
    CHECK(uschat_session_wait_closed(s, WAIT_MS) == 0, "and is closed");
    CHECK(chat_stack_wait_presence(st, alice, "elsewhere", 0) == 0, "the newer presence stays");
    uschat_session_destroy(&s);
    chat_stack_stop(&st);
}

/* ---- presence -------------------------------------------------------------------------------- */

static void s_case_presence(void)
{
    chat_stack_t *st = chat_stack_start("chatpresence", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    char ta[128];
    chat_stack_token(st, alice, ta, NULL);
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe");
    fflush(NULL);
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        /* the client process: logs in, says so, then waits to be killed */
        close(ready[0]);
        uschat_session_t *s = chat_stack_connect(st, 1);
        int error = -1;
        if (uschat_session_login(s, alice, ta, WAIT_MS, NULL, &error) == 0 && error == 0)
            CHECK(write(ready[1], "1", 1) == 1, "write");
        for (;;)
            pause();
    }
    close(ready[1]);
    char c = 0;
    CHECK(read(ready[0], &c, 1) == 1 && c == '1', "the client logged in");
    CHECK(chat_stack_wait_presence(st, alice, "node2", 0) == 0, "present on node2");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK(chat_stack_wait_presence(st, alice, NULL, 2000) == 0,
          "a killed client's presence is gone");
    /* and the user can log in again at once, anywhere */
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    CHECK(chat_stack_wait_presence(st, alice, "node1", WAIT_MS) == 0, "present again");
    uschat_session_destroy(&s);
    chat_stack_stop(&st);
}

/* ---- bad input ------------------------------------------------------------------------------- */

/* Writes a frame header + body as raw bytes. */
static void s_raw_frame(uschat_session_t *s, uint16_t id, const void *body, size_t len)
{
    uint8_t frame[70000];
    frame[0] = (uint8_t)(id >> 8);
    frame[1] = (uint8_t)id;
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    memcpy(frame + 4, body, len);
    CHECK(uschat_session_send_bytes(s, frame, len + 4) == 0, "send");
}

static int s_next_error(uschat_session_t *s, uint16_t expect_id)
{
    uint16_t id = 0;
    json_t *body = NULL;
    int rc = uschat_session_next(s, WAIT_MS, &id, &body);
    CHECK(rc == 0, "a reply: %s", uschat_strerror(rc));
    CHECK(id == expect_id, "reply id %u, expected %u", id, expect_id);
    int error = (int)s_int(body, "error");
    json_decref(body);
    return error;
}

static void s_case_badinput(void)
{
    chat_stack_t *st = chat_stack_start("chatbadinput", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    int64_t bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *other = chat_stack_login(st, 0, bob, tb, NULL);
    int error = -1;

    /* requests before login: 1017 on their reply id; a heartbeat is allowed */
    uschat_session_t *s = chat_stack_connect(st, 0);
    CHECK(chat_stack_request(s, USCHAT_ID_SEARCH_REQ, uschat_req_search("bob"), NULL) ==
              USCHAT_ERR_NOT_LOGGED_IN,
          "search before login: 1017");
    CHECK(chat_stack_request(s, USCHAT_ID_ADD_FRIEND_REQ, uschat_req_add_friend(bob, "x", "x"),
                             NULL) == USCHAT_ERR_NOT_LOGGED_IN,
          "friend request before login: 1017");
    CHECK(uschat_session_heartbeat(s, 0, WAIT_MS, &error) == 0 && error == 0,
          "heartbeat before login is fine");
    /* wrong token */
    CHECK(uschat_session_login(s, alice, "not-the-token", WAIT_MS, NULL, &error) == 0 &&
              error == USCHAT_ERR_TOKEN_INVALID,
          "wrong token: 1010 (got %d)", error);
    CHECK(uschat_session_login(s, alice, ta, WAIT_MS, NULL, &error) == 0 && error == 0,
          "then the right one");

    /* not JSON, not an object, empty: 1001 on the reply id, connection stays */
    s_raw_frame(s, USCHAT_ID_HEARTBEAT_REQ, "hello", 5);
    CHECK(s_next_error(s, USCHAT_ID_HEARTBEAT_RSP) == USCHAT_ERR_JSON, "not JSON: 1001");
    s_raw_frame(s, USCHAT_ID_SEARCH_REQ, "[1,2,3]", 7);
    CHECK(s_next_error(s, USCHAT_ID_SEARCH_RSP) == USCHAT_ERR_JSON, "an array: 1001");
    s_raw_frame(s, USCHAT_ID_ADD_FRIEND_REQ, "", 0);
    CHECK(s_next_error(s, USCHAT_ID_ADD_FRIEND_RSP) == USCHAT_ERR_JSON, "empty body: 1001");
    s_raw_frame(s, USCHAT_ID_ADD_FRIEND_REQ, "{\"applyname\":\"x\"}", 17);
    CHECK(s_next_error(s, USCHAT_ID_ADD_FRIEND_RSP) == USCHAT_ERR_JSON, "missing touid: 1001");
    /* search keys of the wrong shape (the node once read a refused key after freeing it) */
    static const struct {
        const char *body;
        int error;
    } keys[] = {{"{\"uid\":\"\"}", USCHAT_ERR_JSON},
                {"{\"uid\":0}", USCHAT_ERR_JSON},
                {"{\"uid\":-5}", USCHAT_ERR_JSON},
                {"{\"uid\":[1]}", USCHAT_ERR_JSON},
                {"{\"uid\":\"" /* 65 characters */
                 "12345678901234567890123456789012345678901234567890123456789012345\"}",
                 USCHAT_ERR_OUT_OF_RANGE}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        s_raw_frame(s, USCHAT_ID_SEARCH_REQ, keys[i].body, strlen(keys[i].body));
        CHECK(s_next_error(s, USCHAT_ID_SEARCH_RSP) == keys[i].error, "search %s: %d", keys[i].body,
              keys[i].error);
    }
    /* unknown ids: counted and ignored; the next reply is the heartbeat's */
    s_raw_frame(s, 4242, "{}", 2);
    s_raw_frame(s, USCHAT_ID_LOGIN_RSP, "{\"error\":0}", 11);
    CHECK(uschat_session_heartbeat(s, alice, WAIT_MS, &error) == 0 && error == 0,
          "still up after unknown ids");
    CHECK(uschat_session_queued(s) == 0, "nothing answered the unknown ids");
    /* another user's uid/fromuid */
    json_t *req = uschat_req_add_friend(bob, "x", "x");
    json_object_set_new(req, "fromuid", json_integer(bob));
    CHECK(chat_stack_request(s, USCHAT_ID_ADD_FRIEND_REQ, req, NULL) == USCHAT_ERR_UID_INVALID,
          "bob's fromuid in alice's request: 1011");
    CHECK(uschat_session_heartbeat(s, bob, WAIT_MS, &error) == 0 && error == USCHAT_ERR_UID_INVALID,
          "heartbeat with bob's fromuid: 1011");
    req = uschat_req_auth_friend(bob, "x");
    json_object_set_new(req, "uid", json_integer(bob));
    CHECK(chat_stack_request(s, USCHAT_ID_AUTH_FRIEND_REQ, req, NULL) == USCHAT_ERR_UID_INVALID,
          "bob's uid in alice's accept: 1011");
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM friend_apply") == 0,
          "none of it changed anything");

    /* split: one frame a byte at a time; coalesced: three frames in one write */
    uint8_t frame[64];
    int n = snprintf((char *)frame + 4, sizeof frame - 4, "{\"fromuid\":%lld}", (long long)alice);
    frame[0] = USCHAT_ID_HEARTBEAT_REQ >> 8;
    frame[1] = USCHAT_ID_HEARTBEAT_REQ & 0xff;
    frame[2] = 0;
    frame[3] = (uint8_t)n;
    for (int i = 0; i < n + 4; i++) {
        CHECK(uschat_session_send_bytes(s, frame + i, 1) == 0, "byte %d", i);
        usleep(20 * 1000);
    }
    CHECK(s_next_error(s, USCHAT_ID_HEARTBEAT_RSP) == 0, "a frame split in bytes");
    uint8_t three[192];
    for (int i = 0; i < 3; i++)
        memcpy(three + i * (n + 4), frame, (size_t)n + 4);
    CHECK(uschat_session_send_bytes(s, three, 3 * ((size_t)n + 4)) == 0, "send");
    for (int i = 0; i < 3; i++)
        CHECK(s_next_error(s, USCHAT_ID_HEARTBEAT_RSP) == 0, "coalesced frame %d", i);
    /* a body split across two writes, with the header in the first */
    CHECK(uschat_session_send_bytes(s, frame, 7) == 0, "send");
    usleep(50 * 1000);
    CHECK(uschat_session_send_bytes(s, frame + 7, (size_t)n - 3) == 0, "send");
    CHECK(s_next_error(s, USCHAT_ID_HEARTBEAT_RSP) == 0, "a body split in two");

    /* oversized length: the header alone closes the connection */
    uint8_t huge[4] = {USCHAT_ID_HEARTBEAT_REQ >> 8, USCHAT_ID_HEARTBEAT_REQ & 0xff, 0xEA, 0x60};
    CHECK(uschat_session_send_bytes(s, huge, 4) == 0, "send");
    CHECK(uschat_session_wait_closed(s, WAIT_MS) == 0, "60000 > 8192: closed");
    CHECK(chat_stack_wait_log(st, "node1", "announced a body of 60000 bytes", WAIT_MS) == 0,
          "and logged");
    CHECK(chat_stack_wait_presence(st, alice, NULL, WAIT_MS) == 0, "its presence cleared");

    /* others are still served, and a new connection too */
    CHECK(uschat_session_heartbeat(other, bob, WAIT_MS, &error) == 0 && error == 0,
          "the other user is still served");
    uschat_session_t *again = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_destroy(&again);
    uschat_session_destroy(&s);
    uschat_session_destroy(&other);
    chat_stack_stop(&st);
}

/* ---- rate ------------------------------------------------------------------------------------ */

static void s_heartbeats(uschat_session_t *s, int64_t uid, int count)
{
    uint8_t frame[64];
    int n = snprintf((char *)frame + 4, sizeof frame - 4, "{\"fromuid\":%lld}", (long long)uid);
    frame[0] = USCHAT_ID_HEARTBEAT_REQ >> 8;
    frame[1] = USCHAT_ID_HEARTBEAT_REQ & 0xff;
    frame[2] = 0;
    frame[3] = (uint8_t)n;
    size_t one = (size_t)n + 4;
    uint8_t *all = malloc(one * (size_t)count);
    CHECK(all, "memory");
    for (int i = 0; i < count; i++)
        memcpy(all + one * (size_t)i, frame, one);
    CHECK(uschat_session_send_bytes(s, all, one * (size_t)count) == 0, "send");
    free(all);
}

static void s_case_rate(void)
{
    /* a bucket of 100 (the default 1000 lets a client load its history back to back:
     * chat.seed) so that the limit is reached quickly */
    const char *env[] = {"USCHAT_CHAT_RATE_BURST=100", NULL};
    chat_stack_t *st = chat_stack_start("chatrate", env);
    int64_t alice = chat_stack_user(st, "alice");
    char ta[128];
    chat_stack_token(st, alice, ta, NULL);
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    /* a full bucket again (the login took a token), then one write the node reads at once */
    usleep(1100000);
    s_heartbeats(s, alice, 150);
    int ok = 0, limited = 0;
    for (int i = 0; i < 150; i++) {
        int error = s_next_error(s, USCHAT_ID_HEARTBEAT_RSP);
        ok += error == 0;
        limited += error == USCHAT_ERR_RATE_LIMITED;
    }
    /* a token or two may come back while the node works through them */
    CHECK(ok >= 100 && ok < 150 && ok + limited == 150, "%d answered, %d limited", ok, limited);
    sleep(1);
    int error = -1;
    CHECK(uschat_session_heartbeat(s, alice, WAIT_MS, &error) == 0 && error == 0,
          "served again the next second");
    /* a flood: 160 a second (40 every 250 ms) closes the connection after 3 seconds */
    bool closed = false;
    for (int i = 0; i < 32 && !closed; i++) {
        s_heartbeats(s, alice, 40);
        closed = uschat_session_wait_closed(s, 250) == 0;
    }
    CHECK(closed, "a sustained flood closes the connection");
    /* ten times the limit in one go closes at once */
    uschat_session_t *s2 = chat_stack_login(st, 1, alice, ta, NULL);
    s_heartbeats(s2, alice, 1200);
    CHECK(uschat_session_wait_closed(s2, WAIT_MS) == 0, "1200 in one second: closed");
    uschat_session_t *s3 = chat_stack_login(st, 1, alice, ta, NULL);
    CHECK(uschat_session_heartbeat(s3, alice, WAIT_MS, &error) == 0 && error == 0,
          "a new connection is served");
    uschat_session_destroy(&s);
    uschat_session_destroy(&s2);
    uschat_session_destroy(&s3);
    chat_stack_stop(&st);
}

/* The default bucket: a client may send a burst of requests back to back (a whole history
 * loaded at login) without a 1014; once it is spent the limit holds, and a flood still closes. */
static void s_case_burst(void)
{
    chat_stack_t *st = chat_stack_start("chatburst", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    char ta[128];
    chat_stack_token(st, alice, ta, NULL);
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    s_heartbeats(s, alice, 900); /* the login took one token of 1,000 */
    for (int i = 0; i < 900; i++) {
        int error = s_next_error(s, USCHAT_ID_HEARTBEAT_RSP);
        CHECK(error == 0, "request %d of a burst of 900: error %d", i, error);
    }
    /* about 100 tokens left (more if reading the replies took long): most of these are refused,
     * fewer than ten times the limit, so the connection stays */
    s_heartbeats(s, alice, 1000);
    int ok = 0, limited = 0;
    for (int i = 0; i < 1000; i++) {
        int error = s_next_error(s, USCHAT_ID_HEARTBEAT_RSP);
        ok += error == 0;
        limited += error == USCHAT_ERR_RATE_LIMITED;
    }
    CHECK(ok >= 99 && limited > 0 && ok + limited == 1000, "burst spent: %d served, %d limited", ok,
          limited);
    s_heartbeats(s, alice, 1500);
    CHECK(uschat_session_wait_closed(s, WAIT_MS) == 0, "a flood after the burst: closed");
    uschat_session_destroy(&s);
    chat_stack_stop(&st);
}

/* ---- slow reader ----------------------------------------------------------------------------- */

static void s_case_slowreader(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=1000000", "USCHAT_CHAT_SEND_QUEUE_MAX=262144",
                         NULL};
    chat_stack_t *st = chat_stack_start("chatslow", env);
    int64_t alice = chat_stack_user(st, "alice");
    int64_t bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *other = chat_stack_login(st, 0, bob, tb, NULL);
    uschat_session_t *s = chat_stack_login(st, 0, alice, ta, NULL);
    long rss_before = chat_stack_rss_kb(st->node[0]);
    /* requests keep coming, replies are never read: the socket buffers fill, then the node's
     * queue, and at 256 KiB the node gives up on the client */
    int fd = (int)uschat_session_socket(s);
    uint8_t frame[64];
    int n = snprintf((char *)frame + 4, sizeof frame - 4, "{}");
    frame[0] = USCHAT_ID_HEARTBEAT_REQ >> 8;
    frame[1] = USCHAT_ID_HEARTBEAT_REQ & 0xff;
    frame[2] = 0;
    frame[3] = (uint8_t)n;
    size_t one = (size_t)n + 4;
    static uint8_t block[65536];
    size_t per = sizeof block / one;
    for (size_t i = 0; i < per; i++)
        memcpy(block + i * one, frame, one);
    size_t sent = 0;
    bool closed = false;
    while (!closed && sent < (size_t)512 << 20) {
        ssize_t w = send(fd, block, per * one, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* the node stopped reading us: it is closing, or its queue is full */
            if (chat_stack_wait_log(st, "node1", "does not read", 0) == 0)
                closed = true;
            usleep(10 * 1000);
        } else {
            closed = true;
        }
    }
    CHECK(closed, "the client was closed after %zu bytes of requests", sent);
    CHECK(chat_stack_wait_log(st, "node1", "does not read", WAIT_MS) == 0, "logged as such");
    long rss_after = chat_stack_rss_kb(st->node[0]);
    printf("node RSS %ld KiB before, %ld KiB after %zu bytes of requests whose replies were "
           "never read\n",
           rss_before, rss_after, sent);
    /* ASan keeps freed memory in quarantine, so RSS says nothing in that build. */
    if (!s_sanitized())
        CHECK(rss_after - rss_before < 16 * 1024, "node memory stays flat: %ld -> %ld KiB",
              rss_before, rss_after);
    int error = -1;
    CHECK(uschat_session_heartbeat(other, bob, WAIT_MS, &error) == 0 && error == 0,
          "the other client is served");
    CHECK(chat_stack_wait_presence(st, alice, NULL, WAIT_MS) == 0, "presence cleared");
    uschat_session_destroy(&s);
    uschat_session_destroy(&other);
    chat_stack_stop(&st);
}

/* ---- SIGTERM --------------------------------------------------------------------------------- */

static void s_case_sigterm(void)
{
    chat_stack_t *st = chat_stack_start("chatsigterm", NULL);
    int64_t alice = chat_stack_user(st, "alice");
    int64_t bob = chat_stack_user(st, "bob");
    char ta[128], tb[128];
    chat_stack_token(st, alice, ta, NULL);
    chat_stack_token(st, bob, tb, NULL);
    uschat_session_t *a = chat_stack_login(st, 0, alice, ta, NULL);
    uschat_session_t *b = chat_stack_login(st, 1, bob, tb, NULL);
    CHECK(chat_stack_wait_presence(st, alice, "node1", 0) == 0, "present");
    int status = chat_stack_stop_node(st, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node1 exits 0 (status 0x%x)", status);
    CHECK(uschat_session_wait_closed(a, WAIT_MS) == 0, "its session is closed");
    CHECK(chat_stack_wait_presence(st, alice, NULL, 0) == 0, "its presence is cleared");
    CHECK(chat_stack_wait_log(st, "broker", "disconnect: node1 (chat)", WAIT_MS) == 0,
          "it said goodbye to the broker");
    int error = -1;
    CHECK(uschat_session_heartbeat(b, bob, WAIT_MS, &error) == 0 && error == 0, "node2 serves on");
    CHECK(chat_stack_wait_presence(st, bob, "node2", 0) == 0, "bob still present");
    uschat_session_t *none = NULL;
    int err = 0;
    none = uschat_session_connect("127.0.0.1", st->node_port[0], 1000, &err);
    CHECK(!none, "node1 accepts no more connections");
    /* status hands out node2 only, once node1 is silent */
    int port = 0;
    for (int i = 0; i < 50 && port != st->node_port[1]; i++) {
        char t[128];
        chat_stack_token(st, alice, t, &port);
        if (port != st->node_port[1])
            usleep(200 * 1000);
    }
    CHECK(port == st->node_port[1], "status gives out node2");
    uschat_session_destroy(&a);
    uschat_session_destroy(&b);
    chat_stack_stop(&st);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"friends", s_case_friends},     {"kick", s_case_kick},
        {"heartbeat", s_case_heartbeat}, {"presence", s_case_presence},
        {"badinput", s_case_badinput},   {"rate", s_case_rate},
        {"burst", s_case_burst},         {"slowreader", s_case_slowreader},
        {"sigterm", s_case_sigterm},     {"ttl", s_case_ttl},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(which, cases[i].name) == 0) {
            cases[i].fn();
            printf("ok %s\n", which);
            return 0;
        }
    }
    fprintf(stderr, "usage: test_chat_node CASE (friends kick heartbeat presence badinput rate "
                    "slowreader sigterm ttl)\n");
    return 2;
}
