/* chat_actor.c - the chat service actor: one chat node (chat.h).
 *
 * Threads. The actor's own thread is the node's only I/O thread. It runs on the services'
 * skeleton (service_base.h), whose zloop polls a fixed set of items whatever the number of
 * clients: the pipe from uschatd, the broker client's DEALER (zmq_poll handles the edge-like
 * ZMQ_FD for us), the eventfd of the loop_queue_t that brings finished jobs back from the
 * workers, and, as the node's own poller, the epoll descriptor that holds the listener and
 * every client socket (chat_net.c). A wakeup
 * costs the ready items only, so the loop is O(1) in the number of idle connections. Timers:
 * one 1 s tick (timer wheel, presence refresh) and the load report to status. Blocking work
 * (MySQL, Redis) runs in the base's worker pool (chat_jobs.c).
 *
 * Other nodes and status reach this node through the broker: CHAT_KICK (a newer login
 * elsewhere), SESSION_KICK (status: password reset), CHAT_PUSH (frames for users connected
 * here, chat_push.c). Stopping ($TERM from uschatd on SIGTERM, the base's drain hook): the listener
 * closes, what the commit lanes hold is committed and acknowledged, every session is closed
 * and its presence cleared in Redis, the workers finish what they hold (their results still
 * come back: finish_jobs), and the broker client says DISCONNECT.
 */
#include "chat.h"

#include <sys/resource.h>

#include "chat_group.h"
#include "chat_jobs.h"
#include "chat_net.h"
#include "chat_node.h"
#include "chat_presence.h"
#include "chat_text.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/service.h"
#include "uschat/service_base.h"

#define TICK_MS       1000
#define STATS_EVERY_S 60
/* Pushes for other nodes held while the broker link is down (chat_pushq.h): a few seconds of
 * a busy node's cross-node traffic, sent 2 s after the link is back (every node registers
 * again within one heartbeat, 1 s by default, of the broker's return). */
#define PUSHQ_MAX_ITEMS 20000
#define PUSHQ_MAX_BYTES (32u << 20)
#define PUSHQ_SETTLE_MS 2000

/* 10,000 clients need more descriptors than the usual soft limit of 1024. */
static void s_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn("chat: cannot raise the descriptor limit: %s", strerror(errno));
    }
}

/* ---- broker ---------------------------------------------------------------------------------- */

void chat_kick_remote(chat_node_t *node, const char *node_name, uint64_t uid, uint64_t session)
{
    msg_chat_kick_t m = {.uid = uid, .session = session, .reason = "relogin"};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_chat_kick_encode(&m, &buf, &len) == 0 &&
        broker_client_notify(node->broker, "chat", node_name, MSG_CHAT_KICK, buf, len) == 0)
        log_debug("chat: asked %s to close the older session of uid %llu", node_name,
                  (unsigned long long)uid);
    else
        log_warn("chat: kick of uid %llu to %s not sent", (unsigned long long)uid, node_name);
    free(buf);
}

static void s_on_broker(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    (void)client;
    chat_node_t *node = arg;
    const uint8_t *data = *body ? zframe_data(*body) : NULL;
    size_t size = *body ? zframe_size(*body) : 0;
    if (env->type == MSG_CHAT_KICK) {
        msg_chat_kick_t m;
        if (msg_chat_kick_decode(data, size, &m) == 0) {
            chat_conn_t *conn = chat_session_find(node, m.uid);
            if (conn && (m.session == 0 || conn->session < m.session))
                chat_conn_kick(node, conn, false, "logged in on another node");
            msg_chat_kick_clear(&m);
            return;
        }
    } else if (env->type == MSG_SESSION_KICK) {
        msg_session_kick_t m;
        if (msg_session_kick_decode(data, size, &m) == 0) {
            chat_conn_t *conn = chat_session_find(node, m.uid);
            if (conn)
                chat_conn_kick(node, conn, true, m.reason && m.reason[0] ? m.reason : "revoked");
            msg_session_kick_clear(&m);
            return;
        }
    } else if (env->type == MSG_CHAT_PUSH) {
        if (chat_push_receive(node, data, size) == 0)
            return;
    } else if (env->type == MSG_CHAT_GROUP_PUSH) {
        if (chat_group_push_receive(node, data, size) == 0)
            return;
    } else {
        log_warn("chat: %s of type %u from %s not understood; ignored",
                 envelope_kind_name(env->kind), env->type, env->from);
        return;
    }
    log_warn("chat: malformed %s (type %u) from %s; ignored", envelope_kind_name(env->kind),
             env->type, env->from);
}

