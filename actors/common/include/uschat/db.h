/* db.h - MySQL/MariaDB access for the services: a small connection pool that reconnects by
 * itself, and prepared-statement helpers (the only way UsChat talks SQL).
 *
 * A db_conn_t is one connection; it connects lazily on first use, checks itself with a ping
 * after sitting idle, reconnects after the server went away, and keeps a cache of prepared
 * statements keyed by their SQL text (so each statement is prepared once per connection).
 * Values never go into SQL text: every value is a db_param_t bound to a '?'.
 *
 * Threads: a db_conn_t belongs to one thread at a time. Either give each worker thread its own
 * (db_conn_new() in the worker pool's thread_init), or share a db_pool_t (thread-safe) and
 * db_pool_acquire() a connection for the length of one job or one transaction.
 *
 * Errors are negative DB_ERR_* values; db_conn_error() gives the server's text for logs (it
 * never contains parameter values). A statement that fails because the connection broke is
 * retried once on a fresh connection only when it cannot have run (the server was gone before
 * it was sent); inside a transaction nothing is retried: the caller gets DB_ERR_CONN and
 * starts over.
 *
 *     db_conn_t *c = db_conn_new(&cfg);
 *     db_param_t p[] = {DB_STR(email)};
 *     int64_t uid = 0;
 *     int rc = db_query(c, "SELECT uid FROM user WHERE email = ?", p, 1, on_row, &uid);
 *     // rc = number of rows, or DB_ERR_*
 */
#ifndef USCHAT_DB_H
#define USCHAT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DB_ERR_CONN     (-1) /* the server cannot be reached or the connection broke */
#define DB_ERR_DUP      (-2) /* a UNIQUE or PRIMARY key already has that value */
#define DB_ERR_RETRY    (-3) /* deadlock or lock wait timeout: roll back and run it again */
#define DB_ERR_QUERY    (-4) /* any other server error (bad SQL, constraint, data too long) */
#define DB_ERR_BUSY     (-5) /* db_pool_acquire(): no connection free in time */
#define DB_ERR_ARGUMENT (-6) /* wrong parameter count or type, NULL arguments */

typedef struct {
    const char *host;        /* "127.0.0.1"; ignored when unix_socket is set */
    int port;                /* 3306 */
    const char *unix_socket; /* NULL or "" = TCP */
    const char *user;
    const char *password;
    const char *database;
    int connect_timeout_ms; /* default 2000 */
    int io_timeout_ms;      /* read/write timeout per round trip; default 10000 */
    int idle_ping_ms;       /* ping before use after this much idle time; 0 = 5000, -1 = always */
    int pool_size;          /* db_pool_new(): number of connections; default 4 */
} db_config_t;

typedef struct db_conn_t db_conn_t;
typedef struct db_pool_t db_pool_t;

/* ---- parameters (bound to the '?' of a statement, in order) ----------------------------- */

typedef enum { DB_T_NULL, DB_T_I64, DB_T_U64, DB_T_STR } db_type_t;

typedef struct {
    db_type_t type;
    int64_t i64;
    uint64_t u64;
    const char *str; /* DB_T_STR: bytes (not necessarily NUL-terminated) */
    size_t len;
} db_param_t;

#define DB_NULL       ((db_param_t){.type = DB_T_NULL})
#define DB_I64(v)     ((db_param_t){.type = DB_T_I64, .i64 = (int64_t)(v)})
#define DB_U64(v)     ((db_param_t){.type = DB_T_U64, .u64 = (uint64_t)(v)})
#define DB_STRN(s, n) ((db_param_t){.type = DB_T_STR, .str = (s), .len = (n)})
/* A NUL-terminated string; NULL binds SQL NULL. */
static inline db_param_t DB_STR(const char *s)
{
    return s ? DB_STRN(s, strlen(s)) : DB_NULL;
}

/* ---- results ------------------------------------------------------------------------------ */

/* One column of a fetched row. Integer columns (TINYINT..BIGINT) have i64 (or u64 for
 * UNSIGNED; both set when the value fits) and also a decimal text in str; every other column
 * (VARCHAR, TEXT, BLOB, DATETIME as "YYYY-MM-DD HH:MM:SS", DECIMAL...) is text/bytes in str,
 * NUL-terminated, len bytes. The pointers are valid only during the row callback. */
