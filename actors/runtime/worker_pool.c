/* worker_pool.c - fixed worker threads with a bounded queue and per-key ordering
 * (worker_pool.h).
 *
 * worker_pool_submit() is called from an actor's loop thread and never blocks beyond a short
 * mutex; jobs run on the pool's own threads. Ordering per key works without scanning: a key
 * that has a job queued or running owns a small "lane" (found by hash). Only the lane's first
 * job sits in the shared ready queue; the others wait in the lane and the worker that finishes
 * a job of that key moves the next one to the ready queue. So jobs of one key run one at a
 * time, in submission order, and never hold a worker idle waiting for each other.
 */
#include "uschat/worker_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/log.h"

typedef struct job_t job_t;
struct job_t {
    uint64_t key;
    worker_job_fn *fn;
    void *arg;
    job_t *next;
};

typedef struct lane_t lane_t;
struct lane_t {
    uint64_t key;
    job_t *head, *tail; /* jobs of this key not yet in the ready queue */
    lane_t *hnext;
};

typedef struct {
    worker_pool_t *pool;
    pthread_t thread;
    int index;
    bool started;
} worker_t;

struct worker_pool_t {
    char name[32];
    char node[64]; /* the creator's log name, shown by the workers too */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job_t *ready_head, *ready_tail;
    size_t queued; /* jobs not started yet: ready queue plus lanes */
    size_t queue_max;
    bool stopping;
    lane_t **lanes;
    size_t lane_buckets, lane_count;
    worker_t *workers;
    int threads;
    void *(*thread_init)(void *arg);
    void (*thread_fini)(void *state);
    void *init_arg;
};

static size_t s_lane_bucket(worker_pool_t *self, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (self->lane_buckets - 1);
}

static lane_t *s_lane_find(worker_pool_t *self, uint64_t key)
{
    for (lane_t *l = self->lanes[s_lane_bucket(self, key)]; l; l = l->hnext)
        if (l->key == key)
            return l;
    return NULL;
}

static void s_lane_grow(worker_pool_t *self)
{
    size_t count = self->lane_buckets * 2;
    lane_t **lanes = calloc(count, sizeof *lanes);
    if (!lanes)
        return; /* longer chains, still correct */
    lane_t **old = self->lanes;
    size_t old_count = self->lane_buckets;
    self->lanes = lanes;
    self->lane_buckets = count;
    for (size_t i = 0; i < old_count; i++) {
        lane_t *l = old[i];
        while (l) {
            lane_t *next = l->hnext;
            size_t b = s_lane_bucket(self, l->key);
            l->hnext = lanes[b];
            lanes[b] = l;
            l = next;
        }
    }
    free(old);
}

static void s_lane_remove(worker_pool_t *self, lane_t *lane)
{
    lane_t **link = &self->lanes[s_lane_bucket(self, lane->key)];
    while (*link && *link != lane)
        link = &(*link)->hnext;
    if (*link)
        *link = lane->hnext;
    self->lane_count--;
    free(lane);
}

static void s_ready_push(worker_pool_t *self, job_t *job)
{
    job->next = NULL;
    if (self->ready_tail)
        self->ready_tail->next = job;
    else
        self->ready_head = job;
    self->ready_tail = job;
}

static job_t *s_ready_pop(worker_pool_t *self)
{
    job_t *job = self->ready_head;
    if (job) {
        self->ready_head = job->next;
        if (!self->ready_head)
            self->ready_tail = NULL;
    }
    return job;
}

/* A job of key finished: its next job (if any) becomes ready, or the lane goes away. */
static void s_key_done(worker_pool_t *self, uint64_t key)
{
    lane_t *lane = s_lane_find(self, key);
    if (!lane)
        return;
    job_t *next = lane->head;
    if (next) {
        lane->head = next->next;
        if (!lane->head)
            lane->tail = NULL;
        s_ready_push(self, next);
        pthread_cond_signal(&self->wake);
    } else {
        s_lane_remove(self, lane);
    }
}

static void *s_worker(void *arg)
{
    worker_t *worker = arg;
    worker_pool_t *self = worker->pool;
    char node[128];
    snprintf(node, sizeof node, "%s%s%s.%d", self->node, *self->node ? "/" : "", self->name,
             worker->index);
    log_set_node(node);
    char thread_name[16];
    snprintf(thread_name, sizeof thread_name, "%.11s-%d", self->name, worker->index);
    pthread_setname_np(pthread_self(), thread_name);

    void *state = self->thread_init ? self->thread_init(self->init_arg) : NULL;

    pthread_mutex_lock(&self->lock);
    for (;;) {
        job_t *job = s_ready_pop(self);
        if (!job) {
            /* Jobs may still wait in lanes behind a running one: keep going until all is
             * done, even while stopping. */
            if (self->stopping && self->queued == 0)
                break;
            pthread_cond_wait(&self->wake, &self->lock);
            continue;
        }
        self->queued--;
        pthread_mutex_unlock(&self->lock);
        job->fn(job->arg, state);
        pthread_mutex_lock(&self->lock);
        if (job->key)
            s_key_done(self, job->key);
        free(job);
        if (self->stopping && self->queued == 0)
            pthread_cond_broadcast(&self->wake);
    }
    pthread_mutex_unlock(&self->lock);

    if (self->thread_fini)
        self->thread_fini(state);
    return NULL;
}

