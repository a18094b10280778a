/* test_stack.c - a back end of real processes for one integration test (test_stack.h).
 *
 * Called from a test's main thread. The environment is built here once, so every test starts
 * the broker and uschatd against the test servers the same way; what a test needs beyond that
 * it adds to s->env or passes as extra.
 */
#include "test_stack.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

static void s_die(const char *what)
{
    fprintf(stderr, "test stack: %s\n", what);
    exit(1);
}

/* ---- environment lists ------------------------------------------------------------------ */

void test_env_set(test_env_t *env, const char *key_value)
{
    const char *eq = strchr(key_value, '=');
    if (!eq)
        s_die("an environment entry without '='");
    size_t key_len = (size_t)(eq - key_value) + 1;
    for (int i = 0; i < env->count; i++) {
        if (strncmp(env->items[i], key_value, key_len) == 0) {
            free(env->items[i]);
            env->items[i] = strdup(key_value);
            return;
        }
    }
    if (env->count >= TEST_ENV_MAX)
        s_die("too many environment entries");
    env->items[env->count++] = strdup(key_value);
    env->items[env->count] = NULL;
}

void test_env_setf(test_env_t *env, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    test_env_set(env, buf);
}

void test_env_add(test_env_t *env, const char *const list[])
{
    for (int i = 0; list && list[i]; i++)
        test_env_set(env, list[i]);
}

const char *const *test_env_list(const test_env_t *env)
{
    return (const char *const *)env->items;
}

void test_env_free(test_env_t *env)
{
    for (int i = 0; i < env->count; i++)
        free(env->items[i]);
    memset(env, 0, sizeof *env);
}

/* ---- the stack -------------------------------------------------------------------------- */

/* Parallel tests share one Redis: each process keeps its keys in a database (1-15) that no
 * other running test uses. The claim is a lock file per database and Redis port, held until the
 * process ends (the kernel drops it even on a crash). A database picked from the pid alone was
 * shared by two tests now and then, and one's login of uid 1 then kicked the other's uid 1
 * ("session taken over elsewhere"). Waits up to 60 s when all 15 are taken. */
/* A claimed database still holds what the test before kept in it (failed-login counts, tokens,
 * presence): it is emptied first, so no test starts from another's state. */
static void s_redis_db_empty(int db)
{
    const char *port = test_env("USCHAT_TEST_REDIS_PORT");
    redisContext *c = redisConnect(test_env("USCHAT_TEST_REDIS_HOST"), atoi(port));
    if (!c || c->err)
        s_die("Redis is not reachable to empty a test database");
    redisReply *r = redisCommand(c, "SELECT %d", db);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    r = ok ? redisCommand(c, "FLUSHDB") : NULL;
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    if (!ok)
        s_die("the test's Redis database cannot be emptied");
}

static int s_redis_db_claim(void)
{
    static int claimed;
    if (claimed)
        return claimed;
    const char *port = test_env("USCHAT_TEST_REDIS_PORT");
    for (int round = 0; round < 600; round++) {
        for (int i = 0; i < 15; i++) {
            int db = 1 + (int)((getpid() + i) % 15); /* start apart from the other tests */
            char path[128];
            snprintf(path, sizeof path, "/tmp/uschat-test-redis-%s-db%d.lock", port, db);
            int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0)
                continue;
            if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                s_redis_db_empty(db); /* fd stays open: the lock lives as long as we do */
                return claimed = db;
            }
            close(fd);
        }
        nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    }
    s_die("no free Redis database for this test (15 in use for 60 s)");
    return 0;
}

