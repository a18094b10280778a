/* test_flow.c - uschat-monitor watching a real register + login + friend request across two
 * chat nodes, on one host.
 *
 * Starts the broker, one uschatd with gate, varify and status, two uschatd chat nodes
 * (chat.node1, chat.node2), and monitors: plain text, --json, --type chat_push, --uid (the
 * second user), --node chat.node2. Two users register (code read from varify's mail folder),
 * log in (status sends them to different nodes), and become friends across the nodes. Then
 * the outputs are checked: the expected message types in order, secrets (codes, tokens,
 * passwords) never shown, every --json line parseable, each filter showing only its part.
 * Needs the test Redis and MariaDB (skips without them) and every service built.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow.h"
#include "harness.h"
#include "test_support.h"

static char *g_dir;

static const char *s_path(const char *name)
{
    static char paths[8][1024];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 1024, "%s/%s", g_dir, name);
    return p;
}

static void s_require_services(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' --list", test_binary("actors/uschatd/uschatd"));
    FILE *list = popen(cmd, "r");
    char all[512] = " ", line[64];
    while (list && fgets(line, sizeof(line), list)) {
        line[strcspn(line, "\n")] = '\0';
        strncat(all, line, sizeof(all) - strlen(all) - 2);
        strcat(all, " ");
    }
    if (list)
        pclose(list);
    const char *need[] = {"gate", "varify", "status", "chat"};
    for (int i = 0; i < 4; i++) {
        char word[32];
        snprintf(word, sizeof(word), " %s ", need[i]);
        if (!strstr(all, word)) {
            fprintf(stderr, "SKIP: uschatd has no %s service yet\n", need[i]);
            exit(TEST_SKIP);
        }
    }
}

/* Checks what every monitor printed; a and b are the two users, watched_uid the one the --uid
 * monitor was started for. */
