/* loadenv.h - where uschat-load sends its load: the local stack's addresses from
 * var/run/stack.env (written by `tools/uschat up`), overridden by options, and the rule that
 * load goes only to loopback or to addresses named on purpose (a test network namespace).
 * Called from the main thread before any load starts.
 */
#ifndef USCHAT_LOAD_ENV_H
#define USCHAT_LOAD_ENV_H

#include <stddef.h>

#define LOAD_MAX_NODES   16
#define LOAD_MAX_ALLOWED 16

typedef struct {
    char name[32];
    char host[64];
    int port;
} load_node_t;

typedef struct {
    char gate_url[256];
    load_node_t nodes[LOAD_MAX_NODES];
    int node_count;
    char redis_host[64];
    int redis_port;
    char redis_password[128];
    char mysql_host[64];
    int mysql_port;
    char mysql_user[64];
    char mysql_password[128];
    char mysql_db[64];
    char tap_endpoint[128]; /* the broker's tap (tcp://HOST:PORT); "" when unknown */
} stack_env_t;

/* Fills ENV with the defaults of the local stack (the ports of tools/uschat up). */
void stack_env_defaults(stack_env_t *env);
/* Reads KEY=VALUE lines (GATE_URL, CHAT_NODES, REDIS_*, MYSQL_*, TAP_ENDPOINT; values may be
 * quoted) from PATH over ENV. 0, or -1 when the file cannot be read (ENV unchanged). */
int stack_env_load(const char *path, stack_env_t *env);
/* Parses "node1=127.0.0.1:18091 node2=127.0.0.1:18092" (names optional) into ENV's nodes,
 * replacing them. 0 or -1 on a malformed entry. */
int stack_env_set_nodes(stack_env_t *env, const char *text);
/* Splits "host:port" (or "[v6]:port"). 0 or -1. */
int load_split_hostport(const char *text, char *host, size_t cap, int *port);
/* Host of an http://host:port/... URL. 0 or -1. */
int load_url_host(const char *url, char *host, size_t cap);

/* 0 when every address HOST resolves to is loopback (127/8, ::1) or equals one of the
 * ALLOWED addresses (numeric, as given by --allow-netns); -1 otherwise (WHY gets the reason). */
int load_target_allowed(const char *host, const char *const *allowed, size_t n_allowed, char *why,
                        size_t why_cap);

#endif
