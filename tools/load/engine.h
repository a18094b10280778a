/* engine.h - uschat-load's connection engine: one epoll loop driving many non-blocking chat
 * node connections, each a uschat_conn_t from the client library (the protocol is never
 * written twice), with login (1005 -> 1006) and heartbeats (1023 -> 1024) built in.
 *
 * A connection costs the engine a small lconn_t plus the library's connection core (no
 * buffers while idle), so 10,000 of them fit in a few MiB. Scenarios own the schedule: they
 * start logins and send requests at the times they choose and get callbacks for what comes
 * back. Latencies are measured from the time a scenario says an operation was SCHEDULED
 * (not when the engine got round to it), so a slow server cannot hide its delay
 * (coordinated omission). Single-threaded: everything runs on the thread calling
 * engine_poll().
 */
#ifndef USCHAT_LOAD_ENGINE_H
#define USCHAT_LOAD_ENGINE_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hist.h"
#include "uschat_client.h"

enum { LC_IDLE, LC_CONNECTING, LC_LOGIN, LC_READY, LC_CLOSED };

typedef struct lconn {
    int fd;
    uint8_t state; /* LC_* */
    uint8_t armed; /* EPOLLOUT registered */
    uint16_t node; /* index of the chat node it goes to */
    int32_t user;  /* index of the load user */
    uschat_conn_t *conn;
    int64_t t_sched_us; /* when the login in progress was scheduled */
    int64_t t_hb_us;    /* when the heartbeat in flight was scheduled; 0 none */
    int64_t next_hb_us; /* next heartbeat due */
    /* for scenarios */
    uint32_t outstanding;
    int64_t last_seq;
    int32_t peer;
} lconn_t;

/* Errors by name ("1016", "connect", "closed", ...), counted. */
#define ERR_TABLE_MAX 48
typedef struct {
    struct {
        char name[24];
        uint64_t count;
    } e[ERR_TABLE_MAX];
    int n;
} err_table_t;
void err_add(err_table_t *t, const char *name);
void err_add_code(err_table_t *t, int server_code);
void err_merge(err_table_t *into, const err_table_t *from);
uint64_t err_total(const err_table_t *t);

typedef struct {
    uint64_t connects;      /* connections started */
    uint64_t logins_ok;     /* 1006 with error 0 */
    uint64_t logins_failed; /* connect failure, 1006 error, closed before 1006 */
    uint64_t live;          /* logged in right now */
    uint64_t live_peak;
    uint64_t closed_by_server; /* after login */
    uint64_t kicked;           /* 1021 received */
    uint64_t heartbeats_sent, heartbeats_ok;
    uint64_t bad_frames;
    uint64_t msgs_in, msgs_out;
    hist_t login_us;     /* scheduled login -> 1006 */
    hist_t heartbeat_us; /* scheduled 1023 -> 1024 */
    err_table_t errors;
} engine_stats_t;

typedef struct engine engine_t;

typedef struct {
    /* a 1006 with error 0 arrived: C is LC_READY */
    void (*on_ready)(engine_t *e, lconn_t *c, void *ud);
    /* any other message (not 1006 during login, not 1024 of an engine heartbeat). The
     * callback may keep msg->body (take a reference); the engine drops its own after. */
    void (*on_message)(engine_t *e, lconn_t *c, const uschat_msg_t *msg, void *ud);
    /* C stopped (server closed, error, or engine_close); it may be reused for a new login */
    void (*on_closed)(engine_t *e, lconn_t *c, void *ud);
} engine_callbacks_t;

/* HEARTBEAT_MS: interval of 1023 per ready connection (0 = none). NULL on failure. */
engine_t *engine_new(const engine_callbacks_t *cb, void *ud, int heartbeat_ms);
void engine_destroy(engine_t **p);
engine_stats_t *engine_stats(engine_t *e);

/* Starts a connection of C to ADDR and queues 1005 (uid, token) to go as soon as it is up.
 * SCHED_US: when this login was scheduled (latency base). 0, or -1 (counted as failed). */
int engine_login(engine_t *e, lconn_t *c, const struct sockaddr_storage *addr, socklen_t len,
                 int64_t uid, const char *token, int64_t sched_us);
/* Queues BODY (borrowed) as ID on C and writes what the socket takes. 0 or -1. */
int engine_send(engine_t *e, lconn_t *c, uint16_t id, const json_t *body);
/* Closes C now (no callback). */
void engine_close(engine_t *e, lconn_t *c);
/* Waits up to TIMEOUT_US microseconds for socket events and handles them; sends due
 * heartbeats. Returns the number of events handled, -1 on an epoll failure. */
int engine_poll(engine_t *e, int64_t timeout_us);

/* Monotonic microseconds. */
int64_t engine_now_us(void);

/* Resolves HOST:PORT (numeric or name) into ADDR. 0 or -1. */
int engine_resolve(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len);

/* Raises the open-file limit to what N connections need (the hard limit too when the process
 * may, as root; otherwise up to it). Returns the limit now in force. */
long engine_raise_fd_limit(long n);

#endif
