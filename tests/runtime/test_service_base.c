/* test_service_base.c - service_base.h on its own: a service actor with a drain hook, a poller
 * of its own (a pipe) and finish_jobs, started and stopped as uschatd does (zactor, $TERM).
 *
 * No broker runs: the broker client connects in the background and nothing here needs an
 * answer. Checks that the loop keeps serving the service's poller while the drain hook says
 * "not yet", that a second $TERM during the drain changes nothing, that the loop ends at the
 * hook's first "done", and that a job still running in the pool at the stop comes back to the
 * loop thread (finish_jobs) instead of being lost.
 */
#include <czmq.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "test_support.h"
#include "uschat/config.h"
#include "uschat/log.h"
#include "uschat/service_base.h"

#define LIMIT_MS 10000 /* a bound for every wait: a failure ends the test, never hangs it */

typedef struct {
    service_base_t *base;
    int pipe_fd[2];
    pthread_t loop_thread;
    /* loop thread */
    int polled;           /* bytes read by the poller */
    int drain_first;      /* drain hook calls with first = true */
    int drain_asks;       /* and with first = false */
    bool drain_timed_out; /* the hook gave up waiting for the second byte */
    int64_t drain_start_ms;
    int done;               /* jobs back on the loop thread */
    bool done_on_loop;      /* ... and all of them on it */
    atomic_int job_waited;  /* 1: the job saw the stop begin before it finished */
    atomic_int job_started; /* the job is running on a worker */
} s_service_t;

typedef struct {
    loop_item_t item;
    s_service_t *svc;
} s_job_t;

/* Worker: holds the job until the stop has begun, so it is in the pool when the pool drains. */
static void s_job_run(void *arg, void *state)
{
    (void)state;
    s_job_t *job = arg;
    s_service_t *svc = job->svc;
    atomic_store(&svc->job_started, 1);
    for (int waited = 0; !service_base_stopping(svc->base) && waited < LIMIT_MS; waited++)
        usleep(1000);
    atomic_store(&svc->job_waited, service_base_stopping(svc->base) ? 1 : 0);
    if (service_base_post(svc->base, &job->item) != 0)
        free(job); /* lost: the check on `done` says so */
}

static void s_on_done(loop_item_t *item, void *arg)
{
    s_service_t *svc = arg;
    svc->done++;
    svc->done_on_loop = pthread_equal(pthread_self(), svc->loop_thread);
    free(item);
}

static int s_on_pipe(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    s_service_t *svc = arg;
    char c;
    if (read(item->fd, &c, 1) != 1)
        return 0;
    svc->polled++;
    if (c == 'j') {
        s_job_t *job = calloc(1, sizeof *job);
        CHECK(job, "job");
        job->svc = svc;
        CHECK(service_base_submit(svc->base, 1, s_job_run, job) == 0, "submit");
    }
    return 0;
}

/* Not done until the poller has read the byte sent after $TERM (bounded). */
static bool s_drain(void *arg, bool first)
{
    s_service_t *svc = arg;
    if (first) {
        svc->drain_first++;
        svc->drain_start_ms = zclock_mono();
    } else {
        svc->drain_asks++;
    }
    if (svc->polled >= 2)
        return true;
    svc->drain_timed_out = zclock_mono() - svc->drain_start_ms > LIMIT_MS;
    return svc->drain_timed_out;
}

static void s_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    (void)client;
    (void)env;
    (void)body;
    (void)arg;
}

static void s_actor(zsock_t *pipe, void *args)
{
    s_service_t *svc = args;
    config_t *config = config_load(NULL);
    service_args_t sargs = {.config = config, .node = "base.t1", .service = "basetest"};
    CHECK(service_base_enter(pipe, &sargs, "basetest") == &sargs, "enter");
    svc->loop_thread = pthread_self();
    service_base_poller_t poller = {{NULL, svc->pipe_fd[0], ZMQ_POLLIN, 0}, s_on_pipe, NULL};
    service_base_config_t cfg = {.name = "basetest",
                                 .workers = 1,
                                 .queue = 4,
                                 .on_message = s_on_message,
                                 .on_done = s_on_done,
                                 .arg = svc,
                                 .drain = s_drain,
                                 .finish_jobs = true,
                                 .pollers = &poller,
                                 .npollers = 1};
    svc->base = service_base_new(pipe, &sargs, &cfg);
    if (!svc->base) {
        service_base_refuse(pipe, "basetest");
        config_destroy(&config);
        return;
    }
    service_base_run(svc->base);
    service_base_destroy(&svc->base);
    config_destroy(&config);
}

int main(void)
{
    log_set_node("test");
    setenv("USCHAT_BROKER_PLAIN_TCP", "true", 1); /* no broker runs: nothing to authenticate */
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", test_free_port());
    setenv("USCHAT_BROKER_ENDPOINT", endpoint, 1);

    s_service_t svc = {0};
    CHECK(pipe(svc.pipe_fd) == 0, "pipe");
    zactor_t *actor = zactor_new(s_actor, &svc);
    CHECK(actor, "the actor started (READY)");

    /* a job that is still in the pool when the stop begins */
    CHECK(write(svc.pipe_fd[1], "j", 1) == 1, "write");
    for (int waited = 0; !atomic_load(&svc.job_started) && waited < LIMIT_MS; waited += 5)
        zclock_sleep(5);
    CHECK(atomic_load(&svc.job_started), "the job runs");

    /* $TERM starts the drain; a second one changes nothing; the poller is still served */
    CHECK(zstr_send(actor, "$TERM") == 0, "$TERM");
    zclock_sleep(50);
    CHECK(zstr_send(actor, "$TERM") == 0, "second $TERM");
    zclock_sleep(50);
    CHECK(write(svc.pipe_fd[1], "x", 1) == 1, "write during the drain");
    zactor_destroy(&actor); /* waits until the actor is gone */

    CHECK(svc.polled == 2, "the poller read %d bytes (2: one of them during the drain)",
          svc.polled);
    CHECK(svc.drain_first == 1, "drain began %d times (a second $TERM must not restart it)",
          svc.drain_first);
    CHECK(svc.drain_asks >= 1, "the hook was asked again while draining (%d)", svc.drain_asks);
    CHECK(!svc.drain_timed_out, "the drain ended on the poller's byte, not on its bound");
    CHECK(atomic_load(&svc.job_waited) == 1, "the job was still running at the stop");
    CHECK(svc.done == 1 && svc.done_on_loop,
          "the job's result came back to the loop thread at the stop (%d)", svc.done);
    close(svc.pipe_fd[0]);
    close(svc.pipe_fd[1]);
    printf("service_base: ok (drain asked %d times)\n", svc.drain_asks);
    return 0;
}
