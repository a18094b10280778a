/* test_chat_batches.c - batches of texts mixing messages the node must store and messages it
 * must refuse, against the real stack (chat_stack.h): broker, status, two chat nodes, Redis
 * and MariaDB.
 *
 * Run by CTest as `test_chat_batches CASE`:
 *   mixed     alice sends 400 one-item requests in bursts of 8, so that each burst commits in
 *             small batches (the first alone, the others together while it commits): every
 *             other one to bob (her friend, the thread's pair) and the others
 *             to carol in the same thread (not its pair: 1016). Each of bob's is acked once,
 *             the acks' seqs are the thread's next 200 in sending order, each ack names the row
 *             stored under its unique_id, nothing of carol's is stored, and the thread's
 *             last_seq is the last seq given out: a refused message takes no seq
 *   gather    alice sends 10 texts one at a time at 10 a second, then 200 at about 200 a
 *             second without waiting for the acks: all acked with the thread's next seqs in
 *             sending order, and the node commits the 200 in far fewer transactions (a batch
 *             waits for company under load, chat/message_gather_ms) while each of the 10 went
 *             alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define SENT    400
#define BURST   8
#define WAIT_MS 20000
#define F       CHAT_STACK_FIRST_SEQS /* a thread starts with two messages */

static int64_t s_int(const json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* Requests [from, from + BURST): i is bob's "ok-<i/2>" when even, carol's "no-<i/2>" when odd. */
static void s_send(chat_pair_t *p, int64_t carol, int from)
{
    for (int i = from; i < from + BURST; i++) {
        char content[32], unique[32];
        snprintf(content, sizeof content, "message %d", i);
        snprintf(unique, sizeof unique, "%s-%d", i % 2 ? "no" : "ok", i / 2);
        uschat_text_t item = {content, unique};
        CHECK(uschat_session_send_take(
                  p->a, USCHAT_ID_TEXT_CHAT_REQ,
                  uschat_req_text_chat(i % 2 ? carol : p->bob, p->thread, &item, 1)) == 0,
              "send %d", i);
    }
}

/* The replies of a burst: bob's acks into seqs[k] and ids[k], carol's refusals counted. */
static void s_replies(chat_pair_t *p, int64_t *seqs, int64_t *ids, int *acked, int *refused)
{
    for (int got = 0; got < BURST;) {
        uint16_t id = 0;
        json_t *body = NULL;
        CHECK(uschat_session_next(p->a, WAIT_MS, &id, &body) == 0, "%d acks and %d refusals of %d",
              *acked, *refused, SENT);
        if (id == USCHAT_ID_TEXT_CHAT_RSP) {
            json_t *items = json_object_get(body, "chat_datas");
            if (s_int(body, "error") != 0) {
                CHECK(s_int(body, "error") == USCHAT_ERR_NOT_FRIENDS, "refused with %lld",
                      (long long)s_int(body, "error"));
                CHECK(json_array_size(items) == 0, "a refusal with messages");
                (*refused)++;
                got++;
            } else {
                CHECK(json_array_size(items) == 1, "an ack of %zu messages",
                      json_array_size(items));
                json_t *item = json_array_get(items, 0);
                const char *u = json_string_value(json_object_get(item, "unique_id"));
                CHECK(u && strncmp(u, "ok-", 3) == 0, "ack of %s", u ? u : "(none)");
                int k = atoi(u + 3);
                CHECK(k >= 0 && k < SENT / 2 && seqs[k] == 0, "ack of %s twice", u);
                seqs[k] = s_int(item, "seq");
                ids[k] = s_int(item, "message_id");
                (*acked)++;
                got++;
            }
        }
        json_decref(body);
    }
}

static void s_case_mixed(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=10000", NULL};
    chat_pair_t p;
    chat_pair_start(&p, "chatmixed", env);
    int64_t carol = chat_stack_user(p.st, "carol");
    int64_t seqs[SENT / 2] = {0}, ids[SENT / 2] = {0};
    int acked = 0, refused = 0;
    for (int from = 0; from < SENT; from += BURST) {
        s_send(&p, carol, from);
        s_replies(&p, seqs, ids, &acked, &refused);
    }
    CHECK(acked == SENT / 2 && refused == SENT / 2, "%d acked, %d refused", acked, refused);
    for (int k = 0; k < SENT / 2; k++) {
        CHECK(seqs[k] == F + 1 + k, "ok-%d has seq %lld, %d due", k, (long long)seqs[k], F + 1 + k);
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM chat_message WHERE message_id = %lld AND thread_id = %lld "
                 "AND seq = %lld AND unique_id = 'ok-%d' AND recv_id = %lld",
                 (long long)ids[k], (long long)p.thread, (long long)seqs[k], k, (long long)p.bob);
        CHECK(chat_stack_query_int(p.st, sql) == 1, "ok-%d is stored as acked", k);
    }
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM chat_message WHERE unique_id LIKE 'no-%%'");
    CHECK(chat_stack_query_int(p.st, sql) == 0, "nothing of carol's stored");
    snprintf(sql, sizeof sql, "SELECT last_seq FROM chat_thread WHERE id = %lld",
             (long long)p.thread);
    CHECK(chat_stack_query_int(p.st, sql) == F + SENT / 2, "last_seq is the last seq acked");
    printf("mixed: %d acked in order and stored as acked, %d refused with 1016, none stored\n",
           SENT / 2, SENT / 2);
    chat_pair_stop(&p);
}

