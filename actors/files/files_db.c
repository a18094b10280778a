/* files_db.c - the files service's MariaDB queries (files_internal.h): upload state, file
 * records, the quota sum and who may read a file.
 *
 * Called from the HTTP threads (a connection of the pool each) and from the actor's thread
 * (the sweep, its own connection).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "files_internal.h"

static void s_copy(char *dst, size_t cap, const db_value_t *v)
{
    size_t n = v->is_null || !v->str ? 0 : v->len < cap - 1 ? v->len : cap - 1;
    if (n)
        memcpy(dst, v->str, n);
    dst[n] = '\0';
}

static int s_on_sum(void *arg, const db_value_t *cols, size_t ncols)
{
    *(uint64_t *)arg = cols[0].is_null ? 0 : (uint64_t)strtoull(cols[0].str, NULL, 10);
    return 0;
}

int files_db_used(db_conn_t *db, uint64_t uid, uint64_t *bytes)
{
    db_param_t p[] = {DB_U64(uid), DB_U64(uid)};
    *bytes = 0;
    int rc = db_query(db,
                      "SELECT COALESCE((SELECT SUM(size) FROM file WHERE owner = ?), 0) + "
                      "COALESCE((SELECT SUM(length) FROM file_upload WHERE uid = ?), 0)",
                      p, 2, s_on_sum, bytes);
    return rc < 0 ? rc : 0;
}

static int s_on_usage(void *arg, const db_value_t *cols, size_t ncols)
{
    uint64_t *out = arg;
    for (size_t i = 0; i < 2 && i < ncols; i++)
        out[i] = cols[i].is_null ? 0 : (uint64_t)strtoull(cols[i].str, NULL, 10);
    return 0;
}

int files_db_store_usage(db_conn_t *db, uint64_t *objects, uint64_t *bytes)
{
    uint64_t out[2] = {0, 0};
    /* one row per content: the file rows that share a SHA-256 share its bytes */
    int rc = db_query(db,
                      "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM (SELECT MAX(size) AS size "
                      "FROM file GROUP BY sha256) AS content",
                      NULL, 0, s_on_usage, out);
    *objects = out[0];
    *bytes = out[1];
    return rc < 0 ? rc : 0;
}

int files_db_upload_insert(db_conn_t *db, const files_upload_t *up)
{
    db_param_t p[] = {DB_STR(up->id),          DB_U64(up->uid),       DB_U64(up->length),
                      DB_STR(up->meta.sha256), DB_STR(up->meta.name), DB_STR(up->meta.type),
                      DB_I64(time(NULL))};
    return db_exec(db,
                   "INSERT INTO file_upload (id, uid, length, upload_offset, sha256, name, mime, "
                   "updated) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
                   p, 7, NULL);
}

static int s_on_upload(void *arg, const db_value_t *c, size_t ncols)
{
    files_upload_t *up = arg;
    up->uid = c[0].u64;
    up->length = c[1].u64;
    up->offset = c[2].u64;
    s_copy(up->meta.sha256, sizeof up->meta.sha256, &c[3]);
    s_copy(up->meta.name, sizeof up->meta.name, &c[4]);
    s_copy(up->meta.type, sizeof up->meta.type, &c[5]);
    up->has_hash = !c[6].is_null && c[6].len == sizeof up->hash;
    if (up->has_hash)
        memcpy(&up->hash, c[6].str, sizeof up->hash);
    return 0;
}

int files_db_upload_get(db_conn_t *db, const char *id, files_upload_t *up)
{
    memset(up, 0, sizeof *up);
    snprintf(up->id, sizeof up->id, "%s", id);
    db_param_t p[] = {DB_STR(id)};
    return db_query(db,
                    "SELECT uid, length, upload_offset, sha256, name, mime, hash_state FROM "
                    "file_upload WHERE id = ?",
                    p, 1, s_on_upload, up);
}

