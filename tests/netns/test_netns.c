/* test_netns.c - UsChat across two hosts, built on one machine with network namespaces.
 *
 * Run by CTest as `test_netns CASE`, one process per case; skips (77) where `ip netns` is not
 * permitted or a program is not built.
 *   curve   host A runs the broker with CURVE (keys from uschat-keys) and uschat-monitor;
 *           host B runs an echo actor with its authorized key pair and this test's own
 *           client: both register and traffic flows, encrypted. Then an actor with a key
 *           pair the broker does not know, and a client without keys: both are refused and
 *           the monitor shows the handshake failures.
 *   cluster host A runs Redis, MariaDB, the broker (CURVE), gate + varify + status, chat node
 *           chat.node1 and the monitor; host B runs chat.node2. Two users register and log
 *           in from host B; status sends one to each node; the one on host B sends a friend
 *           request to the one on host A, accepted, and they exchange a message each way
 *           (1018 after the commit, 1019 at the peer across the hosts). Then a chat node with
 *           an unknown key pair is refused and the monitor shows the handshake failure.
 * The test process itself moves onto host B (netns_enter) before it makes any socket.
 */
#include <czmq.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "flow.h"
#define CHECK_KEEP_GOING
#include "check.h"
#include "test_stack.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/message.h"

#define BROKER_PORT 15570
#define TAP_PORT    15571

typedef struct {
    char server_public[64];
    char public_key[64];
    char secret_key[64];
} curve_keys_t;

static char *g_dir;
static netns_host_t g_a, g_b;

static const char *s_path(const char *name)
{
    static char paths[16][512];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 512, "%s/%s", g_dir, name);
    return p;
}

/* Runs `uschat-keys ARGS...` with its output in DIR/keys.log. 0 or -1. */
static int s_keys(const char *first, ...)
{
    const char *argv[8];
    int n = 0;
    argv[n++] = test_binary("tools/keys/uschat-keys");
    va_list ap;
    va_start(ap, first);
    for (const char *arg = first; arg && n < 7; arg = va_arg(ap, const char *))
        argv[n++] = arg;
    va_end(ap);
    argv[n] = NULL;
    return test_run(argv, NULL, 10000) == 0 ? 0 : -1;
}

/* The keys of actor name, as `uschat-keys env DIR NAME` prints them for an environment file. */
static int s_actor_keys(const char *dir, const char *name, curve_keys_t *keys)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' env '%s' '%s'", test_binary("tools/keys/uschat-keys"), dir,
             name);
    FILE *out = popen(cmd, "r");
    if (!out)
        return -1;
    char line[256];
    int found = 0;
    memset(keys, 0, sizeof(*keys));
    while (fgets(line, sizeof(line), out)) {
        char *eq = strchr(line, '=');
        if (!eq || line[0] == '#')
            continue;
        *eq = '\0';
        char *value = eq + 1;
        value[strcspn(value, "\n")] = '\0';
        size_t len = strlen(value);
        if (len >= 2 && value[0] == '\'' && value[len - 1] == '\'') {
            value[len - 1] = '\0';
            value++;
        }
        if (strcmp(line, "USCHAT_BROKER_CURVE_SERVER_PUBLIC") == 0)
            found += snprintf(keys->server_public, 64, "%s", value) == 40;
        else if (strcmp(line, "USCHAT_BROKER_CURVE_PUBLIC") == 0)
            found += snprintf(keys->public_key, 64, "%s", value) == 40;
        else if (strcmp(line, "USCHAT_BROKER_CURVE_SECRET") == 0)
            found += snprintf(keys->secret_key, 64, "%s", value) == 40;
    }
    return pclose(out) == 0 && found == 3 ? 0 : -1;
}

static pid_t s_start_broker(const char *keys_dir)
{
    char ep[128], tap[128], cert[600], auth[600];
    snprintf(ep, sizeof(ep), "USCHAT_BROKER_ENDPOINT=tcp://%s:%d", g_a.address, BROKER_PORT);
    snprintf(tap, sizeof(tap), "USCHAT_BROKER_TAP=tcp://%s:%d", g_a.address, TAP_PORT);
    snprintf(cert, sizeof(cert), "USCHAT_BROKER_CURVE_SECRET_FILE=%s/broker.cert_secret", keys_dir);
    snprintf(auth, sizeof(auth), "USCHAT_BROKER_CURVE_AUTHORIZED_DIR=%s/authorized", keys_dir);
    const char *argv[] = {test_binary("broker/uschat-broker"), NULL};
    const char *envp[] = {ep, tap, cert, auth, "USCHAT_LOG_LEVEL=debug", NULL};
    pid_t pid = netns_spawn(&g_a, argv, envp, s_path("broker.log"));
    if (pid < 0 || netns_wait_port(&g_a, g_a.address, BROKER_PORT, 5000) != 0) {
        fprintf(stderr, "the broker did not start on host A (see %s)\n", s_path("broker.log"));
        return -1;
    }
    return pid;
}

