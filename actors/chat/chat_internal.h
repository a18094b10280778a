/* chat_internal.h - what the files of the chat node share: its config, the node and
 * connection structs, the job model between the I/O thread and the worker pool.
 *
 * Threads: one I/O thread per node (the actor's thread) owns chat_node_t and every
 * chat_conn_t; worker threads (worker_pool_t, each with its own MySQL and Redis connection)
 * run chat_job_t.run and hand the job back through a loop_queue_t, and its done callback
 * then runs on the I/O thread. A job never touches a connection: it names it by
 * (fd, id) and the I/O thread looks it up again when the job comes back, because the client
 * may be gone by then.
 */
#ifndef USCHAT_CHAT_INTERNAL_H
#define USCHAT_CHAT_INTERNAL_H

#include <czmq.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "uschat/broker_client.h"
#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/envelope.h"
#include "uschat/frame.h"
#include "uschat/loop_queue.h"
#include "uschat/redis_conn.h"
#include "uschat/worker_pool.h"

#include "chat_push.h"
#include "chat_pushq.h"
#include "chat_seen.h"
#include "chat_sendq.h"
#include "chat_umap.h"
#include "chat_wheel.h"

/* ---- the protocol (docs/protocol.md §2) ---------------------------------------------- */

enum {
    CHAT_ERR_JSON = 1001,        /* not a JSON object, or a field missing / of the wrong type */
    CHAT_ERR_RPC = 1002,         /* MySQL or Redis failed */
    CHAT_ERR_TOKEN = 1010,       /* login token wrong or expired */
    CHAT_ERR_UID = 1011,         /* uid unknown, or not the session's */
    CHAT_ERR_CREATE_CHAT = 1012, /* creating the thread failed */
    CHAT_ERR_LOAD_CHAT = 1013,
    CHAT_ERR_RATE = 1014,  /* over the per-connection request rate */
    CHAT_ERR_RANGE = 1015, /* a field out of range (length, yourself as a friend) */
    CHAT_ERR_NOT_FRIENDS = 1016,
    CHAT_ERR_NOT_LOGGED_IN = 1017,
    CHAT_ERR_BUSY = 1018,    /* the worker queue is full: retry */
    CHAT_ERR_PENDING = 1019, /* a friend request to that user is already pending */
    CHAT_ERR_ALREADY = 1020, /* already friends */
};

enum {
    CHAT_ID_LOGIN = 1005,
    CHAT_ID_LOGIN_RSP = 1006,
    CHAT_ID_SEARCH = 1007,
    CHAT_ID_SEARCH_RSP = 1008,
    CHAT_ID_APPLY = 1009,
    CHAT_ID_APPLY_RSP = 1010,
    CHAT_ID_NOTIFY_APPLY = 1011,
    CHAT_ID_AUTH = 1013,
    CHAT_ID_AUTH_RSP = 1014,
    CHAT_ID_NOTIFY_AUTH = 1015,
    CHAT_ID_TEXT = 1017,
    CHAT_ID_TEXT_RSP = 1018,
    CHAT_ID_NOTIFY_TEXT = 1019,
    CHAT_ID_KICKED = 1021,
    CHAT_ID_HEARTBEAT = 1023,
    CHAT_ID_HEARTBEAT_RSP = 1024,
    CHAT_ID_THREADS = 1025,
    CHAT_ID_THREADS_RSP = 1026,
    CHAT_ID_PRIVATE = 1027,
    CHAT_ID_PRIVATE_RSP = 1028,
    CHAT_ID_HISTORY = 1029,
    CHAT_ID_HISTORY_RSP = 1030,
    CHAT_ID_SYNC = 1031,
    CHAT_ID_SYNC_RSP = 1032,
    CHAT_ID_READ = 1033,
    CHAT_ID_READ_RSP = 1034,
    CHAT_ID_NOTIFY_READ = 1035,
};

#define CHAT_TEXT_MAX_BYTES 4096 /* content of one text item */
#define CHAT_UNIQUE_ID_MAX  64   /* chat_message.unique_id */
#define CHAT_TEXT_ITEMS_MAX 50   /* items of one 1017 */
#define CHAT_SYNC_LIMIT_MAX 200  /* 1031 limit */

/* The Redis key of a uid's session number (a counter bumped by every login; see
 * chat_presence.c). The other keys are in uschat/redis_keys.h. */
#define CHAT_REDIS_KEY_USN "usn_"

/* ---- config ------------------------------------------------------------------------------- */

