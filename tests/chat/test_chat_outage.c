/* test_chat_outage.c - chat while a server is down, against the real stack (chat_stack.h) on
 * a server of this test's own (the suite's servers are shared by tests running in parallel).
 *
 * Run by CTest as `test_chat_outage CASE`:
 *   redis    two friends on different nodes chat; Redis stops; the messages sent meanwhile are
 *            still committed, acknowledged and pushed to the peer on the other node (its node
 *            is the one it was last found on, chat_seen.h); Redis comes back empty and a
 *            message sent at once, before the sessions wrote their presence again, still
 *            reaches the peer
 *   mariadb  MariaDB stops: a message sent meanwhile is refused (1002) and nothing is
 *            acknowledged; once it is back, the same message sent again (same unique_id) is
 *            stored once, with the next seq, and pushed; nothing is lost, doubled or skipped
 *   broker   the broker is killed (kill -9); alice, on node1, sends to bob, on node2, once
 *            node1 noticed: the message is stored and acknowledged, and node1 holds the push;
 *            once the broker is back (seconds later, after node1 rebuilt its broker socket)
 *            bob gets it pushed, without asking; a message after it follows in order
 * Skips (77) without tools/lib/servers.sh (USCHAT_TEST_SERVERS_SH).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

/* alice sends one message to bob (its content is its unique_id); returns the 1018's error,
 * *seq the seq it was stored with (0 when none). */
static int s_send(chat_pair_t *p, const char *content, int64_t *seq)
{
    uschat_text_t item = {content, content};
    json_t *ack = NULL;
    int error = chat_stack_request(p->a, USCHAT_ID_TEXT_CHAT_REQ,
                                   uschat_req_text_chat(p->bob, p->thread, &item, 1), &ack);
    *seq = json_integer_value(
        json_object_get(json_array_get(json_object_get(ack, "chat_datas"), 0), "seq"));
    json_decref(ack);
    return error;
}

/* bob gets the message as a 1019 (on the other node). */
static void s_expect_push(chat_pair_t *p, int64_t seq, const char *content)
{
    json_t *push = chat_stack_wait(p->b, USCHAT_ID_NOTIFY_TEXT_CHAT);
    json_t *got = json_array_get(json_object_get(push, "chat_datas"), 0);
    const char *text = json_string_value(json_object_get(got, "content"));
    CHECK(json_integer_value(json_object_get(got, "seq")) == seq && text &&
              strcmp(text, content) == 0,
          "%s: pushed to the peer on the other node with seq %lld", content, (long long)seq);
    json_decref(push);
}

/* One message: acknowledged after the commit, and pushed to bob. */
static void s_exchange(chat_pair_t *p, const char *content)
{
    int64_t seq = 0;
    CHECK(s_send(p, content, &seq) == 0 && seq > 0, "%s: acknowledged", content);
    s_expect_push(p, seq, content);
}

/* The thread holds exactly n messages after the two it started with, seq 1..2+n. */
static void s_check_stored(chat_pair_t *p, int n)
{
    int all = CHAT_STACK_FIRST_SEQS + n;
    CHECK(chat_stack_query_int(p->st, "SELECT COUNT(*) FROM chat_message") == all &&
              chat_stack_query_int(p->st, "SELECT MAX(seq) FROM chat_message") == all,
          "%d messages stored, seq 1..%d", n, all);
}

/* Stops the test's own server and removes its folder. */
static void s_server_done(char *dir, const char *name)
{
    chat_stack_servers("stop", dir, name);
    test_rmtree(dir);
    free(dir);
}

static void s_case_redis(void)
{
    char *dir = test_tmpdir("chatredis-server");
    char port[16];
    /* without persistence: the case is about a Redis that comes back empty */
    setenv("SERVERS_REDIS_PERSIST", "no", 1);
    snprintf(port, sizeof port, "%d", chat_stack_own_redis(dir));

    chat_pair_t p;
    chat_pair_start(&p, "chatredis", NULL);
    s_exchange(&p, "before");

    CHECK(chat_stack_servers("stop", dir, "redis") == 0, "Redis stopped");
    for (int i = 0; i < 5; i++) {
        char content[32];
        snprintf(content, sizeof content, "during-%d", i);
        s_exchange(&p, content);
    }
    CHECK(chat_stack_wait_log(p.st, "node1", "not refreshed", 5000) == 0,
          "the node noticed Redis was gone");

    CHECK(chat_stack_servers("start-redis", dir, port) == 0, "Redis back (empty)");
    s_exchange(&p, "after");
    s_check_stored(&p, 7);
    printf("redis: 5 messages sent while Redis was down were acknowledged and pushed across "
           "nodes\n");
    chat_pair_stop(&p);
    s_server_done(dir, "redis");
}