worker_pool_t *worker_pool_new(const char *name, int threads, size_t queue_max,
                               void *(*thread_init)(void *arg), void (*thread_fini)(void *state),
                               void *init_arg)
{
    if (threads < 1 || threads > 256 || queue_max < 1)
        return NULL;
    worker_pool_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->name, sizeof self->name, "%s", name && *name ? name : "worker");
    snprintf(self->node, sizeof self->node, "%s", log_node());
    self->queue_max = queue_max;
    self->thread_init = thread_init;
    self->thread_fini = thread_fini;
    self->init_arg = init_arg;
    self->lane_buckets = 64;
    self->lanes = calloc(self->lane_buckets, sizeof *self->lanes);
    self->workers = calloc((size_t)threads, sizeof *self->workers);
    if (!self->lanes || !self->workers || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self->lanes);
        free(self->workers);
        free(self);
        return NULL;
    }
    if (pthread_cond_init(&self->wake, NULL) != 0) {
        pthread_mutex_destroy(&self->lock);
        free(self->lanes);
        free(self->workers);
        free(self);
        return NULL;
    }
    for (int i = 0; i < threads; i++) {
        worker_t *worker = &self->workers[i];
        worker->pool = self;
        worker->index = i;
        if (pthread_create(&worker->thread, NULL, s_worker, worker) != 0) {
            log_error("worker pool %s: cannot start thread %d", self->name, i);
            worker_pool_destroy(&self);
            return NULL;
        }
        worker->started = true;
        self->threads = i + 1;
    }
    return self;
}

void worker_pool_destroy(worker_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    worker_pool_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_broadcast(&self->wake);
    pthread_mutex_unlock(&self->lock);
    for (int i = 0; i < self->threads; i++)
        if (self->workers[i].started)
            pthread_join(self->workers[i].thread, NULL);

    /* Only reachable when no thread could start: nothing ran the queue. */
    job_t *job;
    while ((job = s_ready_pop(self)))
        free(job);
    for (size_t i = 0; i < self->lane_buckets; i++) {
        lane_t *l = self->lanes[i];
        while (l) {
            lane_t *next = l->hnext;
            for (job_t *j = l->head; j;) {
                job_t *jn = j->next;
                free(j);
                j = jn;
            }
            free(l);
            l = next;
        }
    }
    free(self->lanes);
    free(self->workers);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int worker_pool_submit(worker_pool_t *self, uint64_t key, worker_job_fn *fn, void *job_arg)
{
    if (!self || !fn)
        return -EINVAL;
    job_t *job = malloc(sizeof *job);
    if (!job)
        return -ENOMEM;
    job->key = key;
    job->fn = fn;
    job->arg = job_arg;
    job->next = NULL;

    pthread_mutex_lock(&self->lock);
    int rc = 0;
    if (self->stopping) {
        rc = -EINVAL;
    } else if (self->queued >= self->queue_max) {
        rc = -EBUSY;
    } else if (key == 0) {
        s_ready_push(self, job);
    } else {
        lane_t *lane = s_lane_find(self, key);
        if (lane) {
            /* A job of this key is ready or running: wait behind it. */
            if (lane->tail)
                lane->tail->next = job;
            else
                lane->head = job;
            lane->tail = job;
        } else if ((lane = calloc(1, sizeof *lane)) != NULL) {
            lane->key = key;
            size_t b = s_lane_bucket(self, key);
            lane->hnext = self->lanes[b];
            self->lanes[b] = lane;
            if (++self->lane_count > self->lane_buckets)
                s_lane_grow(self);
            s_ready_push(self, job);
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0) {
        self->queued++;
        pthread_cond_signal(&self->wake);
    }
    pthread_mutex_unlock(&self->lock);
    if (rc != 0)
        free(job);
    return rc;
}

size_t worker_pool_queued(worker_pool_t *self)
{
    if (!self)
        return 0;
    pthread_mutex_lock(&self->lock);
    size_t queued = self->queued;
    pthread_mutex_unlock(&self->lock);
    return queued;
}
