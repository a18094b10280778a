/* chat_stack.h - a whole UsChat back end for one chat test: a fresh MariaDB database, the
 * real uschat-broker, status (uschatd --service status) and two chat nodes (uschatd --service
 * chat --node node1 / node2; up to CHAT_STACK_MAX_NODES with chat_stack_start_nodes()), on
 * free ports, logging into a temporary folder.
 *
 * Users are rows written into the test's own database (a uid range of its own, so tests that
 * run at the same time never share a Redis key); their login token comes from the real status
 * service (STATUS_LOGIN through the broker, as the gate asks for it), and clients are the
 * client library's blocking sessions. Used from a test's main thread; every failure ends the
 * test (CHECK), and every process is stopped at exit by tests/support.
 */
#ifndef USCHAT_TEST_CHAT_STACK_H
#define USCHAT_TEST_CHAT_STACK_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <mysql.h>
#include <stdint.h>
#include <sys/types.h>

#include "uschat/broker_client.h"
#include "uschat/client/session.h"

#define CHAT_STACK_NODES     2 /* the nodes of a stack from chat_stack_start() */
#define CHAT_STACK_MAX_NODES 3 /* with chat_stack_start_nodes() */
/* Messages a thread starts with when a friend request is accepted (the greeting, then "We are
 * friends now!"): the users' own messages start at seq CHAT_STACK_FIRST_SEQS + 1. */
#define CHAT_STACK_FIRST_SEQS 2

typedef struct {
    char *dir;   /* logs: broker.log, status.log, node1.log, node2.log */
    char db[72]; /* the test's database */
    int broker_port, tap_port;
    int nodes; /* chat nodes in this stack: node1 .. node<nodes> */
    int node_port[CHAT_STACK_MAX_NODES];
    int gate_port;      /* 0 unless started with the gate */
    char mail_dir[512]; /* varify's mail folder (with the gate) */
    char endpoint[64];
    /* the address the broker binds and every process reaches it at (USCHAT_TEST_STACK_HOST,
     * default 127.0.0.1), and where each node listens for clients (the same unless changed
     * before the node is (re)started, e.g. a node on another host) */
    char host[32], node_host[CHAT_STACK_MAX_NODES][32];
    pid_t broker, status, node[CHAT_STACK_MAX_NODES];
    const char *node_env[16]; /* the extra environment the nodes were started with */
    /* argv put before each node's uschatd (NULL-terminated, NULL: none), e.g. unshare */
    const char *const *node_prefix[CHAT_STACK_MAX_NODES];
    char broker_log[32]; /* the log of the broker now running */
    MYSQL *mysql;
    redisContext *redis;
    broker_client_t *client;
    int64_t next_uid;
} chat_stack_t;

/* Two friends, alice logged in on node 0 and bob on node 1, with their thread: the start of
 * most cases. */
typedef struct {
    chat_stack_t *st;
    int64_t alice, bob, thread;
    uschat_session_t *a, *b;
} chat_pair_t;

/* The files service the gate of chat_stack_start_gate() names in its /user_login answer. */
#define CHAT_STACK_FILES_URL "http://127.0.0.1:8090"

/* Starts the stack (as chat_stack_start) with the pair in it. */
void chat_pair_start(chat_pair_t *p, const char *tag, const char *const node_env[]);
/* Closes both sessions and stops the stack. */
void chat_pair_stop(chat_pair_t *p);

/* Starts everything. node_env: extra "KEY=value" settings for both chat nodes
 * (NULL-terminated, may be NULL; e.g. "USCHAT_CHAT_IDLE_TIMEOUT_S=2"). Skips (77) when the
 * test servers are not configured. */
chat_stack_t *chat_stack_start(const char *tag, const char *const node_env[]);
/* The same with nodes (1..CHAT_STACK_MAX_NODES) chat nodes, node1 .. node<nodes>. */
chat_stack_t *chat_stack_start_nodes(const char *tag, const char *const node_env[], int nodes);
/* The same with gate and varify in status's uschatd (HTTP on gate_port, mail into mail_dir),
 * for the whole path of a user: code, register, login, chat node. */
chat_stack_t *chat_stack_start_gate(const char *tag, const char *const node_env[]);
/* Waits (10 s) for varify's mail to email (started with the gate) and copies its 6-digit code
 * into code; the test fails when none comes. */
