/* test_chat_history.c - long threads, acknowledged ids and refused messages, against the real
 * stack (chat_stack.h): broker, status, two chat nodes, Redis and MariaDB.
 *
 * Run by CTest as `test_chat_history CASE`, one process (and one stack) per case:
 *   paging    10,000 messages are sent THROUGH THE NODE (200 pipelined requests of 50 items,
 *             committed in a few batches), every ack matches the stored row; then history
 *             (1029) pages back from the newest to the first message: each message exactly
 *             once, every page oldest first, load_more true on every page but the last, the
 *             cursor the oldest id of the page; and sync (1031) after seq N returns exactly
 *             N+1..10000 in order, for several N
 *   readback  the same id check with chat/message_id_readback = 1 (ids read back from the
 *             database instead of counted from the first of a multi-row INSERT), both members
 *             sending at once from two nodes
 *   threads   a user with 120 threads (friends and threads seeded in SQL, messages sent through
 *             the nodes): 1025 pages of 50 in thread order, each thread exactly once,
 *             load_more and next_last_id right, last_seq, unread and last_msg of each
 *   long      messages of ~4 KB, so that 200 of them (sync), 50 (history) or 50 threads with
 *             such a last message (1025) do not fit one frame: the pages are cut to fit, their
 *             has_more / load_more and cursors say so, and paging on brings everything once;
 *             and a login reply (1006, no paging) whose friend list is cut to fit
 *   badinput  empty or oversized content, content that is not UTF-8, a missing or oversized
 *             unique_id, no items or too many, a thread the user is not in, a thread that does
 *             not exist, someone else's fromuid, a touid that is not a friend, the sender
 *             itself, a unique_id already used in another thread: each gets its error code,
 *             and nothing is stored
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

#define TOTAL    10000
#define PER_REQ  50
#define WAIT_MS  20000
#define PAGE     50
#define SYNC_MAX 200
#define F        CHAT_STACK_FIRST_SEQS /* a thread starts with two messages */

static const char *const s_env[] = {"USCHAT_CHAT_RATE_LIMIT=100000",
                                    "USCHAT_CHAT_MAX_INFLIGHT=10000", NULL};

static int64_t s_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* Sends n messages from s as requests of PER_REQ items, all at once ("<tag>-<i>"). */
static void s_send_many(uschat_session_t *s, int64_t touid, int64_t thread, const char *tag, int n)
{
    uschat_text_t items[PER_REQ];
    char content[PER_REQ][48], unique[PER_REQ][32];
    for (int i = 0; i < n;) {
        int k = 0;
        for (; k < PER_REQ && i < n; k++, i++) {
            snprintf(content[k], sizeof content[k], "message %d of %s", i, tag);
            snprintf(unique[k], sizeof unique[k], "%s-%d", tag, i);
            items[k] = (uschat_text_t){content[k], unique[k]};
        }
        CHECK(uschat_session_send_take(s, USCHAT_ID_TEXT_CHAT_REQ,
                                       uschat_req_text_chat(touid, thread, items, (size_t)k)) == 0,
              "send");
    }
}

/* Reads the acks of n messages on s ("<tag>-<i>" -> ids[i], seqs[i]); pushes are dropped. */
static void s_read_acks(uschat_session_t *s, const char *tag, int n, int64_t *ids, int64_t *seqs)
{
    size_t taglen = strlen(tag);
    for (int got = 0; got < n;) {
        uint16_t id = 0;
        json_t *body = NULL;
        CHECK(uschat_session_next(s, WAIT_MS, &id, &body) == 0, "%d of %d acks", got, n);
        if (id == USCHAT_ID_TEXT_CHAT_RSP) {
            CHECK(s_int(body, "error") == 0, "ack error %lld", (long long)s_int(body, "error"));
            size_t i;
            json_t *item;
            json_array_foreach(json_object_get(body, "chat_datas"), i, item)
            {
                const char *u = s_str(item, "unique_id");
                CHECK(strncmp(u, tag, taglen) == 0 && u[taglen] == '-', "ack of %s", u);
                int k = atoi(u + taglen + 1);
                CHECK(k >= 0 && k < n && ids[k] == 0, "ack of %s twice", u);
                ids[k] = s_int(item, "message_id");
                seqs[k] = s_int(item, "seq");
                got++;
            }
        }
        json_decref(body);
    }
}

/* Every ack of "<tag>-<i>" names the row stored under that unique_id (the two messages the
 * thread started with aside). */
