/* chat_store_text.c - committing a batch of text messages (chat_text.c's lanes) to MySQL.
 *
 * Runs on a worker thread, one batch of one lane at a time. The whole batch is ONE transaction
 * of two round trips whatever its size, because the round trips and the statements, not the
 * rows, are what a message costs MariaDB: CALL chat_text_lock() (START TRANSACTION and step 1)
 * and CALL chat_text_store() (steps 3 to 5), two stored procedures
 * (sql/migrations/004_chat_text_procedures.sql) prepared once per connection. A batch whose
 * rows exceed one INSERT, or whose ids are read back, sends steps 3 to 5 one by one.
 *
 *   1. lock: every thread of the batch, SELECT ... FOR UPDATE, in ascending id order in one
 *      statement (a sorted JSON array joined to chat_thread, STRAIGHT_JOIN + FORCE INDEX so the
 *      rows are locked one by one in that order), with the pair of each thread (private_chat)
 *      and both friend rows. Every batch, on every node, locks in the same order, so two
 *      batches sharing threads wait for each other but never deadlock;
 *   2. seqs: every new message gets seq = last_seq + 1 of its thread in arrival order (so a
 *      sender's messages in a thread keep their order), in C;
 *   3. insert: one INSERT ... SELECT FROM JSON_TABLE(?) per megabyte of messages;
 *   4. last_seq: one UPDATE of every touched thread;
 *   5. COMMIT: one log flush for the whole batch.
 * So per thread seq grows by exactly one per committed message, in commit order, with no gap
 * (the lock is held from the read of last_seq to the commit). Values travel as bound JSON
 * parameters (one each), never in SQL text.
 *
 * A retry, i.e. a (sender, unique_id) already stored: the INSERT fails on the unique key; the
 * transaction is rolled back and run again, this time first reading the stored copies of all
 * its (sender, unique_id) with a locking read (which sees what other transactions committed
 * and keeps anyone from inserting them meanwhile); those messages are answered with the stored
 * message_id / seq and not stored again. Twice the same (sender, unique_id) within one batch:
 * the second is the first. A deadlock or lock wait timeout reruns the batch (3 times); other
 * errors answer every message of the batch with 1002: nothing was stored, the client sends
 * again with the same unique_ids (an unknown COMMIT outcome is answered the same way, and the
 * resend then finds the stored copy).
 *
 * Message ids: an INSERT ... SELECT takes consecutive AUTO_INCREMENT values in row order when
 * innodb_autoinc_lock_mode is 0 or 1 (a table-level AUTO-INC lock for the statement) and the
 * increment is 1; otherwise (or with chat/message_id_readback) they are read back by
 * (thread_id, seq).
 */
#include "chat_batch.h"
#include "chat_file.h"
#include "chat_store.h"
#include "chat_text.h"
#include "uschat/client_proto.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "uschat/log.h"

#define TX_ATTEMPTS  4         /* deadlocks, lock wait timeouts and one look for stored copies */
#define INSERT_CHUNK (1 << 20) /* bytes of JSON per INSERT, far below max_allowed_packet */

#define UTF8_BIN "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"

/* START TRANSACTION and the threads of the batch, locked in ascending id order (STRAIGHT_JOIN
 * from the sorted JSON array, FORCE INDEX: row by row in that order), with the pair of each
 * and whether they are friends both ways (sql/migrations/004_chat_text_procedures.sql). The
 * pair's private_chat and friend rows are locked as well; nothing else locks them in another
 * order (a new friendship inserts its friend rows before it looks at private_chat, and a
 * thread exists only once they are friends). */
static const char s_sql_lock[] = "CALL chat_text_lock(?)";

/* now, the rows as s_sql_insert's JSON, [[thread, last_seq], ...]: the INSERT, the UPDATE of
 * last_seq and the COMMIT in one round trip; returns [first message id, rows inserted]. */
static const char s_sql_store[] = "CALL chat_text_store(?, ?, ?)";

