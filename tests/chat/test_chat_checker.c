/* test_chat_checker.c - the message guarantees checked end to end, under churn, against the
 * real stack (chat_stack.h): broker, status, two chat nodes, Redis and MariaDB.
 *
 * Run by CTest as `test_chat_checker CASE`, one process (and one stack) per case:
 *   checker  the checker (chat_checker.h) for 70 rounds with churn; meanwhile node1 is stopped
 *            with SIGTERM and started again, node2 is killed with SIGKILL and started again.
 *            Lost / duplicated / reordered must all be 0.
 *   drain    a node gets SIGTERM while its commit lanes hold ~1,000 messages: it commits
 *            and acknowledges them before it exits (exit 0), and what is stored is exactly what
 *            was acknowledged.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chat_checker.h"
#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define ROUNDS 70

static chat_stack_t *s_st;

static void s_case_checker(void)
{
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=10000", NULL};
    s_st = chat_stack_start("chatcheck", env);
    checker_setup(s_st, "chk");
    for (int r = 0; r < ROUNDS; r++) {
        if (r == ROUNDS / 3) { /* node1 stops (drains) and comes back */
            int status = chat_stack_stop_node(s_st, 0);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node1 exit status 0x%x", status);
            chat_stack_start_node(s_st, 0);
        }
        if (r == 2 * ROUNDS / 3) { /* node2 dies */
            chat_stack_kill(&s_st->node[1]);
            chat_stack_start_node(s_st, 1);
        }
        checker_round(true, r < ROUNDS - 10);
    }
    checker_finish("checker");
    chat_stack_stop(&s_st);
}

/* ---- drain -------------------------------------------------------------------------------- */

#define DRAIN_SENDERS 4
#define DRAIN_EACH    250

