/* chat_node.h - the chat node every layer of it shares: its config and chat_node_t, the
 * state of the one I/O thread (connections, sessions, commit lanes, presence to clear,
 * counters), and what chat_actor.c does for the others through the broker.
 *
 * The layers above it, each with its header: connections (chat_net.h) -> dispatch
 * (chat_dispatch.h) -> text and jobs (chat_text.h, chat_jobs.h) -> store (chat_store.h), with
 * presence (chat_presence.h) beside. This header names the connection and lane types only by
 * pointer; their files define them.
 *
 * Threads: one I/O thread per node (the actor's thread) owns chat_node_t and every
 * chat_conn_t; worker threads (the base's worker pool, each with its own MySQL and Redis
 * connection) read only cfg and name, and share seen (which locks itself).
 */
#ifndef USCHAT_CHAT_NODE_H
#define USCHAT_CHAT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/broker_client.h"
#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"
#include "uschat/service_base.h"

#include "chat_presence.h"
#include "chat_pushq.h"
#include "chat_seen.h"
#include "chat_stages.h"
#include "chat_umap.h"
#include "chat_wheel.h"

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
    uint32_t message_gather_ms;   /* under load, a batch waits this long for others (0: never) */
    bool message_id_readback;     /* read message ids back even where they are consecutive */
    uint32_t drain_ms;            /* at stop: time to commit and ack what the lanes hold */
    uint32_t group_max_members;   /* members of one group */
    uint32_t group_max_per_user;  /* groups one user may be in */
    int report_ms;                /* load report to status */
    uint32_t stage_report_s;      /* stage histograms of text messages logged every N s, 0 = off */
    db_config_t mysql;
    redis_config_t redis;
} chat_config_t;

/* Loads the typed config (defaults in chat_config.c). Returns 0 or -1 (logged). */
int chat_config_load(config_t *cfg, chat_config_t *out);

/* ---- the node ----------------------------------------------------------------------------- */

typedef struct chat_conn_t chat_conn_t; /* chat_net.h */
typedef struct chat_lane_t chat_lane_t; /* chat_text.h */

typedef struct {
    uint64_t accepted, closed, frames_in, unknown_ids, bad_json, too_large, rate_limited,
        flood_closed, slow_closed, idle_closed, login_timeouts, logins, login_failed, kicked, busy,
        pushes_local, pushes_remote, pushes_in, addr_refused;
    /* frames queued for clients, and the writes (sendmsg calls) that carried them */
    uint64_t frames_out, writes;
    /* text batches: committed transactions, requests and items in them, time in the worker */
    uint64_t batches, batch_texts, batch_rows, batch_us, batch_max_rows, batch_max_us;
    /* groups: texts and events stored, frames written to members here (pushed from this node
     * or another), CHAT_GROUP_PUSH broker messages sent and received */
    uint64_t group_texts, group_events, group_frames, group_pushes_remote, group_pushes_in;
    uint64_t group_text_commits; /* transactions of texts (several requests each when busy) */
} chat_stats_t;

typedef struct chat_node_t {
    chat_config_t cfg;
    const char *name;        /* broker node name; the value of uip_<uid> */
    service_base_t *base;    /* loop, broker client, worker pool, completion queue */
    broker_client_t *broker; /* the base's client (borrowed) */
    chat_seen_t *seen;       /* where peers were last found, for when Redis is unreachable */
    chat_pushq_t *pushq;     /* pushes for other nodes held while the broker link is down */

    int epfd;
    int listen_fd;
    bool listen_paused; /* out of descriptors: listener off for a second */
    uint32_t listen_resume_s;

    chat_conn_t **conns; /* by fd */
    size_t conns_cap;
    uint32_t nconns;
    uint64_t next_conn_id;
    chat_conn_t *zombies; /* closed in this batch, freed after it */
    chat_conn_t *dirty;   /* connections with frames queued this turn (chat_net_flush()) */
    chat_conn_t *dirty_tail;
    bool flush_armed; /* the zloop timer that runs chat_net_flush() is set */

    chat_umap_t sessions;           /* uid -> logged-in chat_conn_t */
    chat_umap_t prelogin;           /* client address key -> connections not logged in (a count) */
    uint32_t addr_refused_logged_s; /* last second a refusal for the address cap was logged */
    chat_conn_t *ring;              /* ring of logged-in sessions (NULL when none) */
    chat_conn_t *ring_cursor;       /* next session whose presence gets refreshed */
    uint32_t nsessions;
    chat_wheel_t wheel;

    chat_umap_t group_gates; /* group id -> its writes waiting (chat_group.c) */

    chat_presence_list_t clear_pending; /* sessions that ended: presence to clear */
    chat_lane_t *lanes;                 /* cfg.message_lanes of them */
    uint32_t texts_pending;             /* in all lanes, not yet in the pool */
    int64_t text_last_us;               /* when the last 1017 arrived (monotonic) */
    int64_t text_gap_us;                /* the moving mean of the gaps between 1017s */
    bool gather_armed;                  /* the zloop timer that ends a gathering is set */
    int workers_made;                   /* worker threads started (their numbers) */
    uint32_t refresh_inflight;          /* refresh batches in the pool */

    uint8_t *rbuf; /* one read buffer for every connection */
    size_t rbuf_size;
    uint64_t clock_base_ms;
    uint32_t now_s; /* node clock, seconds since start + 1 */
    bool stopping;
    uint64_t drain_until_ms; /* stopping: the lanes' last chance to commit (monotonic ms) */
    chat_stats_t stats;
    chat_stages_t *stages; /* NULL unless cfg.stage_report_s (chat_stages.h) */
} chat_node_t;

/* chat_actor.c (I/O thread) */
/* Tells node_name to close uid's session older than session (NOTIFY CHAT_KICK). */
void chat_kick_remote(chat_node_t *node, const char *node_name, uint64_t uid, uint64_t session);

#endif
