/* test_flow.c - uschat-monitor watching a real register + login + friend request across two
 * chat nodes, on one host.
 *
 * Starts the broker, one uschatd with gate, varify and status, two uschatd chat nodes
 * (chat.node1, chat.node2), and monitors: plain text, --json, --type chat_push, --uid (the
 * second user), --node chat.node2. Two users register (code read from varify's mail folder),
 * log in (status sends them to different nodes), become friends across the nodes, and the
 * first sends the second a burst of messages in one write, which the node commits together
 * and pushes to the other node as one chat_push list. Then the outputs are checked: the
 * expected message types in order, every pushed message readable in the monitor (each record
 * of a list decoded, none hidden as bytes), secrets (codes, tokens, passwords) never shown,
 * every --json line parseable, each filter showing only its part.
 * Needs the test Redis and MariaDB (skips without them) and every service built.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow.h"
#include "harness.h"
#include "test_stack.h"
#include "test_support.h"

static test_stack_t g_stack;

static const char *s_path(const char *name)
{
    return test_stack_path(&g_stack, name);
}

#define BURST 12
static char g_burst_text[BURST][48];
static const char *g_burst[BURST];

/* The line of text (from line start to its newline) holding needle at or after from, or NULL;
 * *len its length. */
static const char *s_line_of(const char *text, const char *needle, const char *from, size_t *len)
{
    const char *hit = strstr(from ? from : text, needle);
    if (!hit)
        return NULL;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    *len = end ? (size_t)(end - start) : strlen(start);
    return start;
}

static bool s_in_line(const char *line, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(line + i, needle, n) == 0)
            return true;
    return false;
}

static int s_count_in_line(const char *line, size_t len, const char *needle)
{
    int count = 0;
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(line + i, needle, n) == 0)
            count++;
    return count;
}

/* The burst crossed node1 -> node2 as chat_push lists, and the monitor decoded every record:
 * each message's text is on a chat_push line between the nodes, and one line holds several. */
static void s_check_burst(const char *text, int64_t to_uid)
{
    const char *across = "chat/chat.node1 -> chat/chat.node2 notify chat_push ";
    int most = 0;
    for (const char *at = text; at && *at;) {
        size_t len;
        const char *line = s_line_of(text, across, at, &len);
        if (!line)
            break;
        int n = s_count_in_line(line, len, "frame=1019");
        most = n > most ? n : most;
        at = line + len;
    }
    CHECK(most >= 2, "no chat_push between the nodes carried more than %d message(s)", most);
    char uid[40];
    snprintf(uid, sizeof(uid), "{uid=%lld,", (long long)to_uid);
    for (int i = 0; i < BURST; i++) {
        size_t len;
        const char *line = s_line_of(text, g_burst[i], NULL, &len);
        CHECK(line && s_in_line(line, len, across) && s_in_line(line, len, uid),
              "message \"%s\" not shown as a record of a chat_push to uid %lld", g_burst[i],
              (long long)to_uid);
    }
    CHECK(!strstr(text, "chat_pushes") && !strstr(text, "pushes=<"),
          "pushes shown as bytes, not records");
}

/* --json: the burst's records are objects of a "pushes" array. */
static int s_json_burst_records(json_t *body, int64_t to_uid)
{
    json_t *pushes = json_object_get(body, "pushes");
    int found = 0;
    for (size_t i = 0; i < json_array_size(pushes); i++) {
        json_t *p = json_array_get(pushes, i);
        const char *text = json_string_value(json_object_get(p, "body"));
        if (json_integer_value(json_object_get(p, "uid")) != to_uid ||
            json_integer_value(json_object_get(p, "frame")) != 1019 || !text)
            continue;
        for (int k = 0; k < BURST; k++)
            found += strstr(text, g_burst[k]) != NULL;
    }
    return found;
}

/* Checks what every monitor printed; a and b are the two users, watched_uid the one the --uid
 * monitor was started for. */
