/* monitor_actors.c - the table of live actors kept from the broker's tap.
 *
 * Called from the main thread of uschat-monitor (--stats) and uschat-ctl. A system has tens of
 * actors, not thousands, so a small array searched linearly is both the simplest and the
 * fastest choice here.
 */
#include "monitor_actors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct monitor_actors_t {
    monitor_actor_t *actors;
    size_t count;
    size_t cap;
};

monitor_actors_t *monitor_actors_new(void)
{
    return calloc(1, sizeof(monitor_actors_t));
}

void monitor_actors_destroy(monitor_actors_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->actors);
    free(*self_p);
    *self_p = NULL;
}

static monitor_actor_t *s_find(monitor_actors_t *self, const char *node)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->actors[i].node, node) == 0)
            return &self->actors[i];
    return NULL;
}

static monitor_actor_t *s_find_or_add(monitor_actors_t *self, const char *node)
{
    monitor_actor_t *a = s_find(self, node);
    if (a)
        return a;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        monitor_actor_t *grown = realloc(self->actors, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        self->actors = grown;
        self->cap = cap;
    }
    a = &self->actors[self->count++];
    memset(a, 0, sizeof(*a));
    snprintf(a->node, sizeof(a->node), "%s", node);
    return a;
}

static void s_remove(monitor_actors_t *self, const char *node)
{
    monitor_actor_t *a = s_find(self, node);
    if (!a)
        return;
    size_t index = (size_t)(a - self->actors);
    memmove(a, a + 1, (self->count - index - 1) * sizeof(*a));
    self->count--;
}

/* The broker names itself as the sender of what it originates (its heartbeats, errors). */
static bool s_is_actor(const char *service, const char *node)
{
    return *node && strcmp(service, "broker") != 0;
}

void monitor_actors_update(monitor_actors_t *self, const tap_item_t *item)
{
    const tap_record_t *r = &item->rec;
    if (!s_is_actor(r->from_service, r->from_node))
        return;
    if (item->is_event) {
        const char *ev = r->event;
        if (strcmp(ev, "ready") == 0) {
            monitor_actor_t *a = s_find_or_add(self, r->from_node);
            if (!a)
                return;
            snprintf(a->service, sizeof(a->service), "%s", r->from_service);
            a->ready_us = r->time_us;
            a->last_seen_us = r->time_us;
            if (item->has_env)
                a->load = item->env.load;
        } else if (strcmp(ev, "expired") == 0 || strcmp(ev, "disconnect") == 0 ||
                   strcmp(ev, "disconnected") == 0) {
            s_remove(self, r->from_node);
        }
        /* "replaced": the node name stays live under its new instance, whose READY follows */
        return;
    }
    monitor_actor_t *a = s_find_or_add(self, r->from_node);
    if (!a)
        return;
    if (*r->from_service)
        snprintf(a->service, sizeof(a->service), "%s", r->from_service);
    a->last_seen_us = r->time_us;
    if (item->has_env && item->env.kind == ENVELOPE_READY) {
        a->ready_us = r->time_us;
        a->load = item->env.load;
    } else if (item->has_env && item->env.kind == ENVELOPE_HEARTBEAT) {
        a->last_heartbeat_us = r->time_us;
        a->load = item->env.load;
    } else if (item->has_env && item->env.kind == ENVELOPE_DISCONNECT) {
        s_remove(self, r->from_node);
    }
}

void monitor_actors_expire(monitor_actors_t *self, uint64_t now_us, uint64_t max_silence_us)
{
    for (size_t i = 0; i < self->count;) {
        if (self->actors[i].last_seen_us + max_silence_us < now_us)
            s_remove(self, self->actors[i].node);
        else
            i++;
    }
}

static int s_compare(const void *a, const void *b)
{
    const monitor_actor_t *x = a, *y = b;
    int c = strcmp(x->service, y->service);
    return c ? c : strcmp(x->node, y->node);
}

const monitor_actor_t *monitor_actors_list(monitor_actors_t *self, size_t *count)
{
    if (self->count > 1)
        qsort(self->actors, self->count, sizeof(*self->actors), s_compare);
    *count = self->count;
    return self->actors;
}
