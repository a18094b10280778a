/* broker_core.c - the broker's routing state (see broker_core.h for the design).
 *
 * Called only from the broker's loop thread (broker_server.c) and from the unit test.
 *
 * Three indexes over the same actors: a chained hash by routing identity, a CZMQ zhashx by
 * node name, and a zhashx of services, each with an array of instances. The identity hash is
 * the broker's own because it is looked up for every message that comes in, with binary keys
 * of 1..255 bytes; it grows by doubling when it holds as many entries as buckets, so a lookup
 * stays a short chain walk. The node and service tables are written only on READY and
 * removal (a message to a node or service reads one, by a short name), so they use CZMQ's
 * zhashx, keyed by the name stored in the actor or service itself (nothing copied).
 * Services with no instance left are freed, so names that come and go leave nothing behind.
 */
#include "broker_core.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 64

struct broker_service_t {
    char name[ENVELOPE_SERVICE_MAX];
    broker_actor_t **instances;
    size_t count;
    size_t capacity;
    size_t next_turn; /* where the next tie-break scan starts */
};

struct broker_core_t {
    int64_t silence_ms; /* heartbeat_ms * liveness */
    /* by identity */
    broker_actor_t **by_identity;
    size_t identity_buckets;
    /* by node name: node -> actor, keys are the actors' node fields */
    zhashx_t *by_node;
    size_t count;
    /* by service name: name -> broker_service_t (owned), keys are the services' name fields */
    zhashx_t *services;
    /* last-seen list, oldest first */
    broker_actor_t *seen_head;
    broker_actor_t *seen_tail;
    /* recycled actors */
    broker_actor_t *free_list;
};

