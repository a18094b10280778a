/* loop_queue.c - worker threads -> zloop thread handoff through a mutex-guarded list and an
 * eventfd (see loop_queue.h). The eventfd counts posts; the loop drains the whole list on each
 * wake-up, so many posts cost one wake-up when the loop is busy.
 */
#include "uschat/loop_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct loop_queue_t {
    pthread_mutex_t mutex;
    loop_item_t *head, *tail;
    bool closed;
    int fd;
    zloop_t *loop;
    zmq_pollitem_t item;
    loop_queue_fn *fn;
    void *arg;
};

loop_queue_t *loop_queue_new(void)
{
    loop_queue_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd < 0) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->mutex, NULL);
    return self;
}

void loop_queue_destroy(loop_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    loop_queue_t *self = *self_p;
    loop_queue_detach(self);
    close(self->fd);
    pthread_mutex_destroy(&self->mutex);
    free(self);
    *self_p = NULL;
}

static int s_on_event(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    loop_queue_t *self = arg;
    uint64_t count;
    while (read(self->fd, &count, sizeof count) > 0)
        ;
    loop_item_t *list = loop_queue_take(self);
    while (list) {
        loop_item_t *next = list->next;
        list->next = NULL;
        self->fn(list, self->arg);
        list = next;
    }
    return 0;
}

int loop_queue_attach(loop_queue_t *self, zloop_t *loop, loop_queue_fn *fn, void *arg)
{
    if (!self || !loop || !fn || self->loop)
        return -1;
    self->item = (zmq_pollitem_t){.socket = NULL, .fd = self->fd, .events = ZMQ_POLLIN};
    self->fn = fn;
    self->arg = arg;
    if (zloop_poller(loop, &self->item, s_on_event, self) != 0)
        return -1;
    self->loop = loop;
    return 0;
}

void loop_queue_detach(loop_queue_t *self)
{
    if (self && self->loop) {
        zloop_poller_end(self->loop, &self->item);
        self->loop = NULL;
    }
}

int loop_queue_post(loop_queue_t *self, loop_item_t *item)
{
    pthread_mutex_lock(&self->mutex);
    if (self->closed) {
        pthread_mutex_unlock(&self->mutex);
        return -1;
    }
    item->next = NULL;
    if (self->tail)
        self->tail->next = item;
    else
        self->head = item;
    self->tail = item;
    pthread_mutex_unlock(&self->mutex);
    uint64_t one = 1;
    /* only EAGAIN (counter at its maximum) can fail here, and then the loop is awake anyway */
    if (write(self->fd, &one, sizeof one) < 0 && errno != EAGAIN)
        return 0;
    return 0;
}

void loop_queue_close(loop_queue_t *self)
{
    pthread_mutex_lock(&self->mutex);
    self->closed = true;
    pthread_mutex_unlock(&self->mutex);
}

loop_item_t *loop_queue_take(loop_queue_t *self)
{
    pthread_mutex_lock(&self->mutex);
    loop_item_t *list = self->head;
    self->head = self->tail = NULL;
    pthread_mutex_unlock(&self->mutex);
    return list;
}
