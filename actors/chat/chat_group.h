/* chat_group.h - group chat on the node: the requests 1061-1085 of docs/protocol.md (their
 * checks and jobs, chat_group.c), their MySQL side (chat_group_store.c: the changes of a group;
 * chat_group_msg.c: texts, sync, read marks, lists) and the fan-out of what a group stored to
 * its members online (chat_group_fan.c).
 *
 * A group's messages are stored once (group_message) with a gap-free seq per group: every
 * writer (a text request or a change) locks the group's row first, so seq grows by one per
 * message in commit order, and the answer goes out only after the COMMIT. A change is stored as
 * an event (kind 3) in the same seq. Jobs of one group are keyed by its id and a group has one
 * write in the pool at a time (the texts that wait meanwhile are then committed together), so
 * this node commits and pushes a group's messages in seq order.
 *
 * Fan-out: the worker that committed looks up the members' nodes in Redis (one MGET per 1,000
 * members) and keeps those online as a chat_group_fan_t with the frame's body encoded once; the
 * I/O thread writes that body to the members connected here and sends ONE CHAT_GROUP_PUSH
 * broker message per other node listing its members (K nodes: K-1 broker messages); the node
 * receiving one writes the body to each listed session. A member offline reads it by 1080.
 *
 * Threads: chat_group_request(), chat_group_fan_deliver() and chat_group_push_receive() run on
 * the I/O thread; chat_group_store_*() and chat_group_fan_make() on a worker.
 */
#ifndef USCHAT_CHAT_GROUP_H
#define USCHAT_CHAT_GROUP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_jobs.h"
#include "chat_file.h"
#include "chat_node.h"

/* Roles of group_member.role */
enum { CHAT_GROUP_MEMBER = 0, CHAT_GROUP_ADMIN = 1, CHAT_GROUP_OWNER = 2 };

/* A frame for the online members of a group, made on a worker, delivered by the I/O thread. */
typedef struct chat_group_fan_t {
    uint64_t group_id, fromuid;
    uint16_t frame;
    char *body; /* JSON, NUL-terminated, malloc'd: encoded once for every member */
    size_t len;
    size_t n;                         /* members online */
    uint64_t *uids, *sessions;        /* n each */
    char (*nodes)[ENVELOPE_NODE_MAX]; /* n each: the node of each session */
} chat_group_fan_t;

/* I/O thread: a group request (id = its USCHAT_ID_GROUP_*_REQ, body taken): checked for shape
 * (answered at once when wrong), then a job keyed by the group (or by the user for reads). */
void chat_group_request(chat_node_t *node, chat_conn_t *conn, uint16_t id, json_t *body);
/* Texts of one group committed in one transaction at most (the requests waiting while the
 * group's previous write ran). */
#define GROUP_BATCH_MAX 32
/* I/O thread, at the node's end: drops the writes still waiting (their clients are gone). */
void chat_group_gates_clear(chat_node_t *node);

/* Worker: looks up where the n members are and attaches to job the frame (body taken,
 * json_decref'd) for those online, skipping skip_uid (0 = nobody). Nothing when none is
 * online; memory trouble drops the push (the members read it by sync). */
void chat_group_fan_make(chat_job_t *job, chat_worker_t *worker, uint64_t group_id,
                         const uint64_t *uids, size_t n, uint64_t skip_uid, uint16_t frame,
                         json_t *body);
/* The two halves of chat_group_fan_make(), for a batch of texts that share one lookup.
 * Worker: where the n members are (those online; no frame yet), NULL when none is or on
 * memory trouble. Caller frees. */
chat_group_fan_t *chat_group_fan_lookup(chat_worker_t *worker, uint64_t group_id,
                                        const uint64_t *uids, size_t n);
/* Worker: attaches to job the frame (body taken) for the members of where (NULL = none) but
 * skip_uid, from job->uid. */
void chat_group_fan_attach(chat_job_t *job, const chat_group_fan_t *where, uint64_t skip_uid,
                           uint16_t frame, json_t *body);
void chat_group_fan_free(chat_group_fan_t *fan);
/* I/O thread: writes fan's frame to the members here, one CHAT_GROUP_PUSH to each other node. */
void chat_group_fan_deliver(chat_node_t *node, const chat_group_fan_t *fan);
/* I/O thread: a CHAT_GROUP_PUSH from another node. 0 or -EBADMSG (nothing delivered). */
int chat_group_push_receive(chat_node_t *node, const uint8_t *body, size_t len);

/* chat_group_store.c (worker): create and every change of a group (1061-1074) */
void chat_group_store_create(chat_job_t *job, chat_worker_t *worker);
void chat_group_store_change(chat_job_t *job, chat_worker_t *worker);
/* chat_group_msg.c (worker) */
void chat_group_store_text(chat_job_t *job, chat_worker_t *worker);
void chat_group_store_sync(chat_job_t *job, chat_worker_t *worker);
void chat_group_store_read(chat_job_t *job, chat_worker_t *worker);
void chat_group_store_list(chat_job_t *job, chat_worker_t *worker);
void chat_group_store_members(chat_job_t *job, chat_worker_t *worker);
/* chat_group_reads.c (worker): 1100, the read counts of a seq range */
void chat_group_store_read_counts(chat_job_t *job, chat_worker_t *worker);

/* Worker: the item of a stored message (GROUP_MSG_ITEM); content is the stored content, of an
 * event (kind 3) its JSON, parsed into `event`; file: an image or file's (kind 1/2; may be NULL
 * otherwise). NULL when out of memory. */
json_t *chat_group_msg_item(int64_t group_id, int64_t msg_id, int64_t seq, int kind, int64_t sender,
                            const char *unique_id, const char *content, const char *chat_time,
                            const chat_file_t *file);
/* Worker: "YYYY-MM-DD HH:MM:SS" of the UTC time now into out[20]. */
void chat_group_now(char out[20]);

#endif
