/* chat_stack.c - the back end of one chat test (chat_stack.h): database, broker, status and
 * two (or up to three) chat nodes as real processes. Called from the test's main thread.
 */
#include "chat_stack.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/message.h"

static char s_env[24][300]; /* the common "KEY=value" strings of every process */
static int s_nenv;

static void s_env_add(const char *key, const char *value)
{
    CHECK(s_nenv < 24, "too many settings");
    snprintf(s_env[s_nenv++], sizeof s_env[0], "%s=%s", key, value);
}

static void s_log_path(chat_stack_t *self, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.log", self->dir, name);
}

/* The common environment plus extra (NULL-terminated, may be NULL) into envp. */
static void s_envp(const char **envp, size_t cap, const char *const extra[])
{
    size_t n = 0;
    for (int i = 0; i < s_nenv && n + 1 < cap; i++)
        envp[n++] = s_env[i];
    for (size_t i = 0; extra && extra[i] && n + 1 < cap; i++)
        envp[n++] = extra[i];
    envp[n] = NULL;
}

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
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

int chat_stack_wait_log(chat_stack_t *self, const char *name, const char *needle, int timeout_ms)
{
    char path[512];
    s_log_path(self, name, path, sizeof path);
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

/* Waits until host:port (IPv4) accepts TCP connections. 0 or -1. */
static int s_wait_tcp(const char *host, int port, int timeout_ms)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return -1;
    for (int waited = 0;; waited += 20) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        int ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
        close(fd);
        if (ok)
            return 0;
        if (waited >= timeout_ms)
            return -1;
        usleep(20 * 1000);
    }
}

int chat_stack_count_log(chat_stack_t *self, const char *name, const char *needle)
{
    char path[512];
    s_log_path(self, name, path, sizeof path);
    char *text = s_read_file(path);
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    free(text);
    return n;
}

void chat_stack_start_node(chat_stack_t *self, int index)
{
    char name[16], node_arg[16], port_env[64], log[512];
    snprintf(name, sizeof name, "node%d", index + 1);
    snprintf(node_arg, sizeof node_arg, "node%d", index + 1);
    snprintf(port_env, sizeof port_env, "USCHAT_CHAT_PORT=%d", self->node_port[index]);
    char host_env[2][64];
    snprintf(host_env[0], sizeof host_env[0], "USCHAT_CHAT_HOST=%s", self->node_host[index]);
    snprintf(host_env[1], sizeof host_env[1], "USCHAT_CHAT_PUBLIC_HOST=%s", self->node_host[index]);
    s_log_path(self, name, log, sizeof log);
    char conf[512];
    snprintf(conf, sizeof conf, "%s/config/chat.conf", test_env("USCHAT_SOURCE_DIR"));
    const char *argv[24];
    size_t argc = 0;
    for (size_t i = 0; self->node_prefix[index] && self->node_prefix[index][i] && argc < 16; i++)
        argv[argc++] = self->node_prefix[index][i];
    const char *const rest[] = {test_binary("actors/uschatd/uschatd"),
                                "--config",
                                conf,
                                "--service",
                                "chat",
                                "--node",
                                node_arg,
                                NULL};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
        argv[argc++] = rest[i];
    const char *extra[22];
    size_t n = 0;
    extra[n++] = port_env;
    extra[n++] = host_env[0];
    extra[n++] = host_env[1];
    for (size_t i = 0; self->node_env[i] && n < 21; i++)
        extra[n++] = self->node_env[i];
    extra[n] = NULL;
    const char *envp[48];
    s_envp(envp, 48, extra);
    self->node[index] = test_spawn(argv, envp, log);
    CHECK(self->node[index] > 0, "spawn %s", name);
    CHECK(s_wait_tcp(self->node_host[index], self->node_port[index], 10000) == 0,
          "%s does not listen (see %s)", name, log);
    char ready[64];
    snprintf(ready, sizeof ready, "ready: %s (chat)", node_arg);
    CHECK(chat_stack_wait_log(self, self->broker_log, ready, 10000) == 0, "%s not registered",
          name);
}

int chat_stack_stop_node(chat_stack_t *self, int index)
{
    int status = -1;
    if (self->node[index] > 0) {
        test_stop(self->node[index], 10000, &status);
        self->node[index] = 0;
    }
    return status;
}