int files_db_upload_progress(db_conn_t *db, const files_upload_t *up)
{
    db_param_t p[] = {DB_U64(up->offset), DB_STRN((const char *)&up->hash, sizeof up->hash),
                      DB_I64(time(NULL)), DB_STR(up->id)};
    return db_exec(db,
                   "UPDATE file_upload SET upload_offset = ?, hash_state = ?, updated = ? WHERE "
                   "id = ?",
                   p, 4, NULL);
}

int files_db_upload_delete(db_conn_t *db, const char *id)
{
    db_param_t p[] = {DB_STR(id)};
    return db_exec(db, "DELETE FROM file_upload WHERE id = ?", p, 1, NULL);
}

typedef struct {
    const files_upload_t *up;
    const char *file_id;
} s_finish_t;

static int s_finish_tx(db_conn_t *db, void *arg)
{
    s_finish_t *f = arg;
    const files_upload_t *up = f->up;
    int rc = db_begin(db);
    if (rc != 0)
        return rc;
    db_param_t p[] = {DB_STR(f->file_id), DB_U64(up->uid),       DB_STR(up->meta.sha256),
                      DB_U64(up->length), DB_STR(up->meta.name), DB_STR(up->meta.type)};
    rc = db_exec(db,
                 "INSERT INTO file (id, owner, sha256, size, name, mime) VALUES (?, ?, ?, ?, ?, ?)",
                 p, 6, NULL);
    if (rc == 0)
        rc = files_db_upload_delete(db, up->id);
    return rc == 0 ? db_commit(db) : rc;
}

int files_db_finish(db_conn_t *db, const files_upload_t *up, const char *file_id)
{
    s_finish_t f = {up, file_id};
    return db_tx_retry(db, 3, s_finish_tx, &f);
}

static int s_on_file(void *arg, const db_value_t *c, size_t ncols)
{
    files_file_t *f = arg;
    f->owner = c[0].u64;
    s_copy(f->sha256, sizeof f->sha256, &c[1]);
    f->size = c[2].u64;
    s_copy(f->name, sizeof f->name, &c[3]);
    s_copy(f->type, sizeof f->type, &c[4]);
    return 0;
}

int files_db_file_get(db_conn_t *db, const char *id, files_file_t *file)
{
    memset(file, 0, sizeof *file);
    snprintf(file->id, sizeof file->id, "%s", id);
    db_param_t p[] = {DB_STR(id)};
    return db_query(db, "SELECT owner, sha256, size, name, mime FROM file WHERE id = ?", p, 1,
                    s_on_file, file);
}

int files_db_may_read(db_conn_t *db, const files_file_t *file, uint64_t uid)
{
    if (uid == file->owner)
        return 1;
    /* The rule is file_may_read() of sql/migrations/005_file_messages.sql (and 006), the chat
     * node's too when a message names the file: the recipient and sender of a one-to-one
     * message naming it, a member of a group with a message naming it after their join, any
     * user for a current avatar, through the indexed file_id of each table. */
    db_param_t p[] = {DB_STR(file->id), DB_U64(uid)};
    int rc = db_query(db, "SELECT 1 FROM DUAL WHERE file_may_read(?, ?)", p, 2, NULL, NULL);
    return rc < 0 ? rc : rc > 0;
}

typedef struct {
    char (*ids)[FILES_ID_LEN + 1];
    int max, n;
} s_stale_t;

static int s_on_stale(void *arg, const db_value_t *c, size_t ncols)
{
    s_stale_t *s = arg;
    if (s->n >= s->max)
        return 1;
    s_copy(s->ids[s->n++], FILES_ID_LEN + 1, &c[0]);
    return 0;
}

int files_db_stale(db_conn_t *db, int64_t before, char (*ids)[FILES_ID_LEN + 1], int max)
{
    s_stale_t s = {ids, max, 0};
    db_param_t p[] = {DB_I64(before), DB_I64(max)};
    int rc =
        db_query(db, "SELECT id FROM file_upload WHERE updated < ? LIMIT ?", p, 2, s_on_stale, &s);
    return rc < 0 ? rc : s.n;
}
