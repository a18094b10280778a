/* test_chat_outage.c - chat while Redis is down, against the real stack (chat_stack.h) on a
 * Redis server of this test's own (the suite's Redis is shared by tests running in parallel).
 *
 * Run by CTest as `test_chat_outage`: two friends on different nodes chat; Redis stops; the
 * messages sent meanwhile are still committed, acknowledged and pushed to the peer on the
 * other node (its node is the one it was last found on, chat_seen.h); Redis comes back empty
 * and a message sent at once, before the sessions wrote their presence again, still reaches
 * the peer. Skips (77) without tools/lib/servers.sh (USCHAT_TEST_SERVERS_SH).
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

static int s_servers(const char *what, const char *dir, int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *argv[] = {
        "/bin/bash", test_env("USCHAT_TEST_SERVERS_SH"), what, dir, port ? p : "redis", NULL};
    return test_run(argv, NULL, 60000);
}

/* alice sends one message to bob: acknowledged after the commit, and pushed to bob. */
static void s_exchange(chat_pair_t *p, const char *content)
{
    uschat_text_t item = {content, content};
    json_t *ack = NULL;
    CHECK(chat_stack_request(p->a, USCHAT_ID_TEXT_CHAT_REQ,
                             uschat_req_text_chat(p->bob, p->thread, &item, 1), &ack) == 0,
          "%s: acknowledged", content);
    int64_t seq = json_integer_value(
        json_object_get(json_array_get(json_object_get(ack, "chat_datas"), 0), "seq"));
    json_decref(ack);
    json_t *push = chat_stack_wait(p->b, USCHAT_ID_NOTIFY_TEXT_CHAT);
    json_t *got = json_array_get(json_object_get(push, "chat_datas"), 0);
    const char *text = json_string_value(json_object_get(got, "content"));
    CHECK(json_integer_value(json_object_get(got, "seq")) == seq && text &&
              strcmp(text, content) == 0,
          "%s: pushed to the peer on the other node", content);
    json_decref(push);
}

int main(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_SERVERS_SH", "USCHAT_TEST_REDIS_HOST", NULL});
    char *dir = test_tmpdir("chatredis-server");
    int port = test_free_port();
    CHECK(s_servers("start-redis", dir, port) == 0, "a Redis of our own");
    char value[16];
    snprintf(value, sizeof value, "%d", port);
    setenv("USCHAT_TEST_REDIS_PORT", value, 1); /* the stack and its checks use it */

    chat_pair_t p;
    chat_pair_start(&p, "chatredis", NULL);
    s_exchange(&p, "before");

    CHECK(s_servers("stop", dir, 0) == 0, "Redis stopped");
    for (int i = 0; i < 5; i++) {
        char content[32];
        snprintf(content, sizeof content, "during-%d", i);
        s_exchange(&p, content);
    }
    CHECK(chat_stack_wait_log(p.st, "node1", "not refreshed", 5000) == 0,
          "the node noticed Redis was gone");

    CHECK(s_servers("start-redis", dir, port) == 0, "Redis back (empty)");
    s_exchange(&p, "after");
    CHECK(chat_stack_query_int(p.st, "SELECT COUNT(*) FROM chat_message") == 7 &&
              chat_stack_query_int(p.st, "SELECT MAX(seq) FROM chat_message") == 7,
          "seven messages stored, seq 1..7");
    printf("outage: 5 messages sent while Redis was down were acknowledged and pushed across "
           "nodes\n");
    chat_pair_stop(&p);
    s_servers("stop", dir, 0);
    test_rmtree(dir);
    free(dir);
    return CHECK_DONE();
}
