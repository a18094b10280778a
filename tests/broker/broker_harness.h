/* broker_harness.h - what the broker's integration tests share: a real uschat-broker on free
 * loopback ports, uschatd's echo service, raw DEALER sockets that put every frame under the
 * test's control, echoing actors built on the runtime's broker client (zactor threads), and a
 * reader of the tap.
 *
 * Used by test_broker.c and test_broker_auth.c from their main thread; the actors run on their
 * own threads.
 */
#ifndef USCHAT_TEST_BROKER_HARNESS_H
#define USCHAT_TEST_BROKER_HARNESS_H

#include <czmq.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "uschat/broker_client.h"
#include "uschat/envelope.h"
#include "uschat/tap.h"

extern int harness_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);                      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            harness_failures++;                                                                    \
        }                                                                                          \
    } while (0)

/* One case of a test executable, run as `EXE CASE`. */
typedef struct {
    const char *name;
    void (*run)(void);
} harness_case_t;

/* The main of a broker test executable: skips (77) when the broker is not built, runs the
 * case named by argv[1] under a 50 s alarm (a hung case ends there, and test_support stops its
 * children), and returns 0, 1 when a check failed, or 2 on a bad command line. */
int harness_main(int argc, char **argv, const harness_case_t *cases, size_t ncases);

/* ---- the broker ----------------------------------------------------------------------- */

typedef struct {
    char *dir; /* logs; removed at the end unless something failed */
    int port, tap_port;
    char endpoint[64], tap[64];
    int heartbeat_ms, liveness;
    pid_t pid;  /* the broker */
    pid_t echo; /* uschatd --service echo, or -1 */
} harness_stack_t;

int64_t harness_now(void); /* monotonic ms */
/* Free ports, a temporary folder, the broker started (exits the test when it cannot). */
void harness_stack_new(harness_stack_t *s, const char *tag, int heartbeat_ms, int liveness);
/* (Re)starts the broker of s on its ports; its log is appended to DIR/broker.log. */
pid_t harness_broker_start(harness_stack_t *s);
void harness_stack_destroy(harness_stack_t *s);
/* uschatd --service echo --node NODE; false when uschatd is not built. */
bool harness_echo_start(harness_stack_t *s, const char *node);
/* An echo request through a fresh client, retried while the service registers: 0 when seq
 * comes back, else the last error. from (may be NULL) gets the answering node. */
int harness_echo_call(const harness_stack_t *s, uint64_t seq, int timeout_ms, char *from,
                      size_t cap);

/* ---- raw DEALER sockets --------------------------------------------------------------- */

zsock_t *harness_raw_new(const harness_stack_t *s);
/* [envelope][body?] with body len bytes (NULL: no body frame). 0, or -1 when it could not be
 * queued (e.g. a socket whose handshake failed has no peer). */
int harness_raw_send_bytes(zsock_t *sock, int kind, const char *service, const char *node,
                           uint64_t corr, uint32_t load, uint16_t type, const void *body,
                           size_t len);
/* [envelope][body?]; body is text, NULL for none. */
void harness_raw_send(zsock_t *sock, int kind, const char *service, const char *node, uint64_t corr,
                      uint32_t load, uint16_t type, const char *body);
/* The next message that is not a HEARTBEAT. 0, or -1 on timeout or an undecodable envelope.
 * *body (may be NULL) gets the body text; caller frees. */
int harness_raw_recv(zsock_t *sock, int timeout_ms, envelope_t *env, char **body);
/* A raw socket that said READY and was acknowledged. */
zsock_t *harness_raw_actor(const harness_stack_t *s, const char *service, const char *node,
                           uint32_t load);
/* The same with a READY corr of its own (a broker client's tag | count of READYs). */
zsock_t *harness_raw_actor_tagged(const harness_stack_t *s, const char *service, const char *node,
                                  uint32_t load, uint64_t ready_corr);

/* ---- actors on the runtime's broker client -------------------------------------------- */

typedef struct {
    char endpoint[64];
    char service[ENVELOPE_SERVICE_MAX];
    char node[ENVELOPE_NODE_MAX];
    int heartbeat_ms;
    atomic_int requests; /* answered with their own body */
    atomic_int notifies; /* counted */
} harness_actor_t;

/* An echoing actor on its own thread; a must outlive it (zactor_destroy first). */
zactor_t *harness_actor_new(const harness_stack_t *s, harness_actor_t *a, const char *service,
                            const char *node);
/* One blocking request (type MSG_ECHO, body text) from a fresh client "tester.1". 0 or
 * -route_error; *answer (may be NULL) gets the body, caller frees. */
int harness_call(const harness_stack_t *s, const char *service, const char *node, const char *text,
                 int timeout_ms, char **answer);
/* harness_call until it succeeds or timeout_ms passes; the last result. */
int harness_call_until(const harness_stack_t *s, const char *service, const char *node,
                       const char *text, int timeout_ms);

/* ---- the tap -------------------------------------------------------------------------- */

typedef struct {
    bool is_event;
    tap_record_t rec;
    bool has_env;
    envelope_t env;
    char body[64];
} harness_tap_item_t;

/* One tap message within timeout_ms: 0, or -1. */
int harness_tap_read(zsock_t *sub, int timeout_ms, harness_tap_item_t *out);

#endif
