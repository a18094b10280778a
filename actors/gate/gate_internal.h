/* gate_internal.h - the parts of the gate service and what they share. Not for other services.
 *
 * Threads and who owns what:
 *   - MHD's polling thread(s) run gate_http.c: read a request, check it (gate_routes.c's
 *     *_start functions), then either answer at once or suspend the connection and hand the
 *     request on. They never wait for anything.
 *   - the worker pool runs the blocking steps (Argon2id, MySQL, Redis): gate_routes.c's
 *     gate_route_work().
 *   - the actor's loop thread (gate.c) owns the broker client: it sends the broker requests a
 *     request needs (gate_route_send()) and takes their replies (gate_route_reply()).
 *   - a health thread (gate_health.c) probes Redis and MySQL for /healthz.
 * A request moves between them as a gate_req_t; whoever finishes it calls gate_finish(),
 * which resumes the MHD connection. The request is freed by MHD's completion callback only,
 * so nothing touches it after gate_finish().
 */
#ifndef USCHAT_GATE_INTERNAL_H
#define USCHAT_GATE_INTERNAL_H

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "uschat/account_fields.h"
#include "uschat/broker_client.h"
#include "uschat/client_proto.h"
#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/loop_queue.h"
#include "uschat/redis_conn.h"
#include "uschat/service_base.h"

#define GATE_BODY_MAX       16384 /* bytes of a request body; more is 413 */
#define GATE_WIRE_PWD_MAX   512   /* bytes of a transformed password on the wire */
#define GATE_PWD_BUF        (2 * GATE_WIRE_PWD_MAX + 1)
#define GATE_CODE_MAX       USCHAT_MAX(HTTP_REGISTER_REQ, varifycode)
#define GATE_NICK_MAX_CHARS USCHAT_MAX(HTTP_REGISTER_REQ, nick)
#define GATE_ICON_MAX       USCHAT_MAX(HTTP_REGISTER_REQ, icon)

/* The routes of schema/messages/http.def in its order (GATE_ROUTE_x = USCHAT_HTTP_x), then any
 * other path. */
#define USCHAT_HTTP_ROUTE(METHOD, path, NAME, REQUEST, REPLY, ERRORS, ORIGIN, doc)                 \
    GATE_ROUTE_##NAME,
typedef enum {
#include "messages/http.def"
    GATE_ROUTE_OTHER, /* unknown path */
    GATE_ROUTE_COUNT
} gate_route_t;
#undef USCHAT_HTTP_ROUTE

/* Where a request goes next. */
typedef enum {
    GATE_STEP_NONE,
    GATE_STEP_GET_CODE,   /* loop: VARIFY_GET_CODE */
    GATE_STEP_CHECK_CODE, /* loop: VARIFY_CHECK, not used up yet */
    GATE_STEP_CREATE,     /* worker: hash + INSERT */
    GATE_STEP_RESET,      /* worker: match user/email, hash + UPDATE, drop the token */
    GATE_STEP_CONSUME,    /* loop: VARIFY_CHECK consume (+ STATUS_REVOKE after a reset) */
    GATE_STEP_LOGIN,      /* worker: rate limit, lookup, verify */
    GATE_STEP_TOKEN,      /* loop: STATUS_LOGIN */
} gate_step_t;

typedef struct {
    /* gate section */
    const char *host;
    int port;
    int http_threads;
    int max_connections;
    int max_per_address; /* connections from one client address */
    int idle_timeout_s;
    int request_timeout_ms; /* a whole request's headers and body (gate_guard.c) */
    int workers;
    int queue;
    unsigned long long argon2_opslimit;
    size_t argon2_memlimit; /* bytes */
    int varify_timeout_ms;
    int status_timeout_ms;
    int login_fail_window_s;
    int login_fail_max_email;
    int login_fail_max_addr;
    int health_interval_ms;
    const char *files_url; /* the files service as clients reach it, "" = none */
} gate_config_t;

typedef struct gate_t gate_t;
typedef struct gate_conn_t gate_conn_t; /* gate_guard.c: one open HTTP connection */

typedef struct gate_req_t {
    loop_item_t item; /* first: the loop_queue link */
    gate_t *gate;
    struct MHD_Connection *conn;
    gate_route_t route;
    int64_t start_us;
    char addr[INET6_ADDRSTRLEN];
    /* the body as it arrives */
    char *body;
    size_t body_len;
    bool working;    /* suspended, somewhere between threads */
    bool done;       /* response ready: queue it on the next handler call */
    bool answered;   /* a response is queued */
    unsigned refuse; /* 404 or 405, answered when the body is over */
    bool close;      /* answer with Connection: close (the request's framing is unclear) */
    gate_step_t step;
    struct gate_req_t *prev, *next; /* loop thread: the list of requests awaiting the broker */
    int replies_due;                /* broker replies still expected for this step */
    /* checked fields */
    char email[ACCOUNT_EMAIL_MAX + 1];
    char user[ACCOUNT_NAME_MAX_BYTES + 1];
    char passwd[GATE_PWD_BUF]; /* plain, after undoing the transform; wiped on free */
    size_t passwd_len;
    char code[GATE_CODE_MAX + 1];
    char nick[GATE_NICK_MAX_CHARS * 4 + 1];
    char icon[GATE_ICON_MAX + 1];
    int sex;
    /* results */
    uint64_t uid;
    char token[65];
    char node_host[256];
    uint32_t node_port;
    uint32_t error;
    unsigned http_status;
    char *response; /* JSON text, malloc'd */
} gate_req_t;

