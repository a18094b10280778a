/* tapcount.c - a thread counting CHAT_GROUP_PUSH and CHAT_PUSH messages on the broker's tap
 * (tapcount.h). The tap never goes quiet for long (the nodes report their load every second),
 * and the receive timeout bounds each wait, so the thread sees its stop flag within 100 ms.
 * Runs on its own thread; the counters are read from the main thread (atomics).
 */
#include "tapcount.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "monitor_endpoint.h"
#include "monitor_view.h"
#include "uschat/envelope.h"
#include "uschat/message.h"
#include "uschat/tap.h"

struct tapcount {
    zsock_t *sub;
    pthread_t thread;
    atomic_int stop, seen_any;
    atomic_uint_fast64_t group_pushes, chat_pushes;
};

static void *s_run(void *arg)
{
    tapcount_t *t = arg;
    while (!atomic_load(&t->stop)) {
        zmsg_t *msg = zmsg_recv(t->sub);
        if (!msg)
            continue; /* the timeout: look at the stop flag */
        atomic_store(&t->seen_any, 1);
        tap_item_t it;
        if (monitor_item_parse(msg, &it) == 0 && !it.is_event && it.has_env) {
            if (it.env.type == MSG_CHAT_GROUP_PUSH)
                atomic_fetch_add(&t->group_pushes, 1);
            else if (it.env.type == MSG_CHAT_PUSH)
                atomic_fetch_add(&t->chat_pushes, 1);
        }
        zmsg_destroy(&msg);
    }
    return NULL;
}

tapcount_t *tapcount_start(const char *endpoint, const char *stack_env)
{
    tapcount_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    zsys_handler_set(NULL); /* Ctrl-C stays uschat-load's (load_stop), not CZMQ's */
    /* the tap takes CURVE clients when the broker does: the monitor's keys, found the way
     * uschat-monitor finds them (the stack's keys folder) */
    monitor_endpoint_sources_t sources = {NULL, NULL, stack_env};
    curve_keys_t keys;
    int curve = monitor_curve_keys(&sources, "monitor", &keys);
    t->sub = curve >= 0 ? zsock_new(ZMQ_SUB) : NULL;
    if (!t->sub) {
        free(t);
        return NULL;
    }
    if (curve == 1)
        monitor_curve_apply(t->sub, &keys);
    zsock_set_subscribe(t->sub, TAP_TOPIC_MSG);
    if (zsock_connect(t->sub, "%s", endpoint) < 0) {
        zsock_destroy(&t->sub);
        free(t);
        return NULL;
    }
    zsock_set_rcvtimeo(t->sub, 100);
    zsock_set_rcvhwm(t->sub, 0); /* a dropped copy would undercount */
    if (pthread_create(&t->thread, NULL, s_run, t) != 0) {
        zsock_destroy(&t->sub);
        free(t);
        return NULL;
    }
    for (int i = 0; i < 40 && !atomic_load(&t->seen_any); i++)
        zclock_sleep(50);
    return t;
}

uint64_t tapcount_group_pushes(tapcount_t *t, uint64_t *chat_push)
{
    if (chat_push)
        *chat_push = atomic_load(&t->chat_pushes);
    return atomic_load(&t->group_pushes);
}

void tapcount_stop(tapcount_t **p)
{
    tapcount_t *t = *p;
    if (!t)
        return;
    atomic_store(&t->stop, 1);
    pthread_join(t->thread, NULL);
    zsock_destroy(&t->sub);
    free(t);
    *p = NULL;
}