static void s_check_ids(chat_stack_t *st, int64_t thread, int64_t sender, const char *tag, int n,
                        const int64_t *ids, const int64_t *seqs)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT unique_id, message_id, seq FROM chat_message WHERE thread_id = %lld AND "
             "sender_id = %lld AND seq > %d",
             (long long)thread, (long long)sender, F);
    CHECK(mysql_query(st->mysql, sql) == 0, "%s", mysql_error(st->mysql));
    MYSQL_RES *res = mysql_store_result(st->mysql);
    CHECK(res, "result");
    MYSQL_ROW row;
    int rows = 0;
    size_t taglen = strlen(tag);
    while ((row = mysql_fetch_row(res))) {
        CHECK(strncmp(row[0], tag, taglen) == 0, "row %s", row[0]);
        int k = atoi(row[0] + taglen + 1);
        CHECK(k >= 0 && k < n, "row %s", row[0]);
        CHECK(ids[k] == atoll(row[1]) && seqs[k] == atoll(row[2]),
              "%s acked as %lld/%lld, stored as %s/%s", row[0], (long long)ids[k],
              (long long)seqs[k], row[1], row[2]);
        rows++;
    }
    mysql_free_result(res);
    CHECK(rows == n, "%d rows of %s for %d messages", rows, tag, n);
}

/* ---- paging -----------------------------------------------------------------------------------
 */

static void s_check_sync(chat_pair_t *p, int64_t after)
{
    int64_t next = after + 1;
    for (int req = 0;; req++) {
        CHECK(req <= TOTAL / SYNC_MAX + 1, "sync after %lld does not end", (long long)after);
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p->b, USCHAT_ID_SYNC_REQ,
                                 uschat_req_sync(p->thread, next - 1, SYNC_MAX), &rsp) == 0,
              "1031");
        json_t *items = json_object_get(rsp, "chat_datas");
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            CHECK(s_int(item, "seq") == next, "sync after %lld: seq %lld where %lld was due",
                  (long long)after, (long long)s_int(item, "seq"), (long long)next);
            next++;
        }
        bool more = json_is_true(json_object_get(rsp, "has_more"));
        CHECK(more == (next <= F + TOTAL), "has_more %d with %lld next", more, (long long)next);
        CHECK(json_array_size(items) == (size_t)SYNC_MAX || !more, "a short page before the end");
        json_decref(rsp);
        if (!more)
            break;
    }
    CHECK(next == F + TOTAL + 1, "sync after %lld ended at %lld", (long long)after,
          (long long)next);
}

static void s_case_paging(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatpaging", s_env);
    int64_t *ids = calloc(TOTAL, sizeof *ids), *seqs = calloc(TOTAL, sizeof *seqs);
    CHECK(ids && seqs, "memory");
    int64_t t0 = zclock_mono();
    s_send_many(p.a, p.bob, p.thread, "p", TOTAL);
    s_read_acks(p.a, "p", TOTAL, ids, seqs);
    printf("paging: %d messages sent through node1 and acknowledged in %lld ms\n", TOTAL,
           (long long)(zclock_mono() - t0));
    for (int i = 0; i < TOTAL; i++)
        CHECK(seqs[i] == F + i + 1, "message %d has seq %lld", i, (long long)seqs[i]);
    s_check_ids(p.st, p.thread, p.alice, "p", TOTAL, ids, seqs);

    /* history: newest page first, back to the first message (the two the thread started with
     * are the last page) */
    char *seen = calloc(F + TOTAL + 1, 1);
    CHECK(seen, "memory");
    int64_t cursor = 0, expect_top = F + TOTAL;
    int pages = 0;
    t0 = zclock_mono();
    for (;;) {
        CHECK(pages <= (F + TOTAL) / PAGE, "history does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.b, USCHAT_ID_LOAD_CHAT_REQ,
                                 uschat_req_load_older(p.thread, cursor), &rsp) == 0,
              "1029 page %d", pages);
        pages++;
        json_t *items = json_object_get(rsp, "chat_datas");
        size_t n = json_array_size(items);
        int64_t want = expect_top < PAGE ? expect_top : PAGE;
        CHECK(n == (size_t)want, "page %d has %zu messages", pages, n);
        int64_t first_seq = expect_top - want + 1;
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            int64_t seq = s_int(item, "seq");
            CHECK(seq == first_seq + (int64_t)i, "page %d item %zu: seq %lld, %lld due", pages, i,
                  (long long)seq, (long long)(first_seq + (int64_t)i));
            CHECK(!seen[seq], "seq %lld twice", (long long)seq);
            seen[seq] = 1;
            if (seq <= F)
                continue; /* the greeting and "We are friends now!" */
            char unique[32];
            snprintf(unique, sizeof unique, "p-%lld", (long long)(seq - F - 1));
            CHECK(s_int(item, "msg_id") == ids[seq - F - 1] && s_int(item, "sender") == p.alice &&
                      strcmp(s_str(item, "unique_id"), unique) == 0,
                  "seq %lld is the acknowledged message", (long long)seq);
        }
        cursor = s_int(rsp, "last_message_id");
        CHECK(cursor == s_int(json_array_get(items, 0), "msg_id"), "the cursor is the oldest");
        bool more = json_is_true(json_object_get(rsp, "load_more"));
        json_decref(rsp);
        expect_top = first_seq - 1;
        CHECK(more == (expect_top > 0), "load_more %d with %lld left", more, (long long)expect_top);
        if (!more)
            break;
    }
    for (int seq = 1; seq <= F + TOTAL; seq++)
        CHECK(seen[seq], "seq %d never paged", seq);
    printf("paging: %d history pages in %lld ms, each message exactly once\n", pages,
           (long long)(zclock_mono() - t0));
    /* one more page past the first message: empty, nothing more */
    json_t *rsp = NULL;
    CHECK(chat_stack_request(p.b, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(p.thread, cursor),
                             &rsp) == 0,
          "1029 past the start");
    CHECK(json_array_size(json_object_get(rsp, "chat_datas")) == 0 &&
              !json_is_true(json_object_get(rsp, "load_more")),
          "nothing before the first message");
    json_decref(rsp);

    const int64_t afters[] = {0, 1, 199, 200, 5000, 9799, 9999, F + TOTAL};
    for (size_t i = 0; i < sizeof afters / sizeof afters[0]; i++)
        s_check_sync(&p, afters[i]);
    printf("paging: sync after N returned exactly N+1..%d for N = 0, 1, 199, 200, 5000, 9799, "
           "9999, 10002\n",
           F + TOTAL);
    free(seen);
    free(ids);
    free(seqs);
    chat_pair_stop(&p);
}

