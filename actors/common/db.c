/* db.c - MySQL/MariaDB connections with reconnect, a prepared-statement cache, and a pool.
 *
 * Used by every service that keeps data in MySQL (gate's workers, chat's workers), from worker
 * threads only: each call is a blocking round trip. A db_conn_t is used by one thread at a
 * time; the pool hands connections between threads under its mutex.
 *
 * Why the retry rules are what they are: a statement is retried on a fresh connection only
 * when the server cannot have run it (preparing failed, or the client library says the server
 * was gone before the command was sent). A statement lost in flight (CR_SERVER_LOST) may have
 * committed, so it is reported, never replayed. To keep that rare, a connection that sat idle
 * longer than idle_ping_ms pings before use and reconnects when the ping fails, which is what
 * happens after a MariaDB restart or a wait_timeout.
 */
#include "uschat/db.h"

#include <errmsg.h>
#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DB_STMT_CACHE   48 /* statements kept prepared per connection */
#define DB_MAX_PARAMS   64
#define DB_TEXT_INITIAL 256 /* first buffer per text column; grows on truncation */

typedef struct {
    char *sql;
    MYSQL_STMT *stmt;
    uint64_t last_use;
} s_cached_t;

struct db_conn_t {
    char *host, *unix_socket, *user, *password, *database;
    int port;
    int connect_timeout_ms, io_timeout_ms, idle_ping_ms;
    MYSQL *mysql;   /* NULL = not connected */
    bool in_tx;     /* between db_begin() and commit/rollback */
    bool tx_broken; /* the connection died inside a transaction: refuse until rollback */
    int64_t last_used_ms;
    uint64_t use_counter;
    s_cached_t cache[DB_STMT_CACHE];
    char err[256];
    db_pool_t *pool; /* owning pool, or NULL */
    bool pool_free;
};

struct db_pool_t {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    db_conn_t **conns;
    int size;
};

static pthread_once_t s_library_once = PTHREAD_ONCE_INIT;

static void s_library_init(void)
{
    /* not thread-safe by itself, hence once */
    mysql_library_init(0, NULL, NULL);
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *s_dup(const char *s)
{
    return (s && *s) ? strdup(s) : NULL;
}

const char *db_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case DB_ERR_CONN:
        return "connection";
    case DB_ERR_DUP:
        return "duplicate";
    case DB_ERR_RETRY:
        return "deadlock/retry";
    case DB_ERR_QUERY:
        return "query";
    case DB_ERR_BUSY:
        return "pool busy";
    case DB_ERR_ARGUMENT:
        return "argument";
    default:
        return "?";
    }
}

/* Errors that mean the connection is gone; everything else is about the statement. */
static bool s_is_conn_error(unsigned int code)
{
    switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case 4031: /* ER_CLIENT_INTERACTION_TIMEOUT: idle connection closed by the server */
        return true;
    default:
        return false;
    }
}

static int s_classify(unsigned int code)
{
    if (code == ER_DUP_ENTRY)
        return DB_ERR_DUP;
    if (code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT)
        return DB_ERR_RETRY;
    if (s_is_conn_error(code))
        return DB_ERR_CONN;
    return DB_ERR_QUERY;
}

static void s_set_err(db_conn_t *self, unsigned int code, const char *text)
{
    snprintf(self->err, sizeof self->err, "%u: %s", code, text ? text : "");
}

static void s_disconnect(db_conn_t *self)
{
    for (int i = 0; i < DB_STMT_CACHE; i++) {
        if (self->cache[i].stmt)
            mysql_stmt_close(self->cache[i].stmt);
        free(self->cache[i].sql);
        self->cache[i] = (s_cached_t){0};
    }
    if (self->mysql)
        mysql_close(self->mysql);
    self->mysql = NULL;
    if (self->in_tx)
        self->tx_broken = true;
    self->in_tx = false;
}