static void s_check_outputs(const flow_user_t *a, const flow_user_t *b, int64_t watched_uid)
{
    char *text = test_read_file(s_path("all.out"));
    fprintf(stderr, "---- uschat-monitor ----\n%s------------------------\n", text);
    const char *order[] = {"request varify_get_code",
                           "reply varify_result",
                           "request varify_check",
                           "reply varify_result",
                           "request status_login ",
                           "reply status_login_rsp",
                           "frame=1011",
                           "frame=1015",
                           NULL};
    harness_check_order(text, order);
    CHECK(harness_count_lines(text, "request varify_check") >= 2 &&
              harness_count_lines(text, "request varify_check") ==
                  harness_count_lines(text, "code=***"),
          "varify_check lines without code=***");
    CHECK(harness_count_lines(text, "token=***") >= 2, "status_login_rsp without token=***");
    CHECK(harness_count_lines(text, "notify chat_push") >= 2, "no chat_push between nodes");
    CHECK(harness_count_lines(text, " heartbeat ") == 0, "heartbeats shown by default");
    /* the pushes cross the nodes, one each way */
    char across1[128], across2[128];
    snprintf(across1, sizeof(across1), "chat/chat.node1 -> chat/chat.node2 notify chat_push");
    snprintf(across2, sizeof(across2), "chat/chat.node2 -> chat/chat.node1 notify chat_push");
    CHECK(harness_count_lines(text, across1) >= 1 && harness_count_lines(text, across2) >= 1,
          "chat_push not seen both ways between the nodes");
    s_check_burst(text, b->uid);
    free(text);

    /* secrets: no code, token or password of either user anywhere */
    const char *names[] = {"all.out", "all.err", "json.out", "type.out", "uid.out", "node.out"};
    const flow_user_t *users[] = {a, b};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *out = test_read_file(s_path(names[i]));
        for (int u = 0; u < 2; u++) {
            CHECK(!strstr(out, users[u]->passwd), "%s shows a password", names[i]);
            CHECK(!*users[u]->token || !strstr(out, users[u]->token), "%s shows a token", names[i]);
            char code_field[40];
            snprintf(code_field, sizeof(code_field), "\"code\":\"%s\"", users[u]->code);
            CHECK(!strstr(out, code_field), "%s shows a code", names[i]);
            snprintf(code_field, sizeof(code_field), "code=\"%s\"", users[u]->code);
            CHECK(!strstr(out, code_field), "%s shows a code", names[i]);
        }
        free(out);
    }

    /* --json: every line an object; the masked fields are "***" */
    text = test_read_file(s_path("json.out"));
    int lines = harness_check_json(text);
    CHECK(lines >= 10, "only %d JSON lines", lines);
    int masked_codes = 0, pushes = 0, burst_records = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_t *o = json_loadb(line, len, 0, NULL);
        const char *type = json_string_value(json_object_get(o, "type"));
        json_t *body = json_object_get(o, "body");
        if (type && strcmp(type, "varify_check") == 0) {
            const char *code = json_string_value(json_object_get(body, "code"));
            masked_codes += code && strcmp(code, "***") == 0;
        }
        if (type && strcmp(type, "chat_push") == 0) {
            json_t *first = json_array_get(json_object_get(body, "pushes"), 0);
            pushes += json_is_integer(json_object_get(first, "uid"));
            burst_records += s_json_burst_records(body, b->uid);
        }
        json_decref(o);
        line += len + (end ? 1 : 0);
    }
    CHECK(masked_codes >= 2, "JSON varify_check with code \"***\": %d", masked_codes);
    CHECK(pushes >= 2, "JSON chat_push with an integer uid: %d", pushes);
    CHECK(burst_records == BURST, "JSON: %d of the %d messages as push records", burst_records,
          BURST);
    free(text);

    /* --type chat_push: nothing else */
    text = test_read_file(s_path("type.out"));
    CHECK(harness_count_lines(text, "") >= 2 &&
              harness_count_lines(text, "") == harness_count_lines(text, " chat_push "),
          "--type chat_push:\n%s", text);
    free(text);

    /* --uid: only messages about that user, and at least its login and a push */
    text = test_read_file(s_path("uid.out"));
    char uid[32];
    snprintf(uid, sizeof(uid), "=%lld", (long long)watched_uid);
    CHECK(harness_count_lines(text, "") >= 2 &&
              harness_count_lines(text, "") == harness_count_lines(text, uid),
          "--uid %lld:\n%s", (long long)watched_uid, text);
    CHECK(harness_count_lines(text, "status_login") >= 1 &&
              harness_count_lines(text, "chat_push") >= 1,
          "--uid: no login or push:\n%s", text);
    free(text);

    /* --node chat.node2: every line involves chat.node2 */
    text = test_read_file(s_path("node.out"));
    CHECK(harness_count_lines(text, "") >= 2 &&
              harness_count_lines(text, "") == harness_count_lines(text, "chat.node2"),
          "--node chat.node2:\n%s", text);
    free(text);
}

