/* test_seed.c - uschat-load against the real test MariaDB and Redis: --seed makes the
 * users a load run needs (pairs are friends both ways with one private thread, every user has
 * a 64-hex token in Redis, the one shared hash verifies with the password), seeding again
 * changes nothing, a non-loopback target is refused before anything is sent, and a run
 * against a port nobody listens on ends by itself with a JSON report that counts the failures.
 * Skips (77) without USCHAT_TEST_MYSQL_* / USCHAT_TEST_REDIS_*.
 */
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "test_support.h"

#define USERS 20

static char s_db[80], s_prefix[24], s_mysql[128], s_redis[128];
static const char *s_bin;

/* Runs uschat-load with the test servers and ARGS (NULL-terminated); returns its exit code. */
static int s_run(const char *const *args)
{
    const char *argv[40] = {s_bin,
                            "--stack-env",
                            "/dev/null",
                            "--mysql",
                            s_mysql,
                            "--mysql-user",
                            test_env("USCHAT_TEST_MYSQL_USER"),
                            "--mysql-db",
                            s_db,
                            "--redis",
                            s_redis,
                            "--prefix",
                            s_prefix};
    int n = 13;
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    if (password) {
        argv[n++] = "--mysql-password";
        argv[n++] = password;
    }
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return test_run(argv, NULL, 60000);
}

static long long s_count(MYSQL *m, const char *sql)
{
    long long n = -1;
    if (mysql_query(m, sql) == 0) {
        MYSQL_RES *r = mysql_store_result(m);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        if (row && row[0])
            n = atoll(row[0]);
        if (r)
            mysql_free_result(r);
    }
    return n;
}

static void s_check_seeded(MYSQL *m, redisContext *rc)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM `user` WHERE name LIKE '%s\\_%%'", s_prefix);
    CHECK_INT(s_count(m, sql), USERS);
    CHECK_INT(s_count(m, "SELECT COUNT(*) FROM friend"), USERS);
    CHECK_INT(s_count(m, "SELECT COUNT(*) FROM private_chat"), USERS / 2);
    CHECK_INT(s_count(m, "SELECT COUNT(*) FROM chat_thread"), USERS / 2);
    /* user 0 and user 1 are a pair: friends both ways, one thread with user1_id < user2_id */
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM friend f JOIN `user` a ON a.uid = f.self_id JOIN `user` b ON "
             "b.uid = f.friend_id WHERE a.name IN ('%s_000000','%s_000001') AND b.name IN "
             "('%s_000000','%s_000001')",
             s_prefix, s_prefix, s_prefix, s_prefix);
    CHECK_INT(s_count(m, sql), 2);

    snprintf(sql, sizeof sql, "SELECT uid, pwd_hash FROM `user` WHERE name = '%s_000007'",
             s_prefix);
    CHECK(mysql_query(m, sql) == 0);
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    CHECK(row != NULL);
    if (row) {
        /* the gate will check exactly this: Argon2id of the typed password */
        CHECK(strncmp(row[1], "$argon2id$", 10) == 0);
        CHECK(crypto_pwhash_str_verify(row[1], "load-password", 13) == 0);
        redisReply *tok = redisCommand(rc, "GET utoken_%s", row[0]);
        CHECK(tok && tok->type == REDIS_REPLY_STRING && tok->len == 64);
        freeReplyObject(tok);
        redisReply *ttl = redisCommand(rc, "TTL utoken_%s", row[0]);
        CHECK(ttl && ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0);
        freeReplyObject(ttl);
    }
    if (res)
        mysql_free_result(res);
}

static void test_seed(MYSQL *m, redisContext *rc)
{
    char users[16];
    snprintf(users, sizeof users, "%d", USERS);
    CHECK_INT(s_run((const char *[]){"--seed", users, NULL}), 0);
    s_check_seeded(m, rc);
    /* again: same users, same friendships, no second thread per pair */
    CHECK_INT(s_run((const char *[]){"--seed", users, NULL}), 0);
    s_check_seeded(m, rc);
}

static void test_targets_and_bounded_run(void)
{
    /* refused before anything is sent: exit 2 */
    CHECK_INT(s_run((const char *[]){"connections", "-n", "4", "-d", "1", "--node",
                                     "10.9.9.9:18091", NULL}),
              2);
    /* a port nobody listens on: the run ends after its duration and reports the failures */
    int port = test_free_port();
    char node[64], json[128];
    snprintf(node, sizeof node, "127.0.0.1:%d", port);
    snprintf(json, sizeof json, "/tmp/uschat-load-test-%d.json", (int)getpid());
    CHECK_INT(s_run((const char *[]){"connections", "-n", "4", "-d", "1", "--node", node, "--json",
                                     json, NULL}),
              0);
    json_t *report = json_load_file(json, 0, NULL);
    unlink(json);
    CHECK(report != NULL);
    json_t *metrics = json_object_get(report, "metrics");
    CHECK_INT(json_real_value(json_object_get(metrics, "logins_failed")), 4);
    CHECK_INT(json_real_value(json_object_get(metrics, "logins_ok")), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(report, "errors"), "refused")), 4);
    CHECK(json_integer_value(json_object_get(json_object_get(report, "machine"), "cores")) > 0);
    json_decref(report);
}

int main(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                      "USCHAT_TEST_MYSQL_USER", "USCHAT_TEST_REDIS_HOST",
                                      "USCHAT_TEST_REDIS_PORT", NULL});
    s_bin = test_binary("tools/load/uschat-load");
    if (sodium_init() < 0 || test_db_create("load", s_db, sizeof s_db) < 0)
        return 1;
    snprintf(s_prefix, sizeof s_prefix, "t%d", (int)getpid() % 1000000);
    snprintf(s_mysql, sizeof s_mysql, "%s:%s", test_env("USCHAT_TEST_MYSQL_HOST"),
             test_env("USCHAT_TEST_MYSQL_PORT"));
    snprintf(s_redis, sizeof s_redis, "%s:%s", test_env("USCHAT_TEST_REDIS_HOST"),
             test_env("USCHAT_TEST_REDIS_PORT"));
    MYSQL *m = test_db_connect(s_db);
    redisContext *rc =
        redisConnect(test_env("USCHAT_TEST_REDIS_HOST"), atoi(test_env("USCHAT_TEST_REDIS_PORT")));
    if (!m || !rc || rc->err) {
        fprintf(stderr, "cannot reach the test servers\n");
        return 1;
    }
    test_seed(m, rc);
    printf("%s test_seed\n", check_failures ? "FAIL" : "ok  ");
    RUN(test_targets_and_bounded_run);
    mysql_close(m);
    redisFree(rc);
    test_db_drop(s_db);
    return CHECK_DONE();
}
