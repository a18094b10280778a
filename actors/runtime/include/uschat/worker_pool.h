/* worker_pool.h - a fixed set of threads with a bounded job queue, for blocking work (MySQL,
 * SMTP, Argon2) that must never run on a thread serving sockets.
 *
 * worker_pool_submit() never blocks: when the queue is full it returns -EBUSY and the caller
 * answers "server busy" (1018). Jobs with the same non-zero key run in submission order, one at
 * a time (one user's requests in order); jobs with key 0 run in any order. Results go back to
 * the submitting loop by whatever the job does (e.g. a zsock or a pipe): the pool knows nothing
 * of them. worker_pool_destroy() finishes the jobs already queued, then joins the threads.
 */
#ifndef USCHAT_WORKER_POOL_H
#define USCHAT_WORKER_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct worker_pool_t worker_pool_t;
typedef void(worker_job_fn)(void *job_arg, void *thread_state);

/* thread_init runs once in each worker thread and returns its thread_state (e.g. a MySQL
 * connection); thread_fini releases it. Both may be NULL. Caller owns the result. */
worker_pool_t *worker_pool_new(const char *name, int threads, size_t queue_max,
                               void *(*thread_init)(void *arg), void (*thread_fini)(void *state),
                               void *init_arg);
void worker_pool_destroy(worker_pool_t **self_p);

/* Returns 0, or -EBUSY when the queue is full, -EINVAL after shutdown began. */
int worker_pool_submit(worker_pool_t *self, uint64_t key, worker_job_fn *fn, void *job_arg);
size_t worker_pool_queued(worker_pool_t *self);

#endif
