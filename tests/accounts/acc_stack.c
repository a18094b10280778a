/* acc_stack.c - starts and stops the real processes of an accounts test (acc_support.h):
 * uschat-broker, uschatd with the account services, and optionally a chat node, all on free
 * ports, against the test Redis (a database index of this process's own) and a fresh MariaDB
 * database whose uids start at a number of this process's own, so parallel tests sharing one
 * Redis never see each other's keys.
 */
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acc_support.h"
#include "check.h"
#include "test_support.h"

#define ENV_MAX 64

typedef struct {
    char *items[ENV_MAX];
    int count;
} s_env_t;

/* Adds or replaces KEY=value. */
static void s_env_set(s_env_t *e, const char *kv)
{
    const char *eq = strchr(kv, '=');
    CHECK(eq);
    size_t klen = (size_t)(eq - kv) + 1;
    for (int i = 0; i < e->count; i++) {
        if (strncmp(e->items[i], kv, klen) == 0) {
            free(e->items[i]);
            e->items[i] = strdup(kv);
            return;
        }
    }
    CHECK(e->count < ENV_MAX - 1);
    e->items[e->count++] = strdup(kv);
    e->items[e->count] = NULL;
}

__attribute__((format(printf, 2, 3))) static void s_env_setf(s_env_t *e, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s_env_set(e, buf);
}

static void s_env_free(s_env_t *e)
{
    for (int i = 0; i < e->count; i++)
        free(e->items[i]);
    e->count = 0;
}

bool acc_log_contains(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

bool acc_log_wait(const char *path, const char *text, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (acc_log_contains(path, text))
            return true;
        usleep(50 * 1000);
    }
    return false;
}

redis_conn_t *acc_redis(const acc_stack_t *s)
{
    redis_config_t cfg = {.host = test_env("USCHAT_TEST_REDIS_HOST"),
                          .port = atoi(test_env("USCHAT_TEST_REDIS_PORT")),
                          .db = s->redis_db,
                          .timeout_ms = 2000};
    redis_conn_t *r = redis_conn_new(&cfg);
    CHECK(r);
    return r;
}

static void s_check_alive(pid_t pid, const char *what, const char *log)
{
    if (pid > 0 && test_wait_exit(pid, 0, NULL) != 0)
        return; /* still running */
    fprintf(stderr, "%s did not start; its log %s:\n", what, log);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tail -n 30 '%s' >&2", log);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log)\n");
    exit(1);
}

