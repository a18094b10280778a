/* test_services.c - running UsChat as services: the systemd units, the signals they rely on,
 * and the CURVE key tool.
 *
 * Run by CTest as `test_services CASE`:
 *   units    the units in config/systemd/ (broker, template, target) pass `systemd-analyze verify`
 * (with the binaries of this build in ExecStart), and every unit names a dedicated user, restart on
 * failure, a 5 s stop timeout and a config path signals  the broker and every service uschatd
 * hosts: SIGHUP reopens the log file (after logrotate moved it), SIGTERM ends the process with
 * status 0 within 5 s. Services that need Redis/MariaDB run only when the test servers are given
 * (else skipped), every one over CURVE with a key pair of its own; keys     uschat-keys: file
 * layout and modes, the services each key may register, refusing to overwrite, revoke, bad names
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "test_support.h"

static char *g_dir;

__attribute__((format(printf, 1, 2))) static const char *s_path(const char *fmt, ...)
{
    static char paths[16][1024];
    static int next;
    char *p = paths[next++ % 16];
    char name[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    snprintf(p, 1024, "%s/%s", g_dir, name);
    return p;
}

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- units ---------------------------------------------------------------------------- */

/* Copies unit file name with /usr/local/bin/X replaced by this build's X, into g_dir. */
static int s_copy_unit(const char *name)
{
    char src[1024];
    snprintf(src, sizeof(src), "%s/config/systemd/%s", test_env("USCHAT_SOURCE_DIR"), name);
    char *text = test_read_file(src);
    if (!text || !*text) {
        free(text);
        return -1;
    }
    FILE *out = fopen(s_path("%s", name), "w");
    if (!out) {
        free(text);
        return -1;
    }
    const char *bins[][2] = {{"/usr/local/bin/uschat-broker", "broker/uschat-broker"},
                             {"/usr/local/bin/uschatd", "actors/uschatd/uschatd"}};
    for (const char *p = text; *p;) {
        bool replaced = false;
        for (size_t i = 0; i < 2 && !replaced; i++) {
            size_t len = strlen(bins[i][0]);
            if (strncmp(p, bins[i][0], len) == 0) {
                fputs(test_binary(bins[i][1]), out);
                p += len;
                replaced = true;
            }
        }
        if (!replaced)
            fputc(*p++, out);
    }
    fclose(out);
    free(text);
    return 0;
}

static void s_case_units(void)
{
    if (access("/usr/bin/systemd-analyze", X_OK) != 0) {
        fprintf(stderr, "SKIP: no systemd-analyze\n");
        exit(TEST_SKIP);
    }
    const char *units[] = {"uschat-broker.service", "uschat@.service", "uschat.target"};
    for (size_t i = 0; i < 3; i++)
        CHECK(s_copy_unit(units[i]) == 0, "cannot read config/systemd/%s", units[i]);
    /* an instance of the template, as systemd would load uschat@gate.service */
    char *template = test_read_file(s_path("uschat@.service"));
    FILE *inst = fopen(s_path("uschat@gate.service"), "w");
    if (template && inst)
        fputs(template, inst);
    if (inst)
        fclose(inst);

    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "
             "./uschat-broker.service ./uschat@gate.service ./uschat.target >verify.log 2>&1",
             g_dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    int rc = test_run(argv, NULL, 30000);
    char *log = test_read_file(s_path("verify.log"));
    CHECK(rc == 0 && access(s_path("verify.log"), R_OK) == 0 && log && *log == '\0',
          "systemd-analyze verify: rc %d:\n%s", rc, log ? log : "");
    free(log);

    const char *services[] = {"uschat-broker.service", "uschat@.service"};
    const char *must[] = {"User=uschat",
                          "Group=uschat",
                          "Restart=on-failure",
                          "TimeoutStopSec=5",
                          "KillSignal=SIGTERM",
                          "--config ${USCHAT_CONFIG_DIR}/",
                          "ExecReload=/bin/kill -HUP $MAINPID",
                          "EnvironmentFile=-/etc/uschat/"};
    for (size_t i = 0; i < 2; i++) {
        char src[1024];
        snprintf(src, sizeof(src), "%s/config/systemd/%s", test_env("USCHAT_SOURCE_DIR"),
                 services[i]);
        char *text = test_read_file(src);
        for (size_t j = 0; text && j < sizeof(must) / sizeof(must[0]); j++)
            CHECK(strstr(text, must[j]) != NULL, "%s lacks %s", services[i], must[j]);
        free(text);
    }
    char *text = test_read_file(s_path("uschat@.service"));
    CHECK(text && strstr(text, "uschatd --service %i --config"), "template ExecStart");
    free(text);
    free(template);
}

