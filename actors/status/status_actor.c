/* status_actor.c - the status service actor (status.h).
 *
 * One zactor thread runs one zloop (service_base.h): the host's pipe, the broker client, a 500 ms
 * sweep timer (logs nodes that went silent) and the loop_queue of finished jobs. The node table
 * lives on this thread and the node is picked here; storing or deleting the token (Redis) runs on
 * the worker pool, keyed by uid so one user's login and revoke stay in order. Only this thread
 * touches the broker client.
 */
#include "status.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "status_nodes.h"
#include "uschat/broker_client.h"
#include "uschat/client_proto.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/redis_conn.h"
#include "uschat/redis_keys.h"
#include "uschat/service_base.h"
#include "uschat/service_config.h"

#define STATUS_TOKEN_HEX 64

typedef struct {
    service_base_t *base;
    status_nodes_t *nodes;
    redis_config_t redis;
    int token_ttl_s;
    int64_t node_timeout_ms;
    uint64_t logins, refused;
} self_t;

typedef enum { JOB_LOGIN, JOB_REVOKE } job_kind_t;

typedef struct {
    loop_item_t item; /* first: the loop_queue link */
    self_t *self;
    job_kind_t kind;
    envelope_t request;
    uint64_t uid;
    status_pick_t node;
    char token[STATUS_TOKEN_HEX + 1];
    char reason[65];
    char kick_node[ENVELOPE_NODE_MAX]; /* revoke: the node holding the session, "" if none */
    uint32_t error;
} job_t;

static void s_job_free(job_t *job)
{
    sodium_memzero(job->token, sizeof job->token);
    free(job);
}

/* ---- worker threads ------------------------------------------------------------------------ */

static void s_login(self_t *self, redis_conn_t *redis, job_t *job)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(job->token, sizeof job->token, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    char key[REDIS_KEY_MAX], uid[24];
    snprintf(uid, sizeof uid, "%" PRIu64, job->uid);
    redis_key(key, REDIS_KEY_TOKEN, uid);
    /* one SET: the new token replaces the old one, with its lifetime, atomically */
    redisReply *r =
        redis_conn_command(redis, "SET %s %s EX %d", key, job->token, self->token_ttl_s);
    if (!r || r->type != REDIS_REPLY_STATUS) {
        log_error("status: storing the token of uid %" PRIu64 " failed: %s", job->uid,
                  r && r->str ? r->str : redis_conn_error(redis));
        job->error = USCHAT_ERR_RPC;
        sodium_memzero(job->token, sizeof job->token);
    }
    if (r)
        freeReplyObject(r);
}

static void s_revoke(redis_conn_t *redis, job_t *job)
{
    char token[REDIS_KEY_MAX], uip[REDIS_KEY_MAX], uid[24];
    snprintf(uid, sizeof uid, "%" PRIu64, job->uid);
    redis_key(token, REDIS_KEY_TOKEN, uid);
    redis_key(uip, REDIS_KEY_UIP, uid);
    redisReply *r = redis_conn_command(redis, "DEL %s", token);
    if (!r || r->type == REDIS_REPLY_ERROR)
        log_error("status: deleting the token of uid %" PRIu64 " failed: %s", job->uid,
                  r ? r->str : redis_conn_error(redis));
    if (r)
        freeReplyObject(r);
    r = redis_conn_command(redis, "GET %s", uip);
    if (r && r->type == REDIS_REPLY_STRING && r->len > 0 && r->len < sizeof job->kick_node)
        snprintf(job->kick_node, sizeof job->kick_node, "%s", r->str);
    else if (!r || r->type == REDIS_REPLY_ERROR)
        log_error("status: finding the session of uid %" PRIu64 " failed: %s", job->uid,
                  r ? r->str : redis_conn_error(redis));
    if (r)
        freeReplyObject(r);
}

static void s_job_run(void *arg, void *state)
{
    job_t *job = arg;
    self_t *self = job->self;
    redis_conn_t *redis = state; /* redis_conn_worker_init() */
    if (service_base_stopping(self->base) || !redis)
        job->error = USCHAT_ERR_RPC;
    else if (job->kind == JOB_LOGIN)
        s_login(self, redis, job);
    else
        s_revoke(redis, job);
    if (service_base_post(self->base, &job->item) != 0)
        s_job_free(job);
}

/* ---- loop thread --------------------------------------------------------------------------- */

