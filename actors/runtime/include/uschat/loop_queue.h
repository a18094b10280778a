/* loop_queue.h - hands finished work from worker threads back to an actor's zloop thread.
 *
 * Workers (worker_pool.h) must not touch the actor's broker client or other loop-owned state,
 * so a job that is done posts itself here; the loop thread is woken through an eventfd and
 * gets every posted item, in posting order, in its callback. Items are intrusive: embed a
 * loop_item_t in the job struct (first member is simplest) and cast back in the callback.
 *
 * Shutdown: loop_queue_close() makes every later post fail (the poster then finishes the item
 * itself), and loop_queue_take() hands back what was posted but not yet delivered.
 * Thread-safe: post/close/take from any thread; the callback runs on the loop thread.
 */
#ifndef USCHAT_LOOP_QUEUE_H
#define USCHAT_LOOP_QUEUE_H

#include <czmq.h>

typedef struct loop_item_t loop_item_t;
struct loop_item_t {
    loop_item_t *next;
};

typedef struct loop_queue_t loop_queue_t;
typedef void(loop_queue_fn)(loop_item_t *item, void *arg);

/* NULL when the eventfd cannot be made. Caller owns the result. */
loop_queue_t *loop_queue_new(void);
/* Items still queued are not freed (take them first). NULL-safe; NULLs *self_p. */
void loop_queue_destroy(loop_queue_t **self_p);

/* Registers the eventfd on loop; fn gets each item on the loop thread. 0 or -1. */
int loop_queue_attach(loop_queue_t *self, zloop_t *loop, loop_queue_fn *fn, void *arg);
/* Unregisters from the loop (before the loop is destroyed, when it outlives the queue). */
void loop_queue_detach(loop_queue_t *self);

/* Appends item. 0, or -1 after loop_queue_close() (the caller still owns item). */
int loop_queue_post(loop_queue_t *self, loop_item_t *item);
/* Refuses every later post. */
void loop_queue_close(loop_queue_t *self);
/* Removes and returns every queued item as a list (->next), oldest first; NULL when empty. */
loop_item_t *loop_queue_take(loop_queue_t *self);

#endif
