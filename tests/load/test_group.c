/* test_group.c - `uschat-load group` against the real stack (broker with its tap, status, two
 * chat nodes, MariaDB, Redis; tests/chat/chat_stack.c): 2 groups of 20 members spread over
 * both nodes, first at a fixed rate, then flat out on the same groups (made once, reused).
 * Asserts what the run checks while it runs, not its timings: every acked text reached every
 * other member exactly once and in seq order (0 lost, 0 duplicated, 0 reordered, deliveries =
 * acked x (members - 1); a text the node refuses is not acked and counts nowhere), and the broker
 * carried one CHAT_GROUP_PUSH per group message: the number of other nodes with members online (1
 * here).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "chat_stack.h"
#include "check.h"
#include "test_support.h"

#define GROUPS  "2"
#define MEMBERS "20"
#define USERS   "40"

static double s_metric(json_t *report, const char *name)
{
    return json_number_value(json_object_get(json_object_get(report, "metrics"), name));
}

/* One run of uschat-load group with ARGS (NULL-terminated) into a report; exit code in *RC. */
static json_t *s_run(chat_stack_t *st, const char *const *args, int *rc)
{
    char mysql[128], redis[128], node1[96], node2[96], tap[96], json[128];
    snprintf(mysql, sizeof mysql, "%s:%s", test_env("USCHAT_TEST_MYSQL_HOST"),
             test_env("USCHAT_TEST_MYSQL_PORT"));
    snprintf(redis, sizeof redis, "%s:%s", test_env("USCHAT_TEST_REDIS_HOST"),
             test_env("USCHAT_TEST_REDIS_PORT"));
    snprintf(node1, sizeof node1, "node1=%s:%d", st->node_host[0], st->node_port[0]);
    snprintf(node2, sizeof node2, "node2=%s:%d", st->node_host[1], st->node_port[1]);
    snprintf(tap, sizeof tap, "tcp://%s:%d", st->host, st->tap_port);
    snprintf(json, sizeof json, "/tmp/uschat-load-group-%d.json", (int)getpid());
    const char *argv[48] = {test_binary("tools/load/uschat-load"),
                            "--stack-env",
                            "/dev/null",
                            "--mysql",
                            mysql,
                            "--mysql-user",
                            test_env("USCHAT_TEST_MYSQL_USER"),
                            "--mysql-db",
                            st->db,
                            "--redis",
                            redis,
                            "--node",
                            node1,
                            "--node",
                            node2,
                            "--tap",
                            tap,
                            "--prefix",
                            "lg",
                            "--json",
                            json,
                            "--groups",
                            GROUPS,
                            "--members",
                            MEMBERS};
    int n = 25;
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    if (password) {
        argv[n++] = "--mysql-password";
        argv[n++] = password;
    }
    for (int i = 0; args[i] && n < 46; i++)
        argv[n++] = args[i];
    argv[n++] = "group";
    argv[n] = NULL;
    unlink(json);
    *rc = test_run(argv, NULL, 120000);
    json_t *report = json_load_file(json, 0, NULL);
    unlink(json);
    return report;
}

static void s_check_run(json_t *report, int rc, const char *what)
{
    CHECK(report != NULL, "%s: a JSON report", what);
    if (!report)
        return;
    double acked = s_metric(report, "acked");
    printf("%s: exit %d, %.0f acked (%.0f refused), %.0f deliveries of %.0f expected, lost %.0f, "
           "duplicated %.0f, "
           "reordered %.0f, broker messages per group message %.2f (expected %.2f)\n",
           what, rc, acked, s_metric(report, "ack_errors"), s_metric(report, "delivered"),
           s_metric(report, "deliveries_expected"), s_metric(report, "lost"),
           s_metric(report, "duplicated"), s_metric(report, "reordered"),
           s_metric(report, "broker_msgs_per_group_msg"),
           s_metric(report, "broker_msgs_expected_per_group_msg"));
    CHECK_INT(rc, 0);
    CHECK(acked > 0, "%s: texts acked", what);
    CHECK_INT(s_metric(report, "acks_missing"), 0);
    CHECK_INT(s_metric(report, "lost"), 0);
    CHECK_INT(s_metric(report, "duplicated"), 0);
    CHECK_INT(s_metric(report, "reordered"), 0);
    /* every member online: each text reaches the 19 others */
    CHECK_INT(s_metric(report, "deliveries_expected"), acked * (atoi(MEMBERS) - 1));
    CHECK_INT(s_metric(report, "delivered"), s_metric(report, "deliveries_expected"));
    /* members on both nodes: one broker message per group message, none per member */
    CHECK_INT(s_metric(report, "broker_msgs_expected_per_group_msg"), 1);
    CHECK_INT(s_metric(report, "broker_group_pushes"), acked);
    CHECK_INT(s_metric(report, "broker_chat_pushes"), 0);
}

int main(void)
{
    chat_stack_t *st = chat_stack_start("loadgroup", NULL);
    int rc = -1;
    /* a fixed rate: 20 texts/s over the two groups for 3 s */
    json_t *report = s_run(st, (const char *[]){"--seed", USERS, "-r", "20", "-d", "3", NULL}, &rc);
    s_check_run(report, rc, "rate 20/s");
    json_decref(report);
    /* flat out on the same groups (their seqs go on from the first run's) */
    report = s_run(st, (const char *[]){"-r", "0", "--window", "1", "-d", "2", NULL}, &rc);
    s_check_run(report, rc, "flat out");
    json_decref(report);
    chat_stack_stop(&st);
    return CHECK_DONE();
}
