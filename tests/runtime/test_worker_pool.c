/* test_worker_pool.c - worker_pool.h: jobs of one key run one at a time in submission order
 * while other keys run in parallel, a full queue answers -EBUSY at once, and destroy finishes
 * every queued job before it returns. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "uschat/worker_pool.h"

#define KEYS         40
#define JOBS_PER_KEY 250

typedef struct {
    atomic_int next_seq; /* the seq the next job of this key must carry */
    atomic_int running;  /* jobs of this key running right now */
} key_state_t;

static key_state_t s_keys[KEYS + 1];
static atomic_int s_done;
static atomic_int s_concurrent, s_max_concurrent;
static atomic_int s_inits, s_finis;

typedef struct {
    int key;
    int seq;
} ordered_job_t;

static void s_ordered(void *arg, void *state)
{
    ordered_job_t *job = arg;
    CHECK(state == (void *)&s_inits, "thread state handed to the job");
    key_state_t *k = &s_keys[job->key];
    CHECK(atomic_fetch_add(&k->running, 1) == 0, "two jobs of key %d at once", job->key);
    int now = atomic_fetch_add(&s_concurrent, 1) + 1;
    int max = atomic_load(&s_max_concurrent);
    while (now > max && !atomic_compare_exchange_weak(&s_max_concurrent, &max, now))
        ;
    CHECK(atomic_load(&k->next_seq) == job->seq, "key %d: job %d ran before job %d", job->key,
          job->seq, atomic_load(&k->next_seq));
    if (job->seq % 50 == 0)
        usleep(200); /* let other keys overtake */
    atomic_store(&k->next_seq, job->seq + 1);
    atomic_fetch_sub(&s_concurrent, 1);
    atomic_fetch_sub(&k->running, 1);
    atomic_fetch_add(&s_done, 1);
    free(job);
}

static void *s_init(void *arg)
{
    atomic_fetch_add(&s_inits, 1);
    return arg;
}

static void s_fini(void *state)
{
    CHECK(state == (void *)&s_inits, "fini gets the thread state");
    atomic_fetch_add(&s_finis, 1);
}

static void test_per_key_order(void)
{
    worker_pool_t *pool =
        worker_pool_new("order", 4, KEYS * JOBS_PER_KEY, s_init, s_fini, &s_inits);
    CHECK(pool, "new");
    /* Interleave keys the way requests of many users arrive */
    for (int seq = 0; seq < JOBS_PER_KEY; seq++)
        for (int key = 1; key <= KEYS; key++) {
            ordered_job_t *job = malloc(sizeof *job);
            job->key = key;
            job->seq = seq;
            int rc = worker_pool_submit(pool, (uint64_t)key, s_ordered, job);
            CHECK(rc == 0, "submit %d", rc);
        }
    worker_pool_destroy(&pool);
    CHECK(pool == NULL, "destroy NULLs");
    CHECK(atomic_load(&s_done) == KEYS * JOBS_PER_KEY, "all ran: %d", atomic_load(&s_done));
    for (int key = 1; key <= KEYS; key++)
        CHECK(atomic_load(&s_keys[key].next_seq) == JOBS_PER_KEY, "key %d complete", key);
    CHECK(atomic_load(&s_max_concurrent) > 1, "different keys ran in parallel");
    CHECK(atomic_load(&s_inits) == 4 && atomic_load(&s_finis) == 4, "init/fini once per thread");
}

/* ---- -EBUSY ------------------------------------------------------------------------------ */

static pthread_mutex_t s_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_gate_cond = PTHREAD_COND_INITIALIZER;
static bool s_gate_open, s_blocker_started;
static atomic_int s_counted;

static void s_blocker(void *arg, void *state)
{
    pthread_mutex_lock(&s_gate_lock);
    s_blocker_started = true;
    pthread_cond_broadcast(&s_gate_cond);
    while (!s_gate_open)
        pthread_cond_wait(&s_gate_cond, &s_gate_lock);
    pthread_mutex_unlock(&s_gate_lock);
    atomic_fetch_add(&s_counted, 1);
}

static void s_count(void *arg, void *state)
{
    atomic_fetch_add(&s_counted, 1);
}

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_busy(void)
{
    worker_pool_t *pool = worker_pool_new("busy", 1, 4, NULL, NULL, NULL);
    CHECK(pool, "new");
    CHECK(worker_pool_submit(pool, 0, s_blocker, NULL) == 0, "blocker");
    pthread_mutex_lock(&s_gate_lock);
    while (!s_blocker_started)
        pthread_cond_wait(&s_gate_cond, &s_gate_lock);
    pthread_mutex_unlock(&s_gate_lock);
    /* The running job does not count: four more fit, the fifth is refused at once. */
    for (int i = 0; i < 4; i++)
        CHECK(worker_pool_submit(pool, (uint64_t)(i % 2), s_count, NULL) == 0, "job %d", i);
    CHECK(worker_pool_queued(pool) == 4, "queued %zu", worker_pool_queued(pool));
    double t0 = s_now_ms();
    CHECK(worker_pool_submit(pool, 0, s_count, NULL) == -EBUSY, "full -> -EBUSY");
    CHECK(worker_pool_submit(pool, 7, s_count, NULL) == -EBUSY, "full -> -EBUSY (keyed)");
    CHECK(s_now_ms() - t0 < 50, "submit did not block");
    pthread_mutex_lock(&s_gate_lock);
    s_gate_open = true;
    pthread_cond_broadcast(&s_gate_cond);
    pthread_mutex_unlock(&s_gate_lock);
    worker_pool_destroy(&pool);
    CHECK(atomic_load(&s_counted) == 5, "blocker + 4 ran: %d", atomic_load(&s_counted));
}

/* ---- destroy drains ------------------------------------------------------------------------ */

static worker_pool_t *s_draining;
static atomic_int s_drained, s_refused;

static void s_slow(void *arg, void *state)
{
    usleep(1000);
    if (worker_pool_submit(s_draining, 1, s_count, NULL) == -EINVAL)
        atomic_fetch_add(&s_refused, 1);
    atomic_fetch_add(&s_drained, 1);
}

static void test_destroy_drains(void)
{
    worker_pool_t *pool = worker_pool_new("drain", 2, 1000, NULL, NULL, NULL);
    CHECK(pool, "new");
    s_draining = pool;
    for (int i = 0; i < 200; i++)
        CHECK(worker_pool_submit(pool, (uint64_t)(i % 3), s_slow, NULL) == 0, "submit");
    worker_pool_destroy(&pool); /* returns only when all 200 ran */
    CHECK(atomic_load(&s_drained) == 200, "drained %d", atomic_load(&s_drained));
    CHECK(atomic_load(&s_refused) > 100, "submit during shutdown refused with -EINVAL (%d)",
          atomic_load(&s_refused));
}

static void test_bad_arguments(void)
{
    CHECK(worker_pool_new("x", 0, 10, NULL, NULL, NULL) == NULL, "0 threads");
    CHECK(worker_pool_new("x", 1, 0, NULL, NULL, NULL) == NULL, "0 queue");
    CHECK(worker_pool_submit(NULL, 0, s_count, NULL) == -EINVAL, "NULL pool");
    worker_pool_destroy(NULL);
    worker_pool_t *none = NULL;
    worker_pool_destroy(&none);
}

int main(void)
{
    test_per_key_order();
    test_busy();
    test_destroy_drains();
    test_bad_arguments();
    printf("worker_pool: OK\n");
    return 0;
}