/* ---- signals -------------------------------------------------------------------------- */

typedef struct {
    char endpoint[64];
    int port;
} broker_addr_t;

/* Starts program with its log in DIR/name.log (the log/file key, not stdout), checks SIGHUP
 * and SIGTERM. ready_path/ready_text: where to see that it is up. */
static void s_check_signals(const char *name, const char *const argv[], const char *const env[],
                            const char *ready_path, const char *ready_text)
{
    const char *log = s_path("%s.log", name);
    char log_env[1100];
    snprintf(log_env, sizeof(log_env), "USCHAT_LOG_FILE=%s", log);
    const char *envp[16];
    int n = 0;
    envp[n++] = log_env;
    for (int i = 0; env && env[i] && n < 15; i++)
        envp[n++] = env[i];
    envp[n] = NULL;
    pid_t pid = test_spawn(argv, envp, s_path("%s.stderr", name));
    CHECK(pid > 0, "%s: spawn", name);
    if (pid <= 0)
        return;
    if (test_wait_file(ready_path ? ready_path : log, ready_text, 8000) != 0) {
        CHECK(false, "%s did not start (see %s)", name, log);
        test_stop(pid, 1000, NULL);
        return;
    }
    /* logrotate: move the file away, SIGHUP, a new file appears and gets the lines */
    const char *rotated = s_path("%s.log.1", name);
    CHECK(rename(log, rotated) == 0, "rename");
    test_kill(pid, SIGHUP);
    usleep(300 * 1000);
    struct stat st;
    bool reopened = false;
    for (int i = 0; i < 40 && !reopened; i++) {
        reopened = stat(log, &st) == 0;
        if (!reopened)
            usleep(50 * 1000);
    }
    CHECK(reopened, "%s: SIGHUP did not reopen %s", name, log);
    CHECK(test_wait_exit(pid, 200, NULL) != 0, "%s exited on SIGHUP", name);

    long long start = s_now_ms();
    int status = -1;
    int rc = test_stop(pid, 5000, &status);
    long long took = s_now_ms() - start;
    CHECK(rc == 0, "%s: not stopped by SIGTERM within 5 s (SIGKILL needed)", name);
    CHECK(rc != 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0), "%s: after SIGTERM: %s %d",
          name, WIFSIGNALED(status) ? "killed by signal" : "exit",
          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    fprintf(stderr, "%s: SIGHUP reopened the log; SIGTERM -> exit in %lld ms\n", name, took);
    /* the stop is logged to the new file */
    char *text = test_read_file(log);
    CHECK(text && *text, "%s: nothing written to the reopened log", name);
    free(text);
}

static int s_keys(const char *a, const char *b, const char *c);

