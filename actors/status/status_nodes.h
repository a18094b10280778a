/* status_nodes.h - the table of chat nodes that status hands out (no I/O).
 *
 * Owned and used by the status actor's loop thread only. A node is live while its last report
 * is younger than the timeout. The pick is the live node with the fewest connections, where
 * connections = the last reported count + the logins handed to it since that report (so a
 * burst of logins between two reports spreads instead of piling onto one node); ties are
 * taken in turn.
 */
#ifndef USCHAT_STATUS_NODES_H
#define USCHAT_STATUS_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_NODE_NAME_MAX 64
#define STATUS_HOST_MAX      256

typedef struct status_nodes_t status_nodes_t;

typedef struct {
    char name[STATUS_NODE_NAME_MAX];
    char host[STATUS_HOST_MAX];
    uint32_t port;
} status_pick_t;

/* NULL when out of memory. Caller owns the result. */
status_nodes_t *status_nodes_new(int64_t timeout_ms);
void status_nodes_destroy(status_nodes_t **self_p);

/* Records a report. Returns true when the node was new or had been silent (worth a log line). */
bool status_nodes_report(status_nodes_t *self, const char *name, const char *host, uint32_t port,
                         uint32_t connections, int64_t now_ms);

/* The node for the next login. 0, or -1 when no node is live. */
int status_nodes_pick(status_nodes_t *self, int64_t now_ms, status_pick_t *out);

/* Nodes known / live now. */
size_t status_nodes_known(status_nodes_t *self);
size_t status_nodes_live(status_nodes_t *self, int64_t now_ms);

/* Calls fn for each node that went silent since the last call (for a log line), and forgets
 * nodes silent longer than forget_ms. */
void status_nodes_sweep(status_nodes_t *self, int64_t now_ms, int64_t forget_ms,
                        void (*fn)(const char *name, int64_t silent_ms, void *arg), void *arg);

#endif
