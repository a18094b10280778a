/* chat_umap.h - a hash map from a non-zero 64-bit id (a uid) to a pointer.
 *
 * The chat node finds the session of a uid with it (pushes, kicks, a second login). Open
 * addressing with linear probing and backward-shift deletion: 16 bytes per slot, at most 3/4
 * full, no allocation per entry, no tombstones to clean up.
 * Used on the chat node's I/O thread only; not thread-safe.
 */
#ifndef USCHAT_CHAT_UMAP_H
#define USCHAT_CHAT_UMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key; /* 0 = empty */
    void *value;
} chat_umap_slot_t;

typedef struct {
    chat_umap_slot_t *slots;
    size_t cap; /* power of two, or 0 before the first put */
    size_t count;
} chat_umap_t;

void chat_umap_init(chat_umap_t *m);
void chat_umap_clear(chat_umap_t *m); /* frees the table */

/* The value of key, or NULL. */
void *chat_umap_get(const chat_umap_t *m, uint64_t key);
/* Sets key (non-zero) to value (non-NULL), replacing an old value. 0, -EINVAL or -ENOMEM. */
int chat_umap_put(chat_umap_t *m, uint64_t key, void *value);
/* Removes key; returns its value or NULL when absent. */
void *chat_umap_remove(chat_umap_t *m, uint64_t key);

#endif