int main(void)
{
    const char *need[] = {"USCHAT_TEST_REDIS_PORT", "USCHAT_TEST_MYSQL_PORT",
                          "USCHAT_TEST_MYSQL_USER", NULL};
    test_require_env(need);
    test_binary("broker/uschat-broker");
    test_binary("tools/monitor/uschat-monitor");
    test_require_services((const char *[]){"gate", "varify", "status", "chat", NULL});
    test_stack_init(&g_stack, "flow", TEST_STACK_SERVERS);
    const char *dir = g_stack.dir;
    int node1_port = g_stack.chat_port, node2_port = test_free_port();
    pid_t broker = test_stack_broker(&g_stack, NULL);
    CHECK(broker > 0, "broker");

    const char *tap_args[] = {"--tap", g_stack.tap, NULL};
    pid_t all = harness_monitor(dir, NULL, "all", tap_args);
    const char *json_args[] = {"--tap", g_stack.tap, "--json", NULL};
    pid_t json = harness_monitor(dir, NULL, "json", json_args);
    const char *type_args[] = {"--tap", g_stack.tap, "--type", "chat_push", NULL};
    pid_t type = harness_monitor(dir, NULL, "type", type_args);
    const char *node_args[] = {"--tap", g_stack.tap, "--node", "chat.node2", NULL};
    pid_t node = harness_monitor(dir, NULL, "node", node_args);
    CHECK(all > 0 && json > 0 && type > 0 && node > 0, "monitors");

    const char *core_args[] = {"--service", "gate",   "--service", "varify",
                               "--service", "status", NULL};
    pid_t core = test_stack_uschatd(&g_stack, "core.log", core_args, NULL);
    pid_t nodes[2] = {-1, -1};
    int ports[2] = {node1_port, node2_port};
    for (int i = 0; i < 2; i++) {
        char e_port[64], name[32], log[32];
        snprintf(e_port, sizeof(e_port), "USCHAT_CHAT_PORT=%d", ports[i]);
        snprintf(name, sizeof(name), "chat.node%d", i + 1);
        snprintf(log, sizeof(log), "node%d.log", i + 1);
        const char *nenv[] = {e_port, "USCHAT_CHAT_HOST=127.0.0.1",
                              "USCHAT_CHAT_PUBLIC_HOST=127.0.0.1", NULL};
        const char *nargs[] = {"--service", "chat", "--node", name, NULL};
        nodes[i] = test_stack_uschatd(&g_stack, log, nargs, nenv);
    }
    CHECK(core > 0 && test_wait_port(g_stack.gate_port, 10000) == 0,
          "gate did not start (core.log)");
    CHECK(test_stack_wait_ready(&g_stack, "chat.node1", 10000) == 0 &&
              test_stack_wait_ready(&g_stack, "chat.node2", 10000) == 0,
          "chat nodes did not register");
    usleep(1500 * 1000); /* the nodes report to status once a second */

    flow_config_t config = {
        .gate_url = g_stack.gate_url, .mail_dir = g_stack.mail_dir, .timeout_ms = 5000};
    flow_user_t a, b;
    flow_user_init(&a, "ann");
    flow_user_init(&b, "bob");
    pid_t uid_mon = -1;
    int64_t watched_uid = 0;
    if (check_failures == 0) {
        CHECK(flow_register(&config, &a) == 0, "register a");
        CHECK(flow_register(&config, &b) == 0, "register b");
        char uid_arg[32];
        watched_uid = b.uid;
        snprintf(uid_arg, sizeof(uid_arg), "%lld", (long long)b.uid);
        const char *uid_args[] = {"--tap", g_stack.tap, "--uid", uid_arg, NULL};
        uid_mon = harness_monitor(dir, NULL, "uid", uid_args);
        CHECK(flow_login(&config, &a) == 0, "login a");
        usleep(1500 * 1000); /* a's node reports its new load: b goes to the other one */
        CHECK(flow_login(&config, &b) == 0, "login b");
        CHECK(a.port != b.port, "both users on the node at port %d", a.port);
        if (a.port == node2_port) { /* keep "b is on chat.node2" true for the checks */
            flow_user_t t = a;
            a = b;
            b = t;
        }
        if (check_failures == 0)
            CHECK(flow_befriend(&config, &a, &b) == 0, "friend request across the nodes");
        for (int i = 0; i < BURST; i++) {
            snprintf(g_burst_text[i], sizeof(g_burst_text[i]), "burst %02d of %d", i + 1, BURST);
            g_burst[i] = g_burst_text[i];
        }
        if (check_failures == 0)
            CHECK(flow_message_burst(&config, &a, &b, g_burst, BURST) == 0,
                  "a burst of messages across the nodes");
        usleep(500 * 1000);
    }
    harness_interrupt(all, "all");
    harness_interrupt(json, "json");
    harness_interrupt(type, "type");
    harness_interrupt(node, "node");
    harness_interrupt(uid_mon, "uid");
    if (check_failures == 0)
        s_check_outputs(&a, &b, watched_uid);

    flow_user_clear(&a);
    flow_user_clear(&b);
    for (int i = 0; i < 2; i++)
        test_stop(nodes[i], 5000, NULL);
    test_stop(core, 5000, NULL);
    test_stop(broker, 5000, NULL);
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    test_stack_destroy(&g_stack, check_failures != 0);
    return CHECK_DONE();
}