static int s_connect(db_conn_t *self)
{
    s_disconnect(self);
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        s_set_err(self, 0, "out of memory");
        return DB_ERR_CONN;
    }
    unsigned int connect_s = (unsigned int)((self->connect_timeout_ms + 999) / 1000);
    unsigned int io_s = (unsigned int)((self->io_timeout_ms + 999) / 1000);
    my_bool reconnect = 0; /* we reconnect ourselves, knowing what is safe to replay */
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_s);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
    mysql_options(m, MYSQL_OPT_RECONNECT, &reconnect);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(m, self->unix_socket ? NULL : self->host, self->user, self->password,
                            self->database, (unsigned int)self->port, self->unix_socket,
                            CLIENT_MULTI_RESULTS)) { /* a CALL's result sets */
        s_set_err(self, mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return DB_ERR_CONN;
    }
    self->mysql = m;
    self->last_used_ms = s_now_ms();
    return 0;
}

/* Makes sure there is a live connection before a statement. Not inside a transaction: there
 * a dead connection must surface as an error, not be replaced silently. */
static int s_ensure(db_conn_t *self)
{
    if (self->tx_broken) {
        s_set_err(self, CR_SERVER_LOST, "transaction lost with its connection; roll back");
        return DB_ERR_CONN;
    }
    if (!self->mysql)
        return self->in_tx ? DB_ERR_CONN : s_connect(self);
    if (!self->in_tx && s_now_ms() - self->last_used_ms >= self->idle_ping_ms) {
        if (mysql_ping(self->mysql) != 0)
            return s_connect(self);
    }
    return 0;
}

/* The prepared statement for sql on this connection, from the cache or newly prepared.
 * NULL with *rc set on failure. */
static MYSQL_STMT *s_prepare(db_conn_t *self, const char *sql, int *rc)
{
    int slot = -1;
    for (int i = 0; i < DB_STMT_CACHE; i++) {
        if (self->cache[i].sql && strcmp(self->cache[i].sql, sql) == 0) {
            self->cache[i].last_use = ++self->use_counter;
            return self->cache[i].stmt;
        }
        if (slot < 0 && !self->cache[i].sql)
            slot = i;
    }
    if (slot < 0) { /* full: drop the least recently used */
        slot = 0;
        for (int i = 1; i < DB_STMT_CACHE; i++)
            if (self->cache[i].last_use < self->cache[slot].last_use)
                slot = i;
        mysql_stmt_close(self->cache[slot].stmt);
        free(self->cache[slot].sql);
        self->cache[slot] = (s_cached_t){0};
    }
    MYSQL_STMT *st = mysql_stmt_init(self->mysql);
    char *copy = strdup(sql);
    if (!st || !copy) {
        if (st)
            mysql_stmt_close(st);
        free(copy);
        s_set_err(self, 0, "out of memory");
        *rc = DB_ERR_QUERY;
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        unsigned int code = mysql_stmt_errno(st);
        s_set_err(self, code, mysql_stmt_error(st));
        mysql_stmt_close(st);
        free(copy);
        *rc = s_classify(code);
        if (*rc == DB_ERR_CONN)
            s_disconnect(self);
        return NULL;
    }
    self->cache[slot] = (s_cached_t){.sql = copy, .stmt = st, .last_use = ++self->use_counter};
    return st;
}

typedef struct {
    MYSQL_BIND *bind;
    db_value_t *values;
    int64_t *ints;
    char **bufs;
    unsigned long *caps, *lens;
    my_bool *nulls, *errors;
    bool *is_int;
    char (*num)[24];
} s_result_t;

static void s_result_free(s_result_t *r, unsigned int n)
{
    if (r->bufs)
        for (unsigned int i = 0; i < n; i++)
            free(r->bufs[i]);
    free(r->bind);
    free(r->values);
    free(r->ints);
    free(r->bufs);
    free(r->caps);
    free(r->lens);
    free(r->nulls);
    free(r->errors);
    free(r->is_int);
    free(r->num);
}

static bool s_is_integer_type(enum enum_field_types t)
{
    return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
           t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_YEAR;
}