/* ---- readback ---------------------------------------------------------------------------------
 */

#define READBACK_N 1000

static void s_case_readback(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=10000",
                         "USCHAT_CHAT_MESSAGE_ID_READBACK=1", NULL};
    chat_pair_t p;
    chat_pair_start(&p, "chatreadback", env);
    int64_t *ids[2], *seqs[2];
    for (int i = 0; i < 2; i++) {
        ids[i] = calloc(READBACK_N, sizeof *ids[i]);
        seqs[i] = calloc(READBACK_N, sizeof *seqs[i]);
        CHECK(ids[i] && seqs[i], "memory");
    }
    s_send_many(p.a, p.bob, p.thread, "ra", READBACK_N);
    s_send_many(p.b, p.alice, p.thread, "rb", READBACK_N);
    s_read_acks(p.a, "ra", READBACK_N, ids[0], seqs[0]);
    s_read_acks(p.b, "rb", READBACK_N, ids[1], seqs[1]);
    s_check_ids(p.st, p.thread, p.alice, "ra", READBACK_N, ids[0], seqs[0]);
    s_check_ids(p.st, p.thread, p.bob, "rb", READBACK_N, ids[1], seqs[1]);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(DISTINCT seq) = %d AND MAX(seq) = %d FROM chat_message WHERE "
             "thread_id = %lld",
             F + 2 * READBACK_N, F + 2 * READBACK_N, (long long)p.thread);
    CHECK(chat_stack_query_int(p.st, sql) == 1, "seqs 1..%d", F + 2 * READBACK_N);
    CHECK(chat_stack_wait_log(p.st, "node1", "message ids are read back", 0) == 0,
          "node1 read the ids back");
    for (int i = 0; i < 2; i++) {
        free(ids[i]);
        free(seqs[i]);
    }
    chat_pair_stop(&p);
}

/* ---- badinput ---------------------------------------------------------------------------------
 */

/* A 1017 frame with this exact body (bytes, not necessarily UTF-8); returns the 1018's error
 * and checks that the refusal carries no message. */
static int s_raw_text(uschat_session_t *s, const char *body, size_t len)
{
    uint8_t *frame = malloc(4 + len);
    CHECK(frame, "memory");
    frame[0] = (uint8_t)(USCHAT_ID_TEXT_CHAT_REQ >> 8);
    frame[1] = (uint8_t)(USCHAT_ID_TEXT_CHAT_REQ & 0xff);
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)(len & 0xff);
    memcpy(frame + 4, body, len);
    CHECK(uschat_session_send_bytes(s, frame, 4 + len) == 0, "send");
    free(frame);
    json_t *rsp = chat_stack_wait(s, USCHAT_ID_TEXT_CHAT_RSP);
    int error = (int)s_int(rsp, "error");
    CHECK(json_array_size(json_object_get(rsp, "chat_datas")) == 0, "a refusal with messages");
    json_decref(rsp);
    return error;
}