typedef struct {
    const char *host;        /* address the client listener binds */
    int port;                /* client TCP port */
    const char *public_host; /* host reported to status for clients (default: host) */
    int backlog;
    uint32_t max_body;         /* largest client frame body accepted */
    size_t send_queue_max;     /* bytes queued for one client before it is closed */
    uint32_t idle_timeout_s;   /* silence that closes a connection */
    uint32_t login_timeout_s;  /* time to log in after connecting */
    uint32_t linger_s;         /* after a goodbye (1021), time for the client to read it */
    uint32_t rate_limit;       /* requests per second per connection (bucket refill) */
    uint32_t rate_burst;       /* requests a connection may make back to back (bucket size) */
    uint32_t rate_close_after; /* consecutive seconds over the limit that close */
    uint32_t presence_ttl_s;   /* TTL of uip_<uid>; refreshed every third of it */
    uint32_t max_connections;
    uint32_t login_max_body;       /* largest frame body before login (the decoder's buffer) */
    uint32_t prelogin_per_address; /* connections not logged in yet, per client address */
    uint32_t max_inflight;         /* requests of one connection waiting for a worker */
    int workers;
    size_t queue_max;             /* jobs waiting for a worker, node-wide */
    int message_lanes;            /* message commit lanes (threads hashed onto them) */
    uint32_t message_batch_max;   /* messages per commit */
    uint32_t message_pending_max; /* messages waiting for a lane, node-wide (more: 1018) */
    bool message_id_readback;     /* read message ids back even where they are consecutive */
    uint32_t drain_ms;            /* at stop: time to commit and ack what the lanes hold */
    int report_ms;                /* load report to status */
    db_config_t mysql;
    redis_config_t redis;
} chat_config_t;

/* Loads the typed config (defaults in chat_config.c). Returns 0 or -1 (logged). */
int chat_config_load(config_t *cfg, chat_config_t *out);

/* ---- connections -------------------------------------------------------------------------- */

typedef enum {
    CONN_OPEN = 0,    /* serving */
    CONN_CLOSING = 1, /* goodbye sent or being sent: no more requests, close when flushed */
    CONN_DEAD = 2,    /* closed; waiting to be freed at the end of the event batch */
} chat_conn_state_t;

typedef struct chat_conn_t chat_conn_t;
struct chat_conn_t {
    chat_timer_t timer;     /* in node->wheel while open */
    chat_conn_t *ring_next; /* ring of logged-in sessions (presence refresh), or zombie list */
    chat_conn_t *ring_prev;
    chat_sendq_t sendq; /* empty (no memory) while the kernel takes everything */
    frame_decoder_t decoder;
    uint64_t id;        /* unique per node, for completions */
    uint64_t uid;       /* 0 until logged in */
    uint64_t session;   /* the login's session number (Redis usn_<uid>) */
    uint32_t created_s; /* node clock seconds */
    uint32_t last_rx_s;
    uint32_t closing_until_s; /* CONN_CLOSING: close at this second at the latest */
    uint32_t rate_window_s;   /* second the refusal counter belongs to */
    uint32_t rate_count;      /* requests refused (1014) in that second */
    uint32_t rate_tokens;     /* token bucket: requests that may go now */
    uint32_t rate_stamp_ms;   /* node clock of the last refill, 0 = bucket not started */
    uint64_t addr_key;        /* client address while counted as not logged in, else 0 */
    uint16_t inflight;        /* jobs of this connection in the worker pool */
    uint8_t rate_over;        /* consecutive seconds with refusals */
    uint8_t state;            /* chat_conn_state_t */
    uint8_t want_out : 1;     /* EPOLLOUT armed */
    uint8_t in_ring : 1;
    uint8_t shut_wr : 1; /* goodbye flushed, FIN sent */
    int fd;
};

/* ---- the node ----------------------------------------------------------------------------- */

typedef struct chat_job_t chat_job_t;

/* One 1017 on its way through a commit lane (chat_text.c, chat_store_text.c). */
typedef struct chat_text_t {
    struct chat_text_t *next;
    int fd; /* the sender's connection */
    uint64_t conn_id;
    uint64_t sender;
    uint64_t touid;
    int64_t thread_id;
    json_t *items; /* the request's text_array (a reference) */
    /* results, set by the worker */
    int error;
    char *reply; /* 1018 body */
    size_t reply_len;
    chat_push_t *push; /* 1019 to the peer (new messages only) */
} chat_text_t;

/* Messages of a set of threads, committed in batches: one batch in the pool at a time, so a
 * thread's messages commit in order and two batches never wait on each other's locks. */
typedef struct {
    chat_text_t *head, *tail;
    uint32_t count;      /* waiting */
    uint32_t committing; /* in the batch in the pool */
    bool busy;
} chat_lane_t;