static void s_servers(test_stack_t *s, const char *tag)
{
    if (test_db_create(tag, s->db, sizeof s->db) != 0)
        s_die("the test database cannot be made");
    s->redis_db = s_redis_db_claim();
    const char *pw = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    test_env_setf(&s->env, "USCHAT_REDIS_HOST=%s", test_env("USCHAT_TEST_REDIS_HOST"));
    test_env_setf(&s->env, "USCHAT_REDIS_PORT=%s", test_env("USCHAT_TEST_REDIS_PORT"));
    test_env_setf(&s->env, "USCHAT_REDIS_DB=%d", s->redis_db);
    test_env_setf(&s->env, "USCHAT_MYSQL_HOST=%s", test_env("USCHAT_TEST_MYSQL_HOST"));
    test_env_setf(&s->env, "USCHAT_MYSQL_PORT=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
    test_env_setf(&s->env, "USCHAT_MYSQL_USER=%s", test_env("USCHAT_TEST_MYSQL_USER"));
    test_env_setf(&s->env, "USCHAT_MYSQL_PASSWORD=%s", pw ? pw : "");
    test_env_setf(&s->env, "USCHAT_MYSQL_DATABASE=%s", s->db);
}

void test_stack_init(test_stack_t *s, const char *tag, unsigned flags)
{
    memset(s, 0, sizeof *s);
    s->broker = -1;
    /* skip (77) before anything is made when a program of the stack is not built */
    test_binary("broker/uschat-broker");
    test_binary("actors/uschatd/uschatd");
    if (flags & TEST_STACK_SERVERS)
        test_require_env((const char *[]){"USCHAT_TEST_REDIS_HOST", "USCHAT_TEST_REDIS_PORT",
                                          "USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                          "USCHAT_TEST_MYSQL_USER", NULL});
    s->dir = test_tmpdir(tag);
    if (!s->dir)
        s_die("no temporary folder");
    s->broker_port = test_free_port();
    s->tap_port = test_free_port();
    while (s->tap_port == s->broker_port)
        s->tap_port = test_free_port();
    s->gate_port = test_free_port();
    s->chat_port = test_free_port();
    if (s->broker_port <= 0 || s->tap_port <= 0 || s->gate_port <= 0 || s->chat_port <= 0)
        s_die("no free port");
    snprintf(s->endpoint, sizeof s->endpoint, "tcp://127.0.0.1:%d", s->broker_port);
    snprintf(s->tap, sizeof s->tap, "tcp://127.0.0.1:%d", s->tap_port);
    snprintf(s->gate_url, sizeof s->gate_url, "http://127.0.0.1:%d", s->gate_port);
    snprintf(s->mail_dir, sizeof s->mail_dir, "%s/mail", s->dir);
    test_env_setf(&s->env, "USCHAT_BROKER_ENDPOINT=%s", s->endpoint);
    test_env_setf(&s->env, "USCHAT_BROKER_TAP=%s", s->tap);
    /* these stacks test features, not the links' security (tests/broker does): plain TCP by
     * the explicit setting */
    test_env_setf(&s->env, "USCHAT_BROKER_PLAIN_TCP=true");
    if (flags & TEST_STACK_SERVERS)
        s_servers(s, tag);
    test_env_setf(&s->env, "USCHAT_GATE_HOST=127.0.0.1");
    test_env_setf(&s->env, "USCHAT_GATE_PORT=%d", s->gate_port);
    test_env_setf(&s->env, "USCHAT_VARIFY_MAIL_DIR=%s", s->mail_dir);
    test_env_setf(&s->env, "USCHAT_CHAT_PORT=%d", s->chat_port);
}

void test_stack_destroy(test_stack_t *s, bool keep)
{
    if (s->db[0])
        test_db_drop(s->db);
    if (s->dir && (keep || test_env("USCHAT_TEST_KEEP")))
        fprintf(stderr, "files kept in %s\n", s->dir);
    else if (s->dir)
        test_rmtree(s->dir);
    free(s->dir);
    test_env_free(&s->env);
    memset(s, 0, sizeof *s);
}

const char *test_stack_path(const test_stack_t *s, const char *name)
{
    static char paths[16][1024];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, sizeof paths[0], "%s/%s", s->dir, name);
    return p;
}

static const char *s_config(const char *name)
{
    static char paths[4][1024];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/config/%s", test_env("USCHAT_SOURCE_DIR"), name);
    return p;
}

pid_t test_stack_broker(test_stack_t *s, const char *config)
{
    const char *argv[] = {test_binary("broker/uschat-broker"), config ? "--config" : NULL,
                          config ? s_config(config) : NULL, NULL};
    const char *log = test_stack_path(s, "broker.log");
    s->broker = test_spawn(argv, test_env_list(&s->env), log);
    if (s->broker < 0 || test_wait_port(s->broker_port, 10000) != 0) {
        fprintf(stderr, "the broker did not start (see %s)\n", log);
        return -1;
    }
    return s->broker;
}

pid_t test_stack_uschatd(test_stack_t *s, const char *log, const char *const args[],
                         const char *const extra[])
{
    const char *argv[48] = {test_binary("actors/uschatd/uschatd")};
    int argc = 1;
    for (int i = 0; args && args[i] && argc < 47; i++) {
        bool config = i > 0 && strcmp(args[i - 1], "--config") == 0;
        argv[argc++] = config ? s_config(args[i]) : args[i];
    }
    argv[argc] = NULL;
    test_env_t env = {0};
    test_env_add(&env, test_env_list(&s->env));
    test_env_add(&env, extra);
    pid_t pid = test_spawn(argv, test_env_list(&env), test_stack_path(s, log));
    test_env_free(&env);
    return pid;
}

void test_require_services(const char *const names[])
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' --list", test_binary("actors/uschatd/uschatd"));
    FILE *list = popen(cmd, "r");
    char all[512] = " ", line[64];
    while (list && fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        strncat(all, line, sizeof all - strlen(all) - 2);
        strcat(all, " ");
    }
    if (list)
        pclose(list);
    for (int i = 0; names[i]; i++) {
        char word[64];
        snprintf(word, sizeof word, " %s ", names[i]);
        if (!strstr(all, word)) {
            fprintf(stderr, "SKIP: uschatd has no %s service (has:%s)\n", names[i], all);
            exit(TEST_SKIP);
        }
    }
}

int test_stack_wait_ready(test_stack_t *s, const char *node, int timeout_ms)
{
    char needle[128];
    snprintf(needle, sizeof needle, "ready: %s", node);
    const char *log = test_stack_path(s, "broker.log");
    if (test_wait_file(log, needle, timeout_ms) == 0)
        return 0;
    fprintf(stderr, "%s did not register with the broker in %d ms (see %s)\n", node, timeout_ms,
            log);
    return -1;
}