/* [[sender, unique_id], ...] -> the stored copies (locking read: the latest committed). */
static const char s_sql_stored[] =
    "SELECT STRAIGHT_JOIN m.sender_id, m.unique_id, m.message_id, m.thread_id, m.seq, m.status, "
    "m.created_at, m.content, " CHAT_FILE_SQL_COLS(
        "m") " FROM JSON_TABLE(?, '$[*]' COLUMNS ("
             "f BIGINT PATH '$[0]', u VARCHAR(64) " UTF8_BIN " PATH '$[1]')) AS j "
             "JOIN chat_message m FORCE INDEX (uq_message_sender_unique) ON m.sender_id = j.f AND "
             "m.unique_id = j.u" CHAT_FILE_SQL_JOIN("m") "LOCK IN SHARE MODE";

/* [[thread, seq, sender, recv, unique_id, content], ...], an image or file row followed by
 * kind, file_id, width, height, preview (chat_text_store() of migration 005 reads the same) */
static const char s_sql_insert[] =
    "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content, status, "
    "created_at, kind, file_id, width, height, preview) SELECT j.t, j.s, j.f, j.r, j.u, j.c, 0, ?, "
    "COALESCE(j.k, 0), j.fi, COALESCE(j.w, 0), COALESCE(j.h, 0), j.p FROM JSON_TABLE(?, '$[*]' "
    "COLUMNS (t BIGINT PATH '$[0]', s BIGINT PATH '$[1]', f BIGINT PATH '$[2]', "
    "r BIGINT PATH '$[3]', u VARCHAR(64) " UTF8_BIN " PATH '$[4]', "
    "c VARCHAR(4096) CHARACTER SET utf8mb4 PATH '$[5]', k TINYINT PATH '$[6]', "
    "fi CHAR(32) CHARACTER SET ascii PATH '$[7]', w INT PATH '$[8]', h INT PATH '$[9]', "
    "p TEXT CHARACTER SET ascii PATH '$[10]')) AS j";

/* [[row, thread, seq], ...] -> message ids */
static const char s_sql_ids[] =
    "SELECT STRAIGHT_JOIN j.r, m.message_id FROM JSON_TABLE(?, '$[*]' COLUMNS ("
    "r BIGINT PATH '$[0]', t BIGINT PATH '$[1]', s BIGINT PATH '$[2]')) AS j "
    "JOIN chat_message m FORCE INDEX (uq_message_seq) ON m.thread_id = j.t AND m.seq = j.s";

/* [[thread, last_seq], ...] */
static const char s_sql_last_seq[] =
    "UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT PATH '$[0]', s BIGINT PATH '$[1]')) AS j "
    "STRAIGHT_JOIN chat_thread t FORCE INDEX (PRIMARY) ON t.id = j.id SET t.last_seq = j.s";

/* ---- lookups ----------------------------------------------------------------------------- */

static chat_batch_thread_t *s_thread(chat_batch_t *b, int64_t id)
{
    size_t lo = 0, hi = b->nthreads;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->threads[mid].id == id)
            return &b->threads[mid];
        if (b->threads[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static uint64_t s_hash(uint64_t sender, const char *unique, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ (sender * 0x9E3779B97F4A7C15ULL);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)unique[i]) * 1099511628211ULL;
    return h;
}

static uint64_t s_row_sender(const chat_batch_t *b, const chat_batch_row_t *r)
{
    return b->texts[r->text].text->sender;
}

/* The row of this batch holding (sender, unique) and taking part (not skipped); NULL when
 * none. With add, a row that is not there yet is entered as row (and NULL returned). */
static chat_batch_row_t *s_index(chat_batch_t *b, uint64_t sender, const char *unique, size_t len,
                                 size_t add_row, bool add)
{
    size_t slot = (size_t)s_hash(sender, unique, len) & b->index_mask;
    for (;; slot = (slot + 1) & b->index_mask) {
        uint32_t v = b->index[slot];
        if (v == 0) {
            if (add)
                b->index[slot] = (uint32_t)add_row + 1;
            return NULL;
        }
        chat_batch_row_t *r = &b->rows[v - 1];
        if (r->unique_len == len && s_row_sender(b, r) == sender &&
            memcmp(r->unique, unique, len) == 0)
            return r;
    }
}

