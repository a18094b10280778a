/* files_internal.h - what the parts of the files service share: its config, its state, the
 * upload and file records and their MariaDB queries (files_db.c), and the HTTP side
 * (files_http.c).
 *
 * Threads: the actor's thread (start, stop, the sweep timer) and libmicrohttpd's threads, one
 * per connection, which do the disk, database and S3 work of their request themselves (a file
 * service's requests are long transfers: a thread each is the simple sound model, bounded by
 * files/max_connections). Shared state is the lock-protected set of uploads being written,
 * the Redis connection (under its own lock), the database pool and atomic counters.
 */
#ifndef USCHAT_FILES_INTERNAL_H
#define USCHAT_FILES_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "files_parse.h"
#include "files_store.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"
#include "uschat/service_base.h"

typedef struct {
    const char *host;
    int port;
    int max_connections, max_per_address, idle_timeout_s;
    uint64_t max_size;         /* bytes of one file */
    uint64_t quota;            /* bytes one user may own (finished + in progress) */
    const char *allowed_types; /* blank-separated MIME types, with subtype wildcards */
    int upload_ttl_s;          /* an upload untouched this long is removed */
    int sweep_interval_s;
    files_store_config_t store;
} files_config_t;

typedef struct {
    files_config_t cfg;
    service_base_t *base;
    struct MHD_Daemon *httpd;
    int bound_port;
    files_store_t *store;
    db_config_t db_cfg;
    redis_config_t redis_cfg;
    db_pool_t *db;       /* HTTP threads */
    db_conn_t *sweep_db; /* the actor's thread */
    pthread_mutex_t redis_lock;
    redis_conn_t *redis;
    pthread_mutex_t lock; /* busy */
    pthread_cond_t idle;  /* an upload left busy */
    zhashx_t *busy;       /* ids of uploads a request is writing */
    atomic_ullong uploads, downloads, bytes_in, bytes_out, deduplicated, swept, refused;
    atomic_llong uploading, downloading; /* PATCH bodies and downloads in flight */
} files_t;

/* One upload in progress (table file_upload). */
typedef struct {
    char id[FILES_ID_LEN + 1];
    uint64_t uid, length, offset;
    files_meta_t meta;
    crypto_hash_sha256_state hash; /* of the first offset bytes */
    bool has_hash;
} files_upload_t;

/* One finished file (table file). */
typedef struct {
    char id[FILES_ID_LEN + 1];
    uint64_t owner, size;
    char sha256[FILES_SHA_LEN + 1];
    char name[FILES_NAME_MAX + 1];
    char type[FILES_TYPE_MAX + 1];
} files_file_t;

/* ---- files_db.c: every query returns 0 / 1 (found) or DB_ERR_* -------------------------- */

int files_db_used(db_conn_t *db, uint64_t uid, uint64_t *bytes);
int files_db_upload_insert(db_conn_t *db, const files_upload_t *up);
int files_db_upload_get(db_conn_t *db, const char *id, files_upload_t *up);
int files_db_upload_progress(db_conn_t *db, const files_upload_t *up);
int files_db_upload_delete(db_conn_t *db, const char *id);
/* Inserts the file record of a finished upload and removes the upload, in one transaction. */
int files_db_finish(db_conn_t *db, const files_upload_t *up, const char *file_id);
int files_db_file_get(db_conn_t *db, const char *id, files_file_t *file);
/* 1 when uid may read file: the owner; the sender or recipient of a one-to-one message naming
 * it; a current member of a group with a message naming it after the member's join. */
int files_db_may_read(db_conn_t *db, const files_file_t *file, uint64_t uid);
/* What the store holds: distinct contents and their bytes (each SHA-256 once). */
int files_db_store_usage(db_conn_t *db, uint64_t *objects, uint64_t *bytes);
/* Ids (at most max, FILES_ID_LEN + 1 bytes each) of uploads untouched since before. Count. */
int files_db_stale(db_conn_t *db, int64_t before, char (*ids)[FILES_ID_LEN + 1], int max);

/* ---- files.c -------------------------------------------------------------------------------- */

/* Marks upload id busy, waiting up to wait_ms for another request to leave it. true when
 * taken. Any thread. */
bool files_busy_take(files_t *self, const char *id, int wait_ms);
void files_busy_drop(files_t *self, const char *id);
/* The login token check: 0 with *uid, or the HTTP status to answer (401, 503). */
unsigned files_auth(files_t *self, struct MHD_Connection *conn, uint64_t *uid);

/* ---- files_http.c --------------------------------------------------------------------------- */

int files_http_start(files_t *self);
void files_http_stop(files_t *self);

#endif
