/* test_services.c - running UsChat as services: the systemd units, the signals they rely on,
 * and the CURVE key tool.
 *
 * Run by CTest as `test_services CASE`:
 *   units          the units in config/systemd/ (broker, template, target) pass `systemd-analyze
 *                  verify` (with the binaries of this build in ExecStart), and every unit names a
 *                  dedicated user, restart on failure, a 5 s stop timeout and a config path
 *   signals        the broker and every service uschatd hosts: SIGHUP reopens the log file (after
 *                  logrotate moved it) and the process keeps running, SIGTERM ends it with
 *                  status 0 within 5 s
 *   signals_early  the same, sent the moment the ready line appears (the broker's "serving on",
 *                  a service's READY in the broker's log), USCHAT_TEST_SIGNAL_ROUNDS times (5)
 *                  each, with a fresh process every time; and gate and chat with their port
 *                  taken exit with an error without ever saying READY
 *   keys           uschat-keys: file layout and modes, the services each key may register,
 *                  refusing to overwrite, revoke, bad names
 * Services that need Redis/MariaDB run only when the test servers are given (else skipped);
 * each gets ports of its own, and every one runs over CURVE with a key pair of its own.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* Starts program with its log in DIR/name.log (the log/file key, not stdout) and waits for
 * ready_text in ready_path (the log when NULL). Returns the pid, or 0 (checked) when it did
 * not come up. */
static pid_t s_start(const char *name, const char *const argv[], const char *const env[],
                     const char *ready_path, const char *ready_text)
{
    const char *log = s_path("%s.log", name);
    char log_env[1280];
    snprintf(log_env, sizeof(log_env), "USCHAT_LOG_FILE=%s", log);
    const char *envp[20];
    int n = 0;
    envp[n++] = log_env;
    for (int i = 0; env && env[i] && n < 19; i++)
        envp[n++] = env[i];
    envp[n] = NULL;
    pid_t pid = test_spawn(argv, envp, s_path("%s.stderr", name));
    CHECK(pid > 0, "%s: spawn", name);
    if (pid <= 0)
        return 0;
    if (test_wait_file(ready_path ? ready_path : log, ready_text, 15000) != 0) {
        CHECK(false, "%s did not start (see %s and %s)", name, log, s_path("%s.stderr", name));
        test_stop(pid, 1000, NULL);
        return 0;
    }
    return pid;
}

/* logrotate: the log moved away, SIGHUP: a new file appears and the process keeps running */
static void s_check_hup(const char *name, pid_t pid)
{
    const char *log = s_path("%s.log", name);
    CHECK(rename(log, s_path("%s.log.1", name)) == 0, "rename");
    test_kill(pid, SIGHUP);
    struct stat st;
    bool reopened = false;
    for (int i = 0; i < 100 && !reopened; i++) {
        reopened = stat(log, &st) == 0;
        if (!reopened)
            usleep(50 * 1000);
    }
    CHECK(reopened, "%s: SIGHUP did not reopen %s", name, log);
    CHECK(test_wait_exit(pid, 300, NULL) != 0, "%s exited on SIGHUP (see %s)", name,
          s_path("%s.stderr", name));
}

/* SIGTERM: exit 0 within 5 s. Returns how long it took (ms). */
static long long s_check_term(const char *name, pid_t pid)
{
    long long start = s_now_ms();
    int status = -1;
    int rc = test_stop(pid, 5000, &status);
    long long took = s_now_ms() - start;
    CHECK(rc == 0, "%s: not stopped by SIGTERM within 5 s (SIGKILL needed)", name);
    CHECK(rc != 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0), "%s: after SIGTERM: %s %d",
          name, WIFSIGNALED(status) ? "killed by signal" : "exit",
          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return took;
}

/* One program under test: the broker (service NULL) or one service in its own uschatd. */
typedef struct {
    const char *name;
    const char *service;
    const char *const *env;
    const char *ready_path; /* where the ready line appears (NULL: its own log) */
} program_t;

/* Starts round r of p: a node name of its own per round, so the ready line of an earlier
 * round in the broker's log is never taken for this one. */