static void s_case_drain(void)
{
    /* small batches: the lanes are still full when SIGTERM comes */
    const char *env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=60000",
                         "USCHAT_CHAT_MESSAGE_BATCH_MAX=8", "USCHAT_CHAT_DRAIN_MS=4000", NULL};
    s_st = chat_stack_start("chatdrain", env);
    uschat_session_t *senders[DRAIN_SENDERS], *peers[DRAIN_SENDERS];
    int64_t suid[DRAIN_SENDERS], puid[DRAIN_SENDERS], thread[DRAIN_SENDERS];
    for (int i = 0; i < DRAIN_SENDERS; i++) {
        char name[32], token[128];
        snprintf(name, sizeof name, "sender%d", i);
        suid[i] = chat_stack_user(s_st, name);
        chat_stack_token(s_st, suid[i], token, NULL);
        senders[i] = chat_stack_login(s_st, 0, suid[i], token, NULL);
        snprintf(name, sizeof name, "peer%d", i);
        puid[i] = chat_stack_user(s_st, name);
        chat_stack_token(s_st, puid[i], token, NULL);
        peers[i] = chat_stack_login(s_st, 1, puid[i], token, NULL);
        thread[i] = chat_stack_befriend(senders[i], suid[i], peers[i], puid[i]);
    }
    for (int k = 0; k < DRAIN_EACH; k++)
        for (int i = 0; i < DRAIN_SENDERS; i++) {
            char content[32], unique[32];
            snprintf(content, sizeof content, "drain %d", k);
            snprintf(unique, sizeof unique, "d%d-%d", i, k);
            uschat_text_t item = {content, unique};
            CHECK(uschat_session_send_take(senders[i], USCHAT_ID_TEXT_CHAT_REQ,
                                           uschat_req_text_chat(puid[i], thread[i], &item, 1)) == 0,
                  "send");
        }
    /* the first ack: the node is committing; stop it now */
    json_t *first = chat_stack_wait(senders[0], USCHAT_ID_TEXT_CHAT_RSP);
    CHECK(json_integer_value(json_object_get(first, "error")) == 0, "first ack");
    CHECK(test_kill(s_st->node[0], SIGTERM) == 0, "SIGTERM");
    int status = 0;
    CHECK(test_wait_exit(s_st->node[0], 10000, &status) == 0, "node1 exits");
    s_st->node[0] = 0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node1 exit status 0x%x", status);
    long long acked = 1, refused = 0, unanswered = 0;
    for (int i = 0; i < DRAIN_SENDERS; i++) {
        int64_t last_seq =
            i == 0 ? json_integer_value(json_object_get(
                         json_array_get(json_object_get(first, "chat_datas"), 0), "seq"))
                   : CHAT_STACK_FIRST_SEQS;
        int answers = i == 0 ? 1 : 0;
        for (;;) {
            uint16_t id = 0;
            json_t *body = NULL;
            if (uschat_session_next(senders[i], 2000, &id, &body) != 0)
                break; /* closed by the node, everything read */
            if (id == USCHAT_ID_TEXT_CHAT_RSP) {
                answers++;
                int64_t error = json_integer_value(json_object_get(body, "error"));
                int64_t seq = json_integer_value(
                    json_object_get(json_array_get(json_object_get(body, "chat_datas"), 0), "seq"));
                if (error == 0) {
                    CHECK(seq == last_seq + 1, "sender %d: seq %lld after %lld", i, (long long)seq,
                          (long long)last_seq);
                    last_seq = seq;
                    acked++;
                } else {
                    CHECK(error == USCHAT_ERR_BUSY, "error %lld while stopping", (long long)error);
                    refused++;
                }
            }
            json_decref(body);
        }
        unanswered += DRAIN_EACH - answers;
    }
    json_decref(first);
    long long rows = chat_stack_query_int(
        s_st, "SELECT COUNT(*) FROM chat_message WHERE unique_id NOT LIKE 'friends-%'");
    printf("drain: %d messages sent, %lld acknowledged, %lld refused (1018 after SIGTERM), %lld "
           "unanswered (not read before the close), %lld stored\n",
           DRAIN_SENDERS * DRAIN_EACH, acked, refused, unanswered, rows);
    CHECK(chat_stack_wait_log(s_st, "node1", "chat: stopping: draining", 0) == 0,
          "node1 had messages to drain");
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/node1.log", s_st->dir);
    FILE *log = fopen(path, "r");
    unsigned draining = 0;
    while (log && fgets(line, sizeof line, log)) {
        const char *p = strstr(line, "chat: stopping: draining ");
        if (p)
            sscanf(p, "chat: stopping: draining %u", &draining);
    }
    if (log)
        fclose(log);
    printf("drain: node1 held %u messages in its lanes at SIGTERM\n", draining);
    CHECK(draining > 0, "nothing to drain: the case tests nothing");
    CHECK(chat_stack_wait_log(s_st, "node1", "drain done", 0) == 0, "node1 drained in time");
    CHECK(rows == acked, "stored %lld, acknowledged %lld", rows, acked);
    /* the peers on node2 got every acknowledged message */
    long long pushed = 0;
    for (int i = 0; i < DRAIN_SENDERS; i++) {
        uint16_t id = 0;
        json_t *body = NULL;
        while (uschat_session_next(peers[i], 1000, &id, &body) == 0) {
            if (id == USCHAT_ID_NOTIFY_TEXT_CHAT)
                pushed += (long long)json_array_size(json_object_get(body, "chat_datas"));
            json_decref(body);
        }
    }
    CHECK(pushed == acked, "pushed %lld of %lld", pushed, acked);
    for (int i = 0; i < DRAIN_SENDERS; i++) {
        uschat_session_destroy(&senders[i]);
        uschat_session_destroy(&peers[i]);
    }
    chat_stack_stop(&s_st);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "checker") == 0)
        s_case_checker();
    else if (strcmp(which, "drain") == 0)
        s_case_drain();
    else {
        fprintf(stderr, "usage: test_chat_checker checker|drain\n");
        return 2;
    }
    printf("ok %s\n", which);
    return 0;
}