static void s_check_outputs(const flow_user_t *a, const flow_user_t *b, int64_t watched_uid)
{
    char *text = harness_read(s_path("all.out"));
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
    free(text);

    /* secrets: no code, token or password of either user anywhere */
    const char *names[] = {"all.out", "all.err", "json.out", "type.out", "uid.out", "node.out"};
    const flow_user_t *users[] = {a, b};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *out = harness_read(s_path(names[i]));
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
    text = harness_read(s_path("json.out"));
    int lines = harness_check_json(text);
    CHECK(lines >= 10, "only %d JSON lines", lines);
    int masked_codes = 0, pushes = 0;
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
        if (type && strcmp(type, "chat_push") == 0 && json_is_integer(json_object_get(body, "uid")))
            pushes++;
        json_decref(o);
        line += len + (end ? 1 : 0);
    }
    CHECK(masked_codes >= 2, "JSON varify_check with code \"***\": %d", masked_codes);
    CHECK(pushes >= 2, "JSON chat_push with an integer uid: %d", pushes);
    free(text);

    /* --type chat_push: nothing else */
    text = harness_read(s_path("type.out"));
    CHECK(harness_count_lines(text, "") >= 2 &&
              harness_count_lines(text, "") == harness_count_lines(text, " chat_push "),
          "--type chat_push:\n%s", text);
    free(text);

    /* --uid: only messages about that user, and at least its login and a push */
    text = harness_read(s_path("uid.out"));
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
    text = harness_read(s_path("node.out"));
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
    s_require_services();
    g_dir = test_tmpdir("flow");
    char db[80];
    if (!g_dir || test_db_create("flow", db, sizeof(db)) != 0)
        return 1;

    int broker_port = test_free_port(), tap_port = test_free_port();
    int gate_port = test_free_port(), node1_port = test_free_port(), node2_port = test_free_port();
    char e_ep[96], e_tap[96], e_rh[160], e_rp[64], e_rdb[64], e_mh[160], e_mp[64], e_mu[160],
        e_mpw[300], e_mdb[160], e_mail[1100], e_gport[64], e_ghost[64], e_tap_arg[96];
    snprintf(e_ep, sizeof(e_ep), "USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:%d", broker_port);
    snprintf(e_tap, sizeof(e_tap), "USCHAT_BROKER_TAP=tcp://127.0.0.1:%d", tap_port);
    snprintf(e_tap_arg, sizeof(e_tap_arg), "tcp://127.0.0.1:%d", tap_port);
    snprintf(e_rh, sizeof(e_rh), "USCHAT_REDIS_HOST=%s",
             test_env("USCHAT_TEST_REDIS_HOST") ? test_env("USCHAT_TEST_REDIS_HOST") : "127.0.0.1");
    snprintf(e_rp, sizeof(e_rp), "USCHAT_REDIS_PORT=%s", test_env("USCHAT_TEST_REDIS_PORT"));
    snprintf(e_rdb, sizeof(e_rdb), "USCHAT_REDIS_DB=%d", 1 + (int)(getpid() % 15));
    snprintf(e_mh, sizeof(e_mh), "USCHAT_MYSQL_HOST=%s",
             test_env("USCHAT_TEST_MYSQL_HOST") ? test_env("USCHAT_TEST_MYSQL_HOST") : "127.0.0.1");
    snprintf(e_mp, sizeof(e_mp), "USCHAT_MYSQL_PORT=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
    snprintf(e_mu, sizeof(e_mu), "USCHAT_MYSQL_USER=%s", test_env("USCHAT_TEST_MYSQL_USER"));
    snprintf(e_mpw, sizeof(e_mpw), "USCHAT_MYSQL_PASSWORD=%s",
             test_env("USCHAT_TEST_MYSQL_PASSWORD") ? test_env("USCHAT_TEST_MYSQL_PASSWORD") : "");
    snprintf(e_mdb, sizeof(e_mdb), "USCHAT_MYSQL_DATABASE=%s", db);
    snprintf(e_mail, sizeof(e_mail), "USCHAT_VARIFY_MAIL_DIR=%s", s_path("mail"));
    snprintf(e_gport, sizeof(e_gport), "USCHAT_GATE_PORT=%d", gate_port);
    snprintf(e_ghost, sizeof(e_ghost), "USCHAT_GATE_HOST=127.0.0.1");

    const char *benv[] = {e_ep, e_tap, NULL};
    const char *bargv[] = {test_binary("broker/uschat-broker"), NULL};
    pid_t broker = test_spawn(bargv, benv, s_path("broker.log"));
    CHECK(broker > 0 && test_wait_port(broker_port, 5000) == 0, "broker");

    const char *tap_args[] = {"--tap", e_tap_arg, NULL};
    pid_t all = harness_monitor(g_dir, NULL, "all", tap_args);
    const char *json_args[] = {"--tap", e_tap_arg, "--json", NULL};
    pid_t json = harness_monitor(g_dir, NULL, "json", json_args);
    const char *type_args[] = {"--tap", e_tap_arg, "--type", "chat_push", NULL};
    pid_t type = harness_monitor(g_dir, NULL, "type", type_args);
    const char *node_args[] = {"--tap", e_tap_arg, "--node", "chat.node2", NULL};
    pid_t node = harness_monitor(g_dir, NULL, "node", node_args);
    CHECK(all > 0 && json > 0 && type > 0 && node > 0, "monitors");

    const char *senv[] = {e_ep,  e_rh,  e_rp,   e_rdb,   e_mh,    e_mp, e_mu,
                          e_mpw, e_mdb, e_mail, e_gport, e_ghost, NULL};
    const char *uschatd = test_binary("actors/uschatd/uschatd");
    const char *cargv[] = {uschatd,  "--service", "gate",   "--service",
                           "varify", "--service", "status", NULL};
    pid_t core = test_spawn(cargv, senv, s_path("core.log"));
    pid_t nodes[2] = {-1, -1};
    int ports[2] = {node1_port, node2_port};
    for (int i = 0; i < 2; i++) {
        char e_port[64], name[32], log[32];
        snprintf(e_port, sizeof(e_port), "USCHAT_CHAT_PORT=%d", ports[i]);
        snprintf(name, sizeof(name), "chat.node%d", i + 1);
        snprintf(log, sizeof(log), "node%d.log", i + 1);
        const char *nenv[] = {e_ep,
                              e_rh,
                              e_rp,
                              e_rdb,
                              e_mh,
                              e_mp,
                              e_mu,
                              e_mpw,
                              e_mdb,
                              e_port,
                              "USCHAT_CHAT_HOST=127.0.0.1",
                              "USCHAT_CHAT_PUBLIC_HOST=127.0.0.1",
                              NULL};
        const char *nargv[] = {uschatd, "--service", "chat", "--node", name, NULL};
        nodes[i] = test_spawn(nargv, nenv, s_path(log));
    }
    CHECK(core > 0 && test_wait_port(gate_port, 10000) == 0, "gate did not start (core.log)");
    CHECK(harness_wait_for(s_path("broker.log"), "ready: chat.node1", 10000) == 0 &&
              harness_wait_for(s_path("broker.log"), "ready: chat.node2", 10000) == 0,
          "chat nodes did not register");
    usleep(1500 * 1000); /* the nodes report to status once a second */

    char gate_url[64];
    snprintf(gate_url, sizeof(gate_url), "http://127.0.0.1:%d", gate_port);
    flow_config_t config = {.gate_url = gate_url, .mail_dir = s_path("mail"), .timeout_ms = 5000};
    flow_user_t a, b;
    flow_user_init(&a, "ann");
    flow_user_init(&b, "bob");
    pid_t uid_mon = -1;
    int64_t watched_uid = 0;
    if (harness_failures == 0) {
        CHECK(flow_register(&config, &a) == 0, "register a");
        CHECK(flow_register(&config, &b) == 0, "register b");
        char uid_arg[32];
        watched_uid = b.uid;
        snprintf(uid_arg, sizeof(uid_arg), "%lld", (long long)b.uid);
        const char *uid_args[] = {"--tap", e_tap_arg, "--uid", uid_arg, NULL};
        uid_mon = harness_monitor(g_dir, NULL, "uid", uid_args);
        CHECK(flow_login(&config, &a) == 0, "login a");
        usleep(1500 * 1000); /* a's node reports its new load: b goes to the other one */
        CHECK(flow_login(&config, &b) == 0, "login b");
        CHECK(a.port != b.port, "both users on the node at port %d", a.port);
        if (a.port == node2_port) { /* keep "b is on chat.node2" true for the checks */
            flow_user_t t = a;
            a = b;
            b = t;
        }
        if (harness_failures == 0)
            CHECK(flow_befriend(&config, &a, &b) == 0, "friend request across the nodes");
        usleep(500 * 1000);
    }
    harness_interrupt(all, "all");
    harness_interrupt(json, "json");
    harness_interrupt(type, "type");
    harness_interrupt(node, "node");
    harness_interrupt(uid_mon, "uid");
    if (harness_failures == 0)
        s_check_outputs(&a, &b, watched_uid);

    flow_user_clear(&a);
    flow_user_clear(&b);
    for (int i = 0; i < 2; i++)
        test_stop(nodes[i], 5000, NULL);
    test_stop(core, 5000, NULL);
    test_stop(broker, 5000, NULL);
    test_db_drop(db);
    if (harness_failures)
        fprintf(stderr, "%d check(s) failed; files kept in %s\n", harness_failures, g_dir);
    else if (test_env("USCHAT_TEST_KEEP")) /* to read what the monitors printed */
        fprintf(stderr, "files kept in %s\n", g_dir);
    else
        test_rmtree(g_dir);
    free(g_dir);
    return harness_failures ? 1 : 0;
}