/* ---- the statements ---------------------------------------------------------------------- */

static int s_on_lock(void *arg, const db_value_t *c, size_t ncols)
{
    chat_batch_t *b = arg;
    chat_batch_thread_t *t = ncols >= 5 ? s_thread(b, c[0].i64) : NULL;
    if (t) {
        t->last_seq = t->next_seq = c[1].i64;
        t->pair = true;
        t->user1 = c[2].i64;
        t->user2 = c[3].i64;
        t->friends = c[4].i64 != 0;
    }
    return 0;
}

/* The batch's thread ids as a JSON array, ascending. */
static void s_param_thread_ids(chat_batch_t *b)
{
    chat_buf_reset(&b->param);
    chat_buf_char(&b->param, '[');
    for (size_t i = 0; i < b->nthreads; i++) {
        if (i)
            chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, b->threads[i].id);
    }
    chat_buf_char(&b->param, ']');
}

static int s_query_json(chat_batch_t *b, const char *sql, db_row_fn *on_row, void *arg)
{
    if (chat_buf_failed(&b->param))
        return DB_ERR_QUERY;
    return db_query(b->worker->db, sql, (db_param_t[]){DB_STRN(b->param.data, b->param.len)}, 1,
                    on_row, arg);
}

static int s_on_stored(void *arg, const db_value_t *c, size_t ncols)
{
    chat_batch_t *b = arg;
    if (ncols < 8 + CHAT_FILE_NCOLS)
        return 1;
    chat_batch_row_t *r = s_index(b, c[0].u64, c[1].str, c[1].len, 0, false);
    if (!r || r->state != ROW_NEW)
        return 0;
    r->state = ROW_STORED;
    r->message_id = c[2].i64;
    r->stored_thread = c[3].i64;
    r->seq = c[4].i64;
    r->status = (int)c[5].i64;
    snprintf(r->chat_time, sizeof r->chat_time, "%.*s", (int)c[6].len, c[6].str);
    free(r->stored_content);
    r->stored_content = strndup(c[7].str, c[7].len);
    if (!r->stored_content)
        return 1;
    r->content = r->stored_content;
    r->content_len = c[7].len;
    /* the stored copy's file, as it was stored */
    chat_file_t f;
    int kind = chat_file_from_cols(&c[8], &f, true);
    if (kind < 0)
        return 1;
    if (kind != CHAT_KIND_TEXT && !r->file && (r->file = malloc(sizeof *r->file)) == NULL) {
        chat_file_free(&f);
        return 1;
    }
    if (r->file) {
        chat_file_free(r->file);
        *r->file = f;
    }
    r->kind = (uint8_t)kind;
    return 0;
}

/* Marks the rows stored before (a client's retry) as ROW_STORED. 0 or DB_ERR_*. */
static int s_find_stored(chat_batch_t *b)
{
    chat_buf_reset(&b->param);
    chat_buf_char(&b->param, '[');
    bool any = false;
    for (size_t i = 0; i < b->nrows; i++) {
        chat_batch_row_t *r = &b->rows[i];
        if (r->state != ROW_NEW)
            continue;
        chat_buf_str(&b->param, any ? ",[" : "[");
        chat_buf_i64(&b->param, (int64_t)s_row_sender(b, r));
        chat_buf_char(&b->param, ',');
        chat_buf_json_str(&b->param, r->unique, r->unique_len);
        chat_buf_char(&b->param, ']');
        any = true;
    }
    chat_buf_char(&b->param, ']');
    if (!any)
        return 0;
    int rc = s_query_json(b, s_sql_stored, s_on_stored, b);
    return rc < 0 ? rc : 0;
}