/* uschat-monitor on host A, output in DIR/monitor.out and notes in DIR/monitor.err. */
static pid_t s_start_monitor(const char *keys_dir)
{
    /* the tap serves only keys allowed to read it: the monitor's pair in the keys folder */
    char cmd[3072];
    snprintf(cmd, sizeof(cmd),
             "exec ip netns exec '%s' env USCHAT_BROKER_CURVE_KEYS_DIR='%s' '%s' --tap tcp://%s:%d "
             ">'%s' 2>'%s'",
             g_a.name, keys_dir, test_binary("tools/monitor/uschat-monitor"), g_a.address, TAP_PORT,
             s_path("monitor.out"), s_path("monitor.err"));
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t pid = test_spawn(argv, NULL, NULL);
    if (pid < 0 || test_wait_file(s_path("monitor.err"), "connected to the tap", 5000) != 0) {
        fprintf(stderr, "the monitor did not connect\n");
        return -1;
    }
    usleep(300 * 1000); /* the subscription follows the connection */
    return pid;
}

/* An echo actor on host B named node, with the given keys. */
static pid_t s_start_echo(const char *node, const curve_keys_t *keys, const char *log)
{
    char ep[128], sp[128], pk[128], sk[128];
    snprintf(ep, sizeof(ep), "USCHAT_BROKER_ENDPOINT=tcp://%s:%d", g_a.address, BROKER_PORT);
    snprintf(sp, sizeof(sp), "USCHAT_BROKER_CURVE_SERVER_PUBLIC=%s", keys->server_public);
    snprintf(pk, sizeof(pk), "USCHAT_BROKER_CURVE_PUBLIC=%s", keys->public_key);
    snprintf(sk, sizeof(sk), "USCHAT_BROKER_CURVE_SECRET=%s", keys->secret_key);
    const char *argv[] = {
        test_binary("actors/uschatd/uschatd"), "--service", "echo", "--node", node, NULL};
    const char *envp[] = {ep, sp, pk, sk, NULL};
    return netns_spawn(&g_b, argv, envp, log);
}

static int s_call_echo(broker_client_t *client, uint64_t seq, int timeout_ms)
{
    msg_echo_t m = {.payload = {(uint8_t *)"over the veth", 13}, .seq = seq};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_echo_encode(&m, &buf, &len) != 0)
        return -1;
    envelope_t reply;
    zframe_t *body = NULL;
    int rc =
        broker_client_call(client, "echo", NULL, MSG_ECHO, buf, len, timeout_ms, &reply, &body);
    free(buf);
    zframe_destroy(&body);
    return rc;
}

/* Whether one line of text holds both a and b (a before b). */
static bool s_line_with(const char *text, const char *a, const char *b)
{
    for (const char *p = strstr(text, a); p; p = strstr(p + 1, a)) {
        const char *end = strchr(p, '\n');
        const char *q = strstr(p + strlen(a), b);
        if (q && (!end || q < end))
            return true;
    }
    return false;
}