void chat_stack_start_broker(chat_stack_t *self, const char *log_name)
{
    char log[512], tap_env[96], conf[512];
    snprintf(tap_env, sizeof tap_env, "USCHAT_BROKER_TAP=tcp://%s:%d", self->host, self->tap_port);
    const char *broker_extra[] = {tap_env, NULL};
    const char *envp[48];
    s_envp(envp, 48, broker_extra);
    snprintf(conf, sizeof conf, "%s/config/broker.conf", test_env("USCHAT_SOURCE_DIR"));
    const char *broker_argv[] = {test_binary("broker/uschat-broker"), "--config", conf, NULL};
    snprintf(self->broker_log, sizeof self->broker_log, "%s", log_name);
    s_log_path(self, log_name, log, sizeof log);
    self->broker = test_spawn(broker_argv, envp, log);
    CHECK(self->broker > 0 && s_wait_tcp(self->host, self->broker_port, 10000) == 0,
          "broker does not start (see %s)", log);
}

void chat_stack_start_services(chat_stack_t *self, const char *log_name)
{
    bool gate = self->gate_port != 0;
    char gate_env[2][600], log[512], conf[512];
    const char *status_extra[] = {NULL, NULL, NULL};
    if (gate) {
        snprintf(gate_env[0], sizeof gate_env[0], "USCHAT_GATE_PORT=%d", self->gate_port);
        snprintf(gate_env[1], sizeof gate_env[1], "USCHAT_VARIFY_MAIL_DIR=%s", self->mail_dir);
        status_extra[0] = gate_env[0];
        status_extra[1] = gate_env[1];
    }
    const char *envp[48];
    s_envp(envp, 48, status_extra);
    snprintf(conf, sizeof conf, "%s/config/uschat.conf", test_env("USCHAT_SOURCE_DIR"));
    /* With the gate, one uschatd hosts status, gate and varify as t.status, t.gate, t.varify */
    const char *status_argv[] = {test_binary("actors/uschatd/uschatd"),
                                 "--config",
                                 conf,
                                 "--service",
                                 "status",
                                 "--node",
                                 gate ? "t" : "status.t",
                                 gate ? "--service" : NULL,
                                 "gate",
                                 "--service",
                                 "varify",
                                 NULL};
    s_log_path(self, log_name, log, sizeof log);
    self->status = test_spawn(status_argv, envp, log);
    CHECK(self->status > 0, "spawn status");
    const char *ready = gate ? "ready: t.status (status)" : "ready: status.t (status)";
    if (chat_stack_wait_log(self, self->broker_log, ready, 10000) != 0) {
        fprintf(stderr, "status did not register (see %s): is it compiled in?\n", log);
        exit(TEST_SKIP);
    }
    if (gate && test_wait_port(self->gate_port, 10000) != 0) {
        fprintf(stderr, "the gate does not listen (see %s): is it compiled in?\n", log);
        exit(TEST_SKIP);
    }
}

void chat_stack_kill(pid_t *pid)
{
    CHECK(*pid > 0 && test_kill(*pid, SIGKILL) == 0, "SIGKILL to pid %d", (int)*pid);
    int status = 0;
    CHECK(test_wait_exit(*pid, 10000, &status) == 0, "pid %d gone after SIGKILL", (int)*pid);
    *pid = 0;
}

static const char *const *s_servers_prefix;

void chat_stack_servers_on(const char *const prefix[])
{
    s_servers_prefix = prefix;
}

int chat_stack_servers(const char *what, const char *dir, const char *arg)
{
    test_require_env((const char *[]){"USCHAT_TEST_SERVERS_SH", NULL});
    const char *argv[16];
    size_t n = 0;
    for (size_t i = 0; s_servers_prefix && s_servers_prefix[i] && n < 10; i++)
        argv[n++] = s_servers_prefix[i];
    const char *const rest[] = {"/bin/bash", test_env("USCHAT_TEST_SERVERS_SH"), what, dir, arg,
                                NULL};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
        argv[n++] = rest[i];
    return test_run(argv, NULL, 120000);
}

/* Where the test's own servers are reached: their bind address, or loopback. */
static const char *s_servers_host(void)
{
    const char *bind = getenv("SERVERS_BIND");
    return bind && *bind && strcmp(bind, "0.0.0.0") != 0 ? bind : "127.0.0.1";
}

int chat_stack_own_redis(const char *dir)
{
    char port[16];
    snprintf(port, sizeof port, "%d", test_free_port());
    CHECK(chat_stack_servers("start-redis", dir, port) == 0, "a Redis of our own");
    setenv("USCHAT_TEST_REDIS_HOST", s_servers_host(), 1);
    setenv("USCHAT_TEST_REDIS_PORT", port, 1);
    return atoi(port);
}