/* Fetches every row of an executed statement into on_row. Returns the row count or DB_ERR_*. */
static int s_fetch(db_conn_t *self, MYSQL_STMT *st, MYSQL_RES *meta, db_row_fn *on_row, void *arg)
{
    unsigned int n = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    s_result_t r = {0};
    r.bind = calloc(n, sizeof *r.bind);
    r.values = calloc(n, sizeof *r.values);
    r.ints = calloc(n, sizeof *r.ints);
    r.bufs = calloc(n, sizeof *r.bufs);
    r.caps = calloc(n, sizeof *r.caps);
    r.lens = calloc(n, sizeof *r.lens);
    r.nulls = calloc(n, sizeof *r.nulls);
    r.errors = calloc(n, sizeof *r.errors);
    r.is_int = calloc(n, sizeof *r.is_int);
    r.num = calloc(n, sizeof *r.num);
    bool oom = !r.bind || !r.values || !r.ints || !r.bufs || !r.caps || !r.lens || !r.nulls ||
               !r.errors || !r.is_int || !r.num;
    for (unsigned int i = 0; !oom && i < n; i++) {
        MYSQL_BIND *b = &r.bind[i];
        b->is_null = &r.nulls[i];
        b->length = &r.lens[i];
        b->error = &r.errors[i];
        if (s_is_integer_type(fields[i].type)) {
            r.is_int[i] = true;
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &r.ints[i];
            b->is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
        } else {
            r.caps[i] = DB_TEXT_INITIAL;
            r.bufs[i] = malloc(r.caps[i]);
            oom = !r.bufs[i];
            b->buffer_type = MYSQL_TYPE_STRING;
            b->buffer = r.bufs[i];
            b->buffer_length = r.caps[i] - 1; /* room for our NUL */
        }
    }
    if (oom) {
        s_result_free(&r, n);
        mysql_stmt_free_result(st);
        s_set_err(self, 0, "out of memory");
        return DB_ERR_QUERY;
    }
    int count = 0;
    int rc = 0;
    if (mysql_stmt_bind_result(st, r.bind) != 0) {
        s_set_err(self, mysql_stmt_errno(st), mysql_stmt_error(st));
        rc = DB_ERR_QUERY;
    }
    while (rc == 0) {
        int f = mysql_stmt_fetch(st);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            unsigned int code = mysql_stmt_errno(st);
            s_set_err(self, code, mysql_stmt_error(st));
            rc = s_classify(code);
            break;
        }
        if (f == MYSQL_DATA_TRUNCATED) {
            /* a text column longer than its buffer: grow it and fetch that column again */
            bool rebind = false;
            for (unsigned int i = 0; i < n && rc == 0; i++) {
                if (r.is_int[i] || !r.errors[i] || r.lens[i] < r.caps[i] - 1)
                    continue;
                char *bigger = realloc(r.bufs[i], r.lens[i] + 1);
                if (!bigger) {
                    rc = DB_ERR_QUERY;
                    break;
                }
                r.bufs[i] = bigger;
                r.caps[i] = r.lens[i] + 1;
                r.bind[i].buffer = bigger;
                r.bind[i].buffer_length = r.caps[i] - 1;
                if (mysql_stmt_fetch_column(st, &r.bind[i], i, 0) != 0) {
                    s_set_err(self, mysql_stmt_errno(st), mysql_stmt_error(st));
                    rc = DB_ERR_QUERY;
                }
                rebind = true;
            }
            if (rc == 0 && rebind && mysql_stmt_bind_result(st, r.bind) != 0)
                rc = DB_ERR_QUERY;
            if (rc != 0)
                break;
        }
        for (unsigned int i = 0; i < n; i++) {
            db_value_t *v = &r.values[i];
            *v = (db_value_t){.is_null = r.nulls[i] != 0};
            if (v->is_null) {
                v->str = "";
                continue;
            }
            if (r.is_int[i]) {
                if (r.bind[i].is_unsigned) {
                    v->u64 = (uint64_t)r.ints[i];
                    v->i64 = v->u64 <= INT64_MAX ? (int64_t)v->u64 : 0;
                    snprintf(r.num[i], sizeof r.num[i], "%" PRIu64, v->u64);
                } else {
                    v->i64 = r.ints[i];
                    v->u64 = v->i64 >= 0 ? (uint64_t)v->i64 : 0;
                    snprintf(r.num[i], sizeof r.num[i], "%" PRId64, v->i64);
                }
                v->str = r.num[i];
                v->len = strlen(r.num[i]);
            } else {
                size_t len = r.lens[i] < r.caps[i] - 1 ? r.lens[i] : r.caps[i] - 1;
                r.bufs[i][len] = '\0';
                v->str = r.bufs[i];
                v->len = len;
            }
        }
        count++;
        if (on_row && on_row(arg, r.values, n) != 0)
            break;
    }
    mysql_stmt_free_result(st);
    s_result_free(&r, n);
    return rc != 0 ? rc : count;
}

