/* chat_group_db.h - the rows of a group as the group layer's workers read them
 * (chat_group_db.c), private to chat_group_store.c and chat_group_msg.c.
 *
 * Threads: worker threads, each call on the worker's own MySQL connection.
 */
#ifndef USCHAT_CHAT_GROUP_DB_H
#define USCHAT_CHAT_GROUP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/db.h"

/* group_member.muted_until (alias m) as Unix seconds, 0 when NULL: computed from the UTC text
 * the node wrote, so the session's time zone plays no part. */
#define CHAT_GROUP_MUTED_S                                                                         \
    "COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', m.muted_until), 0)"

typedef struct {
    int64_t id, owner, last_seq, members;
    bool members_invite, mute_all, dissolved;
} chat_group_row_t;

typedef struct {
    int role; /* CHAT_GROUP_MEMBER, _ADMIN, _OWNER */
    int64_t join_seq, read_seq, muted_until, last_seq;
    bool muted_now, dissolved;
} chat_group_member_t;

typedef struct {
    uint64_t *uids; /* malloc'd */
    size_t n, cap;
} chat_group_uids_t;

/* Inside a transaction: locks the group's row (FOR UPDATE) into *g and reads uid's membership
 * into *me. 0 when uid is a member, USCHAT_ERR_NOT_FRIENDS when the group does not exist or uid
 * is not in it, DB_ERR_* on failure. */
int chat_group_lock(db_conn_t *db, int64_t group_id, uint64_t uid, chat_group_row_t *g,
                    chat_group_member_t *me);
/* uid's membership (with the group's last_seq and dissolved): 1, 0 when not a member, DB_ERR_*. */
int chat_group_member(db_conn_t *db, int64_t group_id, uint64_t uid, chat_group_member_t *me);
/* Appends the uids of the group's members to *u (reset first). 0 or DB_ERR_*. */
int chat_group_uids_load(db_conn_t *db, int64_t group_id, chat_group_uids_t *u);

#endif