typedef struct {
    uint64_t uid;
    uint64_t session;
} chat_presence_item_t;

typedef struct {
    chat_presence_item_t *items;
    size_t count, cap;
} chat_presence_list_t;

typedef struct {
    uint64_t accepted, closed, frames_in, unknown_ids, bad_json, too_large, rate_limited,
        flood_closed, slow_closed, idle_closed, login_timeouts, logins, login_failed, kicked, busy,
        pushes_local, pushes_remote, pushes_in, addr_refused;
    /* text batches: committed transactions, requests and items in them, time in the worker */
    uint64_t batches, batch_texts, batch_rows, batch_us, batch_max_rows, batch_max_us;
} chat_stats_t;

typedef struct chat_node_t {
    chat_config_t cfg;
    const char *name; /* broker node name; the value of uip_<uid> */
    zsock_t *pipe;
    zloop_t *loop;
    broker_client_t *broker;
    worker_pool_t *pool;
    chat_seen_t *seen;   /* where peers were last found, for when Redis is unreachable */
    chat_pushq_t *pushq; /* pushes for other nodes held while the broker link is down */

    int epfd;
    int listen_fd;
    bool listen_paused; /* out of descriptors: listener off for a second */
    uint32_t listen_resume_s;
    loop_queue_t *done; /* finished jobs, posted by the workers */

    chat_conn_t **conns; /* by fd */
    size_t conns_cap;
    uint32_t nconns;
    uint64_t next_conn_id;
    chat_conn_t *zombies; /* closed in this batch, freed after it */

    chat_umap_t sessions;           /* uid -> logged-in chat_conn_t */
    chat_umap_t prelogin;           /* client address key -> connections not logged in (a count) */
    uint32_t addr_refused_logged_s; /* last second a refusal for the address cap was logged */
    chat_conn_t *ring;              /* ring of logged-in sessions (NULL when none) */
    chat_conn_t *ring_cursor;       /* next session whose presence gets refreshed */
    uint32_t nsessions;
    chat_wheel_t wheel;

    chat_presence_list_t clear_pending; /* sessions that ended: presence to clear */
    chat_lane_t *lanes;                 /* cfg.message_lanes of them */
    uint32_t texts_pending;             /* in all lanes, not yet in the pool */
    uint32_t refresh_inflight;          /* refresh batches in the pool */

    uint8_t *rbuf; /* one read buffer for every connection */
    size_t rbuf_size;
    uint64_t clock_base_ms;
    uint32_t now_s; /* node clock, seconds since start + 1 */
    bool stopping;
    uint64_t drain_until_ms; /* stopping: the lanes' last chance to commit (monotonic ms) */
    chat_stats_t stats;
} chat_node_t;

/* ---- jobs ----------------------------------------------------------------------------------- */

typedef struct chat_worker_t {
    chat_node_t *node;
    db_conn_t *db;
    redis_conn_t *redis;
    char script_sha[4][41]; /* SHA1 of the Lua scripts once loaded, "" before */
    int consecutive_ids;    /* ids of one multi-row INSERT consecutive: 1, 0, -1 unknown */
} chat_worker_t;

typedef void(chat_job_run_fn)(chat_job_t *job, chat_worker_t *worker);
typedef void(chat_job_done_fn)(chat_node_t *node, chat_job_t *job);
/* Called after items were dropped from a reply's list, to make its cursor fields say so. */
typedef void(chat_json_fit_fn)(json_t *rsp, void *arg);

struct chat_job_t {
    loop_item_t item;       /* first: the completion queue's link */
    chat_job_run_fn *run;   /* on a worker */
    chat_job_done_fn *done; /* on the I/O thread; NULL = chat_job_done_reply */
    chat_node_t *node;
    int fd; /* the requesting connection, -1 = none */
    uint64_t conn_id;
    uint64_t uid;      /* the acting user (the session's, or the one logging in) */
    uint16_t reply_id; /* frame id of the reply, 0 = none */
    json_t *request;   /* the request body (owned) */
    char *reply;       /* JSON body of the reply (malloc'd), NULL = none */
    size_t reply_len;
    chat_push_t *pushes; /* frames for other users */
    int error;           /* protocol error code of the outcome, 0 = success */
    /* login */
    uint64_t session;
    char old_node[ENVELOPE_NODE_MAX];
    /* message batches */
    chat_text_t *texts;
    int lane;
    uint32_t batch_texts, batch_rows, batch_us; /* what the commit took */
    /* presence batches */
    chat_presence_item_t *items;
    size_t nitems;
    uint8_t *results; /* per item: 1 = still ours, 0 = superseded */
};