typedef struct {
    bool is_null;
    int64_t i64;
    uint64_t u64;
    const char *str;
    size_t len;
} db_value_t;

/* Called once per row. Return 0 to go on, non-zero to stop early (the rows already read are
 * counted). The callback must not use the same connection. */
typedef int(db_row_fn)(void *arg, const db_value_t *cols, size_t ncols);

typedef struct {
    uint64_t affected;  /* rows changed by INSERT/UPDATE/DELETE */
    uint64_t insert_id; /* AUTO_INCREMENT value of the last INSERT */
} db_exec_result_t;

/* ---- one connection ----------------------------------------------------------------------- */

/* Copies config (strings too); does not connect yet. NULL only when out of memory. Caller owns
 * the result. */
db_conn_t *db_conn_new(const db_config_t *config);
/* Closes the connection and its statements (a transaction still open is rolled back by the
 * server). NULL-safe; NULLs *self_p. */
void db_conn_destroy(db_conn_t **self_p);

/* Runs a statement that returns no rows. result may be NULL. Returns 0 or DB_ERR_*. */
int db_exec(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
            db_exec_result_t *result);

/* Runs a statement that returns rows; on_row may be NULL (just count). Returns the number of
 * rows passed to on_row (>= 0), or DB_ERR_*. */
int db_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
             db_row_fn *on_row, void *arg);

/* Transactions. db_begin() makes sure the connection is up first (a transaction never starts
 * on a dead connection). db_rollback() is safe to call on a broken connection. 0 or DB_ERR_*. */
int db_begin(db_conn_t *self);
int db_commit(db_conn_t *self);
int db_rollback(db_conn_t *self);

/* Transactions whose statements run in a stored procedure, one round trip instead of a
 * START TRANSACTION or a COMMIT of its own. Both run sql like db_query(), every result set
 * the CALL returns going to on_row in order. db_begin_query(): sql is a CALL that starts a
 * transaction (and, say, locks and returns rows); from then on the connection is in a
 * transaction as after db_begin(), also when it fails with the connection still up, so that
 * db_rollback() (or db_tx_retry()) ends what it started. db_commit_query(): sql is a CALL that
 * ends the open transaction with COMMIT; after a failure the transaction is still open for
 * db_rollback() (DB_ERR_CONN: the connection was lost and the outcome is unknown). */
int db_begin_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
                   db_row_fn *on_row, void *arg);
int db_commit_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
                    db_row_fn *on_row, void *arg);

/* One attempt of a transaction on conn: it begins, runs and commits (or rolls back) itself.
 * Returns 0, DB_ERR_* (DB_ERR_RETRY: deadlock or lock wait timeout, worth running again) or
 * a positive code of the caller's own (an answer, not a failure: never retried). */
typedef int(db_tx_fn)(db_conn_t *conn, void *arg);

/* Runs fn(self, arg) until it returns anything but DB_ERR_RETRY, at most attempts times
 * (a value below 1 counts as 1). An attempt that returns non-zero with its transaction still
 * open is rolled back before the next one or the return, so fn may leave the rollback of a
 * failed attempt to this. Returns the last attempt's result (DB_ERR_RETRY when every attempt
 * wanted another). */
int db_tx_retry(db_conn_t *self, int attempts, db_tx_fn *fn, void *arg);

/* Connects if needed and pings the server. 0 or DB_ERR_CONN. */
int db_ping(db_conn_t *self);

/* The server's (or client library's) last error text, "" when none. Never holds values. */
const char *db_conn_error(db_conn_t *self);

/* ---- a shared pool ------------------------------------------------------------------------ */

/* pool_size connections (config->pool_size, default 4), none connected yet. NULL on bad config
 * or out of memory. Caller owns the result. */
db_pool_t *db_pool_new(const db_config_t *config);
/* Every connection must have been released. NULL-safe; NULLs *self_p. */
void db_pool_destroy(db_pool_t **self_p);

/* Waits up to timeout_ms (0 = don't wait, -1 = forever) for a free connection. NULL when none
 * became free. The caller owns the connection until db_pool_release(). */
db_conn_t *db_pool_acquire(db_pool_t *self, int timeout_ms);
/* Gives the connection back (an open transaction is rolled back first). NULLs *conn_p. */
void db_pool_release(db_pool_t *self, db_conn_t **conn_p);

/* Text for a DB_ERR_* value, for logs. */
const char *db_strerror(int err);

#endif
