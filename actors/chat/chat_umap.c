/* chat_umap.c - uid -> pointer hash map of the chat node (chat_umap.h). I/O thread only. */
#include "chat_umap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t s_hash(uint64_t key, size_t cap)
{
    /* uids are sequential: mix the bits (splitmix64 finaliser) before masking. */
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return (size_t)key & (cap - 1);
}

void chat_umap_init(chat_umap_t *m)
{
    memset(m, 0, sizeof *m);
}

void chat_umap_clear(chat_umap_t *m)
{
    free(m->slots);
    chat_umap_init(m);
}

void *chat_umap_get(const chat_umap_t *m, uint64_t key)
{
    if (!m->cap || !key)
        return NULL;
    for (size_t i = s_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key)
            return m->slots[i].value;
        if (m->slots[i].key == 0)
            return NULL;
    }
}

static void s_insert(chat_umap_slot_t *slots, size_t cap, uint64_t key, void *value)
{
    size_t i = s_hash(key, cap);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    slots[i].key = key;
    slots[i].value = value;
}

static int s_grow(chat_umap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    chat_umap_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            s_insert(slots, cap, m->slots[i].key, m->slots[i].value);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int chat_umap_put(chat_umap_t *m, uint64_t key, void *value)
{
    if (!key || !value)
        return -EINVAL;
    if ((m->count + 1) * 4 > m->cap * 3) {
        int rc = s_grow(m);
        if (rc)
            return rc;
    }
    size_t i = s_hash(key, m->cap);
    while (m->slots[i].key && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key)
        m->count++;
    m->slots[i].key = key;
    m->slots[i].value = value;
    return 0;
}

void *chat_umap_remove(chat_umap_t *m, uint64_t key)
{
    if (!m->cap || !key)
        return NULL;
    size_t mask = m->cap - 1;
    size_t i = s_hash(key, m->cap);
    while (m->slots[i].key != key) {
        if (m->slots[i].key == 0)
            return NULL;
        i = (i + 1) & mask;
    }
    void *value = m->slots[i].value;
    /* Backward shift: move later entries of the probe run into the hole when their home slot
     * lies at or before it, so lookups never need tombstones. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = s_hash(m->slots[j].key, m->cap);
        /* j's entry may move to hole when home is not within (hole, j] cyclically. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = 0;
    m->slots[hole].value = NULL;
    m->count--;
    return value;
}