static pid_t s_start_round(const program_t *p, int r)
{
    char node[96], ready[128];
    snprintf(node, sizeof(node), "%s.sig%d", p->service ? p->service : "", r);
    snprintf(ready, sizeof(ready), "ready: %s ", node);
    const char *bargv[] = {test_binary("broker/uschat-broker"), NULL};
    const char *sargv[] = {
        test_binary("actors/uschatd/uschatd"), "--service", p->service, "--node", node, NULL};
    unlink(s_path("%s.log", p->name));
    return s_start(p->name, p->service ? sargv : bargv, p->env, p->ready_path,
                   p->service ? ready : "serving on");
}

/* rounds 0: SIGHUP then SIGTERM once the program settled. Otherwise rounds times each the
 * moment the ready line appears: what a log rotation or a stop right after a start does. */
static void s_exercise(const program_t *p, int rounds)
{
    for (int r = 0; r < (rounds ? 2 * rounds : 1); r++) {
        pid_t pid = s_start_round(p, r);
        if (!pid)
            return;
        if (!rounds)
            usleep(300 * 1000);
        if (r % 2 == 0)
            s_check_hup(p->name, pid);
        long long took = s_check_term(p->name, pid);
        if (!rounds) {
            fprintf(stderr, "%s: SIGHUP reopened the log; SIGTERM -> exit in %lld ms\n", p->name,
                    took);
            /* the stop is logged to the new file */
            char *text = test_read_file(s_path("%s.log", p->name));
            CHECK(text && *text, "%s: nothing written to the reopened log", p->name);
            free(text);
        }
    }
    if (rounds)
        fprintf(stderr, "%s: %d x SIGHUP and %d x SIGTERM right after the ready line\n", p->name,
                rounds, rounds);
}

/* What a service needs besides the broker: the test Redis/MariaDB, a mail folder, ports of
 * its own. Fills env (NULL-terminated, pointing into vals). False when it needs servers the
 * environment does not give. */
typedef struct {
    char v[14][1280];
} service_env_t;

static bool s_service_env(const char *service, const char *endpoint, const char *keys,
                          service_env_t *vals, const char *env[16])
{
    int n = 0;
    env[n++] = endpoint;
    env[n++] = keys;
    if (strcmp(service, "echo") != 0) {
        if (!test_env("USCHAT_TEST_REDIS_PORT") || !test_env("USCHAT_TEST_MYSQL_PORT"))
            return false;
        const char *h = test_env("USCHAT_TEST_REDIS_HOST"),
                   *mh = test_env("USCHAT_TEST_MYSQL_HOST");
        const char *u = test_env("USCHAT_TEST_MYSQL_USER"),
                   *pw = test_env("USCHAT_TEST_MYSQL_PASSWORD");
        const char *db = test_env("USCHAT_TEST_MYSQL_DB");
        snprintf(vals->v[0], 1280, "USCHAT_REDIS_HOST=%s", h ? h : "127.0.0.1");
        snprintf(vals->v[1], 1280, "USCHAT_REDIS_PORT=%s", test_env("USCHAT_TEST_REDIS_PORT"));
        snprintf(vals->v[2], 1280, "USCHAT_MYSQL_HOST=%s", mh ? mh : "127.0.0.1");
        snprintf(vals->v[3], 1280, "USCHAT_MYSQL_PORT=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
        snprintf(vals->v[4], 1280, "USCHAT_MYSQL_USER=%s", u ? u : "uschat");
        snprintf(vals->v[5], 1280, "USCHAT_MYSQL_PASSWORD=%s", pw ? pw : "");
        snprintf(vals->v[6], 1280, "USCHAT_MYSQL_DATABASE=%s", db ? db : "uschat_test");
        snprintf(vals->v[7], 1280, "USCHAT_VARIFY_MAIL_DIR=%s", s_path("mail"));
        /* ports of its own: a default one (8080, 18091) may be taken on a shared machine */
        snprintf(vals->v[8], 1280, "USCHAT_CHAT_PORT=%d", test_free_port());
        snprintf(vals->v[9], 1280, "USCHAT_GATE_PORT=%d", test_free_port());
        snprintf(vals->v[10], 1280, "USCHAT_FILES_PORT=%d", test_free_port());
        snprintf(vals->v[11], 1280, "USCHAT_FILES_DIR=%s", s_path("files"));
        for (int i = 0; i < 12; i++)
            env[n++] = vals->v[i];
    }
    env[n] = NULL;
    return true;
}

/* A service whose port is taken cannot start: uschatd must exit with an error, and the
 * service must never have said READY (the broker would have routed requests to it). */
static void s_check_port_taken(const char *service, service_env_t *vals, const char *const env[],
                               const char *broker_log)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        CHECK(false, "a port to hold");
        if (fd >= 0)
            close(fd);
        return;
    }
    int port = ntohs(sa.sin_port), failures = check_failures;
    snprintf(vals->v[8], sizeof vals->v[8], "USCHAT_CHAT_PORT=%d", port);
    snprintf(vals->v[9], sizeof vals->v[9], "USCHAT_GATE_PORT=%d", port);
    char node[96], ready[128];
    snprintf(node, sizeof(node), "%s.busy", service);
    snprintf(ready, sizeof(ready), "ready: %s ", node);
    const char *argv[] = {
        test_binary("actors/uschatd/uschatd"), "--service", service, "--node", node, NULL};
    pid_t pid = test_spawn(argv, env, s_path("%s.busy.log", service));
    int status = 0;
    int rc = pid > 0 ? test_wait_exit(pid, 15000, &status) : -1;
    CHECK(rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0,
          "%s with its port %d taken: uschatd did not exit with an error", service, port);
    if (rc != 0 && pid > 0)
        test_stop(pid, 1000, NULL);
    usleep(300 * 1000); /* a READY sent would be in the broker's log by now */
    char *text = test_read_file(broker_log);
    CHECK(text && !strstr(text, ready), "%s said READY although its port %d was taken", service,
          port);
    free(text);
    close(fd);
    snprintf(vals->v[8], sizeof vals->v[8], "USCHAT_CHAT_PORT=%d", test_free_port());
    snprintf(vals->v[9], sizeof vals->v[9], "USCHAT_GATE_PORT=%d", test_free_port());
    if (check_failures == failures)
        fprintf(stderr, "%s: with its port taken it exits and never says READY\n", service);
}