void chat_stack_mail_code(chat_stack_t *self, const char *email, char code[7]);
/* Stops the processes (SIGTERM; a node must exit 0), drops the database, removes the folder
 * (kept when the test failed). */
void chat_stack_stop(chat_stack_t **self_p);

/* (Re)starts the broker on its port, logging into dir/log_name.log. */
void chat_stack_start_broker(chat_stack_t *self, const char *log_name);
/* (Re)starts status (and, for a stack with the gate, gate and varify in the same uschatd),
 * logging into dir/log_name.log; waits until status registered and the gate listens. */
void chat_stack_start_services(chat_stack_t *self, const char *log_name);
/* SIGKILL to *pid (one of the stack's), waits for it and zeroes *pid. */
void chat_stack_kill(pid_t *pid);

/* tools/lib/servers.sh WHAT DIR ARG (a port to start on, a server's name to stop); its exit
 * code. Skips (77) without USCHAT_TEST_SERVERS_SH. */
int chat_stack_servers(const char *what, const char *dir, const char *arg);
/* Runs the servers.sh commands after this through prefix (e.g. `ip netns exec HOST`; NULL:
 * none). prefix must outlive the calls. */
void chat_stack_servers_on(const char *const prefix[]);
/* A Redis / MariaDB of the test's own in dir (servers.sh), for a test that kills or cuts off
 * its server (the suite's are shared by tests running in parallel): the USCHAT_TEST_* variables
 * point at it (at SERVERS_BIND when set, else loopback), so a stack started afterwards uses
 * it. Returns its port. */
int chat_stack_own_redis(const char *dir);
int chat_stack_own_mariadb(const char *dir);
/* The pid of server name ("redis", "mariadb") started in dir, 0 when none. */
pid_t chat_stack_server_pid(const char *dir, const char *name);

/* (Re)starts node index (0 .. nodes - 1) with the stack's node_env, waits until it serves. */
void chat_stack_start_node(chat_stack_t *self, int index);
/* SIGTERM to node index; returns its exit status (waitpid format). */
int chat_stack_stop_node(chat_stack_t *self, int index);

/* A new user (name unique within the test). Returns its uid. */
int64_t chat_stack_user(chat_stack_t *self, const char *name);
/* A login token for uid from status (the same call the gate makes). *port (may be NULL) gets
 * the client port of the node status picked. */
void chat_stack_token(chat_stack_t *self, int64_t uid, char token[128], int *port);

/* A connection to node index (not logged in). */
uschat_session_t *chat_stack_connect(chat_stack_t *self, int index);
/* Connects to node index and logs uid in with token; the login must succeed. *reply (may be
 * NULL) gets the 1006 body (caller owns). */
uschat_session_t *chat_stack_login(chat_stack_t *self, int index, int64_t uid, const char *token,
                                   json_t **reply);

/* Sends req_id with body (taken over) on s and waits for its reply (5 s); returns the reply's
 * `error`, *reply (may be NULL) gets the body (caller owns). */
int chat_stack_request(uschat_session_t *s, uint16_t req_id, json_t *body, json_t **reply);
/* Waits (5 s) for a message with id on s; returns its body (caller owns). */
json_t *chat_stack_wait(uschat_session_t *s, uint16_t id);
/* a (logged in as uid_a on sa) asks b, b accepts: returns the pair's thread id. */
int64_t chat_stack_befriend(uschat_session_t *sa, int64_t uid_a, uschat_session_t *sb,
                            int64_t uid_b);

/* Redis uip_<uid>: the node name (caller frees) or NULL when absent. */
char *chat_stack_presence(chat_stack_t *self, int64_t uid);
/* Waits until uip_<uid> equals expect (NULL: until it is absent). 0 or -1 on timeout. */
int chat_stack_wait_presence(chat_stack_t *self, int64_t uid, const char *expect, int timeout_ms);

/* The single integer of a SELECT (e.g. COUNT(*)) on the test database; -1 on error. */
long long chat_stack_query_int(chat_stack_t *self, const char *sql);

/* Resident memory of pid in KiB (VmRSS), -1 when unknown. */
long chat_stack_rss_kb(pid_t pid);

/* How many times needle occurs in the file dir/name. */
int chat_stack_count_log(chat_stack_t *self, const char *name, const char *needle);
/* Waits until the file dir/name contains needle. 0 or -1 on timeout. */
int chat_stack_wait_log(chat_stack_t *self, const char *name, const char *needle, int timeout_ms);

#endif
