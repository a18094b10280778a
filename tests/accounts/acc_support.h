/* acc_support.h - what the accounts integration tests share: a stack of real processes
 * (uschat-broker, uschatd with gate/varify/status, optionally a chat node) on free ports
 * against the test Redis and a fresh MariaDB database; an HTTP client that keeps its
 * connection alive; reading verification codes from mail files or the SMTP sink's Maildir; a
 * chat-protocol TCP client; and a fake chat node (a broker client in the test process) that
 * reports itself to status and records the SESSION_KICKs it gets.
 *
 * Called from a test's main thread (the fake node runs its own zactor thread).
 */
#ifndef USCHAT_TESTS_ACC_SUPPORT_H
#define USCHAT_TESTS_ACC_SUPPORT_H

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "test_stack.h"
#include "uschat/redis_conn.h"

typedef struct {
    test_stack_t stack; /* folder, fresh database, Redis index, ports, broker, environment */
    pid_t services, chat;
    char services_log[600];
    char chat_log[600];
} acc_stack_t;

/* Starts broker + uschatd running `services` (e.g. "gate varify status") + a chat node when
 * with_chat, with env (NULL-terminated "KEY=value", may be NULL) added to the defaults
 * (a key given there replaces the default). Waits until gate answers /healthz 200 (when gate
 * runs) and the chat node was seen by status (when both run). Exits 77 without the test
 * servers; exits 1 when something does not start. */
void acc_stack_start(acc_stack_t *s, const char *services, bool with_chat, const char *const env[]);
/* Stops everything by pid (SIGTERM) and checks each process exited 0 (under ASan that also
 * means: no leak). Drops the database and the folder. */
void acc_stack_stop(acc_stack_t *s);
/* True when the services' log contains text. */
bool acc_log_contains(const char *path, const char *text);
/* Waits up to timeout_ms for text to appear in the log. */
bool acc_log_wait(const char *path, const char *text, int timeout_ms);

/* A Redis connection to the stack's Redis database. Caller destroys it. */
redis_conn_t *acc_redis(const acc_stack_t *s);

/* ---- HTTP ------------------------------------------------------------------------------- */

typedef struct acc_http_t acc_http_t;
acc_http_t *acc_http_new(const char *base_url);
void acc_http_destroy(acc_http_t **self_p);
/* POSTs body (bytes, len) to path. Returns the HTTP status (-1 on a transport error); *reply
 * gets the parsed JSON object or NULL (caller decrefs). */
long acc_http_post(acc_http_t *self, const char *path, const char *body, size_t len,
                   json_t **reply);
/* Any method, any body (NULL = none). *text (may be NULL) gets the raw answer (caller frees). */
long acc_http_request(acc_http_t *self, const char *method, const char *path, const char *body,
                      size_t len, char **text);
/* Connections opened by the last request (0 = the kept-alive one was reused). */
long acc_http_new_connections(acc_http_t *self);

/* The "error" of a reply object, or -1. */
int acc_error(const json_t *reply);
/* POST of a JSON object built by json_pack-style args; returns "error" (or -1) and keeps the
 * reply in *reply when reply is not NULL. */
int acc_call(acc_http_t *h, const char *path, json_t **reply, const char *fmt, ...);

/* The seed client's transform of plain (UTF-8) for the wire; caller frees. */
char *acc_wire(const char *plain);

/* ---- codes -------------------------------------------------------------------------------- */

/* Waits up to timeout_ms for a mail to email under dir (searched recursively), takes the code
 * from it and deletes the file. 0, or -1 on timeout. When raw is not NULL it gets the whole
 * message (caller frees). */
int acc_read_code(const char *dir, const char *email, int timeout_ms, char code[7], char **raw);
/* Decodes a quoted-printable text (soft breaks removed). Caller frees. */
char *acc_qp_decode(const char *text);
/* Asks gate for a code for email and reads it from dir. Exits on failure. */
void acc_get_code(acc_http_t *h, const char *dir, const char *email, char code[7]);

/* ---- chat node TCP (docs/protocol.md §2 framing) --------------------------------------------- */

int acc_chat_connect(int port);
int acc_chat_send(int fd, uint16_t id, const char *json_text);
/* 0 with *id and *body (caller frees), -1 on timeout, -2 when the peer closed. */
int acc_chat_recv(int fd, int timeout_ms, uint16_t *id, char **body);

/* ---- a fake chat node --------------------------------------------------------------------- */

typedef struct acc_fake_node_t acc_fake_node_t;
/* Registers `name` (service chat) with the broker and reports host:port and connections every
 * 300 ms until paused. Caller destroys it. */
acc_fake_node_t *acc_fake_node_new(const char *endpoint, const char *name, const char *host,
                                   int port, unsigned connections);
void acc_fake_node_destroy(acc_fake_node_t **self_p);
void acc_fake_node_set_connections(acc_fake_node_t *self, unsigned connections);
/* Stops / restarts the reports (the broker registration stays). */
void acc_fake_node_pause(acc_fake_node_t *self, bool paused);
/* SESSION_KICKs received so far; *last_uid / last_reason (64 bytes) of the last one. */
int acc_fake_node_kicks(acc_fake_node_t *self, uint64_t *last_uid, char *last_reason);

#endif