static void s_case_signals(void)
{
    int port = test_free_port(), tap = test_free_port();
    char ep[128], tp[128], keys[1100];
    snprintf(ep, sizeof(ep), "USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:%d", port);
    snprintf(tp, sizeof(tp), "USCHAT_BROKER_TAP=tcp://127.0.0.1:%d", tap);
    /* as installed: CURVE, a key pair per service (uschat-keys' default: allowed its name) */
    snprintf(keys, sizeof(keys), "USCHAT_BROKER_CURVE_KEYS_DIR=%s", s_path("keys"));
    CHECK(s_keys("init", s_path("keys"), NULL) == 0, "uschat-keys init");
    const char *benv[] = {ep, tp, keys, NULL};
    const char *bargv[] = {test_binary("broker/uschat-broker"), NULL};

    /* the broker itself */
    s_check_signals("broker", bargv, benv, NULL, "serving on");

    /* a broker for the services, then each compiled-in service in its own uschatd */
    pid_t broker = test_spawn(bargv, benv, s_path("broker2.log"));
    CHECK(broker > 0 && test_wait_port(port, 5000) == 0, "broker for the services");

    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' --list", test_binary("actors/uschatd/uschatd"));
    FILE *list = popen(cmd, "r");
    char service[64];
    int tested = 0;
    while (list && fgets(service, sizeof(service), list)) {
        service[strcspn(service, "\r\n")] = '\0';
        if (!*service)
            continue;
        CHECK(s_keys("actor", s_path("keys"), service) == 0, "uschat-keys actor %s", service);
        const char *env[13] = {ep, keys, NULL};
        int n = 2;
        char redis_host[128], redis_port[64], my_host[128], my_port[64], my_user[128], my_pass[256],
            my_db[128], mail[1100], chat_port[64];
        if (strcmp(service, "echo") != 0) {
            const char *need[] = {"USCHAT_TEST_REDIS_PORT", "USCHAT_TEST_MYSQL_PORT", NULL};
            bool have = true;
            for (int i = 0; need[i]; i++)
                have = have && test_env(need[i]);
            if (!have) {
                fprintf(stderr, "%s: skipped (no test Redis/MariaDB in the environment)\n",
                        service);
                continue;
            }
            snprintf(redis_host, sizeof(redis_host), "USCHAT_REDIS_HOST=%s",
                     test_env("USCHAT_TEST_REDIS_HOST") ? test_env("USCHAT_TEST_REDIS_HOST")
                                                        : "127.0.0.1");
            snprintf(redis_port, sizeof(redis_port), "USCHAT_REDIS_PORT=%s",
                     test_env("USCHAT_TEST_REDIS_PORT"));
            snprintf(my_host, sizeof(my_host), "USCHAT_MYSQL_HOST=%s",
                     test_env("USCHAT_TEST_MYSQL_HOST") ? test_env("USCHAT_TEST_MYSQL_HOST")
                                                        : "127.0.0.1");
            snprintf(my_port, sizeof(my_port), "USCHAT_MYSQL_PORT=%s",
                     test_env("USCHAT_TEST_MYSQL_PORT"));
            snprintf(my_user, sizeof(my_user), "USCHAT_MYSQL_USER=%s",
                     test_env("USCHAT_TEST_MYSQL_USER") ? test_env("USCHAT_TEST_MYSQL_USER")
                                                        : "uschat");
            snprintf(my_pass, sizeof(my_pass), "USCHAT_MYSQL_PASSWORD=%s",
                     test_env("USCHAT_TEST_MYSQL_PASSWORD") ? test_env("USCHAT_TEST_MYSQL_PASSWORD")
                                                            : "");
            snprintf(my_db, sizeof(my_db), "USCHAT_MYSQL_DATABASE=%s",
                     test_env("USCHAT_TEST_MYSQL_DB") ? test_env("USCHAT_TEST_MYSQL_DB")
                                                      : "uschat_test");
            snprintf(mail, sizeof(mail), "USCHAT_VARIFY_MAIL_DIR=%s", s_path("mail"));
            snprintf(chat_port, sizeof(chat_port), "USCHAT_CHAT_PORT=%d", test_free_port());
            env[n++] = redis_host;
            env[n++] = redis_port;
            env[n++] = my_host;
            env[n++] = my_port;
            env[n++] = my_user;
            env[n++] = my_pass;
            env[n++] = my_db;
            env[n++] = mail;
            env[n++] = chat_port;
            env[n] = NULL;
        }
        char node[96], ready[128];
        snprintf(node, sizeof(node), "%s.sigtest", service);
        snprintf(ready, sizeof(ready), "ready: %s", node);
        const char *argv[] = {
            test_binary("actors/uschatd/uschatd"), "--service", service, "--node", node, NULL};
        s_check_signals(service, argv, env, s_path("broker2.log"), ready);
        tested++;
    }
    if (list)
        pclose(list);
    CHECK(tested >= 1, "no service tested");
    test_stop(broker, 5000, NULL);
}

/* ---- keys ----------------------------------------------------------------------------- */