static int s_on_report(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    chat_node_t *node = arg;
    msg_status_node_report_t r = {.node = (char *)node->name,
                                  .host = (char *)node->cfg.public_host,
                                  .port = (uint32_t)node->cfg.port,
                                  .connections = node->nconns};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_status_node_report_encode(&r, &buf, &len) == 0)
        broker_client_notify(node->broker, "status", NULL, MSG_STATUS_NODE_REPORT, buf, len);
    free(buf);
    broker_client_set_load(node->broker, node->nconns);
    return 0;
}

static void s_log_stats(chat_node_t *node)
{
    const chat_stats_t *s = &node->stats;
    log_info("chat: %u connections, %u sessions, %zu jobs queued; accepted %llu, logins %llu "
             "(failed %llu), kicked %llu, closed idle %llu / no login %llu / flood %llu / slow "
             "%llu / too large %llu, unknown ids %llu, bad json %llu, rate limited %llu, busy "
             "%llu, pushes local %llu remote %llu in %llu, refused over the address cap %llu",
             node->nconns, node->nsessions, service_base_queued(node->base),
             (unsigned long long)s->accepted, (unsigned long long)s->logins,
             (unsigned long long)s->login_failed, (unsigned long long)s->kicked,
             (unsigned long long)s->idle_closed, (unsigned long long)s->login_timeouts,
             (unsigned long long)s->flood_closed, (unsigned long long)s->slow_closed,
             (unsigned long long)s->too_large, (unsigned long long)s->unknown_ids,
             (unsigned long long)s->bad_json, (unsigned long long)s->rate_limited,
             (unsigned long long)s->busy, (unsigned long long)s->pushes_local,
             (unsigned long long)s->pushes_remote, (unsigned long long)s->pushes_in,
             (unsigned long long)s->addr_refused);
    log_info("chat: frames to clients %llu in %llu writes (%.2f a write)",
             (unsigned long long)s->frames_out, (unsigned long long)s->writes,
             s->writes ? (double)s->frames_out / (double)s->writes : 0.0);
    log_info("chat: groups: texts %llu, events %llu, frames to members here %llu, group pushes "
             "to other nodes %llu, from other nodes %llu, text commits %llu",
             (unsigned long long)s->group_texts, (unsigned long long)s->group_events,
             (unsigned long long)s->group_frames, (unsigned long long)s->group_pushes_remote,
             (unsigned long long)s->group_pushes_in, (unsigned long long)s->group_text_commits);
    if (s->batches)
        log_info("chat: %llu message batches committed: %llu requests, %llu messages (%.1f a "
                 "batch, at most %llu), %.2f ms a batch in the worker (at most %.2f ms)",
                 (unsigned long long)s->batches, (unsigned long long)s->batch_texts,
                 (unsigned long long)s->batch_rows, (double)s->batch_rows / (double)s->batches,
                 (unsigned long long)s->batch_max_rows,
                 (double)s->batch_us / 1000.0 / (double)s->batches,
                 (double)s->batch_max_us / 1000.0);
}

static int s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    chat_node_t *node = arg;
    chat_net_tick(node);
    chat_presence_tick(node);
    chat_text_tick(node);
    chat_pushq_flush(node->pushq, node->broker, zclock_mono());
    if (node->now_s % STATS_EVERY_S == 0)
        s_log_stats(node);
    if (node->stages && node->now_s % node->cfg.stage_report_s == 0)
        chat_stages_log(node->stages, node->name);
    return 0;
}

/* Stopping, until the lanes are empty and the clients have their acks (bounded by
 * drain_ms): every message accepted before $TERM is committed and acknowledged, or, past the
 * bound, left unacknowledged for its sender to send again; none is acknowledged and lost. */
static bool s_drained(chat_node_t *node)
{
    if ((uint64_t)zclock_mono() >= node->drain_until_ms)
        return true;
    return chat_text_unfinished(node) == 0 && chat_net_unsent(node) == 0;
}

/* The base's drain hook: at $TERM no new connections or requests (1018 from now on); what
 * the lanes hold is committed, acknowledged and delivered before the loop ends. */
