/* service_base.h - the skeleton every service actor shares: one zloop on the actor's thread,
 * the host's pipe ($TERM stops the loop), the broker client, and optionally a worker pool for
 * blocking work with a loop_queue that brings finished work back to the loop thread.
 *
 * A service keeps its own logic (decoding, answers, timers, its worker state) and hands the
 * base its callbacks. The base owns the order of start and stop, which is what must not differ
 * between services:
 *   start: loop, queue, pool (its worker_init runs at once on each worker thread, so the
 *          service's config must be loaded before), broker client; then the pipe reader, the
 *          queue, the client and the service's own pollers are attached to the loop;
 *   $TERM: the loop ends at once, or, with a drain hook, once the hook says the service has
 *          finished what it took on (a graceful stop the service bounds itself);
 *   stop:  (1) refuse new work: service_base_stopping() turns true, service_base_submit() and
 *          service_base_post() fail from then on (the caller finishes its item itself);
 *          (2) answer what already came back (on_left); (3) let the pool finish its queue,
 *          its jobs failing fast on service_base_stopping(); (4) answer what came back
 *          meanwhile; (5) free the queue, the loop and the broker client (which runs no
 *          callbacks any more). With finish_jobs, the queue stays open through (3): the
 *          pool's last results still come back to the loop thread (on_left) in (4).
 * Between service_base_stop() and service_base_destroy() the loop thread may still send final
 * answers through the broker client and stop its own threads that post to the queue.
 *
 * Threads: everything on the actor's thread except service_base_submit(),
 * service_base_post(), service_base_stopping() and service_base_queued(), which any thread may
 * call while the base exists.
 */
#ifndef USCHAT_SERVICE_BASE_H
#define USCHAT_SERVICE_BASE_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/broker_client.h"
#include "uschat/loop_queue.h"
#include "uschat/service.h"
#include "uschat/worker_pool.h"

typedef struct service_base_t service_base_t;

/* A socket or descriptor of the service's own (a listener's epoll set, a pipe) polled by the
 * base's loop beside the pipe, the queue and the broker client. */
typedef struct {
    zmq_pollitem_t item; /* .socket (a libzmq handle) or .fd, and .events; copied */
    zloop_fn *fn;        /* loop thread; -1 ends the loop */
    void *arg;           /* NULL = the config's arg */
} service_base_poller_t;

/* The graceful stop (loop thread). At $TERM the base calls it with first = true: the service
 * stops taking new work and returns true when nothing is left to finish. While it returns
 * false the loop keeps running and the base asks again (first = false) every few
 * milliseconds; the loop ends at the first true. The service bounds its own drain; a $TERM
 * during the drain changes nothing. */
typedef bool(service_base_drain_fn)(void *arg, bool first);

typedef struct {
    const char *name;                        /* "varify": log lines and the pool's thread names */
    int workers;                             /* worker threads; 0 = no pool */
    size_t queue;                            /* most jobs waiting for a worker */
    void *(*worker_init)(void *arg);         /* per worker thread state (worker_arg); may be NULL */
    void (*worker_fini)(void *state);        /* may be NULL */
    broker_client_on_message_fn *on_message; /* inbound REQUEST/NOTIFY; loop thread */
    loop_queue_fn *on_done;       /* an item posted with service_base_post(); NULL = no queue */
    loop_queue_fn *on_left;       /* an item still queued at stop; NULL = on_done */
    void *arg;                    /* handed to every callback */
    void *worker_arg;             /* handed to worker_init; NULL = arg */
    service_base_drain_fn *drain; /* NULL = the loop ends at $TERM */
    bool finish_jobs;             /* the pool's last results come back (see above) */
    const service_base_poller_t *pollers; /* attached at start; may be NULL */
    size_t npollers;
} service_base_config_t;

/* Builds and attaches everything (see above) for the actor behind pipe. NULL, after undoing
 * and with a log line, when any part cannot be made. Caller owns the result. */
service_base_t *service_base_new(zsock_t *pipe, const service_args_t *args,
                                 const service_base_config_t *config);
/* Stops (if service_base_stop() was not called yet), then frees the queue, the loop and the
 * broker client. NULL-safe; NULLs *self_p. */
void service_base_destroy(service_base_t **self_p);

/* Steps (1) to (4) of the stop. Once only; later calls do nothing. */
void service_base_stop(service_base_t *self);

/* Tells the host the actor is ready (zsock_signal 0) and runs the loop until $TERM. */
void service_base_run(service_base_t *self);

zloop_t *service_base_loop(service_base_t *self);
broker_client_t *service_base_client(service_base_t *self);

/* Hands a job to the pool (worker_pool_submit()). 0, -EBUSY when the queue is full, -EINVAL
 * once stopping or without a pool. Any thread. */
int service_base_submit(service_base_t *self, uint64_t key, worker_job_fn *fn, void *job);
/* Hands item to the loop thread (on_done). 0, or -1 once stopping (with finish_jobs: once
 * the pool has finished) (the caller keeps item). Any thread. */
int service_base_post(service_base_t *self, loop_item_t *item);
/* True from the first step of the stop on. Any thread. */
bool service_base_stopping(service_base_t *self);
/* Jobs waiting for a worker (0 without a pool). Any thread; NULL-safe. */
size_t service_base_queued(service_base_t *self);

/* The start of every service's zactor_fn: sets the thread's log node name to args' node (or
 * name when there is none) and returns args, or NULL (with a log line and zsock_signal 1 to
 * the host) when there are none. */
const service_args_t *service_base_enter(zsock_t *pipe, void *args, const char *name);
/* The end of a failed start: logs "<name>: cannot start" and tells the host (zsock_signal 1). */
void service_base_refuse(zsock_t *pipe, const char *name);

#endif