static int s_on_id(void *arg, const db_value_t *c, size_t ncols)
{
    chat_batch_t *b = arg;
    if (ncols >= 2 && c[0].i64 >= 0 && (uint64_t)c[0].i64 < b->nrows)
        b->rows[c[0].i64].message_id = c[1].i64;
    return 0;
}

/* Inserts rows [first, end) that are ROW_NEW (the JSON is in b->param). */
static int s_insert_chunk(chat_batch_t *b, size_t first, size_t end, size_t count)
{
    if (chat_buf_failed(&b->param))
        return DB_ERR_QUERY;
    db_exec_result_t res = {0, 0};
    int rc = db_exec(b->worker->db, s_sql_insert,
                     (db_param_t[]){DB_STR(b->now), DB_STRN(b->param.data, b->param.len)}, 2, &res);
    if (rc < 0)
        return rc;
    if (res.affected != count) {
        log_warn("chat: %zu messages inserted as %" PRIu64 " rows", count, res.affected);
        return DB_ERR_QUERY;
    }
    if (!b->readback_ids) {
        uint64_t id = res.insert_id;
        for (size_t i = first; i < end; i++)
            if (b->rows[i].state == ROW_NEW)
                b->rows[i].message_id = (int64_t)id++;
        return 0;
    }
    chat_buf_reset(&b->param);
    chat_buf_char(&b->param, '[');
    bool any = false;
    for (size_t i = first; i < end; i++) {
        chat_batch_row_t *r = &b->rows[i];
        if (r->state != ROW_NEW)
            continue;
        chat_buf_str(&b->param, any ? ",[" : "[");
        chat_buf_i64(&b->param, (int64_t)i);
        chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, b->texts[r->text].thread->id);
        chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, r->seq);
        chat_buf_char(&b->param, ']');
        any = true;
    }
    chat_buf_char(&b->param, ']');
    rc = s_query_json(b, s_sql_ids, s_on_id, b);
    if (rc >= 0 && (size_t)rc != count)
        rc = DB_ERR_QUERY;
    return rc < 0 ? rc : 0;
}

/* The ROW_NEW rows from row `from` on as s_sql_insert's JSON array in b->param, up to about
 * INSERT_CHUNK bytes: returns the row after the last one taken, and their count and the first
 * of them in *count and *first. */
static size_t s_param_rows(chat_batch_t *b, size_t from, size_t *first, size_t *count)
{
    size_t i = from;
    *first = from;
    *count = 0;
    chat_buf_reset(&b->param);
    chat_buf_char(&b->param, '[');
    for (; i < b->nrows && b->param.len < INSERT_CHUNK; i++) {
        chat_batch_row_t *r = &b->rows[i];
        if (r->state != ROW_NEW)
            continue;
        if (*count == 0)
            *first = i;
        const chat_batch_text_t *t = &b->texts[r->text];
        chat_buf_str(&b->param, *count ? ",[" : "[");
        chat_buf_i64(&b->param, t->thread->id);
        chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, r->seq);
        chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, (int64_t)t->text->sender);
        chat_buf_char(&b->param, ',');
        chat_buf_i64(&b->param, (int64_t)t->text->touid);
        chat_buf_char(&b->param, ',');
        chat_buf_json_str(&b->param, r->unique, r->unique_len);
        chat_buf_char(&b->param, ',');
        chat_buf_json_str(&b->param, r->content, r->content_len);
        if (r->kind != CHAT_KIND_TEXT) {
            const chat_file_t *f = r->file;
            chat_buf_char(&b->param, ',');
            chat_buf_i64(&b->param, r->kind);
            chat_buf_char(&b->param, ',');
            chat_buf_json_str(&b->param, f->id, strlen(f->id));
            chat_buf_char(&b->param, ',');
            chat_buf_i64(&b->param, f->width);
            chat_buf_char(&b->param, ',');
            chat_buf_i64(&b->param, f->height);
            chat_buf_char(&b->param, ',');
            if (f->preview_len)
                chat_buf_json_str(&b->param, f->preview, f->preview_len);
            else
                chat_buf_str(&b->param, "null");
        }
        chat_buf_char(&b->param, ']');
        (*count)++;
    }
    chat_buf_char(&b->param, ']');
    return i;
}