static bool s_drain(void *arg, bool first)
{
    chat_node_t *node = arg;
    if (first) {
        node->stopping = true;
        chat_net_stop_accepting(node);
        node->drain_until_ms = (uint64_t)zclock_mono() + node->cfg.drain_ms;
        if (s_drained(node))
            return true;
        log_info("chat: stopping: draining %u messages (at most %u ms)", chat_text_unfinished(node),
                 node->cfg.drain_ms);
        return false;
    }
    if (!s_drained(node))
        return false;
    uint32_t left = chat_text_unfinished(node);
    log_info("chat: drain %s", left ? "out of time" : "done: every accepted message acknowledged");
    return true;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void s_node_destroy(chat_node_t **node_p)
{
    chat_node_t *node = *node_p;
    if (!node)
        return;
    node->stopping = true;
    uint32_t sessions = node->nsessions;
    /* Sessions first (their presence goes to clear_pending and is handed to the workers), then
     * the base stops: the workers finish what they hold, including that clear, and their
     * results come back here (finish_jobs); whatever is left to clear is cleared directly. */
    chat_net_close(node);
    chat_presence_flush(node);
    service_base_stop(node->base);
    chat_group_gates_clear(node);   /* after the last write came back */
    chat_seen_destroy(&node->seen); /* after the workers */
    chat_presence_clear_all_sync(node, &node->clear_pending);
    chat_presence_list_free(&node->clear_pending);
    chat_text_close(node);
    if (node->base)
        s_log_stats(node);
    chat_pushq_destroy(&node->pushq);
    chat_stages_destroy(&node->stages);
    node->broker = NULL;
    service_base_destroy(&node->base); /* DISCONNECT: the broker forgets this node now */
    if (sessions)
        log_info("chat: stopped; %u sessions closed", sessions);
    free(node);
    *node_p = NULL;
}

static chat_node_t *s_node_new(zsock_t *pipe, const service_args_t *args)
{
    chat_node_t *node = calloc(1, sizeof *node);
    if (!node)
        return NULL;
    node->epfd = node->listen_fd = -1;
    chat_umap_init(&node->sessions);
    chat_umap_init(&node->prelogin);
    chat_umap_init(&node->group_gates);
    if (chat_config_load(args->config, &node->cfg) < 0)
        goto fail;
    s_raise_fd_limit();
    /* the listener is bound before the base announces anything: a node whose port is taken
     * is never routed to */
    if (chat_net_open(node) < 0 || chat_text_open(node) < 0)
        goto fail;
    node->seen = chat_seen_new();
    node->pushq = chat_pushq_new(PUSHQ_MAX_ITEMS, PUSHQ_MAX_BYTES, PUSHQ_SETTLE_MS);
    if (!node->seen || !node->pushq)
        goto fail;
    /* before the workers start: they read node->stages */
    if (node->cfg.stage_report_s && !(node->stages = chat_stages_new()))
        goto fail;
    service_base_poller_t net = {{NULL, node->epfd, ZMQ_POLLIN, 0}, chat_net_on_events, node};
    service_base_config_t base = {.name = "chat",
                                  .workers = node->cfg.workers,
                                  .queue = node->cfg.queue_max,
                                  .worker_init = chat_worker_init,
                                  .worker_fini = chat_worker_fini,
                                  .on_message = s_on_broker,
                                  .on_done = chat_job_finish,
                                  .arg = node,
                                  .drain = s_drain,
                                  .finish_jobs = true,
                                  .pollers = &net,
                                  .npollers = 1};
    node->base = service_base_new(pipe, args, &base);
    if (!node->base)
        goto fail;
    node->broker = service_base_client(node->base);
    node->name = broker_client_node(node->broker);
    zloop_t *loop = service_base_loop(node->base);
    /* the first load report goes out as soon as the loop runs, after READY (nothing reaches
     * the broker before it) */
    if (zloop_timer(loop, TICK_MS, 0, s_on_tick, node) < 0 ||
        zloop_timer(loop, (size_t)node->cfg.report_ms, 0, s_on_report, node) < 0 ||
        zloop_timer(loop, 1, 1, s_on_report, node) < 0)
        goto fail;
    return node;
fail:
    s_node_destroy(&node);
    return NULL;
}

void chat_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "chat");
    if (!sargs)
        return;
    chat_node_t *node = s_node_new(pipe, sargs);
    if (!node) {
        service_base_refuse(pipe, "chat");
        return;
    }
    log_info("chat: node %s serving clients on %s:%d (reported as %s:%d), %d workers", node->name,
             node->cfg.host, node->cfg.port, node->cfg.public_host, node->cfg.port,
             node->cfg.workers);
    if (node->cfg.message_id_readback)
        log_info("chat: message ids are read back (chat/message_id_readback)");
    service_base_run(node->base); /* listening and set up: now it may be routed to */
    log_info("chat: node %s stopping", node->name);
    s_node_destroy(&node);
}