static int s_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void s_case_curve(void)
{
    const char *keys = s_path("keys");
    const char *rogue_keys = s_path("rogue-keys");
    CHECK(s_keys("init", keys, NULL) == 0, "uschat-keys init");
    CHECK(s_keys("actor", keys, "echo.remote", NULL) == 0, "uschat-keys actor echo.remote");
    CHECK(s_keys("actor", keys, "tester.remote", NULL) == 0, "uschat-keys actor tester");
    CHECK(s_keys("actor", keys, "monitor", "--services", "tap", NULL) == 0, "monitor's key");
    /* a well-formed pair the broker has never been told about */
    CHECK(s_keys("init", rogue_keys, NULL) == 0, "rogue init");
    CHECK(s_keys("actor", rogue_keys, "echo.rogue", NULL) == 0, "rogue actor");
    curve_keys_t echo_keys, tester_keys, rogue;
    CHECK(s_actor_keys(keys, "echo.remote", &echo_keys) == 0, "keys of echo.remote");
    CHECK(s_actor_keys(keys, "tester.remote", &tester_keys) == 0, "keys of tester.remote");
    CHECK(s_actor_keys(rogue_keys, "echo.rogue", &rogue) == 0, "keys of echo.rogue");
    /* the rogue knows the real broker's public key: only its own key is wrong */
    snprintf(rogue.server_public, sizeof(rogue.server_public), "%s", echo_keys.server_public);
    if (check_failures)
        return;

    pid_t broker = s_start_broker(keys);
    pid_t monitor = broker > 0 ? s_start_monitor(keys) : -1;
    CHECK(broker > 0 && monitor > 0, "broker and monitor on host A");
    if (check_failures)
        return;

    /* 1. the authorized actor on host B registers */
    pid_t echo = s_start_echo("echo.remote", &echo_keys, s_path("echo.log"));
    CHECK(test_wait_file(s_path("broker.log"), "ready: echo.remote", 8000) == 0,
          "echo.remote (host B, authorized key) did not register");
    CHECK(test_wait_file(s_path("monitor.out"), "event ready echo/echo.remote", 3000) == 0,
          "the monitor did not show the READY of echo.remote");

    /* 2. this process, on host B, with its own authorized key: a request round trip */
    char endpoint[128];
    snprintf(endpoint, sizeof(endpoint), "tcp://%s:%d", g_a.address, BROKER_PORT);
    broker_client_config_t config = {.endpoint = endpoint,
                                     .service = "tester",
                                     .node = "tester.remote",
                                     .heartbeat_ms = 1000,
                                     .liveness = 3,
                                     .curve_server_public = tester_keys.server_public,
                                     .curve_public = tester_keys.public_key,
                                     .curve_secret = tester_keys.secret_key};
    broker_client_t *client = broker_client_new(&config);
    CHECK(client != NULL, "client");
    if (client) {
        CHECK(s_call_echo(client, 1, 5000) == 0, "echo over CURVE from host B");
        CHECK(s_call_echo(client, 2, 3000) == 0, "second echo");
    }
    CHECK(test_wait_file(s_path("monitor.out"),
                         "tester/tester.remote -> echo/echo.remote request echo", 3000) == 0,
          "the monitor did not show the cross-host request");
    CHECK(test_wait_file(s_path("monitor.out"),
                         "echo/echo.remote -> tester/tester.remote reply echo", 3000) == 0,
          "the monitor did not show the reply");
    broker_client_destroy(&client);

    /* 3. a key pair the broker does not know: refused, and the monitor says why */
    char *before = test_read_file(s_path("monitor.out"));
    int failures_before = s_count(before, "event handshake_failed");
    free(before);
    pid_t rogue_pid = s_start_echo("echo.rogue", &rogue, s_path("rogue.log"));
    CHECK(rogue_pid > 0, "rogue spawn");
    CHECK(test_wait_file(s_path("monitor.out"), "event handshake_failed", 8000) == 0,
          "the monitor did not show a handshake failure for the unknown key");
    usleep(1500 * 1000);
    char *text = test_read_file(s_path("monitor.out"));
    char *blog = test_read_file(s_path("broker.log"));
    CHECK(s_count(text, "event handshake_failed") > failures_before, "no new handshake failure");
    CHECK(!strstr(text, "echo.rogue") && !strstr(blog, "ready: echo.rogue"),
          "the actor with an unknown key was registered");
    free(blog);
    free(text);
    test_stop(rogue_pid, 5000, NULL);

    /* 4. no keys at all: the CURVE broker refuses plain ZMTP */
    broker_client_config_t plain = {.endpoint = endpoint,
                                    .service = "tester",
                                    .node = "tester.plain",
                                    .heartbeat_ms = 1000,
                                    .liveness = 3};
    client = broker_client_new(&plain);
    if (client)
        CHECK(s_call_echo(client, 3, 1500) != 0, "a client without keys got an answer");
    broker_client_destroy(&client);
    usleep(500 * 1000);
    text = test_read_file(s_path("monitor.out"));
    CHECK(!strstr(text, "tester.plain"), "the client without keys was registered");
    fprintf(stderr, "---- uschat-monitor on host A ----\n%s----\n", text);
    free(text);

    test_stop(echo, 5000, NULL);
    int status = -1;
    test_kill(monitor, SIGINT);
    CHECK(test_wait_exit(monitor, 3000, &status) == 0 && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0,
          "monitor exit on SIGINT");
    CHECK(test_stop(broker, 5000, &status) == 0, "the broker needed SIGKILL");
}

