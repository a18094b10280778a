/* chat_wheel.c - the one-second timer wheel of the chat node's connections (chat_wheel.h).
 * Called on the chat node's I/O thread only.
 */
#include "chat_wheel.h"

#include <stddef.h>

#define SLOT_MASK (CHAT_WHEEL_SLOTS - 1u)

void chat_wheel_init(chat_wheel_t *w, uint32_t now)
{
    for (uint32_t i = 0; i < CHAT_WHEEL_SLOTS; i++)
        w->slots[i].next = w->slots[i].prev = &w->slots[i];
    w->now = now;
    w->count = 0;
}

void chat_wheel_add(chat_wheel_t *w, chat_timer_t *t, uint32_t due)
{
    if (due <= w->now)
        due = w->now + 1;
    if (due > w->now + CHAT_WHEEL_SLOTS - 1)
        due = w->now + CHAT_WHEEL_SLOTS - 1;
    chat_timer_t *head = &w->slots[due & SLOT_MASK];
    t->due = due;
    t->next = head;
    t->prev = head->prev;
    head->prev->next = t;
    head->prev = t;
    w->count++;
}

void chat_wheel_remove(chat_wheel_t *w, chat_timer_t *t)
{
    if (!t->due)
        return;
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = NULL;
    t->due = 0;
    w->count--;
}

uint32_t chat_wheel_advance(chat_wheel_t *w, uint32_t now, chat_wheel_fn *fn, void *arg)
{
    uint32_t handed = 0;
    /* After a long stall one turn of the wheel covers every slot. */
    if (now > w->now + CHAT_WHEEL_SLOTS)
        w->now = now - CHAT_WHEEL_SLOTS;
    while (w->now < now) {
        w->now++;
        chat_timer_t *head = &w->slots[w->now & SLOT_MASK];
        /* Pop one entry at a time, so a callback may remove any other entry (even one of this
         * slot); entries it adds back never land in this slot (add() clamps to now+1 ..
         * now+SLOTS-1), so the loop ends. */
        while (head->next != head) {
            chat_timer_t *t = head->next;
            chat_wheel_remove(w, t);
            handed++;
            fn(t, now, arg);
        }
    }
    return handed;
}