/* chat_jobs.c (I/O thread unless noted) */
chat_job_t *chat_job_new(chat_node_t *node, chat_conn_t *conn, uint16_t reply_id,
                         chat_job_run_fn *run, chat_job_done_fn *done);
void chat_job_destroy(chat_job_t **job_p);
/* Queues job on the pool under key (jobs of one key run in order). On failure the job is
 * destroyed and the connection (if any) gets reply_id with 1018. 0 or -1. */
int chat_job_submit(chat_node_t *node, chat_job_t *job, uint64_t key);
/* Same for jobs of the node itself: on failure (-EBUSY) the job is left to the caller. */
int chat_job_try_submit(chat_node_t *node, chat_job_t *job, uint64_t key);
/* loop_queue callback: a finished job is back on the I/O thread. */
void chat_job_finish(loop_item_t *item, void *node);
/* The default done: reply to the connection if it is still there, then deliver the pushes. */
void chat_job_done_reply(chat_node_t *node, chat_job_t *job);
/* Worker pool thread hooks. */
void *chat_worker_init(void *node);
void chat_worker_fini(void *worker);
/* Worker thread: sets job->reply to {"error": code} (plus nothing else). */
void chat_job_set_error(chat_job_t *job, int code);
/* Worker thread: takes the JSON object (json_decref'd) as the reply. */
void chat_job_set_reply(chat_job_t *job, json_t *body);
/* Worker thread: chat_job_set_reply for a paged reply that must fit one frame: items are
 * dropped from one end of list (see chat_json_dump_fit) and fix updates the cursors. */
void chat_job_set_reply_fit(chat_job_t *job, json_t *body, const char *list, bool from_front,
                            chat_json_fit_fn *fix);

/* chat_net.c (I/O thread) */
int chat_net_open(chat_node_t *node);   /* listener and epoll set */
void chat_net_close(chat_node_t *node); /* closes every connection and the listener */
void chat_net_stop_accepting(chat_node_t *node);
/* Bytes queued for clients and not yet taken by the kernel (a walk over every connection:
 * for the drain at stop, not for the hot path). */
size_t chat_net_unsent(chat_node_t *node);
int chat_net_on_events(zloop_t *loop, zmq_pollitem_t *item, void *arg);
void chat_net_tick(chat_node_t *node); /* once a second: timers, resume listener */
chat_conn_t *chat_conn_find(chat_node_t *node, int fd, uint64_t id);
/* Queues a frame; on overflow or a socket error the connection is closed. 0 or -1. */
int chat_conn_send(chat_node_t *node, chat_conn_t *conn, uint16_t id, const void *body, size_t len);
int chat_conn_send_json(chat_node_t *node, chat_conn_t *conn, uint16_t id, json_t *body);
int chat_conn_send_error(chat_node_t *node, chat_conn_t *conn, uint16_t id, int error);
/* Closes now (no goodbye). reason for the log. */
void chat_conn_close(chat_node_t *node, chat_conn_t *conn, const char *reason);
/* Sends 1021 and closes once it is written (or after linger_s). The session is unbound at
 * once; clear_presence says whether uip_<uid> should be removed (not when a newer session
 * took over). */
void chat_conn_kick(chat_node_t *node, chat_conn_t *conn, bool clear_presence, const char *reason);
/* Binds a logged-in session (the uid's previous local one must be gone). */
int chat_session_bind(chat_node_t *node, chat_conn_t *conn, uint64_t uid, uint64_t session);
/* Unbinds; adds the session to clear_pending when clear_presence. */
void chat_session_unbind(chat_node_t *node, chat_conn_t *conn, bool clear_presence);
chat_conn_t *chat_session_find(chat_node_t *node, uint64_t uid);
uint32_t chat_now_s(chat_node_t *node);

/* chat_actor.c (I/O thread) */
/* Tells node_name to close uid's session older than session (NOTIFY CHAT_KICK). */
void chat_kick_remote(chat_node_t *node, const char *node_name, uint64_t uid, uint64_t session);

/* chat_dispatch.c (I/O thread) */
/* Handles one whole frame of conn. */
void chat_dispatch_frame(chat_node_t *node, chat_conn_t *conn, const frame_t *frame);

/* chat_presence.c */
/* Worker: the login script (token check, session number, uip_). Returns 1 and sets
 * job->session / job->old_node when the token is right, 0 when wrong, -1 when Redis failed. */
int chat_presence_login(chat_worker_t *worker, uint64_t uid, const char *token, uint64_t *session,
                        char old_node[ENVELOPE_NODE_MAX]);
