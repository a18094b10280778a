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
                          .db = s->stack.redis_db,
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
    memset(s, 0, sizeof *s);
    test_stack_t *st = &s->stack;
    test_stack_init(st, "accounts", TEST_STACK_SERVERS);
    /* uids of this process start at a number of its own: utoken_<uid> never collides */
    MYSQL *m = test_db_connect(st->db);
    CHECK(m);
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE user AUTO_INCREMENT = %ld",
             (long)(getpid() % 100000) * 100000 + 1);
    CHECK(mysql_query(m, sql) == 0);
    mysql_close(m);
    snprintf(s->services_log, sizeof s->services_log, "%s", test_stack_path(st, "services.log"));
    snprintf(s->chat_log, sizeof s->chat_log, "%s", test_stack_path(st, "chat.log"));
    test_env_setf(&st->env, "USCHAT_BROKER_HEARTBEAT_MS=%d", 250);
    test_env_setf(&st->env, "USCHAT_LOG_LEVEL=info");
    test_env_add(&st->env, env);

    CHECK(test_stack_broker(st, "broker.conf") > 0);
    const char *argv[32] = {"--config", "uschat.conf"};
    int argc = 2;
    char *list = strdup(services), *save = NULL;
    for (char *tok = strtok_r(list, " ", &save); tok && argc < 28;
         tok = strtok_r(NULL, " ", &save)) {
        argv[argc++] = "--service";
        argv[argc++] = tok;
    }
    argv[argc] = NULL;
    s->services = test_stack_uschatd(st, "services.log", argv, NULL);
    free(list);
    if (with_chat) {
        char node_name[64];
        snprintf(node_name, sizeof node_name, "chat.acc%ld", (long)getpid());
        const char *cargv[] = {"--config", "node1.conf", "--node", node_name, NULL};
        s->chat = test_stack_uschatd(st, "chat.log", cargv, NULL);
    }

    bool gate = strstr(services, "gate") != NULL;
    if (gate) {
        if (test_wait_port(st->gate_port, 15000) != 0)
            s_check_alive(-1, "uschatd", s->services_log);
        acc_http_t *h = acc_http_new(st->gate_url);
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
    s_stop(s->stack.broker, "the broker", NULL);
    test_stack_destroy(&s->stack, getenv("ACC_KEEP") != NULL);
    memset(s, 0, sizeof *s);
}