/* The broker, then each service uschatd has compiled in, in its own uschatd. */
static int s_keys(const char *a, const char *b, const char *c);

static void s_case_signals(int rounds)
{
    int port = test_free_port(), tap = test_free_port();
    char ep[128], tp[128], keys[1280];
    snprintf(ep, sizeof(ep), "USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:%d", port);
    snprintf(tp, sizeof(tp), "USCHAT_BROKER_TAP=tcp://127.0.0.1:%d", tap);
    /* as installed: CURVE, a key pair per service (uschat-keys' default: allowed its name) */
    snprintf(keys, sizeof(keys), "USCHAT_BROKER_CURVE_KEYS_DIR=%s", s_path("keys"));
    CHECK(s_keys("init", s_path("keys"), NULL) == 0, "uschat-keys init");
    const char *benv[] = {ep, tp, keys, NULL};
    s_exercise(&(program_t){"broker", NULL, benv, NULL}, rounds);

    /* a copy: s_path()'s buffers are reused after 16 calls */
    char broker_log[1024];
    snprintf(broker_log, sizeof broker_log, "%s", s_path("broker2.log"));
    const char *bargv[] = {test_binary("broker/uschat-broker"), NULL};
    pid_t broker = test_spawn(bargv, benv, broker_log);
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
        service_env_t vals;
        const char *env[16];
        if (!s_service_env(service, ep, keys, &vals, env)) {
            fprintf(stderr, "%s: skipped (no test Redis/MariaDB in the environment)\n", service);
            continue;
        }
        /* READY reaches the broker once the service is set up: its line in the broker's log
         * says the service is up */
        if (rounds && (strcmp(service, "gate") == 0 || strcmp(service, "chat") == 0))
            s_check_port_taken(service, &vals, env, broker_log);
        s_exercise(&(program_t){service, service, env, broker_log}, rounds);
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
        fprintf(stderr, "usage: test_services units|signals|signals_early|keys\n");
        return 2;
    }
    g_dir = test_tmpdir("services");
    if (!g_dir)
        return 1;
    if (strcmp(argv[1], "units") == 0)
        s_case_units();
    else if (strcmp(argv[1], "signals") == 0)
        s_case_signals(0);
    else if (strcmp(argv[1], "signals_early") == 0)
        s_case_signals(test_env("USCHAT_TEST_SIGNAL_ROUNDS")
                           ? atoi(test_env("USCHAT_TEST_SIGNAL_ROUNDS"))
                           : 5);
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