/* Stores and fetches one result set (meta is freed). Returns its rows or DB_ERR_*. */
static int s_fetch_result(db_conn_t *self, MYSQL_STMT *st, MYSQL_RES *meta, db_row_fn *on_row,
                          void *arg)
{
    int rc;
    if (mysql_stmt_store_result(st) != 0) {
        unsigned int code = mysql_stmt_errno(st);
        s_set_err(self, code, mysql_stmt_error(st));
        rc = s_classify(code);
    } else {
        rc = s_fetch(self, st, meta, on_row, arg);
    }
    mysql_free_result(meta);
    return rc;
}

/* Binds, executes and (for queries) fetches. Returns rows (>= 0) or DB_ERR_*. */
static int s_run(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
                 db_row_fn *on_row, void *arg, db_exec_result_t *result)
{
    if (!self || !sql || (nparams && !params) || nparams > DB_MAX_PARAMS)
        return DB_ERR_ARGUMENT;
    MYSQL_BIND bind[DB_MAX_PARAMS];
    unsigned long lens[DB_MAX_PARAMS];
    int64_t i64s[DB_MAX_PARAMS];
    uint64_t u64s[DB_MAX_PARAMS];
    memset(bind, 0, sizeof(MYSQL_BIND) * (nparams ? nparams : 1));
    for (size_t i = 0; i < nparams; i++) {
        switch (params[i].type) {
        case DB_T_NULL:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        case DB_T_I64:
            i64s[i] = params[i].i64;
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = &i64s[i];
            break;
        case DB_T_U64:
            u64s[i] = params[i].u64;
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = &u64s[i];
            bind[i].is_unsigned = 1;
            break;
        case DB_T_STR:
            if (!params[i].str && params[i].len)
                return DB_ERR_ARGUMENT;
            lens[i] = (unsigned long)params[i].len;
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)(params[i].str ? params[i].str : "");
            bind[i].buffer_length = lens[i];
            bind[i].length = &lens[i];
            break;
        default:
            return DB_ERR_ARGUMENT;
        }
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        bool may_retry = attempt == 0 && !self->in_tx;
        int rc = s_ensure(self);
        if (rc < 0)
            return rc;
        MYSQL_STMT *st = s_prepare(self, sql, &rc);
        if (!st) {
            if (rc == DB_ERR_CONN && may_retry)
                continue;
            return rc;
        }
        if (mysql_stmt_param_count(st) != nparams) {
            s_set_err(self, 0, "parameter count does not match the statement");
            return DB_ERR_ARGUMENT;
        }
        if (nparams && mysql_stmt_bind_param(st, bind) != 0) {
            s_set_err(self, mysql_stmt_errno(st), mysql_stmt_error(st));
            return DB_ERR_ARGUMENT;
        }
        if (mysql_stmt_execute(st) != 0) {
            unsigned int code = mysql_stmt_errno(st);
            s_set_err(self, code, mysql_stmt_error(st));
            rc = s_classify(code);
            if (rc == DB_ERR_CONN) {
                s_disconnect(self);
                if (code == CR_SERVER_GONE_ERROR && may_retry)
                    continue; /* never reached the server */
            }
            return rc;
        }
        self->last_used_ms = s_now_ms();
        MYSQL_RES *meta = mysql_stmt_result_metadata(st);
        if (!meta && result) {
            result->affected = (uint64_t)mysql_stmt_affected_rows(st);
            result->insert_id = (uint64_t)mysql_stmt_insert_id(st);
        }
        rc = meta ? s_fetch_result(self, st, meta, on_row, arg) : 0;
        /* a CALL: its further result sets, then its own status (an error of a statement
         * after the first result set arrives here) */
        while (rc >= 0 && mysql_stmt_more_results(st)) {
            int next = mysql_stmt_next_result(st);
            if (next > 0) {
                unsigned int code = mysql_stmt_errno(st);
                s_set_err(self, code, mysql_stmt_error(st));
                rc = s_classify(code);
            } else if (next == 0 && (meta = mysql_stmt_result_metadata(st)) != NULL) {
                int rows = s_fetch_result(self, st, meta, on_row, arg);
                rc = rows < 0 ? rows : rc + rows;
            } else if (next < 0) {
                break;
            }
        }
        if (rc == DB_ERR_CONN)
            s_disconnect(self);
        return rc;
    }
    return DB_ERR_CONN;
}