void acc_stack_start(acc_stack_t *s, const char *services, bool with_chat, const char *const env[])
{
    test_require_env((const char *[]){"USCHAT_TEST_REDIS_HOST", "USCHAT_TEST_REDIS_PORT",
                                      "USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                      "USCHAT_TEST_MYSQL_USER", NULL});
    memset(s, 0, sizeof *s);
    const char *broker_bin = test_binary("broker/uschat-broker");
    const char *uschatd_bin = test_binary("actors/uschatd/uschatd");
    const char *source = test_env("USCHAT_SOURCE_DIR");
    CHECK(source);
    s->dir = test_tmpdir("accounts");
    CHECK(s->dir);
    CHECK(test_db_create("acc", s->db, sizeof s->db) == 0);
    /* uids of this process start at a number of its own: utoken_<uid> never collides */
    MYSQL *m = test_db_connect(s->db);
    CHECK(m);
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE user AUTO_INCREMENT = %ld",
             (long)(getpid() % 100000) * 100000 + 1);
    CHECK(mysql_query(m, sql) == 0);
    mysql_close(m);
    s->redis_db = 1 + (int)(getpid() % 15);
    s->broker_port = test_free_port();
    s->gate_port = test_free_port();
    s->chat_port = test_free_port();
    int tap_port = test_free_port();
    CHECK(s->broker_port > 0 && s->gate_port > 0 && s->chat_port > 0 && tap_port > 0);
    snprintf(s->broker_endpoint, sizeof s->broker_endpoint, "tcp://127.0.0.1:%d", s->broker_port);
    snprintf(s->mail_dir, sizeof s->mail_dir, "%s/mail", s->dir);
    snprintf(s->services_log, sizeof s->services_log, "%s/services.log", s->dir);
    snprintf(s->chat_log, sizeof s->chat_log, "%s/chat.log", s->dir);
    snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->gate_port);

    s_env_t e = {0};
    s_env_setf(&e, "USCHAT_BROKER_ENDPOINT=%s", s->broker_endpoint);
    s_env_setf(&e, "USCHAT_BROKER_TAP=tcp://127.0.0.1:%d", tap_port);
    s_env_setf(&e, "USCHAT_BROKER_HEARTBEAT_MS=%d", 250);
    s_env_setf(&e, "USCHAT_LOG_LEVEL=info");
    s_env_setf(&e, "USCHAT_REDIS_HOST=%s", test_env("USCHAT_TEST_REDIS_HOST"));
    s_env_setf(&e, "USCHAT_REDIS_PORT=%s", test_env("USCHAT_TEST_REDIS_PORT"));
    s_env_setf(&e, "USCHAT_REDIS_DB=%d", s->redis_db);
    s_env_setf(&e, "USCHAT_MYSQL_HOST=%s", test_env("USCHAT_TEST_MYSQL_HOST"));
    s_env_setf(&e, "USCHAT_MYSQL_PORT=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
    s_env_setf(&e, "USCHAT_MYSQL_USER=%s", test_env("USCHAT_TEST_MYSQL_USER"));
    const char *pw = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    s_env_setf(&e, "USCHAT_MYSQL_PASSWORD=%s", pw ? pw : "");
    s_env_setf(&e, "USCHAT_MYSQL_DATABASE=%s", s->db);
    s_env_setf(&e, "USCHAT_GATE_HOST=127.0.0.1");
    s_env_setf(&e, "USCHAT_GATE_PORT=%d", s->gate_port);
    s_env_setf(&e, "USCHAT_VARIFY_MAIL_DIR=%s", s->mail_dir);
    s_env_setf(&e, "USCHAT_CHAT_PORT=%d", s->chat_port);
    for (int i = 0; env && env[i]; i++)
        s_env_set(&e, env[i]);

    char broker_log[600];
    snprintf(broker_log, sizeof broker_log, "%s/broker.log", s->dir);
    char broker_conf[600], uschat_conf[600], node_conf[600];
    snprintf(broker_conf, sizeof broker_conf, "%s/config/broker.conf", source);
    snprintf(uschat_conf, sizeof uschat_conf, "%s/config/uschat.conf", source);
    snprintf(node_conf, sizeof node_conf, "%s/config/node1.conf", source);
    const char *bargv[] = {broker_bin, "--config", broker_conf, NULL};
    s->broker = test_spawn(bargv, (const char *const *)e.items, broker_log);
    CHECK(test_wait_port(s->broker_port, 10000) == 0);

    const char *argv[32] = {uschatd_bin, "--config", uschat_conf};
    int argc = 3;
    char *list = strdup(services), *save = NULL;
    for (char *tok = strtok_r(list, " ", &save); tok && argc < 28;
         tok = strtok_r(NULL, " ", &save)) {
        argv[argc++] = "--service";
        argv[argc++] = tok;
    }
    argv[argc] = NULL;
    s->services = test_spawn(argv, (const char *const *)e.items, s->services_log);
    free(list);
    if (with_chat) {
        char node_name[64];
        snprintf(node_name, sizeof node_name, "chat.acc%ld", (long)getpid());
        const char *cargv[] = {uschatd_bin, "--config", node_conf, "--node", node_name, NULL};
        s->chat = test_spawn(cargv, (const char *const *)e.items, s->chat_log);
    }
    s_env_free(&e);

    bool gate = strstr(services, "gate") != NULL;
    if (gate) {
        if (test_wait_port(s->gate_port, 15000) != 0)
            s_check_alive(-1, "uschatd", s->services_log);
        acc_http_t *h = acc_http_new(s->base_url);
        long status = 0;
        for (int i = 0; i < 200 && status != 200; i++) {
            status = acc_http_request(h, "GET", "/healthz", NULL, 0, NULL);
            if (status != 200)
                usleep(50 * 1000);
        }
        acc_http_destroy(&h);
        if (status != 200)
            s_check_alive(-1, "gate (healthz)", s->services_log);
    } else {
        CHECK(acc_log_wait(s->services_log, " running (pid ", 10000));
    }
    s_check_alive(s->services, "uschatd", s->services_log);
    if (with_chat) {
        s_check_alive(s->chat, "the chat node", s->chat_log);
        if (strstr(services, "status") &&
            !acc_log_wait(s->services_log, "status: chat node", 10000))
            s_check_alive(-1, "the chat node (never reported)", s->chat_log);
    }
}

static void s_stop(pid_t pid, const char *what, const char *log)
{
    if (pid <= 0)
        return;
    int status = 0;
    int rc = test_stop(pid, 15000, &status);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s did not stop cleanly (rc %d, status 0x%x); its log %s\n", what, rc,
                status, log ? log : "");
        if (log) {
            char cmd[700];
            snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2", log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no log)\n");
        }
        exit(1);
    }
}

void acc_stack_stop(acc_stack_t *s)
{
    s_stop(s->chat, "the chat node", s->chat_log);
    s_stop(s->services, "uschatd", s->services_log);
    s_stop(s->broker, "the broker", NULL);
    test_db_drop(s->db);
    if (!getenv("ACC_KEEP"))
        test_rmtree(s->dir);
    else
        fprintf(stderr, "kept %s\n", s->dir);
    free(s->dir);
    memset(s, 0, sizeof *s);
}