static void s_case_mariadb(void)
{
    char *dir = test_tmpdir("chatmariadb-server");
    char port[16];
    snprintf(port, sizeof port, "%d", chat_stack_own_mariadb(dir));

    chat_pair_t p;
    chat_pair_start(&p, "chatmariadb", NULL);
    bool reconnect = true; /* the test's own connection outlives the restart */
    mysql_options(p.st->mysql, MYSQL_OPT_RECONNECT, &reconnect);
    s_exchange(&p, "before");

    CHECK(chat_stack_servers("stop", dir, "mariadb") == 0, "MariaDB stopped");
    int64_t seq = 0;
    int error = s_send(&p, "during", &seq);
    CHECK(error == USCHAT_ERR_RPC && seq == 0, "refused while MariaDB is down: %d", error);

    CHECK(chat_stack_servers("start-mariadb", dir, port) == 0, "MariaDB back");
    /* the client sends it again until it is taken (the node's connections come back) */
    for (int i = 0; i < 50 && error != 0; i++) {
        usleep(200 * 1000);
        error = s_send(&p, "during", &seq);
    }
    CHECK(error == 0 && seq == CHAT_STACK_FIRST_SEQS + 2,
          "stored once MariaDB is back, with the next seq: %d, seq %lld", error, (long long)seq);
    s_expect_push(&p, CHAT_STACK_FIRST_SEQS + 2, "during");
    s_exchange(&p, "after");
    s_check_stored(&p, 3); /* the refused one once */
    printf("mariadb: a message refused while MariaDB was down was stored once when sent "
           "again\n");
    chat_pair_stop(&p);
    s_server_done(dir, "mariadb");
}

static void s_case_broker(void)
{
    chat_pair_t p;
    chat_pair_start(&p, "chatbroker", NULL);
    s_exchange(&p, "before");
    chat_stack_kill(&p.st->broker);
    CHECK(chat_stack_wait_log(p.st, "node1", "no sign of life", 10000) == 0,
          "node1 noticed the broker is gone");
    int64_t seq = 0;
    CHECK(s_send(&p, "during", &seq) == 0 && seq == CHAT_STACK_FIRST_SEQS + 2,
          "acknowledged while the broker is down");
    usleep(4000 * 1000); /* past the broker client's liveness: its socket is rebuilt */
    int64_t t0 = zclock_mono();
    chat_stack_start_broker(p.st, "broker-2");
    json_t *push = NULL;
    CHECK(uschat_session_wait(p.b, USCHAT_ID_NOTIFY_TEXT_CHAT, 20000, &push) == 0,
          "bob got the message sent while the broker was down, pushed once it is back");
    json_t *got = json_array_get(json_object_get(push, "chat_datas"), 0);
    CHECK(json_integer_value(json_object_get(got, "seq")) == seq, "the push of the same seq");
    json_decref(push);
    printf("broker: the push held by node1 reached bob %lld ms after the broker restarted\n",
           (long long)(zclock_mono() - t0));
    s_exchange(&p, "after");
    s_check_stored(&p, 3);
    chat_pair_stop(&p);
}

int main(int argc, char **argv)
{
    test_require_env((const char *[]){"USCHAT_TEST_SERVERS_SH", NULL});
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "redis") == 0)
        s_case_redis();
    else if (strcmp(which, "mariadb") == 0)
        s_case_mariadb();
    else if (strcmp(which, "broker") == 0)
        s_case_broker();
    else {
        fprintf(stderr, "usage: test_chat_outage redis|mariadb|broker\n");
        return 2;
    }
    return CHECK_DONE();
}