db_conn_t *db_conn_new(const db_config_t *config)
{
    if (!config)
        return NULL;
    pthread_once(&s_library_once, s_library_init);
    db_conn_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = s_dup(config->host ? config->host : "127.0.0.1");
    self->unix_socket = s_dup(config->unix_socket);
    self->user = s_dup(config->user);
    self->password = s_dup(config->password);
    self->database = s_dup(config->database);
    self->port = config->port > 0 ? config->port : 3306;
    self->connect_timeout_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : 2000;
    self->io_timeout_ms = config->io_timeout_ms > 0 ? config->io_timeout_ms : 10000;
    self->idle_ping_ms = config->idle_ping_ms > 0   ? config->idle_ping_ms
                         : config->idle_ping_ms < 0 ? 0
                                                    : 5000;
    if (!self->host) {
        free(self);
        return NULL;
    }
    return self;
}

void db_conn_destroy(db_conn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    db_conn_t *self = *self_p;
    s_disconnect(self);
    free(self->host);
    free(self->unix_socket);
    free(self->user);
    free(self->password);
    free(self->database);
    free(self);
    *self_p = NULL;
}

int db_exec(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
            db_exec_result_t *result)
{
    int rc = s_run(self, sql, params, nparams, NULL, NULL, result);
    return rc < 0 ? rc : 0;
}

int db_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
             db_row_fn *on_row, void *arg)
{
    return s_run(self, sql, params, nparams, on_row, arg, NULL);
}

/* A fixed command with no values (transaction control): plain text is fine here. */
static int s_command(db_conn_t *self, const char *sql)
{
    if (mysql_real_query(self->mysql, sql, (unsigned long)strlen(sql)) != 0) {
        unsigned int code = mysql_errno(self->mysql);
        s_set_err(self, code, mysql_error(self->mysql));
        int rc = s_classify(code);
        if (rc == DB_ERR_CONN)
            s_disconnect(self);
        return rc;
    }
    self->last_used_ms = s_now_ms();
    return 0;
}

int db_begin(db_conn_t *self)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    if (self->in_tx) {
        s_set_err(self, 0, "transaction already open");
        return DB_ERR_ARGUMENT;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = s_ensure(self);
        if (rc < 0)
            return rc;
        rc = s_command(self, "START TRANSACTION");
        if (rc == 0) {
            self->in_tx = true;
            return 0;
        }
        if (rc != DB_ERR_CONN)
            return rc;
    }
    return DB_ERR_CONN;
}

/* on_row of a caller, and how many rows it was given */
typedef struct {
    db_row_fn *on_row;
    void *arg;
    size_t rows;
} s_counted_t;

static int s_counted_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_counted_t *c = arg;
    c->rows++;
    return c->on_row(c->arg, cols, ncols);
}

int db_begin_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
                   db_row_fn *on_row, void *arg)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    if (self->in_tx) {
        s_set_err(self, 0, "transaction already open");
        return DB_ERR_ARGUMENT;
    }
    /* Like db_begin(), once more on a lost connection: whatever a lost call began died with its
     * connection, so a replay on a new one stores nothing twice (a connection idle since a
     * server restart fails its first statement with "lost connection during query"). */
    s_counted_t counted = {on_row, arg, 0};
    db_row_fn *fn = on_row ? s_counted_row : NULL;
    int rc = s_run(self, sql, params, nparams, fn, &counted, NULL);
    if (rc == DB_ERR_CONN && !self->mysql && counted.rows == 0) /* no row half-delivered */
        rc = s_run(self, sql, params, nparams, fn, &counted, NULL);
    /* whatever the CALL started is ours to end, unless the connection (and with it any
     * transaction) is gone */
    self->in_tx = self->mysql != NULL;
    return rc;
}

int db_commit_query(db_conn_t *self, const char *sql, const db_param_t *params, size_t nparams,
                    db_row_fn *on_row, void *arg)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    if (!self->in_tx || self->tx_broken || !self->mysql) {
        self->tx_broken = false;
        self->in_tx = false;
        s_set_err(self, CR_SERVER_LOST, "transaction lost with its connection");
        return DB_ERR_CONN;
    }
    int rc = s_run(self, sql, params, nparams, on_row, arg, NULL);
    if (rc >= 0 || !self->mysql)
        self->in_tx = false;
    return rc;
}