#define QUIET 10
#define BUSY  200

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends text i to bob ("g-<i>"). */
static void s_send_one(chat_pair_t *p, int i)
{
    char content[32], unique[32];
    snprintf(content, sizeof content, "gathered %d", i);
    snprintf(unique, sizeof unique, "g-%d", i);
    uschat_text_t item = {content, unique};
    CHECK(uschat_session_send_take(p->a, USCHAT_ID_TEXT_CHAT_REQ,
                                   uschat_req_text_chat(p->bob, p->thread, &item, 1)) == 0,
          "send %d", i);
}

/* The next ack: its seq; it must be text i's. */
static int64_t s_ack(chat_pair_t *p, int i)
{
    for (;;) {
        uint16_t id = 0;
        json_t *body = NULL;
        CHECK(uschat_session_next(p->a, WAIT_MS, &id, &body) == 0, "ack of g-%d", i);
        if (id != USCHAT_ID_TEXT_CHAT_RSP) {
            json_decref(body);
            continue;
        }
        json_t *item = json_array_get(json_object_get(body, "chat_datas"), 0);
        const char *u = json_string_value(json_object_get(item, "unique_id"));
        char want[32];
        snprintf(want, sizeof want, "g-%d", i);
        CHECK(s_int(body, "error") == 0 && u && strcmp(u, want) == 0, "ack %d is %s (error %lld)",
              i, u ? u : "(none)", (long long)s_int(body, "error"));
        int64_t seq = s_int(item, "seq");
        json_decref(body);
        return seq;
    }
}

/* node1's count of text batches committed, from the line its stop logs, and the mean time a
 * batch took in the worker (*ms). */
static long long s_batches(chat_stack_t *st, double *ms)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/node1.log", st->dir);
    FILE *f = fopen(path, "r");
    long long batches = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "chat: ");
        const char *worker = strstr(line, " ms a batch in the worker");
        if (at && worker && strstr(line, " message batches committed: ")) {
            batches = atoll(at + strlen("chat: "));
            while (worker > line && worker[-1] != ' ')
                worker--;
            *ms = atof(worker);
        }
    }
    if (f)
        fclose(f);
    return batches;
}

static void s_case_gather(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=10000", NULL};
    chat_pair_t p;
    chat_pair_start(&p, "chatgather", env);
    int64_t next = F + 1;
    for (int i = 0; i < QUIET; i++) {
        s_send_one(&p, i);
        CHECK(s_ack(&p, i) == next, "quiet text %d has seq %lld", i, (long long)next);
        next++;
        usleep(100 * 1000);
    }
    int64_t t0 = s_now_ms();
    for (int i = QUIET; i < QUIET + BUSY; i++) {
        s_send_one(&p, i);
        usleep(5000);
    }
    int64_t sent_ms = s_now_ms() - t0;
    for (int i = QUIET; i < QUIET + BUSY; i++) {
        CHECK(s_ack(&p, i) == next, "text %d has seq %lld", i, (long long)next);
        next++;
    }
    CHECK(chat_stack_stop_node(p.st, 0) == 0, "node1 stops");
    double worker_ms = 0;
    long long batches = s_batches(p.st, &worker_ms);
    printf("gather: %d quiet texts and %d sent in %lld ms, acked in order, committed in %lld "
           "transactions of %.2f ms each in the worker\n",
           QUIET, BUSY, (long long)sent_ms, batches, worker_ms);
    CHECK(batches >= QUIET + 1 && batches - QUIET <= BUSY / 2,
          "the %d quiet ones alone and the %d busy ones gathered: %lld transactions", QUIET, BUSY,
          batches);
    chat_pair_stop(&p);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "mixed") == 0)
        s_case_mixed();
    else if (strcmp(which, "gather") == 0)
        s_case_gather();
    else {
        fprintf(stderr, "usage: test_chat_batches mixed|gather\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