/* Every ROW_NEW row, in chunks of about INSERT_CHUNK bytes. */
static int s_insert(chat_batch_t *b)
{
    for (size_t i = 0; i < b->nrows;) {
        size_t first, count;
        size_t end = s_param_rows(b, i, &first, &count);
        if (count) {
            int rc = s_insert_chunk(b, first, end, count);
            if (rc < 0)
                return rc;
        }
        i = end;
    }
    return 0;
}

/* [[thread, last_seq], ...] of the threads that got messages, into out; false when none. */
static bool s_param_last_seq(chat_batch_t *b, chat_buf_t *out)
{
    chat_buf_reset(out);
    chat_buf_char(out, '[');
    bool any = false;
    for (size_t i = 0; i < b->nthreads; i++) {
        const chat_batch_thread_t *t = &b->threads[i];
        if (t->next_seq == t->last_seq)
            continue;
        chat_buf_str(out, any ? ",[" : "[");
        chat_buf_i64(out, t->id);
        chat_buf_char(out, ',');
        chat_buf_i64(out, t->next_seq);
        chat_buf_char(out, ']');
        any = true;
    }
    chat_buf_char(out, ']');
    return any;
}

static int s_update_last_seq(chat_batch_t *b)
{
    if (!s_param_last_seq(b, &b->param))
        return 0;
    if (chat_buf_failed(&b->param))
        return DB_ERR_QUERY;
    return db_exec(b->worker->db, s_sql_last_seq,
                   (db_param_t[]){DB_STRN(b->param.data, b->param.len)}, 1, NULL);
}

static int s_on_store(void *arg, const db_value_t *c, size_t ncols)
{
    int64_t *out = arg;
    if (ncols < 2)
        return 1;
    out[0] = c[0].i64;
    out[1] = c[1].i64;
    return 0;
}

/* The INSERT, last_seq and the COMMIT in one call when the rows fit one INSERT and their ids
 * are consecutive; otherwise statement by statement (chunks, ids read back). 0 or DB_ERR_*. */
static int s_store_commit(chat_batch_t *b)
{
    size_t first, count;
    if (b->readback_ids || s_param_rows(b, 0, &first, &count) < b->nrows) {
        int rc = s_insert(b);
        if (rc >= 0)
            rc = s_update_last_seq(b);
        return rc < 0 ? rc : db_commit(b->worker->db);
    }
    s_param_last_seq(b, &b->param2);
    if (chat_buf_failed(&b->param) || chat_buf_failed(&b->param2))
        return DB_ERR_QUERY;
    int64_t out[2] = {-1, -1};
    int rc = db_commit_query(b->worker->db, s_sql_store,
                             (db_param_t[]){DB_STR(b->now), DB_STRN(b->param.data, b->param.len),
                                            DB_STRN(b->param2.data, b->param2.len)},
                             3, s_on_store, out);
    if (rc < 0)
        return rc;
    if (rc != 1 || out[1] != (int64_t)count) {
        /* committed, but not as counted: answered as unknown (the resend finds the copies) */
        log_warn("chat: %zu messages stored as %lld rows", count, (long long)out[1]);
        return DB_ERR_QUERY;
    }
    int64_t id = out[0];
    for (size_t i = 0; i < b->nrows; i++)
        if (b->rows[i].state == ROW_NEW)
            b->rows[i].message_id = id++;
    return 0;
}

/* ---- one attempt ------------------------------------------------------------------------- */

/* Refuses the texts whose sender and touid are not the pair of a private thread, friends
 * both ways (1016), those naming a file the sender may not send (1067), and those reusing a
 * unique_id of the sender for another thread in this batch (1015); their rows take no part. Then
 * the second of two rows with the same (sender, unique_id) becomes the first. */
