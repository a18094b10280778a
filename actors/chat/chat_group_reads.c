/* chat_group_reads.c - 1100: how many members have read each of a range of a group's messages,
 * the "Read by 12" a client shows under its own messages, in MySQL.
 *
 * The counts are asked by the one who looks (a client with the conversation open), never
 * pushed when a read mark moves: in a group of 10,000 every message would otherwise move
 * 10,000 marks and each of those would be a push to its sender. One request costs one scan of
 * the index (group_id, read_seq, join_seq) over the members whose mark is at or past from_seq
 * (none of the others is read), grouped by mark and join, so the database returns at most one
 * row per distinct pair; each row adds its members to the seqs it covers, (join_seq, read_seq]
 * (a member who joined later never saw what came before), through a difference array summed
 * once: count(seq) = the members with join_seq < seq <= read_seq. A range is at most
 * USCHAT_MAX(GROUP_READ_COUNTS_RSP, counts) seqs (chat_group.c checks it). The member asking is
 * left out of every count, and only a member may ask (1016 otherwise, like every read of a group).
 *
 * Threads: worker threads (chat_job_t run()), each with its own MySQL connection.
 */
#include "chat_group.h"
#include "chat_group_db.h"
#include "chat_jobs.h"
#include "chat_json.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>

#include "uschat/log.h"

#define RANGE_MAX USCHAT_MAX(GROUP_READ_COUNTS_RSP, counts)

typedef struct {
    int64_t from, to;
    int64_t diff[RANGE_MAX + 1]; /* members starting (+) and ending (-) at from + i */
} s_counts_t;

/* One (read_seq, join_seq, members) row: they read the seqs in (join_seq, read_seq]. */
static int s_on_mark(void *arg, const db_value_t *c, size_t ncols)
{
    s_counts_t *k = arg;
    if (ncols < 3 || c[0].is_null || c[1].is_null)
        return 0;
    int64_t lo = c[1].i64 + 1, hi = c[0].i64, n = c[2].i64;
    lo = lo > k->from ? lo : k->from;
    hi = hi < k->to ? hi : k->to;
    if (lo <= hi) {
        k->diff[lo - k->from] += n;
        k->diff[hi - k->from + 1] -= n;
    }
    return 0;
}

static json_t *s_error(int error, int64_t group_id)
{
    return json_pack("{sisI}", USCHAT_FIELD(GROUP_READ_COUNTS_RSP, error), error,
                     USCHAT_FIELD(GROUP_READ_COUNTS_RSP, group_id), (json_int_t)group_id);
}

void chat_group_store_read_counts(chat_job_t *job, chat_worker_t *worker)
{
#define REQ(f) USCHAT_FIELD(GROUP_READ_COUNTS_REQ, f)
    int64_t group_id = (int64_t)chat_json_uid(job->request, REQ(group_id));
    s_counts_t k = {.from = (int64_t)chat_json_uid(job->request, REQ(from_seq)),
                    .to = (int64_t)chat_json_uid(job->request, REQ(to_seq))};
#undef REQ
    chat_group_member_t me;
    int rc = chat_group_member(worker->db, group_id, job->uid, &me);
    if (rc != 1) {
        if (rc < 0)
            log_warn("chat: member %" PRIu64 " of group %" PRId64 ": %s", job->uid, group_id,
                     db_strerror(rc));
        chat_job_set_reply(
            job, s_error(rc < 0 ? USCHAT_ERR_LOAD_CHAT : USCHAT_ERR_NOT_FRIENDS, group_id));
        return;
    }
    rc = db_query(worker->db,
                  "SELECT read_seq, join_seq, COUNT(*) FROM group_member "
                  "FORCE INDEX (idx_group_member_read) WHERE group_id = ? AND read_seq >= ? AND "
                  "uid <> ? GROUP BY read_seq, join_seq",
                  (db_param_t[]){DB_I64(group_id), DB_I64(k.from), DB_U64(job->uid)}, 3, s_on_mark,
                  &k);
    json_t *counts = rc < 0 ? NULL : json_array();
    if (!counts) {
        if (rc < 0)
            log_warn("chat: read counts of group %" PRId64 ": %s", group_id, db_strerror(rc));
        chat_job_set_reply(job, s_error(USCHAT_ERR_LOAD_CHAT, group_id));
        return;
    }
    int64_t n = k.to - k.from + 1, sum = 0;
    for (int64_t i = 0; i < n; i++) {
        sum += k.diff[i];
        json_array_append_new(counts,
                              json_pack("{sIsI}", USCHAT_FIELD(READ_COUNT_ITEM, seq),
                                        (json_int_t)(k.from + i),
                                        USCHAT_FIELD(READ_COUNT_ITEM, read), (json_int_t)sum));
    }
    chat_job_set_reply(job, json_pack("{sisIso}", USCHAT_FIELD(GROUP_READ_COUNTS_RSP, error), 0,
                                      USCHAT_FIELD(GROUP_READ_COUNTS_RSP, group_id),
                                      (json_int_t)group_id,
                                      USCHAT_FIELD(GROUP_READ_COUNTS_RSP, counts), counts));
}