/* Worker: the node name (and session) of uid's live session; node "" when offline.
 * 0 or -1 (Redis failed and the node uid was last found on is not known). While Redis fails,
 * the answer is the node uid was last found on (chat_seen.h). */
int chat_presence_lookup(chat_worker_t *worker, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                         uint64_t *session);
/* Worker: the same for n uids in one round trip; nodes[i] "" when offline. 0 or -1. */
int chat_presence_lookup_many(chat_worker_t *worker, const uint64_t *uids, size_t n,
                              char (*nodes)[ENVELOPE_NODE_MAX], uint64_t *sessions);
/* I/O thread: queue a presence clear of (uid, session) (sent in batches). */
void chat_presence_clear_later(chat_node_t *node, uint64_t uid, uint64_t session);
/* I/O thread: once a second, refresh the TTL of a slice of the sessions (every session once
 * per third of presence_ttl_s) and send the pending clears. */
void chat_presence_tick(chat_node_t *node);
/* I/O thread: send the pending clears now (end of an event batch). */
void chat_presence_flush(chat_node_t *node);
/* Shutdown: clears the presence of every session still bound, synchronously on a private
 * Redis connection (the pool is gone by then). */
void chat_presence_clear_all_sync(chat_node_t *node, const chat_presence_list_t *list);
int chat_presence_list_add(chat_presence_list_t *list, uint64_t uid, uint64_t session);
void chat_presence_list_free(chat_presence_list_t *list);

/* chat_text.c (I/O thread): 1017 into the commit lanes */
void chat_text_request(chat_node_t *node, chat_conn_t *conn, json_t *body);
int chat_text_open(chat_node_t *node);
void chat_text_close(chat_node_t *node); /* frees what never reached a worker */
void chat_text_tick(chat_node_t *node);  /* retries lanes the full pool refused */
/* Messages in the lanes, committing or waiting (0 = nothing left to ack). */
uint32_t chat_text_unfinished(chat_node_t *node);
void chat_text_free_list(chat_text_t *texts);

/* chat_store_text.c (worker): commits a batch of texts (job->texts) */
void chat_store_texts(chat_job_t *job, chat_worker_t *worker);

/* chat_store_thread.c (worker): threads, history, sync, read marks */
void chat_store_threads(chat_job_t *job, chat_worker_t *worker);
void chat_store_private(chat_job_t *job, chat_worker_t *worker);
void chat_store_history(chat_job_t *job, chat_worker_t *worker);
void chat_store_sync(chat_job_t *job, chat_worker_t *worker);
void chat_store_read(chat_job_t *job, chat_worker_t *worker);
/* Worker: appends to items (an array) the messages of thread_id with seq > after_seq, in seq
 * order, at most limit, as 1030/1032 items {sender, msg_id, seq, thread_id, unique_id,
 * msg_content, chat_time, status}. Rows or DB_ERR_*. */
int chat_store_messages_after(chat_worker_t *worker, int64_t thread_id, int64_t after_seq,
                              int64_t limit, json_t *items);
/* Worker: 1 when uid is a member of thread_id (*other = the other member), 0 when not (or no
 * such thread), DB_ERR_* */
int chat_store_member(chat_worker_t *worker, int64_t thread_id, uint64_t uid, uint64_t *other);

/* chat_store.c (worker threads): the MySQL side of each request */
void chat_store_login(chat_job_t *job, chat_worker_t *worker);
void chat_store_search(chat_job_t *job, chat_worker_t *worker);
void chat_store_apply(chat_job_t *job, chat_worker_t *worker);
void chat_store_auth(chat_job_t *job, chat_worker_t *worker);

/* chat_json.c: small helpers for request bodies (any thread) */
/* A positive id from an integer or an all-digits string; 0 when absent or unusable. */
uint64_t chat_json_uid(const json_t *obj, const char *key);
/* The string, or NULL when absent or not a string. */
const char *chat_json_str(const json_t *obj, const char *key);
/* Number of UTF-8 characters of s (jansson strings are valid UTF-8). */
size_t chat_utf8_chars(const char *s);
/* json_dumps compact into a malloc'd string; NULL when out of memory. *len set. */
char *chat_json_dump(const json_t *obj, size_t *len);
/* The compact text of rsp, first dropping items from one end of list (an array inside rsp)
 * until the text fits one frame (FRAME_MAX_BODY), calling fix(rsp, arg) (may be NULL) after
 * each round of drops. Caller frees the text; NULL when the list ran out before the text fit,
 * or out of memory. *len set. */
char *chat_json_dump_fit(json_t *rsp, json_t *list, bool from_front, chat_json_fit_fn *fix,
                         void *arg, size_t *len);

#endif