static int s_keys(const char *a, const char *b, const char *c)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' %s '%s' %s >>'%s' 2>&1", test_binary("tools/keys/uschat-keys"),
             a, b, c ? c : "", s_path("keys.log"));
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return test_run(argv, NULL, 10000);
}

static int s_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void s_case_keys(void)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", s_path("keys"));
    CHECK(s_keys("init", dir, NULL) == 0, "init");
    CHECK(s_mode(s_path("keys/broker.cert")) == 0644, "broker.cert mode %o",
          s_mode(s_path("keys/broker.cert")));
    CHECK(s_mode(s_path("keys/broker.cert_secret")) == 0600, "broker.cert_secret mode %o",
          s_mode(s_path("keys/broker.cert_secret")));
    CHECK(s_mode(s_path("keys/authorized")) == 0755, "authorized/ mode");
    CHECK(s_keys("init", dir, NULL) != 0, "init over an existing pair must refuse");
    CHECK(s_keys("actor", dir, "chat.node2") == 0, "actor");
    CHECK(s_mode(s_path("keys/actors/chat.node2.cert_secret")) == 0600, "actor secret mode");
    CHECK(s_mode(s_path("keys/authorized/chat.node2.cert")) == 0644, "authorized cert");
    CHECK(access(s_path("keys/authorized/chat.node2.cert_secret"), F_OK) != 0,
          "a secret in the authorized folder");
    char *pub = test_read_file(s_path("keys/authorized/chat.node2.cert"));
    CHECK(pub && strstr(pub, "public-key") && !strstr(pub, "secret-key"), "public cert: %s",
          pub ? pub : "");
    /* what the key may register: by default its name up to the first dot */
    CHECK(pub && strstr(pub, "services = \"chat\""), "default services: %s", pub ? pub : "");
    free(pub);
    CHECK(s_keys("actor", dir, "core --services gate,varify,status") == 0, "actor --services");
    pub = test_read_file(s_path("keys/authorized/core.cert"));
    CHECK(pub && strstr(pub, "services = \"gate,varify,status\""), "services: %s", pub ? pub : "");
    free(pub);
    CHECK(s_keys("actor", dir, "odd --services 'gate,,x'") != 0, "a bad services list");
    CHECK(s_keys("actor", dir, "odd2 --services 'a b'") != 0, "a services list with a space");
    CHECK(s_keys("actor", dir, "chat.node2") != 0, "actor twice must refuse");
    CHECK(s_keys("actor", dir, "'../escape'") != 0, "a name with a path must be refused");
    CHECK(access(s_path("escape.cert"), F_OK) != 0, "wrote outside the folder");
    CHECK(s_keys("list", dir, NULL) == 0, "list");
    char *log = test_read_file(s_path("keys.log"));
    CHECK(log && strstr(log, "chat.node2"), "list shows the actor");
    /* only `env` ever prints a secret key */
    char *secret = test_read_file(s_path("keys/actors/chat.node2.cert_secret"));
    const char *sk = secret ? strstr(secret, "secret-key = \"") : NULL;
    if (sk && log) {
        char key[41];
        snprintf(key, sizeof(key), "%s", sk + 14);
        CHECK(strstr(log, key) == NULL, "a secret key was printed");
    }
    free(secret);
    free(log);
    CHECK(s_keys("revoke", dir, "chat.node2") == 0, "revoke");
    CHECK(access(s_path("keys/authorized/chat.node2.cert"), F_OK) != 0, "revoke left the cert");
    CHECK(s_keys("revoke", dir, "chat.node2") != 0, "revoking twice must fail");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_services units|signals|keys\n");
        return 2;
    }
    g_dir = test_tmpdir("services");
    if (!g_dir)
        return 1;
    if (strcmp(argv[1], "units") == 0)
        s_case_units();
    else if (strcmp(argv[1], "signals") == 0)
        s_case_signals();
    else if (strcmp(argv[1], "keys") == 0)
        s_case_keys();
    else
        return 2;
    if (check_failures)
        fprintf(stderr, "%d check(s) failed; files kept in %s\n", check_failures, g_dir);
    else
        test_rmtree(g_dir);
    free(g_dir);
    return check_failures ? 1 : 0;
}
