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

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "mixed") == 0)
        s_case_mixed();
    else {
        fprintf(stderr, "usage: test_chat_batches mixed\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
