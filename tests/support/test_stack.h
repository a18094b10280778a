/* test_stack.h - a UsChat back end of real processes for one integration test: a temporary
 * folder, free ports, the USCHAT_* environment every process of the stack gets, the broker,
 * and uschatd processes started with that environment.
 *
 * Typical use (exits 77 without the test servers when TEST_STACK_SERVERS is asked for):
 *     test_stack_t s;
 *     test_stack_init(&s, "accounts", TEST_STACK_SERVERS);
 *     test_env_setf(&s.env, "USCHAT_BROKER_HEARTBEAT_MS=%d", 250);
 *     test_stack_broker(&s, "broker.conf");
 *     pid_t core = test_stack_uschatd(&s, "core.log", (const char *[]){"--service", "gate",
 *                                     NULL}, NULL);
 *     ...
 *     test_stop(core, 5000, NULL); test_stop(s.broker, 5000, NULL);
 *     test_stack_destroy(&s);
 * Processes are started with test_spawn(), so they are stopped at exit whatever happens; the
 * test stops them itself when it wants to check how they exit. Main thread of a test.
 */
#ifndef USCHAT_TEST_STACK_H
#define USCHAT_TEST_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- environment lists ------------------------------------------------------------------ */

#define TEST_ENV_MAX 64

/* "KEY=value" strings for test_spawn()'s envp_extra: items is NULL-terminated. */
typedef struct {
    char *items[TEST_ENV_MAX + 1];
    int count;
} test_env_t;

/* Adds "KEY=value", or replaces the value of a KEY already there. Exits 1 when full. */
void test_env_set(test_env_t *env, const char *key_value);
__attribute__((format(printf, 2, 3))) void test_env_setf(test_env_t *env, const char *fmt, ...);
/* Adds every entry of list (NULL-terminated, may be NULL) with test_env_set(). */
void test_env_add(test_env_t *env, const char *const list[]);
/* The list for test_spawn(). Valid until the next change. */
const char *const *test_env_list(const test_env_t *env);
void test_env_free(test_env_t *env);

/* ---- the stack -------------------------------------------------------------------------- */

enum {
    /* a fresh MariaDB database and a Redis database index of this process's own, from
     * USCHAT_TEST_* (skips without them); USCHAT_REDIS_* and USCHAT_MYSQL_* in env */
    TEST_STACK_SERVERS = 1,
};

typedef struct {
    char *dir;                  /* temporary folder: logs, mail */
    char db[65];                /* TEST_STACK_SERVERS: the fresh database */
    int redis_db;               /* TEST_STACK_SERVERS: Redis database index */
    int broker_port, tap_port;  /* distinct free ports */
    int gate_port, chat_port;   /* free ports, in env as USCHAT_GATE_PORT/CHAT_PORT */
    char endpoint[64], tap[64]; /* tcp://127.0.0.1:<port> */
    char gate_url[64];          /* http://127.0.0.1:<gate_port> */
    char mail_dir[600];         /* <dir>/mail, in env as USCHAT_VARIFY_MAIL_DIR */
    test_env_t env;             /* what every process of the stack gets */
    pid_t broker;               /* test_stack_broker() */
} test_stack_t;

/* Makes the folder /tmp/uschat-TAG-*, picks the ports and fills env with the broker endpoint
 * and tap, USCHAT_GATE_HOST/PORT, USCHAT_CHAT_PORT, USCHAT_VARIFY_MAIL_DIR (and the servers
 * with TEST_STACK_SERVERS). Exits 1 when something cannot be made. */
void test_stack_init(test_stack_t *s, const char *tag, unsigned flags);
/* Drops the database and removes the folder (kept when USCHAT_TEST_KEEP is set, or keep is
 * true: then its path is printed). Stops no process. */
void test_stack_destroy(test_stack_t *s, bool keep);

/* DIR/name in a buffer of the library's own (the last 16 answers stay valid). */
const char *test_stack_path(const test_stack_t *s, const char *name);

/* Starts uschat-broker (with --config SOURCE/config/CONFIG unless config is NULL), its log in
 * DIR/broker.log, and waits until it accepts connections. The pid, also in s->broker, or -1
 * (with a message) when it did not start. */
pid_t test_stack_broker(test_stack_t *s, const char *config);
/* Starts uschatd with args (NULL-terminated, after the program name; "--config NAME" there is
 * taken as SOURCE/config/NAME), env plus extra (NULL-terminated, may be NULL; a key there wins),
 * its log in DIR/log. The pid or -1. Waits for nothing: see test_stack_wait_ready(). */
pid_t test_stack_uschatd(test_stack_t *s, const char *log, const char *const args[],
                         const char *const extra[]);
/* Exits with TEST_SKIP, naming the missing one, unless `uschatd --list` shows every service of
 * names (NULL-terminated), e.g. {"gate", "varify", "status", "chat", NULL}. */
void test_require_services(const char *const names[]);
/* Waits until the broker logged that node registered. 0, or -1 (with a message) on timeout. */
int test_stack_wait_ready(test_stack_t *s, const char *node, int timeout_ms);

#endif