/* ---- cluster: the whole system over two hosts -------------------------------------------- */

#define A_REDIS_PORT 16379
#define A_MYSQL_PORT 13306
#define A_GATE_PORT  18080
#define CHAT_PORT    18090

/* Redis and MariaDB on host A, listening on A's address (the chat node on B uses them too). */
static int s_start_servers(const char *password)
{
    const char *dir = s_path("servers");
    char conf_path[600], conf[1024];
    mkdir(dir, 0700);
    snprintf(conf_path, sizeof(conf_path), "%s/redis.conf", dir);
    snprintf(conf, sizeof(conf),
             "bind %s\nport %d\nsave \"\"\nappendonly no\ndaemonize no\nprotected-mode no\n"
             "dir %s\n",
             g_a.address, A_REDIS_PORT, dir);
    FILE *f = fopen(conf_path, "w");
    if (!f)
        return -1;
    fputs(conf, f);
    fclose(f);
    const char *redis[] = {"redis-server", conf_path, NULL};
    if (netns_spawn(&g_a, redis, NULL, s_path("servers/redis.log")) < 0)
        return -1;

    char datadir[600], sock[600], port[32], bind[64], pidf[600], errlog[600];
    snprintf(datadir, sizeof(datadir), "--datadir=%s/data", dir);
    snprintf(sock, sizeof(sock), "--socket=%s/mysqld.sock", dir);
    snprintf(port, sizeof(port), "--port=%d", A_MYSQL_PORT);
    snprintf(bind, sizeof(bind), "--bind-address=%s", g_a.address);
    snprintf(pidf, sizeof(pidf), "--pid-file=%s/mysqld.pid", dir);
    snprintf(errlog, sizeof(errlog), "--log-error=%s/mariadb.log", dir);
    char install[2048];
    snprintf(install, sizeof(install),
             "mariadb-install-db --no-defaults %s --user=root "
             "--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve "
             ">'%s/install.log' 2>&1",
             datadir, dir);
    const char *sh_install[] = {"/bin/sh", "-c", install, NULL};
    if (test_run(sh_install, NULL, 120000) != 0) {
        fprintf(stderr, "mariadb-install-db failed (%s/install.log)\n", dir);
        return -1;
    }
    const char *mariadb[] = {"mariadbd",
                             "--no-defaults",
                             datadir,
                             sock,
                             port,
                             bind,
                             "--user=root",
                             pidf,
                             errlog,
                             "--skip-name-resolve",
                             "--character-set-server=utf8mb4",
                             "--collation-server=utf8mb4_unicode_ci",
                             "--innodb-buffer-pool-size=64M",
                             "--innodb-log-file-size=8M",
                             "--skip-log-bin",
                             NULL};
    if (netns_spawn(&g_a, mariadb, NULL, NULL) < 0 ||
        netns_wait_port(&g_a, g_a.address, A_MYSQL_PORT, 60000) != 0 ||
        netns_wait_port(&g_a, g_a.address, A_REDIS_PORT, 10000) != 0) {
        fprintf(stderr, "Redis or MariaDB did not start on host A (%s)\n", dir);
        return -1;
    }
    char setup[2048];
    snprintf(setup, sizeof(setup),
             "mariadb --no-defaults --socket='%s/mysqld.sock' --user=root -e \""
             "CREATE DATABASE uschat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
             "CREATE USER 'uschat'@'%%' IDENTIFIED BY '%s'; "
             "GRANT ALL PRIVILEGES ON uschat.* TO 'uschat'@'%%';\" && "
             "bash '%s/tools/lib/migrate.sh' --quiet --no-defaults --socket='%s/mysqld.sock' "
             "--user=root uschat >'%s/migrate.log' 2>&1",
             dir, password, test_env("USCHAT_SOURCE_DIR"), dir, dir);
    const char *sh_setup[] = {"/bin/sh", "-c", setup, NULL};
    if (test_run(sh_setup, NULL, 60000) != 0) {
        fprintf(stderr, "database setup failed (%s/migrate.log)\n", dir);
        return -1;
    }
    return 0;
}