static void s_reply_login(self_t *self, const envelope_t *request, uint32_t error, uint64_t uid,
                          const job_t *job)
{
    msg_status_login_rsp_t m = {.error = error, .uid = uid, .token = "", .host = "", .node = ""};
    if (job && error == USCHAT_ERR_SUCCESS) {
        m.token = (char *)job->token;
        m.host = (char *)job->node.host;
        m.port = job->node.port;
        m.node = (char *)job->node.name;
    }
    uint8_t *body = NULL;
    size_t len = 0;
    if (msg_status_login_rsp_encode(&m, &body, &len) == 0)
        broker_client_reply(service_base_client(self->base), request, MSG_STATUS_LOGIN_RSP, body,
                            len);
    if (body) {
        sodium_memzero(body, len);
        free(body);
    }
}

static void s_on_done(loop_item_t *item, void *arg)
{
    self_t *self = arg;
    job_t *job = (job_t *)item;
    if (job->kind == JOB_LOGIN) {
        s_reply_login(self, &job->request, job->error, job->uid, job);
        if (job->error == USCHAT_ERR_SUCCESS) {
            self->logins++;
            log_debug("status: uid %" PRIu64 " -> node %s (%s:%u)", job->uid, job->node.name,
                      job->node.host, job->node.port);
        }
    } else if (job->kick_node[0]) {
        msg_session_kick_t kick = {.uid = job->uid, .reason = job->reason};
        uint8_t *body = NULL;
        size_t len = 0;
        if (msg_session_kick_encode(&kick, &body, &len) == 0 &&
            broker_client_notify(service_base_client(self->base), "chat", job->kick_node,
                                 MSG_SESSION_KICK, body, len) == 0)
            log_info("status: uid %" PRIu64 " revoked (%s); session on %s kicked", job->uid,
                     job->reason, job->kick_node);
        free(body);
    } else {
        log_info("status: uid %" PRIu64 " revoked (%s); no live session", job->uid, job->reason);
    }
    s_job_free(job);
}

static int s_submit(self_t *self, job_t *job)
{
    if (service_base_submit(self->base, job->uid | (1ULL << 63), s_job_run, job) == 0)
        return 0;
    log_warn("status: worker queue full");
    return -1;
}

static void s_on_report(self_t *self, const uint8_t *data, size_t size)
{
    msg_status_node_report_t m = {0};
    if (msg_status_node_report_decode(data, size, &m) != 0) {
        log_warn("status: undecodable node report ignored");
        return;
    }
    if (m.port == 0 || m.port > 65535 || !*m.node || !*m.host) {
        log_warn("status: node report with an empty name or host or a bad port ignored");
    } else if (status_nodes_report(self->nodes, m.node, m.host, m.port, m.connections,
                                   zclock_mono())) {
        log_info("status: chat node %s live at %s:%u (%u connections)", m.node, m.host, m.port,
                 m.connections);
    }
    msg_status_node_report_clear(&m);
}

static void s_on_login(self_t *self, const envelope_t *env, const uint8_t *data, size_t size)
{
    msg_status_login_t m = {0};
    if (msg_status_login_decode(data, size, &m) != 0 || m.uid == 0) {
        s_reply_login(self, env, USCHAT_ERR_JSON, 0, NULL);
        return;
    }
    job_t *job = calloc(1, sizeof *job);
    if (!job) {
        s_reply_login(self, env, USCHAT_ERR_BUSY, m.uid, NULL);
        return;
    }
    int64_t now = zclock_mono();
    if (status_nodes_pick(self->nodes, now, &job->node) != 0) {
        self->refused++;
        log_warn("status: login of uid %" PRIu64 " refused: no live chat node (%zu known, none "
                 "reported in the last %lld ms)",
                 m.uid, status_nodes_known(self->nodes), (long long)self->node_timeout_ms);
        s_reply_login(self, env, USCHAT_ERR_RPC, m.uid, NULL);
        free(job);
        return;
    }
    job->self = self;
    job->kind = JOB_LOGIN;
    job->request = *env;
    job->uid = m.uid;
    if (s_submit(self, job) != 0) {
        s_reply_login(self, env, USCHAT_ERR_BUSY, m.uid, NULL);
        free(job);
    }
}

