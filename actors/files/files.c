/* files.c - the files service actor (files.h): config, start and stop, the login token check,
 * the set of uploads being written, and the sweep of abandoned uploads.
 *
 * The actor's own thread runs the base's zloop (the host's pipe, the broker client) with two
 * timers: the broker load report and the sweep, which removes every upload untouched for
 * files/upload_ttl_s (its row and its staged bytes) unless a request is writing it. The HTTP
 * threads are libmicrohttpd's (files_http.c).
 */
#include "files.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "files_internal.h"
#include "uschat/log.h"
#include "uschat/redis_keys.h"
#include "uschat/service_config.h"

#define S_TOKEN_LEN 64

bool files_busy_take(files_t *self, const char *id, int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&self->lock);
    bool taken = false;
    for (;;) {
        if (!zhashx_lookup(self->busy, id)) {
            taken = zhashx_insert(self->busy, id, (void *)1) == 0;
            break;
        }
        if (pthread_cond_timedwait(&self->idle, &self->lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&self->lock);
    return taken;
}

void files_busy_drop(files_t *self, const char *id)
{
    pthread_mutex_lock(&self->lock);
    zhashx_delete(self->busy, id);
    pthread_cond_broadcast(&self->idle);
    pthread_mutex_unlock(&self->lock);
}

unsigned files_auth(files_t *self, struct MHD_Connection *conn, uint64_t *uid)
{
    const char *uid_text = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Uschat-Uid");
    const char *token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Uschat-Token");
    if (!uid_text || !token || files_parse_u64(uid_text, uid) != 0 || *uid == 0 ||
        strlen(token) != S_TOKEN_LEN)
        return MHD_HTTP_UNAUTHORIZED;
    char key[REDIS_KEY_MAX];
    snprintf(key, sizeof key, REDIS_KEY_TOKEN "%" PRIu64, *uid);
    pthread_mutex_lock(&self->redis_lock);
    redisReply *r = redis_conn_command(self->redis, "GET %s", key);
    pthread_mutex_unlock(&self->redis_lock);
    unsigned status = MHD_HTTP_UNAUTHORIZED;
    if (redis_reply_is_error(r))
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
    else if (r->type == REDIS_REPLY_STRING && r->len == S_TOKEN_LEN &&
             sodium_memcmp(r->str, token, S_TOKEN_LEN) == 0)
        status = 0;
    if (r)
        freeReplyObject(r);
    return status;
}

/* ---- the actor's thread ---------------------------------------------------------------------- */

#define S_SWEEP_BATCH 256

static int s_on_sweep(zloop_t *loop, int timer_id, void *arg)
{
    files_t *self = arg;
    char ids[S_SWEEP_BATCH][FILES_ID_LEN + 1];
    int n = files_db_stale(self->sweep_db, (int64_t)time(NULL) - self->cfg.upload_ttl_s, ids,
                           S_SWEEP_BATCH);
    if (n < 0) {
        log_warn("files: sweep: %s", db_strerror(n));
        return 0;
    }
    int removed = 0;
    for (int i = 0; i < n; i++) {
        if (!files_busy_take(self, ids[i], 0))
            continue; /* a request is writing it: not abandoned */
        char path[600];
        if (files_db_upload_delete(self->sweep_db, ids[i]) == 0) {
            unlink(files_store_part_path(self->store, ids[i], path));
            removed++;
        }
        files_busy_drop(self, ids[i]);
    }
    if (removed) {
        atomic_fetch_add(&self->swept, (unsigned long long)removed);
        log_info("files: sweep removed %d upload(s) untouched for %d s", removed,
                 self->cfg.upload_ttl_s);
    }
    return 0;
}

static int s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    files_t *self = arg;
    const union MHD_DaemonInfo *info =
        self->httpd ? MHD_get_daemon_info(self->httpd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
    broker_client_set_load(service_base_client(self->base), info ? info->num_connections : 0);
    return 0;
}

static void s_on_broker_message(broker_client_t *client, const envelope_t *env, zframe_t **body,
                                void *arg)
{
    log_warn("files: %s of type %u from %s: files takes no broker requests; ignored",
             envelope_kind_name(env->kind), env->type, env->from);
}

static void s_load_config(files_t *self, config_t *cfg)
{
    files_config_t *c = &self->cfg;
    c->host = config_str(cfg, "files/host", "127.0.0.1");
    c->port = (int)config_int(cfg, "files/port", 8090, 0, 65535);
    c->max_connections = (int)config_int(cfg, "files/max_connections", 256, 1, 10000);
    c->max_per_address = (int)config_int(cfg, "files/max_per_address", 64, 1, 10000);
    c->idle_timeout_s = (int)config_int(cfg, "files/idle_timeout_s", 60, 1, 3600);
    c->max_size = (uint64_t)config_int(cfg, "files/max_size", 100 * 1024 * 1024, 1, INT64_MAX);
    c->quota = (uint64_t)config_int(cfg, "files/quota", 1024LL * 1024 * 1024, 1, INT64_MAX);
    c->allowed_types = config_str(cfg, "files/allowed_types",
                                  "image/* audio/* video/* text/plain application/pdf "
                                  "application/zip application/octet-stream");
    c->upload_ttl_s = (int)config_int(cfg, "files/upload_ttl_s", 86400, 1, 365 * 86400);
    c->sweep_interval_s = (int)config_int(cfg, "files/sweep_interval_s", 300, 1, 86400);
    c->store.dir = config_str(cfg, "files/dir", "var/files");
    c->store.backend = config_str(cfg, "files/backend", "local");
    c->store.s3_endpoint = config_str(cfg, "files/s3_endpoint", "");
    c->store.s3_bucket = config_str(cfg, "files/s3_bucket", "uschat-files");
    c->store.s3_region = config_str(cfg, "files/s3_region", "us-east-1");
    c->store.s3_access_key = config_str(cfg, "files/s3_access_key", "");
    c->store.s3_secret_key = config_str(cfg, "files/s3_secret_key", "");
    service_config_mysql(cfg, &self->db_cfg);
    service_config_redis(cfg, &self->redis_cfg);
}

static void s_files_destroy(files_t **self_p)
{
    files_t *self = *self_p;
    if (!self)
        return;
    service_base_stop(self->base);
    /* MHD's completion callbacks save each cut upload's progress: the pool must outlive it */
    files_http_stop(self);
    service_base_destroy(&self->base);
    files_store_destroy(&self->store);
    db_conn_destroy(&self->sweep_db);
    db_pool_destroy(&self->db);
    redis_conn_destroy(&self->redis);
    zhashx_destroy(&self->busy);
    pthread_cond_destroy(&self->idle);
    pthread_mutex_destroy(&self->lock);
    pthread_mutex_destroy(&self->redis_lock);
    free(self);
    *self_p = NULL;
}

static files_t *s_files_new(zsock_t *pipe, const service_args_t *args)
{
    if (sodium_init() < 0)
        return NULL;
    files_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    pthread_mutex_init(&self->redis_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->idle, &attr);
    pthread_condattr_destroy(&attr);
    s_load_config(self, args->config);
    self->busy = zhashx_new();
    self->redis = redis_conn_new(&self->redis_cfg);
    self->db = db_pool_new(&self->db_cfg);
    self->sweep_db = db_conn_new(&self->db_cfg);
    self->store = files_store_new(&self->cfg.store);
    service_base_config_t base = {.name = "files", .on_message = s_on_broker_message, .arg = self};
    if (self->busy && self->redis && self->db && self->sweep_db && self->store)
        self->base = service_base_new(pipe, args, &base);
    if (!self->base) {
        s_files_destroy(&self);
        return NULL;
    }
    zloop_t *loop = service_base_loop(self->base);
    if (zloop_timer(loop, 250, 0, s_on_tick, self) == -1 ||
        zloop_timer(loop, (size_t)self->cfg.sweep_interval_s * 1000, 0, s_on_sweep, self) == -1 ||
        files_http_start(self) != 0) {
        s_files_destroy(&self);
        return NULL;
    }
    log_info("files: ready as node %s on http://%s:%d (%s store in %s; files up to %" PRIu64
             " bytes, %" PRIu64 " per user; uploads kept %d s)",
             broker_client_node(service_base_client(self->base)), self->cfg.host, self->bound_port,
             self->cfg.store.backend, self->cfg.store.dir, self->cfg.max_size, self->cfg.quota,
             self->cfg.upload_ttl_s);
    return self;
}

void files_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "files");
    if (!sargs)
        return;
    files_t *self = s_files_new(pipe, sargs);
    if (!self) {
        service_base_refuse(pipe, "files");
        return;
    }
    service_base_run(self->base);
    log_info("files: stopping after %llu uploads, %llu downloads",
             (unsigned long long)atomic_load(&self->uploads),
             (unsigned long long)atomic_load(&self->downloads));
    s_files_destroy(&self);
}