/* uschatd with services (NULL-terminated "--service X" pairs folded in args) on host. */
static pid_t s_start_uschatd(const netns_host_t *host, const char *const args[],
                             const curve_keys_t *keys, const char *extra_env[], const char *log)
{
    static char env[24][600];
    int n = 0;
    const char *envp[32];
    snprintf(env[n], 600, "USCHAT_BROKER_ENDPOINT=tcp://%s:%d", g_a.address, BROKER_PORT);
    envp[n] = env[n], n++;
    snprintf(env[n], 600, "USCHAT_BROKER_CURVE_SERVER_PUBLIC=%s", keys->server_public);
    envp[n] = env[n], n++;
    snprintf(env[n], 600, "USCHAT_BROKER_CURVE_PUBLIC=%s", keys->public_key);
    envp[n] = env[n], n++;
    snprintf(env[n], 600, "USCHAT_BROKER_CURVE_SECRET=%s", keys->secret_key);
    envp[n] = env[n], n++;
    for (int i = 0; extra_env && extra_env[i] && n < 30; i++)
        envp[n++] = extra_env[i];
    envp[n] = NULL;
    const char *argv[16];
    int a = 0;
    argv[a++] = test_binary("actors/uschatd/uschatd");
    for (int i = 0; args[i] && a < 15; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    return netns_spawn(host, argv, envp, log);
}

static void s_case_cluster(void)
{
    test_require_services((const char *[]){"gate", "varify", "status", "chat", NULL});
    if (access("/usr/sbin/mariadbd", X_OK) != 0 || access("/usr/bin/redis-server", X_OK) != 0) {
        fprintf(stderr, "SKIP: no mariadbd or redis-server\n");
        exit(TEST_SKIP);
    }
    const char *keys = s_path("keys");
    const char *rogue_keys = s_path("rogue-keys");
    const char *names[] = {"chat.node1", "chat.node2"};
    CHECK(s_keys("init", keys, NULL) == 0, "keys init");
    for (int i = 0; i < 2; i++)
        CHECK(s_keys("actor", keys, names[i], NULL) == 0, "keys for %s", names[i]);
    /* one uschatd hosts three services on one key: it is allowed those three */
    CHECK(s_keys("actor", keys, "core.a", "--services", "gate,varify,status", NULL) == 0,
          "keys for core.a");
    CHECK(s_keys("actor", keys, "monitor", "--services", "tap", NULL) == 0, "monitor's key");
    CHECK(s_keys("init", rogue_keys, NULL) == 0 &&
              s_keys("actor", rogue_keys, "chat.node3", NULL) == 0,
          "rogue keys");
    curve_keys_t core_keys, node1_keys, node2_keys, rogue;
    CHECK(s_actor_keys(keys, "core.a", &core_keys) == 0 &&
              s_actor_keys(keys, "chat.node1", &node1_keys) == 0 &&
              s_actor_keys(keys, "chat.node2", &node2_keys) == 0 &&
              s_actor_keys(rogue_keys, "chat.node3", &rogue) == 0,
          "reading the keys");
    snprintf(rogue.server_public, sizeof(rogue.server_public), "%s", core_keys.server_public);
    const char *password = "netns-db-secret";
    if (check_failures || s_start_servers(password) != 0) {
        CHECK(false, "servers on host A");
        return;
    }
    pid_t broker = s_start_broker(keys);
    pid_t monitor = broker > 0 ? s_start_monitor(keys) : -1;
    CHECK(broker > 0 && monitor > 0, "broker and monitor on host A");
    if (check_failures)
        return;

    static char db_env[8][160];
    snprintf(db_env[0], 160, "USCHAT_REDIS_HOST=%s", g_a.address);
    snprintf(db_env[1], 160, "USCHAT_REDIS_PORT=%d", A_REDIS_PORT);
    snprintf(db_env[2], 160, "USCHAT_MYSQL_HOST=%s", g_a.address);
    snprintf(db_env[3], 160, "USCHAT_MYSQL_PORT=%d", A_MYSQL_PORT);
    snprintf(db_env[4], 160, "USCHAT_MYSQL_PASSWORD=%s", password);
    static char gate_env[3][1280];
    snprintf(gate_env[0], 1280, "USCHAT_GATE_HOST=%s", g_a.address);
    snprintf(gate_env[1], 1280, "USCHAT_GATE_PORT=%d", A_GATE_PORT);
    snprintf(gate_env[2], 1280, "USCHAT_VARIFY_MAIL_DIR=%s", s_path("mail"));
    const char *core_env[] = {db_env[0],
                              db_env[1],
                              db_env[2],
                              db_env[3],
                              db_env[4],
                              "USCHAT_MYSQL_USER=uschat",
                              "USCHAT_MYSQL_DATABASE=uschat",
                              gate_env[0],
                              gate_env[1],
                              gate_env[2],
                              NULL};
    const char *core_args[] = {"--service", "gate",   "--service", "varify", "--service",
                               "status",    "--node", "core.a",    NULL};
    pid_t core = s_start_uschatd(&g_a, core_args, &core_keys, core_env, s_path("core.log"));

    /* node1 on host A, node2 on host B: each binds and announces its own host's address */
    static char node_env[2][3][96];
    const netns_host_t *hosts[] = {&g_a, &g_b};
    const curve_keys_t *node_keys[] = {&node1_keys, &node2_keys};
    pid_t nodes[2];
    for (int i = 0; i < 2; i++) {
        snprintf(node_env[i][0], 96, "USCHAT_CHAT_HOST=%s", hosts[i]->address);
        snprintf(node_env[i][1], 96, "USCHAT_CHAT_PUBLIC_HOST=%s", hosts[i]->address);
        snprintf(node_env[i][2], 96, "USCHAT_CHAT_PORT=%d", CHAT_PORT + i + 1);
        const char *env[] = {db_env[0],
                             db_env[1],
                             db_env[2],
                             db_env[3],
                             db_env[4],
                             "USCHAT_MYSQL_USER=uschat",
                             "USCHAT_MYSQL_DATABASE=uschat",
                             node_env[i][0],
                             node_env[i][1],
                             node_env[i][2],
                             NULL};
        const char *args[] = {"--service", "chat", "--node", names[i], NULL};
        char log[32];
        snprintf(log, sizeof(log), "node%d.log", i + 1);
        nodes[i] = s_start_uschatd(hosts[i], args, node_keys[i], env, s_path(log));
    }
    CHECK(core > 0 && netns_wait_port(&g_a, g_a.address, A_GATE_PORT, 15000) == 0,
          "gate on host A (core.log)");
    CHECK(test_wait_file(s_path("broker.log"), "ready: chat.node1", 10000) == 0 &&
              test_wait_file(s_path("broker.log"), "ready: chat.node2", 10000) == 0,
          "chat nodes did not register over CURVE");
    usleep(1500 * 1000); /* node reports reach status */
    if (check_failures)
        return;

    /* the users: this process is on host B */
    char gate_url[64];
    snprintf(gate_url, sizeof(gate_url), "http://%s:%d", g_a.address, A_GATE_PORT);
    flow_config_t flow = {.gate_url = gate_url, .mail_dir = s_path("mail"), .timeout_ms = 8000};
    flow_user_t u1, u2;
    flow_user_init(&u1, "amy");
    flow_user_init(&u2, "ben");
    CHECK(flow_register(&flow, &u1) == 0 && flow_register(&flow, &u2) == 0, "register");
    CHECK(flow_login(&flow, &u1) == 0, "login 1");
    usleep(1500 * 1000);
    CHECK(flow_login(&flow, &u2) == 0, "login 2");
    CHECK(strcmp(u1.host, u2.host) != 0, "both users sent to %s", u1.host);
    flow_user_t *local = strcmp(u1.host, g_a.address) == 0 ? &u1 : &u2;
    flow_user_t *remote = local == &u1 ? &u2 : &u1;
    CHECK(strcmp(remote->host, g_b.address) == 0, "no user on the remote node (%s)", remote->host);
    fprintf(stderr, "%s on %s:%d (host A), %s on %s:%d (host B)\n", local->user, local->host,
            local->port, remote->user, remote->host, remote->port);
    if (check_failures == 0)
        CHECK(flow_befriend(&flow, remote, local) == 0, "friend request between the hosts");
    if (check_failures == 0) {
        CHECK(flow_message(&flow, remote, local, "hello from host B") == 0,
              "message from host B to host A");
        CHECK(flow_message(&flow, local, remote, "你好, host B") == 0,
              "message from host A to host B");
    }
    usleep(500 * 1000);
    char *text = test_read_file(s_path("monitor.out"));
    char peer[64];
    snprintf(peer, sizeof(peer), "event connected peer=%s:", g_b.address);
    CHECK(strstr(text, peer) != NULL, "no connection from host B on the monitor");
    CHECK(strstr(text, "chat/chat.node2 -> chat/chat.node1 notify chat_push") &&
              strstr(text, "chat/chat.node1 -> chat/chat.node2 notify chat_push"),
          "the pushes between the hosts are not on the monitor");
    /* each message's 1019 crossed to the peer's node (a record of a chat_push list) */
    CHECK(s_line_with(text, "chat/chat.node2 -> chat/chat.node1 notify chat_push", "1019") &&
              s_line_with(text, "chat/chat.node1 -> chat/chat.node2 notify chat_push", "1019"),
          "the messages between the hosts are not on the monitor");
    CHECK(strstr(text, "token=***") && !strstr(text, u1.token) && !strstr(text, u2.token),
          "tokens not masked");
    free(text);

    /* a chat node with a key pair the broker does not know: refused, shown */
    const char *rargs[] = {"--service", "chat", "--node", "chat.node3", NULL};
    static char rogue_env[3][96];
    snprintf(rogue_env[0], 96, "USCHAT_CHAT_HOST=%s", g_b.address);
    snprintf(rogue_env[1], 96, "USCHAT_CHAT_PUBLIC_HOST=%s", g_b.address);
    snprintf(rogue_env[2], 96, "USCHAT_CHAT_PORT=%d", CHAT_PORT + 3);
    const char *renv[] = {db_env[0],
                          db_env[1],
                          db_env[2],
                          db_env[3],
                          db_env[4],
                          "USCHAT_MYSQL_USER=uschat",
                          "USCHAT_MYSQL_DATABASE=uschat",
                          rogue_env[0],
                          rogue_env[1],
                          rogue_env[2],
                          NULL};
    text = test_read_file(s_path("monitor.out"));
    int failed_before = s_count(text, "event handshake_failed");
    free(text);
    pid_t rogue_node = s_start_uschatd(&g_b, rargs, &rogue, renv, s_path("node3.log"));
    CHECK(rogue_node > 0, "rogue node");
    usleep(3000 * 1000);
    text = test_read_file(s_path("monitor.out"));
    char *blog = test_read_file(s_path("broker.log"));
    CHECK(s_count(text, "event handshake_failed") > failed_before,
          "the monitor shows no handshake failure for chat.node3");
    CHECK(!strstr(blog, "ready: chat.node3") && !strstr(text, "chat.node3"),
          "chat.node3 with an unknown key was let in");
    fprintf(stderr, "---- uschat-monitor on host A ----\n%s----\n", text);
    free(blog);
    free(text);

    flow_user_clear(&u1);
    flow_user_clear(&u2);
    test_stop(rogue_node, 5000, NULL);
    for (int i = 0; i < 2; i++)
        test_stop(nodes[i], 5000, NULL);
    test_stop(core, 5000, NULL);
    test_kill(monitor, SIGINT);
    test_wait_exit(monitor, 3000, NULL);
    test_stop(broker, 5000, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "curve") != 0 && strcmp(argv[1], "cluster") != 0)) {
        fprintf(stderr, "usage: test_netns curve|cluster\n");
        return 2;
    }
    test_binary("broker/uschat-broker");
    test_binary("actors/uschatd/uschatd");
    test_binary("tools/monitor/uschat-monitor");
    test_binary("tools/keys/uschat-keys");
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: network namespaces need root\n");
        return TEST_SKIP;
    }
    g_dir = test_tmpdir("netns");
    if (!g_dir || netns_setup(&g_a, &g_b) != 0)
        return 1;
    fprintf(stderr, "host A: %s %s, host B: %s %s, files in %s\n", g_a.name, g_a.address, g_b.name,
            g_b.address, g_dir);
    if (netns_enter(&g_b) != 0)
        return 1;
    zsys_init();
    zsys_set_logstream(NULL);

    if (strcmp(argv[1], "curve") == 0)
        s_case_curve();
    else
        s_case_cluster();

    if (check_failures)
        fprintf(stderr, "%d check(s) failed; files kept in %s\n", check_failures, g_dir);
    else
        test_rmtree(g_dir);
    free(g_dir);
    return check_failures ? 1 : 0;
}