static void s_on_revoke(self_t *self, const uint8_t *data, size_t size)
{
    msg_status_revoke_t m = {0};
    if (msg_status_revoke_decode(data, size, &m) != 0 || m.uid == 0) {
        log_warn("status: undecodable revoke ignored");
        msg_status_revoke_clear(&m);
        return;
    }
    job_t *job = calloc(1, sizeof *job);
    if (job) {
        job->self = self;
        job->kind = JOB_REVOKE;
        job->uid = m.uid;
        snprintf(job->reason, sizeof job->reason, "%s",
                 m.reason && *m.reason ? m.reason : "revoked");
        if (s_submit(self, job) != 0) {
            log_error("status: revoke of uid %" PRIu64 " dropped: queue full", m.uid);
            free(job);
        }
    }
    msg_status_revoke_clear(&m);
}

static void s_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    self_t *self = arg;
    const uint8_t *data = *body ? zframe_data(*body) : NULL;
    size_t size = *body ? zframe_size(*body) : 0;
    switch (env->type) {
    case MSG_STATUS_NODE_REPORT:
        s_on_report(self, data, size);
        break;
    case MSG_STATUS_LOGIN:
        if (env->kind == ENVELOPE_REQUEST)
            s_on_login(self, env, data, size);
        break;
    case MSG_STATUS_REVOKE:
        s_on_revoke(self, data, size);
        break;
    default:
        log_warn("status: %s of type %u from %s is not for status; ignored",
                 envelope_kind_name(env->kind), env->type, env->from);
    }
}

static void s_on_silent(const char *name, int64_t silent_ms, void *arg)
{
    log_warn("status: chat node %s silent for %lld ms: not handed out any more", name,
             (long long)silent_ms);
}

static int s_on_sweep(zloop_t *loop, int timer_id, void *arg)
{
    self_t *self = arg;
    /* forget a node after a minute of silence; it comes back with its next report */
    status_nodes_sweep(self->nodes, zclock_mono(), 60000, s_on_silent, self);
    broker_client_set_load(service_base_client(self->base),
                           (uint32_t)service_base_queued(self->base));
    return 0;
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void s_self_destroy(self_t **self_p)
{
    self_t *self = *self_p;
    if (!self)
        return;
    service_base_destroy(&self->base);
    status_nodes_destroy(&self->nodes);
    free(self);
    *self_p = NULL;
}

static self_t *s_self_new(zsock_t *pipe, const service_args_t *args)
{
    self_t *self = calloc(1, sizeof *self);
    if (!self || sodium_init() < 0) {
        free(self);
        return NULL;
    }
    config_t *cfg = args->config;
    service_config_redis(cfg, &self->redis);
    self->token_ttl_s = (int)config_int(cfg, "status/token_ttl_s", 7 * 86400, 10, 365 * 86400);
    self->node_timeout_ms = config_int(cfg, "status/node_timeout_ms", 3000, 100, 600000);
    int workers = (int)config_int(cfg, "status/workers", 1, 1, 64);
    int queue = (int)config_int(cfg, "status/queue", 1024, 1, 100000);
    self->nodes = status_nodes_new(self->node_timeout_ms);
    service_base_config_t base = {.name = "status",
                                  .workers = workers,
                                  .queue = (size_t)queue,
                                  .worker_init = redis_conn_worker_init,
                                  .worker_fini = redis_conn_worker_fini,
                                  .on_message = s_on_message,
                                  .on_done = s_on_done,
                                  .arg = self,
                                  .worker_arg = &self->redis};
    if (self->nodes)
        self->base = service_base_new(pipe, args, &base);
    if (!self->base || zloop_timer(service_base_loop(self->base), 500, 0, s_on_sweep, self) == -1) {
        s_self_destroy(&self);
        return NULL;
    }
    log_info("status: ready as node %s; tokens live %d s; a chat node silent for %lld ms is not "
             "handed out",
             broker_client_node(service_base_client(self->base)), self->token_ttl_s,
             (long long)self->node_timeout_ms);
    return self;
}

void status_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "status");
    if (!sargs)
        return;
    self_t *self = s_self_new(pipe, sargs);
    if (!self) {
        service_base_refuse(pipe, "status");
        return;
    }
    service_base_run(self->base);
    log_info("status: stopping after %llu logins (%llu refused: no live node)",
             (unsigned long long)self->logins, (unsigned long long)self->refused);
    s_self_destroy(&self);
}
