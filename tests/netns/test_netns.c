/* test_netns.c - UsChat across two hosts, built on one machine with network namespaces.
 *
 * Run by CTest as `test_netns CASE`, one process per case; skips (77) where `ip netns` is not
 * permitted or a program is not built.
 *   curve   host A runs the broker with CURVE (keys from uschat-keys) and uschat-monitor;
 *           host B runs an echo actor with its authorized key pair and this test's own
 *           client: both register and traffic flows, encrypted. Then an actor with a key
 *           pair the broker does not know, and a client without keys: both are refused and
 *           the monitor shows the handshake failures.
 * The test process itself moves onto host B (netns_enter) before it makes any socket.
 */
#include <czmq.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/message.h"

static int g_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

#define BROKER_PORT 15570
#define TAP_PORT    15571

typedef struct {
    char server_public[64];
    char public_key[64];
    char secret_key[64];
} curve_keys_t;

static char *g_dir;
static netns_host_t g_a, g_b;

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

static int s_wait_for(const char *path, const char *needle, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char *text = s_read_file(path);
        bool found = strstr(text, needle) != NULL;
        free(text);
        if (found)
            return 0;
        usleep(50 * 1000);
    }
    return -1;
}

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
static pid_t s_start_monitor(void)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "exec ip netns exec '%s' '%s' --tap tcp://%s:%d >'%s' 2>'%s'",
             g_a.name, test_binary("tools/monitor/uschat-monitor"), g_a.address, TAP_PORT,
             s_path("monitor.out"), s_path("monitor.err"));
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t pid = test_spawn(argv, NULL, NULL);
    if (pid < 0 || s_wait_for(s_path("monitor.err"), "connected to the tap", 5000) != 0) {
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
    /* a well-formed pair the broker has never been told about */
    CHECK(s_keys("init", rogue_keys, NULL) == 0, "rogue init");
    CHECK(s_keys("actor", rogue_keys, "echo.rogue", NULL) == 0, "rogue actor");
    curve_keys_t echo_keys, tester_keys, rogue;
    CHECK(s_actor_keys(keys, "echo.remote", &echo_keys) == 0, "keys of echo.remote");
    CHECK(s_actor_keys(keys, "tester.remote", &tester_keys) == 0, "keys of tester.remote");
    CHECK(s_actor_keys(rogue_keys, "echo.rogue", &rogue) == 0, "keys of echo.rogue");
    /* the rogue knows the real broker's public key: only its own key is wrong */
    snprintf(rogue.server_public, sizeof(rogue.server_public), "%s", echo_keys.server_public);
    if (g_failures)
        return;

    pid_t broker = s_start_broker(keys);
    pid_t monitor = broker > 0 ? s_start_monitor() : -1;
    CHECK(broker > 0 && monitor > 0, "broker and monitor on host A");
    if (g_failures)
        return;

    /* 1. the authorized actor on host B registers */
    pid_t echo = s_start_echo("echo.remote", &echo_keys, s_path("echo.log"));
    CHECK(s_wait_for(s_path("broker.log"), "ready: echo.remote", 8000) == 0,
          "echo.remote (host B, authorized key) did not register");
    CHECK(s_wait_for(s_path("monitor.out"), "event ready echo/echo.remote", 3000) == 0,
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
    CHECK(s_wait_for(s_path("monitor.out"), "tester/tester.remote -> echo/echo.remote request echo",
                     3000) == 0,
          "the monitor did not show the cross-host request");
    CHECK(s_wait_for(s_path("monitor.out"), "echo/echo.remote -> tester/tester.remote reply echo",
                     3000) == 0,
          "the monitor did not show the reply");
    broker_client_destroy(&client);

    /* 3. a key pair the broker does not know: refused, and the monitor says why */
    char *before = s_read_file(s_path("monitor.out"));
    int failures_before = s_count(before, "event handshake_failed");
    free(before);
    pid_t rogue_pid = s_start_echo("echo.rogue", &rogue, s_path("rogue.log"));
    CHECK(rogue_pid > 0, "rogue spawn");
    CHECK(s_wait_for(s_path("monitor.out"), "event handshake_failed", 8000) == 0,
          "the monitor did not show a handshake failure for the unknown key");
    usleep(1500 * 1000);
    char *text = s_read_file(s_path("monitor.out"));
    char *blog = s_read_file(s_path("broker.log"));
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
    text = s_read_file(s_path("monitor.out"));
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

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "curve") != 0) {
        fprintf(stderr, "usage: test_netns curve\n");
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

    s_case_curve();

    if (g_failures)
        fprintf(stderr, "%d check(s) failed; files kept in %s\n", g_failures, g_dir);
    else
        test_rmtree(g_dir);
    free(g_dir);
    return g_failures ? 1 : 0;
}