/* One 1017 built by the client library plus extra fields; returns the 1018's error. */
static int s_text(uschat_session_t *s, int64_t touid, int64_t thread, const char *content,
                  const char *unique, json_t *extra)
{
    uschat_text_t item = {content, unique};
    json_t *req = uschat_req_text_chat(touid, thread, &item, 1);
    CHECK(req, "request");
    if (extra)
        json_object_update(req, extra);
    json_decref(extra);
    json_t *rsp = NULL;
    int error = chat_stack_request(s, USCHAT_ID_TEXT_CHAT_REQ, req, &rsp);
    CHECK(error == 0 || json_array_size(json_object_get(rsp, "chat_datas")) == 0,
          "a refusal with messages");
    json_decref(rsp);
    return error;
}

static void s_case_badinput(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatbadmsg", NULL);
    int64_t carol = chat_stack_user(p.st, "carol"), dave = chat_stack_user(p.st, "dave");
    char tc[128], td[128];
    chat_stack_token(p.st, carol, tc, NULL);
    chat_stack_token(p.st, dave, td, NULL);
    uschat_session_t *c = chat_stack_login(p.st, 0, carol, tc, NULL);
    uschat_session_t *d = chat_stack_login(p.st, 1, dave, td, NULL);
    int64_t thread_ad = chat_stack_befriend(p.a, p.alice, d, dave);
    /* one good message first: seq 3 (after the two the thread started with), and "used-1" is
     * taken */
    CHECK(s_text(p.a, p.bob, p.thread, "fine", "used-1", NULL) == 0, "a good message");
    json_decref(chat_stack_wait(p.b, USCHAT_ID_NOTIFY_TEXT_CHAT));

    char big[4098];
    memset(big, 'x', 4097);
    big[4097] = 0;
    char long_id[66];
    memset(long_id, 'u', 65);
    long_id[65] = 0;
    CHECK(s_text(p.a, p.bob, p.thread, "", "e-1", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "empty content: 1015");
    CHECK(s_text(p.a, p.bob, p.thread, big, "e-2", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "4097 bytes: 1015");
    CHECK(s_text(p.a, p.bob, p.thread, "x", "", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "empty unique_id: 1015");
    CHECK(s_text(p.a, p.bob, p.thread, "x", long_id, NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "65-byte unique_id: 1015");
    CHECK(s_text(p.a, p.alice, p.thread, "x", "e-3", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "to oneself: 1015");
    CHECK(s_text(p.a, p.bob, p.thread, "x", "e-4",
                 json_pack("{sI}", "fromuid", (json_int_t)p.bob)) == USCHAT_ERR_UID_INVALID,
          "bob's fromuid in alice's message: 1011");
    CHECK(s_text(p.a, carol, p.thread, "x", "e-5", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "to carol, not a friend: 1016");
    CHECK(s_text(c, p.alice, p.thread, "x", "e-6", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "carol into alice and bob's thread: 1016");
    CHECK(s_text(p.a, dave, p.thread, "x", "e-7", NULL) == USCHAT_ERR_NOT_FRIENDS,
          "to dave (a friend) in the thread with bob: 1016");
    CHECK(s_text(p.a, p.bob, p.thread + thread_ad + 1000, "x", "e-8", NULL) ==
              USCHAT_ERR_NOT_FRIENDS,
          "a thread that does not exist: 1016");
    CHECK(s_text(p.a, dave, thread_ad, "x", "used-1", NULL) == USCHAT_ERR_OUT_OF_RANGE,
          "a unique_id already used with bob, now for dave: 1015");
    /* raw bodies: not UTF-8, no items, too many, an item without content */
    const char bad_utf8[] = "{\"touid\":%lld,\"thread_id\":%lld,\"text_array\":[{\"content\":"
                            "\"caf\xc3\x28\",\"unique_id\":\"e-9\"}]}";
    char body[8192];
    int n = snprintf(body, sizeof body, bad_utf8, (long long)p.bob, (long long)p.thread);
    CHECK(s_raw_text(p.a, body, (size_t)n) == USCHAT_ERR_OUT_OF_RANGE, "invalid UTF-8: 1015");
    n = snprintf(body, sizeof body, "{\"touid\":%lld,\"thread_id\":%lld,\"text_array\":[]}",
                 (long long)p.bob, (long long)p.thread);
    CHECK(s_raw_text(p.a, body, (size_t)n) == USCHAT_ERR_OUT_OF_RANGE, "no items: 1015");
    n = snprintf(body, sizeof body, "{\"touid\":%lld,\"thread_id\":%lld,\"text_array\":[",
                 (long long)p.bob, (long long)p.thread);
    for (int i = 0; i < 51; i++)
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "%s{\"content\":\"x\",\"unique_id\":\"m%d\"}", i ? "," : "", i);
    n += snprintf(body + n, sizeof body - (size_t)n, "]}");
    CHECK(s_raw_text(p.a, body, (size_t)n) == USCHAT_ERR_OUT_OF_RANGE, "51 items: 1015");
    n = snprintf(body, sizeof body,
                 "{\"touid\":%lld,\"thread_id\":%lld,\"text_array\":[{\"unique_id\":\"e-10\"}]}",
                 (long long)p.bob, (long long)p.thread);
    CHECK(s_raw_text(p.a, body, (size_t)n) == USCHAT_ERR_JSON, "no content: 1001");
    n = snprintf(body, sizeof body,
                 "{\"thread_id\":%lld,\"text_array\":[{\"content\":\"x\","
                 "\"unique_id\":\"e-11\"}]}",
                 (long long)p.thread);
    CHECK(s_raw_text(p.a, body, (size_t)n) == USCHAT_ERR_JSON, "no touid: 1001");

    /* two threads of two first messages each, and the good one */
    CHECK(chat_stack_query_int(p.st, "SELECT COUNT(*) FROM chat_message") == 2 * F + 1,
          "only the good message is stored");
    CHECK(chat_stack_query_int(p.st, "SELECT SUM(last_seq) FROM chat_thread") == 2 * F + 1,
          "no seq was used up");
    CHECK(uschat_session_queued(p.b) == 0 && uschat_session_queued(d) == 0 &&
              uschat_session_queued(c) == 0,
          "nobody got a push");
    /* and the thread goes on at the next seq */
    CHECK(s_text(p.a, p.bob, p.thread, "still fine", "e-12", NULL) == 0, "a good one again");
    CHECK(chat_stack_query_int(p.st, "SELECT MAX(seq) FROM chat_message") == F + 2, "seq 4");
    uschat_session_destroy(&c);
    uschat_session_destroy(&d);
    chat_pair_stop(&p);
}

/* ---- threads ----------------------------------------------------------------------------------
 */

#define THREADS_N 120

/* A new user NAME, friends with alice, with their private thread: straight into the database.
 * Returns the thread id; *uid gets the user's. */
static int64_t s_seed_friend(chat_pair_t *p, const char *name, int64_t *uid)
{
    char sql[512];
    *uid = chat_stack_user(p->st, name);
    int64_t lo = p->alice < *uid ? p->alice : *uid, hi = p->alice < *uid ? *uid : p->alice;
    snprintf(sql, sizeof sql,
             "INSERT INTO friend (self_id, friend_id) VALUES (%lld, %lld), (%lld, %lld)",
             (long long)p->alice, (long long)*uid, (long long)*uid, (long long)p->alice);
    CHECK(mysql_query(p->st->mysql, sql) == 0, "%s", mysql_error(p->st->mysql));
    CHECK(mysql_query(p->st->mysql, "INSERT INTO chat_thread (type) VALUES (0)") == 0, "thread");
    int64_t thread = (int64_t)mysql_insert_id(p->st->mysql);
    snprintf(sql, sizeof sql,
             "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (%lld, %lld, %lld)",
             (long long)thread, (long long)lo, (long long)hi);
    CHECK(mysql_query(p->st->mysql, sql) == 0, "%s", mysql_error(p->st->mysql));
    return thread;
}

static void s_case_threads(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatthreads", s_env);
    /* 119 more friends of alice with a thread each, straight into the database */
    int64_t friends[THREADS_N], threads[THREADS_N];
    friends[0] = p.bob;
    threads[0] = p.thread;
    for (int i = 1; i < THREADS_N; i++) {
        char name[32];
        snprintf(name, sizeof name, "friend%d", i);
        threads[i] = s_seed_friend(&p, name, &friends[i]);
    }
    /* in every third thread: alice writes once through node1, then i % 4 + 1 replies of the
     * friend are seeded in SQL (with last_seq); bob's thread (0) started with two messages */
    for (int i = 0; i < THREADS_N; i += 3) {
        int base = i ? 0 : F;
        uschat_text_t item = {"from alice", "x"};
        char unique[32];
        snprintf(unique, sizeof unique, "a-%d", i);
        item.unique_id = unique;
        CHECK(chat_stack_request(p.a, USCHAT_ID_TEXT_CHAT_REQ,
                                 uschat_req_text_chat(friends[i], threads[i], &item, 1), NULL) == 0,
              "alice writes in thread %d", i);
        for (int k = 0; k < i % 4 + 1; k++) {
            char sql[512];
            snprintf(sql, sizeof sql,
                     "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, "
                     "content) VALUES (%lld, %d, %lld, %lld, 'f-%d-%d', 'reply %d')",
                     (long long)threads[i], base + k + 2, (long long)friends[i], (long long)p.alice,
                     i, k, k);
            CHECK(mysql_query(p.st->mysql, sql) == 0, "%s", mysql_error(p.st->mysql));
            snprintf(sql, sizeof sql, "UPDATE chat_thread SET last_seq = %d WHERE id = %lld",
                     base + k + 2, (long long)threads[i]);
            CHECK(mysql_query(p.st->mysql, sql) == 0, "%s", mysql_error(p.st->mysql));
        }
    }
    /* alice's pages */
    int64_t cursor = 0, seen = 0, last_id = 0;
    for (int page = 0;; page++) {
        CHECK(page < 5, "the thread list does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.a, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(cursor),
                                 &rsp) == 0,
              "1025");
        json_t *list = json_object_get(rsp, "threads");
        size_t n = json_array_size(list);
        CHECK(n == (size_t)(THREADS_N - seen < 50 ? THREADS_N - seen : 50), "page %d: %zu threads",
              page, n);
        size_t j;
        json_t *t;
        json_array_foreach(list, j, t)
        {
            int64_t id = s_int(t, "thread_id");
            CHECK(id > last_id, "thread order");
            last_id = id;
            int i = 0;
            while (i < THREADS_N && threads[i] != id)
                i++;
            CHECK(i < THREADS_N, "thread %lld is not alice's", (long long)id);
            int64_t u1 = s_int(t, "user1_id"), u2 = s_int(t, "user2_id");
            CHECK((u1 == p.alice && u2 == friends[i]) || (u2 == p.alice && u1 == friends[i]),
                  "the pair of thread %lld", (long long)id);
            json_t *last = json_object_get(t, "last_msg");
            if (i % 3) {
                CHECK(s_int(t, "last_seq") == 0 && s_int(t, "unread") == 0 && json_is_null(last),
                      "thread %d: empty", i);
            } else {
                /* bob's "We are friends now!" is unread to alice too */
                int replies = i % 4 + 1, base = i ? 0 : F, unread = replies + (i ? 0 : 1);
                CHECK(s_int(t, "last_seq") == base + replies + 1, "thread %d: last_seq %lld", i,
                      (long long)s_int(t, "last_seq"));
                CHECK(s_int(t, "unread") == unread, "thread %d: unread %lld, %d due", i,
                      (long long)s_int(t, "unread"), unread);
                CHECK(s_int(last, "seq") == base + replies + 1 &&
                          s_int(last, "sender") == friends[i],
                      "thread %d: the last message", i);
            }
            seen++;
        }
        bool more = json_is_true(json_object_get(rsp, "load_more"));
        CHECK(more == (seen < THREADS_N), "load_more %d after %lld", more, (long long)seen);
        CHECK(s_int(rsp, "next_last_id") == last_id, "next_last_id is the last thread");
        cursor = s_int(rsp, "next_last_id");
        json_decref(rsp);
        if (!more)
            break;
    }
    CHECK(seen == THREADS_N, "%lld threads of %d", (long long)seen, THREADS_N);
    /* bob sees his one thread, alice's message in it unread */
    json_t *rsp = NULL;
    CHECK(chat_stack_request(p.b, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &rsp) == 0,
          "1025 of bob");
    json_t *t = json_array_get(json_object_get(rsp, "threads"), 0);
    CHECK(json_array_size(json_object_get(rsp, "threads")) == 1 && s_int(t, "unread") == 2,
          "bob: one thread, alice's greeting and message unread (bob's own are not)");
    json_decref(rsp);
    printf("threads: %d threads of one user paged 50 at a time\n", THREADS_N);
    chat_pair_stop(&p);
}

/* ---- long messages: pages that must be cut to fit one frame --------------------------------- */

#define LONG_N       300 /* messages of ~4 KB in alice and bob's thread */
#define LONG_THREADS 30  /* more threads of alice, each with a ~4 KB last message */

/* Seeds n messages of 4095 bytes ("m0001 " and 1363 three-byte characters) into thread,
 * senders taking turns, seqs from first_seq on, and sets last_seq. */
static void s_seed_long(chat_pair_t *p, int64_t thread, int64_t other, int first_seq, int n)
{
    for (int i = 0; i < n; i++) {
        char sql[512];
        int seq = first_seq + i;
        int64_t from = i % 2 ? other : p->alice, to = i % 2 ? p->alice : other;
        snprintf(sql, sizeof sql,
                 "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, "
                 "content) VALUES (%lld, %d, %lld, %lld, 'long-%lld-%d', CONCAT('m%04d ', "
                 "REPEAT(_utf8mb4 0xE4B8AD, 1363)))",
                 (long long)thread, seq, (long long)from, (long long)to, (long long)thread, seq,
                 seq);
        CHECK(mysql_query(p->st->mysql, sql) == 0, "%s", mysql_error(p->st->mysql));
    }
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE chat_thread SET last_seq = %d WHERE id = %lld",
             first_seq + n - 1, (long long)thread);
    CHECK(mysql_query(p->st->mysql, sql) == 0, "%s", mysql_error(p->st->mysql));
}

static void s_case_long(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatlong", s_env);
    /* after the two messages the thread started with */
    s_seed_long(&p, p.thread, p.bob, F + 1, LONG_N);
    int64_t threads[LONG_THREADS + 1];
    threads[0] = p.thread;
    for (int i = 1; i <= LONG_THREADS; i++) {
        char name[32];
        int64_t uid;
        snprintf(name, sizeof name, "long%d", i);
        threads[i] = s_seed_friend(&p, name, &uid);
        s_seed_long(&p, threads[i], uid, 1, 1);
    }

    /* sync after 0, 200 asked each time: fewer come (the frame is full), has_more says so, and
     * syncing on from the last seq got brings every message once, in order */
    int64_t next = F + 1, requests = 0;
    for (bool more = true; more; requests++) {
        CHECK(requests < LONG_N, "sync does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.b, USCHAT_ID_SYNC_REQ,
                                 uschat_req_sync(p.thread, next - 1, SYNC_MAX), &rsp) == 0,
              "1031 after %lld", (long long)(next - 1));
        json_t *items = json_object_get(rsp, "chat_datas");
        CHECK(json_array_size(items) > 0, "an empty sync page after %lld", (long long)(next - 1));
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            CHECK(s_int(item, "seq") == next, "sync: seq %lld where %lld was due",
                  (long long)s_int(item, "seq"), (long long)next);
            CHECK(strlen(s_str(item, "msg_content")) == 4095, "a whole message: %zu bytes",
                  strlen(s_str(item, "msg_content")));
            next++;
        }
        more = json_is_true(json_object_get(rsp, "has_more"));
        CHECK(more == (next <= F + LONG_N), "has_more %d with %lld next", more, (long long)next);
        json_decref(rsp);
    }
    CHECK(next == F + LONG_N + 1 && requests > LONG_N / SYNC_MAX + 1,
          "sync: %lld messages in %lld replies", (long long)(next - F - 1), (long long)requests);

    /* history from the newest: cut pages keep the newest messages, the cursor follows */
    int64_t cursor = 0, expect_seq = F + LONG_N, pages = 0;
    for (bool more = true; more; pages++) {
        CHECK(pages < LONG_N, "history does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.b, USCHAT_ID_LOAD_CHAT_REQ,
                                 uschat_req_load_older(p.thread, cursor), &rsp) == 0,
              "1029");
        json_t *items = json_object_get(rsp, "chat_datas");
        size_t n = json_array_size(items);
        CHECK(n > 0 && n < PAGE, "history page %lld: %zu messages", (long long)pages, n);
        for (size_t i = n; i > 0; i--) /* oldest first: check from the newest end */
            CHECK(s_int(json_array_get(items, i - 1), "seq") == expect_seq--, "history order");
        cursor = s_int(rsp, "last_message_id");
        CHECK(cursor == s_int(json_array_get(items, 0), "msg_id"), "the cursor is the oldest");
        more = json_is_true(json_object_get(rsp, "load_more"));
        CHECK(more == (expect_seq > 0), "load_more %d with seq %lld left", more,
              (long long)expect_seq);
        json_decref(rsp);
    }
    CHECK(expect_seq == 0, "history: %lld messages never came", (long long)expect_seq);

    /* forward from 0 (the seed's paging): cut pages keep the oldest, the cursor is the last */
    int64_t fcursor = 0, fnext = 1, fpages = 0;
    for (bool more = true; more; fpages++) {
        CHECK(fpages < LONG_N, "forward history does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.b, USCHAT_ID_LOAD_CHAT_REQ,
                                 uschat_req_load_chat(p.thread, fcursor), &rsp) == 0,
              "1029 forward");
        json_t *items = json_object_get(rsp, "chat_datas");
        size_t n = json_array_size(items);
        CHECK(n > 0 && n < PAGE, "forward page %lld: %zu messages", (long long)fpages, n);
        for (size_t i = 0; i < n; i++)
            CHECK(s_int(json_array_get(items, i), "seq") == fnext++, "forward order");
        fcursor = s_int(rsp, "last_message_id");
        CHECK(fcursor == s_int(json_array_get(items, n - 1), "msg_id"), "the cursor is the last");
        more = json_is_true(json_object_get(rsp, "load_more"));
        CHECK(more == (fnext <= F + LONG_N), "forward load_more %d before seq %lld", more,
              (long long)fnext);
        json_decref(rsp);
    }
    CHECK(fnext == F + LONG_N + 1, "forward: %lld messages", (long long)(fnext - 1));

    /* thread list: 31 threads with ~4 KB last messages do not fit one frame */
    int64_t seen = 0, last_id = 0, tcursor = 0, tpages = 0;
    for (bool more = true; more; tpages++) {
        CHECK(tpages < 10, "the thread list does not end");
        json_t *rsp = NULL;
        CHECK(chat_stack_request(p.a, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(tcursor),
                                 &rsp) == 0,
              "1025");
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(rsp, "threads"), i, t)
        {
            CHECK(s_int(t, "thread_id") > last_id, "thread order");
            last_id = s_int(t, "thread_id");
            CHECK(last_id == threads[seen], "thread %lld where %lld was due", (long long)last_id,
                  (long long)threads[seen]);
            seen++;
        }
        more = json_is_true(json_object_get(rsp, "load_more"));
        CHECK(more == (seen <= LONG_THREADS), "load_more %d after %lld", more, (long long)seen);
        tcursor = s_int(rsp, "next_last_id");
        CHECK(tcursor == last_id, "next_last_id is the last thread");
        json_decref(rsp);
    }
    CHECK(seen == LONG_THREADS + 1 && tpages > 1, "%lld threads in %lld pages", (long long)seen,
          (long long)tpages);

    /* 1006 has no paging: 200 more friends with long profiles are cut from its friend list */
    CHECK(mysql_query(p.st->mysql,
                      "INSERT INTO user (name, email, pwd_hash, nick, `desc`, icon) SELECT "
                      "CONCAT('wide', seq), CONCAT('wide', seq, '@example.com'), 'x', "
                      "REPEAT('n', 64), REPEAT('d', 255), REPEAT('i', 255) FROM seq_1_to_200") == 0,
          "%s", mysql_error(p.st->mysql));
    char sql[256], token[128];
    snprintf(sql, sizeof sql,
             "INSERT INTO friend (self_id, friend_id) SELECT %lld, uid FROM user WHERE name LIKE "
             "'wide%%'",
             (long long)p.alice);
    CHECK(mysql_query(p.st->mysql, sql) == 0, "%s", mysql_error(p.st->mysql));
    chat_stack_token(p.st, p.alice, token, NULL);
    json_t *login = NULL;
    uschat_session_t *again = chat_stack_login(p.st, 0, p.alice, token, &login);
    size_t friends = json_array_size(json_object_get(login, "friend_list"));
    CHECK(friends > LONG_THREADS && friends < 200, "1006 with %zu of %d friends", friends,
          LONG_THREADS + 201);
    json_decref(login);
    uschat_session_destroy(&again);
    printf("long: %d messages of 4 KB synced in %lld replies, paged back in %lld and forward in "
           "%lld; %d threads in %lld pages; a login with %zu of %d friends\n",
           LONG_N, (long long)requests, (long long)pages, (long long)fpages, LONG_THREADS + 1,
           (long long)tpages, friends, LONG_THREADS + 201);
    chat_pair_stop(&p);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "paging") == 0)
        s_case_paging();
    else if (strcmp(which, "readback") == 0)
        s_case_readback();
    else if (strcmp(which, "badinput") == 0)
        s_case_badinput();
    else if (strcmp(which, "threads") == 0)
        s_case_threads();
    else if (strcmp(which, "long") == 0)
        s_case_long();
    else {
        fprintf(stderr, "usage: test_chat_history paging|readback|threads|long|badinput\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