/* Per worker thread: its own connections. */
typedef struct {
    db_conn_t *db;
    redis_conn_t *redis;
} gate_worker_t;

struct gate_t {
    gate_config_t cfg;
    db_config_t db_cfg;
    redis_config_t redis_cfg;
    service_base_t *base; /* loop, broker client, worker pool, the loop queue, `stopping` */
    struct MHD_Daemon *httpd;
    int bound_port;
    char dummy_hash[128]; /* verified against for unknown emails: same time as a real check */
    gate_req_t *waiting;  /* loop thread: requests awaiting a broker reply */
    /* health */
    atomic_bool broker_ok, redis_ok, mysql_ok;
    pthread_t health_thread;
    bool health_started;
    pthread_mutex_t health_lock;
    pthread_cond_t health_wake;
    bool health_stop;
    /* the connection guard (gate_guard.c) */
    pthread_mutex_t guard_lock; /* the list, and each entry's fields */
    pthread_cond_t guard_wake;
    pthread_t guard_thread;
    bool guard_started, guard_stop;
    gate_conn_t *conns;
    atomic_uint_least64_t closed_late, closed_gone; /* connections closed by the guard */
};

/* ---- gate.c ------------------------------------------------------------------------------- */

/* Hands req to the worker pool / the loop thread; when that is impossible (queue full,
 * shutting down) req is finished with 1018 / 1002 instead. Any thread. */
void gate_to_worker(gate_req_t *req, gate_step_t step);
void gate_to_loop(gate_req_t *req, gate_step_t step);
/* Sets the answer (error, and the route's fields when 0), builds the JSON and resumes the
 * connection. The caller must not touch req afterwards. Any thread. */
void gate_finish(gate_req_t *req, uint32_t error);

/* ---- gate_routes.c ------------------------------------------------------------------------ */

/* The request body is complete and req->route is one of the four POST routes: parses the
 * body and checks its fields into req (email, user, passwd, ...). Returns USCHAT_ERR_SUCCESS with
 * req->step set to the first step of the work, or the error code to answer. Touches req
 * only: no thread, socket or server is involved (the gate fuzzer calls it directly). */
uint32_t gate_route_check(gate_req_t *req);
/* MHD thread: gate_route_check(), then starts the work (or finishes with the error). */
void gate_route_start(gate_req_t *req);
/* Worker thread: runs req->step. */
void gate_route_work(gate_req_t *req, gate_worker_t *worker);
/* Loop thread: sends the broker request(s) of req->step. */
void gate_route_send(gate_req_t *req);
/* Loop thread, at shutdown: finishes every request still awaiting a broker reply. */
void gate_route_fail_pending(gate_t *gate);
/* The JSON answer of req (error and, on success, the route's fields). Caller frees. */
char *gate_route_response(const gate_req_t *req);

/* ---- gate_http.c -------------------------------------------------------------------------- */

int gate_http_start(gate_t *gate);
void gate_http_stop(gate_t *gate);
void gate_http_resume(gate_req_t *req);

/* ---- gate_metrics.c ----------------------------------------------------------------------- */

const char *gate_route_path(gate_route_t route);
/* result: the error code for 200 answers, the HTTP status otherwise. */
void gate_metrics_count(gate_route_t route, unsigned http_status, uint32_t error,
                        int64_t latency_us);
/* Prometheus text. Caller frees. */
char *gate_metrics_render(const gate_t *gate);

/* ---- gate_health.c ------------------------------------------------------------------------ */

int gate_health_start(gate_t *gate);
void gate_health_stop(gate_t *gate);

/* ---- gate_guard.c ------------------------------------------------------------------------- */

/* Starts / stops the guard's thread. Start before MHD, stop after it. 0 or -1. */
int gate_guard_start(gate_t *gate);
void gate_guard_stop(gate_t *gate);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the gate): tracks each connection from its
 * start to its close. MHD thread. */
void gate_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* busy: the whole request of conn is in, the deadline no longer applies; !busy: its answer is
 * sent, the next request's deadline starts. MHD thread. */
void gate_guard_set_busy(gate_t *gate, struct MHD_Connection *conn, bool busy);

/* ---- gate_password.c ---------------------------------------------------------------------- */

/* Argon2id (libsodium crypto_pwhash_str) with the configured limits. 0 or -1. */
int gate_password_hash(const gate_t *gate, const char *plain, size_t len, char out[128]);
/* 0 when plain matches hash; -1 otherwise (also for a malformed hash). */
int gate_password_verify(const char *hash, const char *plain, size_t len);
/* True when hash was made with other limits than the configured ones. */
bool gate_password_needs_rehash(const gate_t *gate, const char *hash);

int64_t gate_now_us(void);
/* The gate's background threads (health, guard) sleep on CLOCK_MONOTONIC, so a step of the wall
 * clock neither stops nor hurries them. gate_cond_init() makes such a condition variable;
 * gate_cond_sleep() waits on it, LOCK held, until MS have passed or *STOP is set. */
void gate_cond_init(pthread_cond_t *cond);
void gate_cond_sleep(pthread_cond_t *cond, pthread_mutex_t *lock, const bool *stop, int ms);

#endif
