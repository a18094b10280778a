/* gate.c - the gate service actor (gate.h): start, the loop thread, the handoffs between
 * threads, and an orderly stop.
 *
 * The actor's own thread runs one zloop (service_base.h): the host's pipe, the broker client, a
 * 250 ms timer (broker health, load), and the loop_queue through which MHD and worker threads
 * hand it requests that need a broker round trip. See gate_internal.h for the threads.
 *
 * Stopping without losing or leaking a request: (1) the base refuses every later handoff, so
 * it finishes its request with 1002 at once; (2) requests waiting in the loop queue are
 * finished with 1002; (3) the worker pool drains (its jobs fail fast and finish), and what it
 * handed to the loop meanwhile is finished too; (4) requests waiting for a broker reply are
 * finished with 1002; (5) MHD stops, which frees every request through its completion
 * callback; (6) the broker client goes (after its pending requests were finished by hand:
 * destroying it runs no callbacks).
 */
#include "gate.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include "gate_internal.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/service_base.h"
#include "uschat/service_config.h"

int64_t gate_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void gate_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

void gate_cond_sleep(pthread_cond_t *cond, pthread_mutex_t *lock, const bool *stop, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!*stop && pthread_cond_timedwait(cond, lock, &until) != ETIMEDOUT)
        ;
}

/* ---- handoffs (any thread) ----------------------------------------------------------------- */

static void s_job_run(void *arg, void *state)
{
    gate_req_t *req = arg;
    gate_worker_t *worker = state;
    if (!worker || !worker->db || !worker->redis) {
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    gate_route_work(req, worker);
}

void gate_to_worker(gate_req_t *req, gate_step_t step)
{
    gate_t *gate = req->gate;
    req->step = step;
    int rc = service_base_submit(gate->base, 0, s_job_run, req);
    if (rc == -EBUSY) {
        log_warn("gate: worker queue full (%d queued): answering busy", gate->cfg.queue);
        gate_finish(req, USCHAT_ERR_BUSY);
    } else if (rc != 0) {
        gate_finish(req, USCHAT_ERR_RPC);
    }
}

void gate_to_loop(gate_req_t *req, gate_step_t step)
{
    req->step = step;
    if (service_base_post(req->gate->base, &req->item) != 0)
        gate_finish(req, USCHAT_ERR_RPC);
}

void gate_finish(gate_req_t *req, uint32_t error)
{
    req->error = error;
    req->http_status = MHD_HTTP_OK;
    req->response = gate_route_response(req);
    /* the password is not needed any more, whatever happens next */
    sodium_memzero(req->passwd, sizeof req->passwd);
    req->passwd_len = 0;
    gate_http_resume(req);
}

/* ---- loop thread --------------------------------------------------------------------------- */

static void s_on_request(loop_item_t *item, void *arg)
{
    gate_req_t *req = (gate_req_t *)item;
    gate_route_send(req);
}

static void s_on_broker_message(broker_client_t *client, const envelope_t *env, zframe_t **body,
                                void *arg)
{
    log_warn("gate: %s of type %u from %s: gate takes no requests; ignored",
             envelope_kind_name(env->kind), env->type, env->from);
}

static int s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    gate_t *gate = arg;
    broker_client_t *client = service_base_client(gate->base);
    atomic_store(&gate->broker_ok, broker_client_connected(client));
    broker_client_set_load(client, (uint32_t)service_base_queued(gate->base));
    return 0;
}

/* ---- workers ------------------------------------------------------------------------------- */

static void *s_worker_init(void *arg)
{
    gate_t *gate = arg;
    gate_worker_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->db = db_conn_new(&gate->db_cfg);
    w->redis = redis_conn_new(&gate->redis_cfg);
    return w;
}