/* FNV-1a: identities are short (libzmq's own are 5 bytes) and node names are short. */
static uint64_t s_hash_bytes(const uint8_t *data, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool s_copy_str(char *dst, size_t cap, const char *src)
{
    size_t len = strlen(src);
    if (len == 0 || len >= cap)
        return false;
    memcpy(dst, src, len + 1);
    return true;
}

static void s_service_free(void **item)
{
    broker_service_t *svc = *item;
    if (svc) {
        free(svc->instances);
        free(svc);
    }
    *item = NULL;
}

/* A zhashx keyed by a name that lives in its item: zhashx's string hash and compare, no copy
 * and no free of the key. destructor frees the items (NULL: they belong to someone else). */
static zhashx_t *s_name_table(zhashx_destructor_fn *destructor)
{
    zhashx_t *table = zhashx_new();
    if (!table)
        return NULL;
    zhashx_set_key_duplicator(table, NULL);
    zhashx_set_key_destructor(table, NULL);
    zhashx_set_destructor(table, destructor);
    return table;
}

broker_core_t *broker_core_new(int heartbeat_ms, int liveness)
{
    if (heartbeat_ms <= 0 || liveness <= 0)
        return NULL;
    broker_core_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->silence_ms = (int64_t)heartbeat_ms * liveness;
    self->identity_buckets = INITIAL_BUCKETS;
    self->by_identity = calloc(INITIAL_BUCKETS, sizeof(broker_actor_t *));
    self->by_node = s_name_table(NULL);
    self->services = s_name_table(s_service_free);
    if (!self->by_identity || !self->by_node || !self->services) {
        broker_core_destroy(&self);
        return NULL;
    }
    return self;
}

void broker_core_destroy(broker_core_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_core_t *self = *self_p;
    broker_actor_t *a = self->seen_head;
    while (a) {
        broker_actor_t *next = a->seen_next;
        free(a);
        a = next;
    }
    a = self->free_list;
    while (a) {
        broker_actor_t *next = a->seen_next;
        free(a);
        a = next;
    }
    zhashx_destroy(&self->services);
    free(self->by_identity);
    zhashx_destroy(&self->by_node);
    free(self);
    *self_p = NULL;
}

/* ---- hash tables ---------------------------------------------------------------------- */

/* Doubles the table of actors chained through identity_next. Failure to grow is harmless
 * (chains get longer), so it reports nothing. */
static void s_grow_identity(broker_core_t *self)
{
    size_t buckets = self->identity_buckets * 2;
    broker_actor_t **table = calloc(buckets, sizeof(*table));
    if (!table)
        return;
    for (size_t i = 0; i < self->identity_buckets; i++) {
        broker_actor_t *a = self->by_identity[i];
        while (a) {
            broker_actor_t *next = a->identity_next;
            size_t b = s_hash_bytes(a->identity, a->identity_len) & (buckets - 1);
            a->identity_next = table[b];
            table[b] = a;
            a = next;
        }
    }
    free(self->by_identity);
    self->by_identity = table;
    self->identity_buckets = buckets;
}

broker_actor_t *broker_core_find_identity(broker_core_t *self, const uint8_t *identity,
                                          size_t identity_len)
{
    if (identity_len == 0 || identity_len > BROKER_IDENTITY_MAX)
        return NULL;
    size_t b = s_hash_bytes(identity, identity_len) & (self->identity_buckets - 1);
    for (broker_actor_t *a = self->by_identity[b]; a; a = a->identity_next) {
        if (a->identity_len == identity_len && memcmp(a->identity, identity, identity_len) == 0)
            return a;
    }
    return NULL;
}

broker_actor_t *broker_core_find_node(broker_core_t *self, const char *node)
{
    return zhashx_lookup(self->by_node, node);
}

static broker_service_t *s_service_find(broker_core_t *self, const char *name)
{
    return zhashx_lookup(self->services, name);
}

static broker_service_t *s_service_require(broker_core_t *self, const char *name)
{
    broker_service_t *svc = s_service_find(self, name);
    if (svc)
        return svc;
    svc = calloc(1, sizeof(*svc));
    if (!svc)
        return NULL;
    strcpy(svc->name, name); /* length checked by the caller */
    if (zhashx_insert(self->services, svc->name, svc) != 0) {
        free(svc);
        return NULL;
    }
    return svc;
}

/* ---- the last-seen list --------------------------------------------------------------- */

static void s_seen_unlink(broker_core_t *self, broker_actor_t *a)
{
    if (a->seen_prev)
        a->seen_prev->seen_next = a->seen_next;
    else
        self->seen_head = a->seen_next;
    if (a->seen_next)
        a->seen_next->seen_prev = a->seen_prev;
    else
        self->seen_tail = a->seen_prev;
    a->seen_prev = a->seen_next = NULL;
}

static void s_seen_append(broker_core_t *self, broker_actor_t *a)
{
    a->seen_next = NULL;
    a->seen_prev = self->seen_tail;
    if (self->seen_tail)
        self->seen_tail->seen_next = a;
    else
        self->seen_head = a;
    self->seen_tail = a;
}

/* ---- registration --------------------------------------------------------------------- */

broker_actor_t *broker_core_add(broker_core_t *self, const uint8_t *identity, size_t identity_len,
                                const char *service, const char *node, uint32_t load, int64_t now)
{
    if (identity_len == 0 || identity_len > BROKER_IDENTITY_MAX || !service || !node)
        return NULL;
    size_t service_len = strlen(service), node_len = strlen(node);
    if (service_len == 0 || service_len >= ENVELOPE_SERVICE_MAX || node_len == 0 ||
        node_len >= ENVELOPE_NODE_MAX)
        return NULL;
    if (broker_core_find_identity(self, identity, identity_len) ||
        broker_core_find_node(self, node))
        return NULL;

    broker_service_t *svc = s_service_require(self, service);
    if (!svc)
        return NULL;
    if (svc->count == svc->capacity) {
        size_t capacity = svc->capacity ? svc->capacity * 2 : 4;
        broker_actor_t **grown = realloc(svc->instances, capacity * sizeof(*grown));
        if (!grown)
            return NULL; /* an empty service only costs its entry; destroy frees it */
        svc->instances = grown;
        svc->capacity = capacity;
    }

    broker_actor_t *a = self->free_list;
    if (a)
        self->free_list = a->seen_next;
    else if (!(a = malloc(sizeof(*a))))
        return NULL;
    memset(a, 0, sizeof(*a));
    memcpy(a->identity, identity, identity_len);
    a->identity_len = (uint8_t)identity_len;
    s_copy_str(a->service, sizeof(a->service), service);
    s_copy_str(a->node, sizeof(a->node), node);
    a->load = load;
    a->ready_at = a->last_seen = now;

    if (zhashx_insert(self->by_node, a->node, a) != 0) {
        a->seen_next = self->free_list; /* cannot happen: the node was looked up above */
        self->free_list = a;
        return NULL;
    }
    if (self->count >= self->identity_buckets)
        s_grow_identity(self);
    size_t b = s_hash_bytes(identity, identity_len) & (self->identity_buckets - 1);
    a->identity_next = self->by_identity[b];
    self->by_identity[b] = a;

    a->svc = svc;
    a->svc_slot = svc->count;
    svc->instances[svc->count++] = a;
    s_seen_append(self, a);
    self->count++;
    return a;
}

void broker_core_remove(broker_core_t *self, broker_actor_t *a)
{
    if (!a)
        return;
    size_t b = s_hash_bytes(a->identity, a->identity_len) & (self->identity_buckets - 1);
    for (broker_actor_t **link = &self->by_identity[b]; *link; link = &(*link)->identity_next) {
        if (*link == a) {
            *link = a->identity_next;
            break;
        }
    }
    zhashx_delete(self->by_node, a->node);
    broker_service_t *svc = a->svc;
    /* swap-remove keeps the array dense; the moved instance learns its new slot */
    svc->instances[a->svc_slot] = svc->instances[svc->count - 1];
    svc->instances[a->svc_slot]->svc_slot = a->svc_slot;
    svc->count--;
    if (svc->count == 0) {
        char name[ENVELOPE_SERVICE_MAX]; /* the key lives in svc, which the delete frees */
        memcpy(name, svc->name, sizeof(name));
        zhashx_delete(self->services, name);
    }
    s_seen_unlink(self, a);
    self->count--;
    /* recycled through seen_next, the one link a free actor does not otherwise need */
    a->svc = NULL;
    a->seen_next = self->free_list;
    self->free_list = a;
}

/* ---- liveness and load ---------------------------------------------------------------- */

void broker_core_touch(broker_core_t *self, broker_actor_t *a, int64_t now)
{
    /* The list stays in last-seen order: an actor already seen at this millisecond is behind
     * everyone seen earlier, so it need not move. That keeps a busy actor's cost to a compare. */
    if (a->last_seen == now)
        return;
    a->last_seen = now;
    if (self->seen_tail != a) {
        s_seen_unlink(self, a);
        s_seen_append(self, a);
    }
}

void broker_core_report(broker_core_t *self, broker_actor_t *a, uint32_t load)
{
    (void)self;
    a->load = load;
    a->routed = 0;
}

void broker_core_penalize(broker_core_t *self, broker_actor_t *a)
{
    (void)self;
    /* A full queue holds about a high-water mark's worth of messages. */
    a->routed = a->routed > UINT32_MAX - 1000 ? UINT32_MAX : a->routed + 1000;
}

broker_actor_t *broker_core_pick(broker_core_t *self, const char *service)
{
    broker_service_t *svc = s_service_find(self, service);
    if (!svc || svc->count == 0)
        return NULL;
    size_t n = svc->count;
    size_t start = svc->next_turn % n;
    size_t best_slot = start;
    uint64_t best = UINT64_MAX;
    /* Strictly-less keeps the first of equals after start; start moves past each pick, so
     * equally loaded instances take turns. */
    for (size_t i = 0; i < n; i++) {
        size_t slot = start + i < n ? start + i : start + i - n;
        broker_actor_t *a = svc->instances[slot];
        uint64_t effective = (uint64_t)a->load + a->routed;
        if (effective < best) {
            best = effective;
            best_slot = slot;
        }
    }
    broker_actor_t *a = svc->instances[best_slot];
    svc->next_turn = best_slot + 1;
    if (a->routed < UINT32_MAX)
        a->routed++;
    return a;
}

size_t broker_core_service_size(broker_core_t *self, const char *service)
{
    broker_service_t *svc = s_service_find(self, service);
    return svc ? svc->count : 0;
}

broker_actor_t *broker_core_expired(broker_core_t *self, int64_t now)
{
    broker_actor_t *a = self->seen_head;
    if (a && now - a->last_seen >= self->silence_ms)
        return a;
    return NULL;
}

int64_t broker_core_next_expiry(broker_core_t *self)
{
    return self->seen_head ? self->seen_head->last_seen + self->silence_ms : INT64_MAX;
}

broker_actor_t *broker_core_first(broker_core_t *self)
{
    return self->seen_head;
}

broker_actor_t *broker_core_next(broker_core_t *self, broker_actor_t *a)
{
    (void)self;
    return a ? a->seen_next : NULL;
}

size_t broker_core_size(broker_core_t *self)
{
    return self->count;
}