static void s_check(chat_batch_t *b)
{
    memset(b->index, 0, (b->index_mask + 1) * sizeof *b->index);
    for (size_t i = 0; i < b->ntexts; i++) {
        chat_batch_text_t *bt = &b->texts[i];
        const chat_batch_thread_t *t = bt->thread;
        int64_t s = (int64_t)bt->text->sender, to = (int64_t)bt->text->touid;
        bool member = t->last_seq >= 0 && t->pair && t->friends &&
                      ((s == t->user1 && to == t->user2) || (s == t->user2 && to == t->user1));
        bt->error = member ? bt->file_error : USCHAT_ERR_NOT_FRIENDS;
        for (size_t k = 0; !bt->error && k < bt->nrows; k++) {
            const chat_batch_row_t *r = &b->rows[bt->first_row + k];
            const chat_batch_row_t *first =
                s_index(b, bt->text->sender, r->unique, r->unique_len, 0, false);
            if (first && b->texts[first->text].thread != t)
                bt->error = USCHAT_ERR_OUT_OF_RANGE;
        }
        for (size_t k = 0; k < bt->nrows; k++) {
            size_t row = bt->first_row + k;
            chat_batch_row_t *r = &b->rows[row];
            r->state = ROW_SKIP;
            if (bt->error)
                continue;
            chat_batch_row_t *first =
                s_index(b, bt->text->sender, r->unique, r->unique_len, row, true);
            r->state = first ? ROW_SAME : ROW_NEW;
            r->same = first ? (size_t)(first - b->rows) : 0;
        }
    }
}

/* After the look for stored copies: a copy stored in another thread means the unique_id was
 * used for another conversation (1015), and so does a row that is the same as a refused one.
 * Rows only ever point back, so one pass in order settles it. */
static void s_refuse_foreign(chat_batch_t *b)
{
    for (size_t i = 0; i < b->ntexts; i++) {
        chat_batch_text_t *bt = &b->texts[i];
        for (size_t k = 0; k < bt->nrows && !bt->error; k++) {
            const chat_batch_row_t *r = &b->rows[bt->first_row + k];
            if ((r->state == ROW_STORED && r->stored_thread != bt->thread->id) ||
                (r->state == ROW_SAME && b->rows[r->same].state == ROW_SKIP))
                bt->error = USCHAT_ERR_OUT_OF_RANGE;
        }
        for (size_t k = 0; bt->error && k < bt->nrows; k++)
            b->rows[bt->first_row + k].state = ROW_SKIP;
    }
}

static void s_assign_seqs(chat_batch_t *b)
{
    for (size_t i = 0; i < b->nrows; i++) {
        chat_batch_row_t *r = &b->rows[i];
        if (r->state != ROW_NEW)
            continue;
        chat_batch_thread_t *t = b->texts[r->text].thread;
        r->seq = ++t->next_seq;
        r->status = 0;
        memcpy(r->chat_time, b->now, sizeof r->chat_time);
    }
}

/* One attempt (db_tx_fn on the worker's connection): 0 or DB_ERR_*. */
static int s_attempt(db_conn_t *db, void *arg)
{
    (void)db;
    chat_batch_t *b = arg;
    for (size_t i = 0; i < b->nthreads; i++) {
        chat_batch_thread_t *t = &b->threads[i];
        *t = (chat_batch_thread_t){.id = t->id, .last_seq = -1, .next_seq = -1};
    }
    s_param_thread_ids(b);
    int rc =
        chat_buf_failed(&b->param)
            ? DB_ERR_QUERY
            : db_begin_query(b->worker->db, s_sql_lock,
                             (db_param_t[]){DB_STRN(b->param.data, b->param.len)}, 1, s_on_lock, b);
    if (rc >= 0) {
        s_check(b);
        rc = b->look_for_stored ? s_find_stored(b) : 0;
    }
    if (rc >= 0) {
        if (b->look_for_stored)
            s_refuse_foreign(b);
        s_assign_seqs(b);
        rc = s_store_commit(b);
    }
    /* InnoDB reports a deadlock over the table's AUTO-INC lock (an INSERT ... SELECT holds it
     * for the statement) as "failed to read auto-increment value" (1467): run it again. */
    if (rc == DB_ERR_QUERY && strncmp(db_conn_error(b->worker->db), "1467:", 5) == 0)
        rc = DB_ERR_RETRY;
    if (rc < 0)
        db_rollback(b->worker->db);
    if (rc == DB_ERR_DUP) {
        b->look_for_stored = true; /* a retry of a stored message: look for the copies */
        rc = DB_ERR_RETRY;
    }
    return rc < 0 ? rc : 0;
}

