/* chat_stages.h - where a text message spends its time: monotonic timestamps taken at each
 * stage of its path and one latency histogram per stage, logged every few seconds.
 *
 * The path of a 1017 and its 1019 (CHAT_STAMP_*): the frame handled on the sender's node
 * (read), its batch handed to the worker pool (submit), a worker starting the batch (start),
 * the COMMIT returned (commit), the replies and the peers' presence ready (built), the ack
 * 1018 written (ack), the push written to the peer's socket here or handed to the broker
 * (sent); on the peer's node: the CHAT_PUSH handled (recv), the 1019 written (write). The
 * clock is CLOCK_MONOTONIC, which every process of one host shares, so the stamps of one
 * node are compared with another's; a CHAT_PUSH record carries read..sent when
 * chat/stage_stamps is on (schema/messages/chat.def), and the histograms count only then.
 *
 * Threads: stamps are taken by whichever thread reaches the stage; the histograms belong to
 * the node's I/O thread (chat_stages_*() run there only).
 */
#ifndef USCHAT_CHAT_STAGES_H
#define USCHAT_CHAT_STAGES_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHAT_STAMP_READ,
    CHAT_STAMP_SUBMIT,
    CHAT_STAMP_START,
    CHAT_STAMP_COMMIT,
    CHAT_STAMP_BUILT,
    CHAT_STAMP_ACK,
    CHAT_STAMP_SENT,
    CHAT_STAMPS_SENT /* how many a sender carries: read..sent */
} chat_stamp_t;

typedef struct chat_stages_t chat_stages_t;

/* Monotonic microseconds (CLOCK_MONOTONIC: the same clock in every process of the host). */
int64_t chat_stages_now(void);

/* A new set of empty histograms, or NULL when out of memory. */
chat_stages_t *chat_stages_new(void);
void chat_stages_destroy(chat_stages_t **self_p);

/* The sender's stages of one message, stamps[CHAT_STAMPS_SENT] (0 = not taken: the stages
 * around it are not counted): lane, pool, transaction, replies, ack and, when sent is taken,
 * push out; local tells the push was written here (its delivery ends at sent). */
void chat_stages_sender(chat_stages_t *self, const int64_t *stamps, int local);
/* The peer's stages of a message from another node: the carried stamps (count of them, at
 * most CHAT_STAMPS_SENT), the CHAT_PUSH handled at recv, the 1019 written at write. */
void chat_stages_peer(chat_stages_t *self, const int64_t *stamps, size_t count, int64_t recv,
                      int64_t write);

/* Logs one line with the median and p99 of every stage counted since the last call (nothing
 * when none was), then empties the histograms. */
void chat_stages_log(chat_stages_t *self, const char *node_name);

#endif