int db_commit(db_conn_t *self)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    if (self->tx_broken || !self->mysql) {
        self->tx_broken = false;
        self->in_tx = false;
        s_set_err(self, CR_SERVER_LOST, "transaction lost with its connection");
        return DB_ERR_CONN;
    }
    int rc = s_command(self, "COMMIT");
    self->in_tx = false;
    self->tx_broken = false;
    return rc;
}

int db_rollback(db_conn_t *self)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    self->tx_broken = false;
    if (!self->in_tx || !self->mysql) {
        self->in_tx = false;
        return 0;
    }
    int rc = s_command(self, "ROLLBACK");
    self->in_tx = false;
    return rc;
}

int db_tx_retry(db_conn_t *self, int attempts, db_tx_fn *fn, void *arg)
{
    if (!self || !fn)
        return DB_ERR_ARGUMENT;
    int rc = DB_ERR_RETRY;
    for (int i = 0; i < (attempts > 0 ? attempts : 1) && rc == DB_ERR_RETRY; i++) {
        rc = fn(self, arg);
        /* a failed attempt never leaves its locks held into the next one (or the caller's) */
        if (rc != 0 && self->in_tx)
            db_rollback(self);
    }
    return rc;
}

int db_ping(db_conn_t *self)
{
    if (!self)
        return DB_ERR_ARGUMENT;
    if (!self->mysql)
        return s_connect(self);
    if (mysql_ping(self->mysql) != 0) {
        s_set_err(self, mysql_errno(self->mysql), mysql_error(self->mysql));
        if (self->in_tx) {
            s_disconnect(self);
            return DB_ERR_CONN;
        }
        return s_connect(self);
    }
    self->last_used_ms = s_now_ms();
    return 0;
}

const char *db_conn_error(db_conn_t *self)
{
    return self ? self->err : "";
}

/* ---- pool ---------------------------------------------------------------------------------- */

db_pool_t *db_pool_new(const db_config_t *config)
{
    if (!config)
        return NULL;
    db_pool_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->size = config->pool_size > 0 ? config->pool_size : 4;
    self->conns = calloc((size_t)self->size, sizeof *self->conns);
    if (!self->conns) {
        free(self);
        return NULL;
    }
    for (int i = 0; i < self->size; i++) {
        self->conns[i] = db_conn_new(config);
        if (!self->conns[i]) {
            for (int j = 0; j < i; j++)
                db_conn_destroy(&self->conns[j]);
            free(self->conns);
            free(self);
            return NULL;
        }
        self->conns[i]->pool = self;
        self->conns[i]->pool_free = true;
    }
    pthread_mutex_init(&self->mutex, NULL);
    /* acquire's deadline on the monotonic clock: a step of the wall clock neither ends the
     * wait early nor stretches it */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->cond, &attr);
    pthread_condattr_destroy(&attr);
    return self;
}

void db_pool_destroy(db_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    db_pool_t *self = *self_p;
    for (int i = 0; i < self->size; i++)
        db_conn_destroy(&self->conns[i]);
    free(self->conns);
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->mutex);
    free(self);
    *self_p = NULL;
}

db_conn_t *db_pool_acquire(db_pool_t *self, int timeout_ms)
{
    if (!self)
        return NULL;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    db_conn_t *found = NULL;
    pthread_mutex_lock(&self->mutex);
    while (!found) {
        for (int i = 0; i < self->size && !found; i++)
            if (self->conns[i]->pool_free)
                found = self->conns[i];
        if (found) {
            found->pool_free = false;
            break;
        }
        if (timeout_ms == 0)
            break;
        if (timeout_ms < 0)
            pthread_cond_wait(&self->cond, &self->mutex);
        else if (pthread_cond_timedwait(&self->cond, &self->mutex, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&self->mutex);
    return found;
}

void db_pool_release(db_pool_t *self, db_conn_t **conn_p)
{
    if (!self || !conn_p || !*conn_p)
        return;
    db_conn_t *conn = *conn_p;
    *conn_p = NULL;
    if (conn->in_tx || conn->tx_broken)
        db_rollback(conn);
    pthread_mutex_lock(&self->mutex);
    conn->pool_free = true;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->mutex);
}
