/* chat_wheel.h - a timer wheel with one-second slots for per-connection deadlines.
 *
 * Every connection has one deadline that matters at a time (login deadline, idle timeout, the
 * linger after a goodbye frame). Instead of scanning every connection each tick, a connection
 * sits in the slot of the second its deadline falls in; a tick empties only the slots whose
 * second has come and hands their entries to a callback, which either acts (closes) or puts
 * the entry back at the real deadline. Activity does not move an entry (that would cost a list
 * operation per frame): the callback recomputes the deadline from the last activity time, so a
 * busy connection is looked at once per timeout period. Deadlines further than the wheel's span
 * are parked in its last slot and looked at again then.
 * The embedding struct holds a chat_timer_t; used on the chat node's I/O thread only.
 */
#ifndef USCHAT_CHAT_WHEEL_H
#define USCHAT_CHAT_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define CHAT_WHEEL_SLOTS 64u /* power of two; the span is CHAT_WHEEL_SLOTS - 1 seconds */

typedef struct chat_timer_t {
    struct chat_timer_t *next, *prev;
    uint32_t due; /* second of the slot it is in; 0 = not in the wheel */
} chat_timer_t;

typedef struct {
    chat_timer_t slots[CHAT_WHEEL_SLOTS]; /* list heads (circular, sentinel) */
    uint32_t now;                         /* last second processed */
    uint32_t count;                       /* entries in the wheel */
} chat_wheel_t;

/* now = the current second (must be >= 1). */
void chat_wheel_init(chat_wheel_t *w, uint32_t now);

/* Puts t (not in the wheel) at second due, clamped to now+1 .. now+CHAT_WHEEL_SLOTS-1. */
void chat_wheel_add(chat_wheel_t *w, chat_timer_t *t, uint32_t due);
/* Takes t out of the wheel; nothing when it is not in it. */
void chat_wheel_remove(chat_wheel_t *w, chat_timer_t *t);
static inline bool chat_wheel_active(const chat_timer_t *t)
{
    return t->due != 0;
}

/* Called for each entry whose slot came due, already taken out of the wheel; now is the
 * current second (what advance() was given), not the slot's. */
typedef void(chat_wheel_fn)(chat_timer_t *t, uint32_t now, void *arg);
/* Processes every second from the last processed one up to now. Returns the entries handed out. */
uint32_t chat_wheel_advance(chat_wheel_t *w, uint32_t now, chat_wheel_fn *fn, void *arg);

#endif