static void s_worker_fini(void *state)
{
    gate_worker_t *w = state;
    if (w) {
        db_conn_destroy(&w->db);
        redis_conn_destroy(&w->redis);
        free(w);
    }
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void s_load_config(gate_t *gate, config_t *cfg)
{
    gate_config_t *c = &gate->cfg;
    /* loopback unless configured: the all-in-one local stack stays on this machine */
    c->host = config_str(cfg, "gate/host", "127.0.0.1");
    c->port = (int)config_int(cfg, "gate/port", 8080, 0, 65535);
    c->http_threads = (int)config_int(cfg, "gate/http_threads", 1, 1, 64);
    c->max_connections = (int)config_int(cfg, "gate/max_connections", 1000, 1, 100000);
    c->max_per_address = (int)config_int(cfg, "gate/max_per_address", 32, 1, 100000);
    c->idle_timeout_s = (int)config_int(cfg, "gate/idle_timeout_s", 60, 1, 3600);
    c->request_timeout_ms = (int)config_int(cfg, "gate/request_timeout_ms", 10000, 100, 600000);
    c->workers = (int)config_int(cfg, "gate/workers", 2, 1, 256);
    c->queue = (int)config_int(cfg, "gate/queue", 64, 1, 100000);
    c->argon2_opslimit = (unsigned long long)config_int(cfg, "gate/argon2_opslimit", 2,
                                                        crypto_pwhash_OPSLIMIT_MIN, 100);
    c->argon2_memlimit =
        (size_t)config_int(cfg, "gate/argon2_memlimit_kib", 19456, 8, 4 * 1024 * 1024) * 1024;
    c->varify_timeout_ms = (int)config_int(cfg, "gate/varify_timeout_ms", 15000, 100, 120000);
    c->status_timeout_ms = (int)config_int(cfg, "gate/status_timeout_ms", 3000, 100, 60000);
    c->login_fail_window_s = (int)config_int(cfg, "gate/login_fail_window_s", 300, 1, 86400);
    c->login_fail_max_email = (int)config_int(cfg, "gate/login_fail_max_email", 5, 1, 100000);
    c->login_fail_max_addr = (int)config_int(cfg, "gate/login_fail_max_addr", 30, 1, 1000000);
    c->health_interval_ms = (int)config_int(cfg, "gate/health_interval_ms", 1000, 50, 60000);
    c->files_url = config_str(cfg, "gate/files_url", "");
    service_config_mysql(cfg, &gate->db_cfg);
    service_config_redis(cfg, &gate->redis_cfg);
    /* requests must not wait long for a pooled connection that is down */
    gate->db_cfg.connect_timeout_ms =
        (int)config_int(cfg, "mysql/connect_timeout_ms", 2000, 100, 60000);
}

/* A request the loop still holds at shutdown. */
static void s_on_left(loop_item_t *item, void *arg)
{
    gate_finish((gate_req_t *)item, USCHAT_ERR_RPC);
}

static void s_gate_destroy(gate_t **gate_p)
{
    gate_t *gate = *gate_p;
    if (!gate)
        return;
    service_base_stop(gate->base);
    gate_route_fail_pending(gate);
    /* MHD threads hand requests to the base until they are gone: the base goes last */
    gate_http_stop(gate);
    gate_guard_stop(gate); /* after MHD: it reports its connections closed to the guard */
    gate_health_stop(gate);
    service_base_destroy(&gate->base);
    free(gate);
    *gate_p = NULL;
}

static gate_t *s_gate_new(zsock_t *pipe, const service_args_t *args)
{
    if (sodium_init() < 0)
        return NULL;
    gate_t *gate = calloc(1, sizeof *gate);
    if (!gate)
        return NULL;
    s_load_config(gate, args->config);
    /* a hash to verify unknown emails against, so they cost what a wrong password costs */
    unsigned char random_pwd[16];
    randombytes_buf(random_pwd, sizeof random_pwd);
    if (gate_password_hash(gate, (const char *)random_pwd, sizeof random_pwd, gate->dummy_hash) !=
        0) {
        log_error("gate: Argon2id with opslimit %llu, memlimit %zu KiB fails (out of memory?)",
                  gate->cfg.argon2_opslimit, gate->cfg.argon2_memlimit / 1024);
        free(gate);
        return NULL;
    }
    service_base_config_t base = {.name = "gate",
                                  .workers = gate->cfg.workers,
                                  .queue = (size_t)gate->cfg.queue,
                                  .worker_init = s_worker_init,
                                  .worker_fini = s_worker_fini,
                                  .on_message = s_on_broker_message,
                                  .on_done = s_on_request,
                                  .on_left = s_on_left,
                                  .arg = gate};
    gate->base = service_base_new(pipe, args, &base);
    if (!gate->base || zloop_timer(service_base_loop(gate->base), 250, 0, s_on_tick, gate) == -1) {
        s_gate_destroy(&gate);
        return NULL;
    }
    if (gate_health_start(gate) != 0 || gate_guard_start(gate) != 0 || gate_http_start(gate) != 0) {
        s_gate_destroy(&gate);
        return NULL;
    }
    log_info("gate: ready as node %s on http://%s:%d (%d workers, queue %d; Argon2id opslimit "
             "%llu, memlimit %zu KiB; %d connections, %d per address, %d ms per request)",
             broker_client_node(service_base_client(gate->base)), gate->cfg.host, gate->bound_port,
             gate->cfg.workers, gate->cfg.queue, gate->cfg.argon2_opslimit,
             gate->cfg.argon2_memlimit / 1024, gate->cfg.max_connections, gate->cfg.max_per_address,
             gate->cfg.request_timeout_ms);
    return gate;
}

void gate_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "gate");
    if (!sargs)
        return;
    gate_t *gate = s_gate_new(pipe, sargs);
    if (!gate) {
        service_base_refuse(pipe, "gate");
        return;
    }
    service_base_run(gate->base);
    log_info("gate: stopping");
    s_gate_destroy(&gate);
}