/* ---- the batch --------------------------------------------------------------------------- */

static int s_cmp_thread(const void *a, const void *b)
{
    int64_t x = ((const chat_batch_thread_t *)a)->id, y = ((const chat_batch_thread_t *)b)->id;
    return (x > y) - (x < y);
}

static int s_on_autoinc(void *arg, const db_value_t *c, size_t ncols)
{
    int *mode = arg;
    *mode = ncols >= 2 && (c[0].i64 == 0 || c[0].i64 == 1) && c[1].i64 == 1 ? 1 : 0;
    return 0;
}

/* Whether ids of one INSERT ... SELECT are consecutive on this server (asked once). */
static bool s_consecutive_ids(chat_worker_t *worker)
{
    if (worker->consecutive_ids < 0) {
        int mode = 0;
        if (db_query(worker->db, "SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment",
                     NULL, 0, s_on_autoinc, &mode) == 1) {
            worker->consecutive_ids = mode;
            if (!mode)
                log_info("chat: message ids are read back (innodb_autoinc_lock_mode 2 or an "
                         "auto_increment_increment other than 1)");
        }
    }
    return worker->consecutive_ids == 1;
}

/* Builds the batch from the job's texts: rows, threads (sorted), the index. 0 or -1. */
static int s_batch_init(chat_batch_t *b, chat_job_t *job, chat_worker_t *worker)
{
    b->worker = worker;
    for (chat_text_t *t = job->texts; t; t = t->next) {
        b->ntexts++;
        b->nrows += json_array_size(t->items);
    }
    b->texts = calloc(b->ntexts ? b->ntexts : 1, sizeof *b->texts);
    b->rows = calloc(b->nrows ? b->nrows : 1, sizeof *b->rows);
    b->threads = calloc(b->ntexts ? b->ntexts : 1, sizeof *b->threads);
    size_t slots = 16;
    while (slots < 2 * b->nrows)
        slots *= 2;
    b->index = calloc(slots, sizeof *b->index);
    b->index_mask = slots - 1;
    if (!b->texts || !b->rows || !b->threads || !b->index)
        return -1;
    size_t i = 0, row = 0;
    for (chat_text_t *t = job->texts; t; t = t->next, i++) {
        b->texts[i] = (chat_batch_text_t){.text = t, .first_row = row};
        b->threads[i].id = t->thread_id;
        size_t k;
        json_t *item;
        json_array_foreach(t->items, k, item)
        {
            json_t *u = json_object_get(item, USCHAT_FIELD(TEXT_ITEM, unique_id)),
                   *c = json_object_get(item, USCHAT_FIELD(TEXT_ITEM, content));
            chat_batch_row_t *r = &b->rows[row++];
            *r = (chat_batch_row_t){.text = i,
                                    .unique = json_string_value(u),
                                    .unique_len = json_string_length(u),
                                    .content = json_string_value(c),
                                    .content_len = json_string_length(c)};
            b->texts[i].nrows++;
            chat_file_t f;
            r->kind = (uint8_t)chat_file_from_item(item, &f);
            if (r->kind != CHAT_KIND_TEXT) {
                if ((r->file = malloc(sizeof *r->file)) == NULL)
                    return -1;
                *r->file = f;
                b->nfiles++;
            }
        }
    }
    qsort(b->threads, b->ntexts, sizeof *b->threads, s_cmp_thread);
    size_t n = 0;
    for (i = 0; i < b->ntexts; i++)
        if (n == 0 || b->threads[n - 1].id != b->threads[i].id)
            b->threads[n++] = b->threads[i];
    b->nthreads = n;
    for (i = 0; i < b->ntexts; i++)
        b->texts[i].thread = s_thread(b, b->texts[i].text->thread_id);
    /* chat_time is UTC, from this clock: the same text in the ack, the push and the row */
    time_t clock_now = time(NULL);
    struct tm tm;
    gmtime_r(&clock_now, &tm);
    strftime(b->now, sizeof b->now, "%Y-%m-%d %H:%M:%S", &tm);
    b->readback_ids = worker->node->cfg.message_id_readback || !s_consecutive_ids(worker);
    return 0;
}

