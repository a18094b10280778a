/* status_nodes.c - the chat node table of status (status_nodes.h). Loop thread only.
 * A handful of nodes: a plain array, scanned per pick, is faster than anything cleverer. */
#include "status_nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[STATUS_NODE_NAME_MAX];
    char host[STATUS_HOST_MAX];
    uint32_t port;
    uint32_t connections;
    uint32_t handed; /* logins handed out since the last report */
    int64_t last_seen;
    bool silent_noted;
} node_t;

struct status_nodes_t {
    node_t *nodes;
    size_t count, cap;
    int64_t timeout_ms;
    uint64_t turn; /* rotates among equally loaded nodes */
};

status_nodes_t *status_nodes_new(int64_t timeout_ms)
{
    status_nodes_t *self = calloc(1, sizeof *self);
    if (self)
        self->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
    return self;
}

void status_nodes_destroy(status_nodes_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->nodes);
    free(*self_p);
    *self_p = NULL;
}

static bool s_live(const status_nodes_t *self, const node_t *n, int64_t now)
{
    return now - n->last_seen <= self->timeout_ms;
}

bool status_nodes_report(status_nodes_t *self, const char *name, const char *host, uint32_t port,
                         uint32_t connections, int64_t now_ms)
{
    node_t *n = NULL;
    for (size_t i = 0; i < self->count && !n; i++)
        if (strcmp(self->nodes[i].name, name) == 0)
            n = &self->nodes[i];
    bool news = false;
    if (!n) {
        if (self->count == self->cap) {
            size_t cap = self->cap ? self->cap * 2 : 8;
            node_t *bigger = realloc(self->nodes, cap * sizeof *bigger);
            if (!bigger)
                return false;
            self->nodes = bigger;
            self->cap = cap;
        }
        n = &self->nodes[self->count++];
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "%s", name);
        news = true;
    } else {
        news = !s_live(self, n, now_ms);
    }
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    n->connections = connections;
    n->handed = 0;
    n->last_seen = now_ms;
    n->silent_noted = false;
    return news;
}

int status_nodes_pick(status_nodes_t *self, int64_t now_ms, status_pick_t *out)
{
    uint64_t best = UINT64_MAX;
    size_t ties = 0;
    for (size_t i = 0; i < self->count; i++) {
        node_t *n = &self->nodes[i];
        if (!s_live(self, n, now_ms))
            continue;
        uint64_t load = (uint64_t)n->connections + n->handed;
        if (load < best) {
            best = load;
            ties = 1;
        } else if (load == best) {
            ties++;
        }
    }
    if (ties == 0)
        return -1;
    size_t want = (size_t)(self->turn++ % ties), seen = 0;
    for (size_t i = 0; i < self->count; i++) {
        node_t *n = &self->nodes[i];
        if (!s_live(self, n, now_ms) || (uint64_t)n->connections + n->handed != best)
            continue;
        if (seen++ == want) {
            n->handed++;
            snprintf(out->name, sizeof out->name, "%s", n->name);
            snprintf(out->host, sizeof out->host, "%s", n->host);
            out->port = n->port;
            return 0;
        }
    }
    return -1;
}

size_t status_nodes_known(status_nodes_t *self)
{
    return self->count;
}

size_t status_nodes_live(status_nodes_t *self, int64_t now_ms)
{
    size_t live = 0;
    for (size_t i = 0; i < self->count; i++)
        live += s_live(self, &self->nodes[i], now_ms);
    return live;
}

void status_nodes_sweep(status_nodes_t *self, int64_t now_ms, int64_t forget_ms,
                        void (*fn)(const char *name, int64_t silent_ms, void *arg), void *arg)
{
    for (size_t i = 0; i < self->count;) {
        node_t *n = &self->nodes[i];
        int64_t silent = now_ms - n->last_seen;
        if (!s_live(self, n, now_ms) && !n->silent_noted) {
            n->silent_noted = true;
            if (fn)
                fn(n->name, silent, arg);
        }
        if (silent > forget_ms) {
            self->nodes[i] = self->nodes[--self->count];
            continue;
        }
        i++;
    }
}
