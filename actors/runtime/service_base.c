/* service_base.c - the loop, pipe, broker client, worker pool and loop queue of a service actor,
 * started and stopped in one order for every service (service_base.h).
 *
 * Created, run and destroyed on the actor's own thread. Worker threads and other threads of the
 * service (e.g. HTTP) call service_base_submit() and service_base_post(): the lock makes
 * "not stopping yet, so submit" one step, so no job reaches a pool that is being drained.
 */
#include "uschat/service_base.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "uschat/log.h"

struct service_base_t {
    service_base_config_t cfg;
    zsock_t *pipe;
    zloop_t *loop;
    broker_client_t *client;
    worker_pool_t *pool;
    loop_queue_t *queue;
    pthread_mutex_t lock; /* guards `stopping` against submits racing with the stop */
    atomic_bool stopping;
    bool stopped;
    bool draining; /* $TERM came and the drain hook is not done yet */
};

#define DRAIN_POLL_MS 5

static int s_on_drain(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    service_base_t *self = arg;
    return self->cfg.drain(self->cfg.arg, false) ? -1 : 0;
}

static int s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    service_base_t *self = arg;
    char *command = zstr_recv(pipe);
    if (!command)
        return -1; /* interrupted: stop */
    bool term = streq(command, "$TERM");
    if (!term)
        log_warn("%s: unknown command %s", self->cfg.name, command);
    zstr_free(&command);
    if (!term || self->draining)
        return 0;
    if (!self->cfg.drain || self->cfg.drain(self->cfg.arg, true))
        return -1;
    self->draining = true;
    return zloop_timer(loop, DRAIN_POLL_MS, 0, s_on_drain, self) < 0 ? -1 : 0;
}

static bool s_attach_pollers(service_base_t *self)
{
    for (size_t i = 0; i < self->cfg.npollers; i++) {
        const service_base_poller_t *p = &self->cfg.pollers[i];
        zmq_pollitem_t item = p->item; /* zloop keeps a copy */
        if (zloop_poller(self->loop, &item, p->fn, p->arg ? p->arg : self->cfg.arg) < 0)
            return false;
    }
    return true;
}

/* Hands every item still queued to on_left (the queue is closed: nothing new arrives). */
static void s_answer_left(service_base_t *self)
{
    if (!self->queue)
        return;
    loop_queue_fn *fn = self->cfg.on_left ? self->cfg.on_left : self->cfg.on_done;
    loop_item_t *left = loop_queue_take(self->queue);
    while (left) {
        loop_item_t *next = left->next;
        left->next = NULL;
        fn(left, self->cfg.arg);
        left = next;
    }
}

service_base_t *service_base_new(zsock_t *pipe, const service_args_t *args,
                                 const service_base_config_t *config)
{
    service_base_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *config;
    self->pipe = pipe;
    pthread_mutex_init(&self->lock, NULL);
    self->loop = zloop_new();
    bool made = self->loop != NULL;
    if (made && config->on_done)
        made = (self->queue = loop_queue_new()) != NULL;
    if (made && config->workers > 0)
        made = (self->pool =
                    worker_pool_new(config->name, config->workers, config->queue,
                                    config->worker_init, config->worker_fini,
                                    config->worker_arg ? config->worker_arg : config->arg)) != NULL;
    if (made)
        made = (self->client = service_broker_connect(args)) != NULL;
    if (made) {
        /* the host decides when the actor stops ($TERM), not a signal seen by CZMQ */
        zloop_set_nonstop(self->loop, true);
        made =
            zloop_reader(self->loop, pipe, s_on_pipe, self) == 0 &&
            (!self->queue ||
             loop_queue_attach(self->queue, self->loop, config->on_done, config->arg) == 0) &&
            broker_client_attach(self->client, self->loop, config->on_message, config->arg) == 0 &&
            s_attach_pollers(self);
    }
    self->cfg.pollers = NULL; /* attached: the caller's array is not needed any more */
    self->cfg.npollers = 0;
    if (!made) {
        log_error("%s: cannot set up its loop, worker pool or broker client", config->name);
        service_base_destroy(&self);
    }
    return self;
}

void service_base_stop(service_base_t *self)
{
    if (!self || self->stopped)
        return;
    self->stopped = true;
    pthread_mutex_lock(&self->lock);
    atomic_store(&self->stopping, true);
    pthread_mutex_unlock(&self->lock);
    if (self->queue && !self->cfg.finish_jobs)
        loop_queue_close(self->queue);
    s_answer_left(self);
    worker_pool_destroy(&self->pool);
    if (self->queue)
        loop_queue_close(self->queue);
    s_answer_left(self);
}

void service_base_destroy(service_base_t **self_p)
{
    service_base_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    service_base_stop(self);
    loop_queue_destroy(&self->queue); /* it detaches from the loop: before the loop goes */
    /* the loop before the client: the client does not touch it, and nothing runs after this */
    zloop_destroy(&self->loop);
    broker_client_destroy(&self->client);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void service_base_run(service_base_t *self)
{
    broker_client_announce(self->client);
    zsock_signal(self->pipe, 0);
    zloop_start(self->loop);
}

zloop_t *service_base_loop(service_base_t *self)
{
    return self->loop;
}

broker_client_t *service_base_client(service_base_t *self)
{
    return self->client;
}

int service_base_submit(service_base_t *self, uint64_t key, worker_job_fn *fn, void *job)
{
    pthread_mutex_lock(&self->lock);
    int rc = atomic_load(&self->stopping) || !self->pool
                 ? -EINVAL
                 : worker_pool_submit(self->pool, key, fn, job);
    pthread_mutex_unlock(&self->lock);
    return rc;
}

int service_base_post(service_base_t *self, loop_item_t *item)
{
    return self->queue ? loop_queue_post(self->queue, item) : -1;
}

bool service_base_stopping(service_base_t *self)
{
    return atomic_load(&self->stopping);
}

size_t service_base_queued(service_base_t *self)
{
    if (!self)
        return 0;
    /* once stopping, the pool may be draining or gone: it is not touched any more */
    pthread_mutex_lock(&self->lock);
    size_t queued =
        self->pool && !atomic_load(&self->stopping) ? worker_pool_queued(self->pool) : 0;
    pthread_mutex_unlock(&self->lock);
    return queued;
}

const service_args_t *service_base_enter(zsock_t *pipe, void *args, const char *name)
{
    const service_args_t *sargs = args;
    log_set_node(sargs && sargs->node ? sargs->node : name);
    if (!sargs)
        service_base_refuse(pipe, name);
    return sargs;
}

void service_base_refuse(zsock_t *pipe, const char *name)
{
    log_error("%s: cannot start", name);
    zsock_signal(pipe, 1);
}