static void s_batch_free(chat_batch_t *b)
{
    for (size_t i = 0; b->rows && i < b->nrows; i++) {
        free(b->rows[i].stored_content);
        chat_file_free(b->rows[i].file);
        free(b->rows[i].file);
    }
    free(b->texts);
    free(b->rows);
    free(b->threads);
    free(b->index);
    chat_buf_free(&b->param);
    chat_buf_free(&b->param2);
    chat_buf_free(&b->text);
}

/* The files the batch's images and files name, looked up in one statement before the
 * transaction (a finished file never changes, and the right to send it is never taken back
 * from the uploader or a recipient of a one-to-one message): a request naming one the sender
 * may not send is refused whole (1067), the others store the server's own content. Only a
 * batch holding an image or file pays the round trip. 0 or DB_ERR_*. */
static int s_files(chat_batch_t *b)
{
    if (!b->nfiles)
        return 0;
    chat_file_want_t *want = calloc(b->nfiles, sizeof *want);
    if (!want)
        return DB_ERR_QUERY;
    size_t n = 0;
    for (size_t i = 0; i < b->nrows; i++)
        if (b->rows[i].file)
            want[n++] = (chat_file_want_t){b->rows[i].file, s_row_sender(b, &b->rows[i]), false};
    int rc = chat_file_lookup(b->worker->db, want, n);
    for (size_t i = 0, k = 0; rc == 0 && i < b->nrows; i++) {
        chat_batch_row_t *r = &b->rows[i];
        if (!r->file)
            continue;
        if (!want[k++].ok) {
            b->texts[r->text].file_error = USCHAT_ERR_FILE_UNKNOWN;
            continue;
        }
        char content[sizeof r->file->name + 8];
        chat_file_content(r->kind, r->file, content, sizeof content);
        if ((r->stored_content = strdup(content)) == NULL) {
            rc = DB_ERR_QUERY;
            break;
        }
        r->content = r->stored_content;
        r->content_len = strlen(content);
    }
    free(want);
    return rc;
}

void chat_store_texts(chat_job_t *job, chat_worker_t *worker)
{
    int64_t start_us = zclock_usecs();
    bool stamps = worker->node->stages != NULL;
    if (stamps)
        job->stamps[CHAT_STAMP_START] = chat_stages_now();
    chat_batch_t b = {0};
    int rc = s_batch_init(&b, job, worker) < 0 ? DB_ERR_QUERY : s_files(&b);
    if (rc == 0)
        rc = db_tx_retry(worker->db, TX_ATTEMPTS, s_attempt, &b);
    if (stamps)
        job->stamps[CHAT_STAMP_COMMIT] = chat_stages_now();
    if (rc != 0)
        log_warn("chat: a batch of %zu messages failed: %s: %s", b.nrows, db_strerror(rc),
                 db_conn_error(worker->db));
    chat_batch_replies(&b, rc);
    job->batch_texts = (uint32_t)b.ntexts;
    job->batch_rows = (uint32_t)b.nrows;
    job->batch_us = (uint32_t)(zclock_usecs() - start_us);
    s_batch_free(&b);
    if (stamps)
        job->stamps[CHAT_STAMP_BUILT] = chat_stages_now();
}
