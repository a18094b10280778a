/* chat_group_db.c - reading a group's row and a member's row (chat_group_db.h) for the group
 * layer's workers. Every writer of a group takes the group's row lock first (FOR UPDATE), so
 * what it reads of the members after it is what it changes.
 *
 * Threads: worker threads.
 */
#include "chat_group_db.h"
#include "chat_group.h"
#include "uschat/client_proto.h"

#include <stdlib.h>

static int s_on_group(void *arg, const db_value_t *c, size_t ncols)
{
    chat_group_row_t *g = arg;
    if (ncols >= 7)
        *g = (chat_group_row_t){.id = c[0].i64,
                                .owner = c[1].i64,
                                .last_seq = c[2].i64,
                                .members = c[3].i64,
                                .members_invite = c[4].i64 != 0,
                                .mute_all = c[5].i64 != 0,
                                .dissolved = c[6].i64 != 0};
    return 0;
}

static int s_on_member(void *arg, const db_value_t *c, size_t ncols)
{
    chat_group_member_t *me = arg;
    if (ncols >= 7)
        *me = (chat_group_member_t){.role = (int)c[0].i64,
                                    .join_seq = c[1].i64,
                                    .read_seq = c[2].i64,
                                    .muted_until = c[3].i64,
                                    .muted_now = c[4].i64 != 0,
                                    .last_seq = c[5].i64,
                                    .dissolved = c[6].i64 != 0};
    return 0;
}

int chat_group_member(db_conn_t *db, int64_t group_id, uint64_t uid, chat_group_member_t *me)
{
    *me = (chat_group_member_t){0};
    int rc = db_query(db,
                      "SELECT m.role, m.join_seq, m.read_seq, " CHAT_GROUP_MUTED_S
                      ", m.muted_until IS NOT NULL AND m.muted_until > UTC_TIMESTAMP(), "
                      "g.last_seq, g.dissolved FROM group_member m JOIN group_chat g ON g.id = "
                      "m.group_id WHERE m.group_id = ? AND m.uid = ?",
                      (db_param_t[]){DB_I64(group_id), DB_U64(uid)}, 2, s_on_member, me);
    return rc < 0 ? rc : rc > 0;
}

int chat_group_lock(db_conn_t *db, int64_t group_id, uint64_t uid, chat_group_row_t *g,
                    chat_group_member_t *me)
{
    *g = (chat_group_row_t){0};
    int rc = db_query(db,
                      "SELECT id, owner_id, last_seq, members, members_invite, mute_all, "
                      "dissolved FROM group_chat WHERE id = ? FOR UPDATE",
                      (db_param_t[]){DB_I64(group_id)}, 1, s_on_group, g);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return USCHAT_ERR_NOT_FRIENDS;
    rc = chat_group_member(db, group_id, uid, me);
    if (rc < 0)
        return rc;
    return rc ? 0 : USCHAT_ERR_NOT_FRIENDS;
}

static int s_on_uid(void *arg, const db_value_t *c, size_t ncols)
{
    chat_group_uids_t *u = arg;
    if (ncols < 1)
        return 0;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        uint64_t *p = realloc(u->uids, cap * sizeof *p);
        if (!p)
            return 1;
        u->uids = p;
        u->cap = cap;
    }
    u->uids[u->n++] = (uint64_t)c[0].i64;
    return 0;
}

int chat_group_uids_load(db_conn_t *db, int64_t group_id, chat_group_uids_t *u)
{
    u->n = 0;
    int rc = db_query(db, "SELECT uid FROM group_member WHERE group_id = ?",
                      (db_param_t[]){DB_I64(group_id)}, 1, s_on_uid, u);
    if (rc >= 0 && (size_t)rc != u->n)
        return DB_ERR_QUERY; /* out of memory part way */
    return rc < 0 ? rc : 0;
}