int chat_stack_own_mariadb(const char *dir)
{
    char port[16], pwfile[600], password[128] = "";
    snprintf(port, sizeof port, "%d", test_free_port());
    CHECK(chat_stack_servers("start-mariadb", dir, port) == 0, "a MariaDB of our own");
    snprintf(pwfile, sizeof pwfile, "%s/mysql.password", dir);
    FILE *f = fopen(pwfile, "r");
    CHECK(f && fgets(password, sizeof password, f), "its password");
    fclose(f);
    password[strcspn(password, "\r\n")] = '\0';
    setenv("USCHAT_TEST_MYSQL_HOST", s_servers_host(), 1);
    setenv("USCHAT_TEST_MYSQL_PORT", port, 1);
    setenv("USCHAT_TEST_MYSQL_PASSWORD", password, 1);
    return atoi(port);
}

pid_t chat_stack_server_pid(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.pid", dir, name);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

static chat_stack_t *s_start(const char *tag, const char *const node_env[], bool gate, int nodes)
{
    CHECK(nodes >= 1 && nodes <= CHAT_STACK_MAX_NODES, "%d chat nodes", nodes);
    test_require_env((const char *[]){"USCHAT_TEST_REDIS_HOST", "USCHAT_TEST_REDIS_PORT",
                                      "USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                      "USCHAT_TEST_MYSQL_USER", NULL});
    chat_stack_t *self = calloc(1, sizeof *self);
    CHECK(self, "memory");
    self->nodes = nodes;
    self->dir = test_tmpdir(tag);
    CHECK(self->dir, "tmpdir");
    fprintf(stderr, "chat_stack: logs in %s\n", self->dir);
    for (size_t i = 0; node_env && node_env[i] && i < 15; i++)
        self->node_env[i] = node_env[i];
    CHECK(test_db_create(tag, self->db, sizeof self->db) == 0, "database");
    self->mysql = test_db_connect(self->db);
    CHECK(self->mysql, "connect to %s", self->db);
    /* A uid range of this test's own, above the small uids other tests' databases start
     * with: Redis is shared by every test running now. */
    self->next_uid = ((int64_t)getpid() % 100000 + 1) * 100000 + 1;
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE user AUTO_INCREMENT = %lld", (long long)self->next_uid);
    CHECK(mysql_query(self->mysql, sql) == 0, "%s", mysql_error(self->mysql));

    self->broker_port = test_free_port();
    self->tap_port = test_free_port();
    for (int i = 0; i < self->nodes; i++)
        self->node_port[i] = test_free_port();
    const char *host = getenv("USCHAT_TEST_STACK_HOST");
    snprintf(self->host, sizeof self->host, "%s", host && *host ? host : "127.0.0.1");
    for (int i = 0; i < self->nodes; i++)
        snprintf(self->node_host[i], sizeof self->node_host[i], "%s", self->host);
    snprintf(self->endpoint, sizeof self->endpoint, "tcp://%s:%d", self->host, self->broker_port);

    s_nenv = 0;
    s_env_add("USCHAT_BROKER_ENDPOINT", self->endpoint);
    /* chat behaviour, not the links' security (tests/broker does): plain TCP, said explicitly */
    s_env_add("USCHAT_BROKER_PLAIN_TCP", "true");
    s_env_add("USCHAT_REDIS_HOST", test_env("USCHAT_TEST_REDIS_HOST"));
    s_env_add("USCHAT_REDIS_PORT", test_env("USCHAT_TEST_REDIS_PORT"));
    s_env_add("USCHAT_MYSQL_HOST", test_env("USCHAT_TEST_MYSQL_HOST"));
    s_env_add("USCHAT_MYSQL_PORT", test_env("USCHAT_TEST_MYSQL_PORT"));
    s_env_add("USCHAT_MYSQL_USER", test_env("USCHAT_TEST_MYSQL_USER"));
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    s_env_add("USCHAT_MYSQL_PASSWORD", password ? password : "");
    s_env_add("USCHAT_MYSQL_DATABASE", self->db);
    s_env_add("USCHAT_LOG_LEVEL", "debug");

    if (gate) {
        self->gate_port = test_free_port();
        snprintf(self->mail_dir, sizeof self->mail_dir, "%s/mail", self->dir);
        s_env_add("USCHAT_GATE_HOST", "127.0.0.1");
        s_env_add("USCHAT_GATE_FILES_URL", CHAT_STACK_FILES_URL);
    }
    chat_stack_start_broker(self, "broker");
    chat_stack_start_services(self, "status");

    for (int i = 0; i < self->nodes; i++)
        chat_stack_start_node(self, i);

    broker_client_config_t bc = {.endpoint = self->endpoint,
                                 .service = "test",
                                 .node = "test.client",
                                 .heartbeat_ms = 1000,
                                 .liveness = 3};
    self->client = broker_client_new(&bc);
    CHECK(self->client, "broker client");

    self->redis =
        redisConnect(test_env("USCHAT_TEST_REDIS_HOST"), atoi(test_env("USCHAT_TEST_REDIS_PORT")));
    CHECK(self->redis && !self->redis->err, "redis");
    return self;
}

chat_stack_t *chat_stack_start(const char *tag, const char *const node_env[])
{
    return s_start(tag, node_env, false, CHAT_STACK_NODES);
}

chat_stack_t *chat_stack_start_nodes(const char *tag, const char *const node_env[], int nodes)
{
    return s_start(tag, node_env, false, nodes);
}

chat_stack_t *chat_stack_start_gate(const char *tag, const char *const node_env[])
{
    return s_start(tag, node_env, true, CHAT_STACK_NODES);
}

void chat_stack_stop(chat_stack_t **self_p)
{
    chat_stack_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->nodes; i++) {
        int status = chat_stack_stop_node(self, i);
        CHECK(status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
              "node%d did not stop cleanly on SIGTERM (status 0x%x, see %s)", i + 1, status,
              self->dir);
    }
    broker_client_destroy(&self->client);
    if (self->status > 0)
        test_stop(self->status, 10000, NULL);
    if (self->broker > 0)
        test_stop(self->broker, 10000, NULL);
    if (self->mysql)
        mysql_close(self->mysql);
    test_db_drop(self->db);
    if (self->redis)
        redisFree(self->redis);
    test_rmtree(self->dir);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

int64_t chat_stack_user(chat_stack_t *self, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO user (name, email, pwd_hash, nick, `desc`, sex, icon) VALUES "
             "('%s', '%s@example.org', '$argon2id$v=19$m=65536,t=2,p=1$x$y', 'nick of %s', "
             "'about %s', 1, ':/res/head_1.jpg')",
             name, name, name, name);
    CHECK(mysql_query(self->mysql, sql) == 0, "insert user %s: %s", name, mysql_error(self->mysql));
    return (int64_t)mysql_insert_id(self->mysql);
}

void chat_stack_token(chat_stack_t *self, int64_t uid, char token[128], int *port)
{
    msg_status_login_t req = {.uid = (uint64_t)uid};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_status_login_encode(&req, &body, &len) == 0, "encode");
    /* status knows the nodes from their reports (every second): retry until it does */
    for (int attempt = 0;; attempt++) {
        envelope_t env;
        zframe_t *reply = NULL;
        int rc = broker_client_call(self->client, "status", NULL, MSG_STATUS_LOGIN, body, len, 3000,
                                    &env, &reply);
        msg_status_login_rsp_t rsp;
        bool ok = rc == 0 && reply &&
                  msg_status_login_rsp_decode(zframe_data(reply), zframe_size(reply), &rsp) == 0;
        zframe_destroy(&reply);
        if (ok && rsp.error == 0 && rsp.token) {
            snprintf(token, 128, "%s", rsp.token);
            if (port)
                *port = (int)rsp.port;
            bool known = false;
            for (int i = 0; i < self->nodes; i++)
                known = known || (int)rsp.port == self->node_port[i];
            CHECK(known, "status handed out port %u, not one of the nodes", rsp.port);
            msg_status_login_rsp_clear(&rsp);
            break;
        }
        if (ok)
            msg_status_login_rsp_clear(&rsp);
        CHECK(attempt < 50, "no token for uid %lld from status (rc %d)", (long long)uid, rc);
        usleep(100 * 1000);
    }
    free(body);
}

uschat_session_t *chat_stack_connect(chat_stack_t *self, int index)
{
    int err = 0;
    uschat_session_t *s =
        uschat_session_connect(self->node_host[index], self->node_port[index], 3000, &err);
    CHECK(s, "connect to node%d: %s", index + 1, uschat_strerror(err));
    return s;
}

uschat_session_t *chat_stack_login(chat_stack_t *self, int index, int64_t uid, const char *token,
                                   json_t **reply)
{
    uschat_session_t *s = chat_stack_connect(self, index);
    json_t *body = NULL;
    int error = -1;
    int rc = uschat_session_login(s, uid, token, 5000, &body, &error);
    CHECK(rc == 0 && error == 0, "login of uid %lld on node%d: rc %d error %d", (long long)uid,
          index + 1, rc, error);
    if (reply)
        *reply = body;
    else
        json_decref(body);
    return s;
}

char *chat_stack_presence(chat_stack_t *self, int64_t uid)
{
    redisReply *r = redisCommand(self->redis, "GET uip_%lld", (long long)uid);
    CHECK(r, "redis GET");
    char *value = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return value;
}

int chat_stack_wait_presence(chat_stack_t *self, int64_t uid, const char *expect, int timeout_ms)
{
    for (int waited = 0;; waited += 50) {
        char *value = chat_stack_presence(self, uid);
        bool match = expect ? (value && strcmp(value, expect) == 0) : value == NULL;
        free(value);
        if (match)
            return 0;
        if (waited >= timeout_ms)
            return -1;
        usleep(50 * 1000);
    }
}

long long chat_stack_query_int(chat_stack_t *self, const char *sql)
{
    if (mysql_query(self->mysql, sql) != 0)
        return -1;
    MYSQL_RES *res = mysql_store_result(self->mysql);
    if (!res)
        return -1;
    MYSQL_ROW row = mysql_fetch_row(res);
    long long value = row && row[0] ? atoll(row[0]) : -1;
    mysql_free_result(res);
    return value;
}

long chat_stack_rss_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int chat_stack_request(uschat_session_t *s, uint16_t req_id, json_t *body, json_t **reply)
{
    json_t *rsp = NULL;
    int rc = uschat_session_request(s, req_id, body, 5000, &rsp);
    CHECK(rc == 0, "request %u: %s", req_id, uschat_strerror(rc));
    int error = (int)json_integer_value(json_object_get(rsp, "error"));
    if (reply)
        *reply = rsp;
    else
        json_decref(rsp);
    return error;
}

json_t *chat_stack_wait(uschat_session_t *s, uint16_t id)
{
    json_t *body = NULL;
    int rc = uschat_session_wait(s, id, 5000, &body);
    CHECK(rc == 0, "waiting for %u: %s", id, uschat_strerror(rc));
    return body;
}

int64_t chat_stack_befriend(uschat_session_t *sa, int64_t uid_a, uschat_session_t *sb,
                            int64_t uid_b)
{
    CHECK(chat_stack_request(sa, USCHAT_ID_ADD_FRIEND_REQ,
                             uschat_req_add_friend(uid_b, "hello", "friend"), NULL) == 0,
          "friend request");
    json_decref(chat_stack_wait(sb, USCHAT_ID_NOTIFY_ADD_FRIEND));
    json_t *rsp = NULL;
    CHECK(chat_stack_request(sb, USCHAT_ID_AUTH_FRIEND_REQ, uschat_req_auth_friend(uid_a, "friend"),
                             &rsp) == 0,
          "accept");
    int64_t thread = json_integer_value(json_object_get(rsp, "thread_id"));
    json_decref(rsp);
    json_decref(chat_stack_wait(sa, USCHAT_ID_NOTIFY_AUTH_FRIEND));
    CHECK(thread > 0, "a thread");
    return thread;
}

void chat_pair_start(chat_pair_t *p, const char *tag, const char *const node_env[])
{
    p->st = chat_stack_start(tag, node_env);
    p->alice = chat_stack_user(p->st, "alice");
    p->bob = chat_stack_user(p->st, "bob");
    char ta[128], tb[128];
    chat_stack_token(p->st, p->alice, ta, NULL);
    chat_stack_token(p->st, p->bob, tb, NULL);
    p->a = chat_stack_login(p->st, 0, p->alice, ta, NULL);
    p->b = chat_stack_login(p->st, 1, p->bob, tb, NULL);
    p->thread = chat_stack_befriend(p->a, p->alice, p->b, p->bob);
}

void chat_pair_stop(chat_pair_t *p)
{
    uschat_session_destroy(&p->a);
    uschat_session_destroy(&p->b);
    chat_stack_stop(&p->st);
}

/* The 6-digit code of a mail to email under dir (varify's mail folder, searched down). */
static bool s_find_code(const char *dir, const char *email, char code[7])
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    char want[300];
    snprintf(want, sizeof want, "To: <%s>", email);
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            found = s_find_code(path, email, code);
            continue;
        }
        char *text = s_read_file(path);
        const char *p = strstr(text, want) ? strstr(text, "code is: ") : NULL;
        if (p && strlen(p) >= 15) {
            memcpy(code, p + 9, 6);
            code[6] = 0;
            found = true;
        }
        free(text);
    }
    closedir(d);
    return found;
}

void chat_stack_mail_code(chat_stack_t *self, const char *email, char code[7])
{
    code[0] = 0;
    for (int i = 0; i < 200 && !s_find_code(self->mail_dir, email, code); i++)
        usleep(50 * 1000);
    CHECK(code[0], "the mail to %s in %s", email, self->mail_dir);
}
