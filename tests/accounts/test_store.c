/* test_store.c - uschat_db against a real MariaDB and a real Redis: prepared statements, the
 * duplicate-key and transaction rules the services rely on, the retry of a transaction that
 * met a lock, reconnect after the server drops a connection, the pool's bound, and the Redis
 * connection's reconnect.
 *
 * Run by CTest as `test_accounts_store db|redis`; skips (77) without the test servers.
 */
#include "check.h"
#include "test_support.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static db_config_t s_config(const char *database)
{
    db_config_t c = {0};
    c.host = test_env("USCHAT_TEST_MYSQL_HOST");
    c.port = atoi(test_env("USCHAT_TEST_MYSQL_PORT"));
    c.user = test_env("USCHAT_TEST_MYSQL_USER");
    c.password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    c.database = database;
    c.connect_timeout_ms = 2000;
    c.io_timeout_ms = 5000;
    return c;
}

typedef struct {
    int64_t uid;
    char name[128];
    char created[32];
    size_t len;
} s_row_t;

static int s_on_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_row_t *row = arg;
    CHECK(ncols >= 1);
    row->uid = cols[0].i64;
    if (ncols >= 2)
        snprintf(row->name, sizeof row->name, "%s", cols[1].str);
    if (ncols >= 3)
        snprintf(row->created, sizeof row->created, "%s", cols[2].str);
    row->len = ncols >= 2 ? cols[1].len : 0;
    return 0;
}

static int s_on_long(void *arg, const db_value_t *cols, size_t ncols)
{
    CHECK_INT(ncols, 2);
    size_t *len = arg;
    *len = cols[0].len;
    for (size_t i = 0; i < cols[0].len; i++)
        CHECK(cols[0].str[i] == 'x');
    CHECK(cols[0].str[cols[0].len] == '\0');
    CHECK(cols[1].is_null);
    return 0;
}

static int64_t s_connection_id(db_conn_t *c)
{
    s_row_t row = {0};
    CHECK_INT(db_query(c, "SELECT CONNECTION_ID()", NULL, 0, s_on_row, &row), 1);
    return row.uid;
}

/* Kills one server connection from outside, as a server restart or wait_timeout would. */
static void s_kill(int64_t id)
{
    MYSQL *admin = test_db_connect(NULL);
    CHECK(admin);
    char sql[64];
    snprintf(sql, sizeof sql, "KILL CONNECTION %lld", (long long)id);
    CHECK(mysql_query(admin, sql) == 0);
    mysql_close(admin);
    usleep(100 * 1000);
}

static const char *s_insert = "INSERT INTO user (name, email, pwd_hash) VALUES (?, ?, 'x')";

typedef struct {
    db_pool_t *pool;
    int base;
} s_worker_arg_t;

static void *s_pool_worker(void *arg)
{
    s_worker_arg_t *w = arg;
    for (int i = 0; i < 25; i++) {
        db_conn_t *c = db_pool_acquire(w->pool, -1);
        CHECK(c);
        char name[32], email[64];
        snprintf(name, sizeof name, "p%d_%d", w->base, i);
        snprintf(email, sizeof email, "p%d_%d@example.com", w->base, i);
        db_param_t p[] = {DB_STR(name), DB_STR(email)};
        CHECK_INT(db_exec(c, s_insert, p, 2, NULL), 0);
        db_pool_release(w->pool, &c);
        CHECK(c == NULL);
    }
    return NULL;
}

/* db_tx_retry(): one transaction that meets a real lock held by another connection. */
typedef struct {
    db_conn_t *holder; /* holds the row lock until the first attempt timed out on it */
    int calls;
    const char *email;
} s_tx_arg_t;

static int s_tx_insert_locked(db_conn_t *c, void *arg)
{
    s_tx_arg_t *a = arg;
    a->calls++;
    int rc = db_begin(c);
    db_param_t p[] = {DB_STR(a->email), DB_STR(a->email)};
    if (rc == 0)
        rc = db_exec(c, s_insert, p, 2, NULL);
    if (rc == 0)
        rc = db_exec(c, "UPDATE user SET nick = 'tx' WHERE name = 'locked'", NULL, 0, NULL);
    if (rc == DB_ERR_RETRY && a->holder)
        CHECK_INT(db_rollback(a->holder), 0); /* the other side lets go: the next try passes */
    if (rc == 0)
        rc = db_commit(c);
    return rc; /* a failed attempt is left open: db_tx_retry() rolls it back */
}

static int s_tx_always(db_conn_t *c, void *arg)
{
    (void)c;
    int *calls = arg;
    return ++*calls == 2 ? 42 : DB_ERR_RETRY; /* a caller's own code ends the retries */
}

static void s_test_tx_retry(const db_config_t *cfg)
{
    db_conn_t *holder = db_conn_new(cfg), *c = db_conn_new(cfg);
    CHECK(holder && c);
    db_param_t p[] = {DB_STR("locked"), DB_STR("locked@example.com")};
    CHECK_INT(db_exec(holder, s_insert, p, 2, NULL), 0);
    CHECK_INT(db_exec(c, "SET SESSION innodb_lock_wait_timeout = 1", NULL, 0, NULL), 0);
    CHECK_INT(db_begin(holder), 0);
    CHECK_INT(db_query(holder, "SELECT uid FROM user WHERE name = 'locked' FOR UPDATE", NULL, 0,
                       NULL, NULL),
              1);

    /* the first attempt times out on the lock (DB_ERR_RETRY) and is rolled back, its INSERT
     * with it; the second commits: one row, not two */
    s_tx_arg_t a = {holder, 0, "tx@example.com"};
    CHECK_INT(db_tx_retry(c, 3, s_tx_insert_locked, &a), 0);
    CHECK_INT(a.calls, 2);
    db_param_t q[] = {DB_STR("tx@example.com")};
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", q, 1, NULL, NULL), 1);
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE nick = 'tx'", NULL, 0, NULL, NULL), 1);

    /* every attempt times out: at most `attempts` runs, DB_ERR_RETRY back, nothing stored */
    CHECK_INT(db_begin(holder), 0);
    CHECK_INT(db_query(holder, "SELECT uid FROM user WHERE name = 'locked' FOR UPDATE", NULL, 0,
                       NULL, NULL),
              1);
    a = (s_tx_arg_t){NULL, 0, "tx2@example.com"};
    CHECK_INT(db_tx_retry(c, 2, s_tx_insert_locked, &a), DB_ERR_RETRY);
    CHECK_INT(a.calls, 2);
    CHECK_INT(db_rollback(holder), 0);
    db_param_t q2[] = {DB_STR("tx2@example.com")};
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", q2, 1, NULL, NULL), 0);

    int calls = 0;
    CHECK_INT(db_tx_retry(c, 5, s_tx_always, &calls), 42);
    CHECK_INT(calls, 2);
    CHECK_INT(db_tx_retry(NULL, 5, s_tx_always, &calls), DB_ERR_ARGUMENT);
    db_conn_destroy(&holder);
    db_conn_destroy(&c);
}

static void s_test_db(void)
{
    char name[65];
    CHECK(test_db_create("store", name, sizeof name) == 0);
    db_config_t cfg = s_config(name);
    cfg.idle_ping_ms = 60000; /* reconnect must work without the idle ping too */
    db_conn_t *c = db_conn_new(&cfg);
    CHECK(c);

    /* insert, read back (CJK survives, integers and datetimes convert) */
    db_exec_result_t res = {0};
    db_param_t p1[] = {DB_STR("王小明"), DB_STR("wang@example.com")};
    CHECK_INT(db_exec(c, s_insert, p1, 2, &res), 0);
    CHECK_INT(res.affected, 1);
    CHECK(res.insert_id > 0);
    s_row_t row = {0};
    db_param_t q[] = {DB_STR("WANG@example.com")}; /* emails compare without case */
    CHECK_INT(
        db_query(c, "SELECT uid, name, created_at FROM user WHERE email = ?", q, 1, s_on_row, &row),
        1);
    CHECK_INT(row.uid, (int64_t)res.insert_id);
    CHECK_STR(row.name, "王小明");
    CHECK_INT(row.len, strlen("王小明"));
    CHECK(strlen(row.created) == 19 && row.created[4] == '-' && row.created[13] == ':');
    db_param_t none[] = {DB_STR("nobody@example.com")};
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", none, 1, s_on_row, &row), 0);

    /* the database enforces uniqueness: same name in another case, same email */
    db_param_t dup_name[] = {DB_STR("王小明"), DB_STR("other@example.com")};
    CHECK_INT(db_exec(c, s_insert, dup_name, 2, NULL), DB_ERR_DUP);
    db_param_t dup_email[] = {DB_STR("other"), DB_STR("Wang@Example.com")};
    CHECK_INT(db_exec(c, s_insert, dup_email, 2, NULL), DB_ERR_DUP);
    CHECK(strstr(db_conn_error(c), "1062") != NULL);

    /* long values grow their buffer; NULL comes out as is_null */
    size_t len = 0;
    CHECK_INT(db_query(c, "SELECT REPEAT('x', 3000), NULL", NULL, 0, s_on_long, &len), 1);
    CHECK_INT(len, 3000);

    /* wrong parameter count is an argument error, not a crash */
    CHECK_INT(db_exec(c, s_insert, p1, 1, NULL), DB_ERR_ARGUMENT);
    CHECK_INT(db_query(c, "SELEKT nonsense", NULL, 0, NULL, NULL), DB_ERR_QUERY);

    /* rollback keeps nothing */
    CHECK_INT(db_begin(c), 0);
    db_param_t p2[] = {DB_STR("rolled"), DB_STR("rolled@example.com")};
    CHECK_INT(db_exec(c, s_insert, p2, 2, NULL), 0);
    CHECK_INT(db_rollback(c), 0);
    db_param_t q2[] = {DB_STR("rolled@example.com")};
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", q2, 1, NULL, NULL), 0);

    /* the server drops an idle connection: the next statement still works */
    s_kill(s_connection_id(c));
    int rc = db_query(c, "SELECT uid FROM user WHERE email = ?", q, 1, s_on_row, &row);
    if (rc == DB_ERR_CONN) /* lost in flight: reported once, never replayed */
        rc = db_query(c, "SELECT uid FROM user WHERE email = ?", q, 1, s_on_row, &row);
    CHECK_INT(rc, 1);
    db_conn_destroy(&c);
    CHECK(c == NULL);

    /* with the idle ping on, a dropped connection is invisible to the caller */
    cfg.idle_ping_ms = -1;
    c = db_conn_new(&cfg);
    CHECK(c);
    int64_t before = s_connection_id(c);
    s_kill(before);
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", q, 1, s_on_row, &row), 1);
    CHECK(s_connection_id(c) != before);

    /* a connection lost inside a transaction: errors until rollback, nothing committed */
    CHECK_INT(db_begin(c), 0);
    db_param_t p3[] = {DB_STR("lost"), DB_STR("lost@example.com")};
    CHECK_INT(db_exec(c, s_insert, p3, 2, NULL), 0);
    s_kill(s_connection_id(c));
    db_param_t p4[] = {DB_STR("lost2"), DB_STR("lost2@example.com")};
    CHECK_INT(db_exec(c, s_insert, p4, 2, NULL), DB_ERR_CONN);
    CHECK_INT(db_exec(c, s_insert, p4, 2, NULL), DB_ERR_CONN);
    CHECK_INT(db_rollback(c), 0);
    db_param_t q3[] = {DB_STR("lost@example.com")};
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE email = ?", q3, 1, NULL, NULL), 0);
    db_conn_destroy(&c);
    db_conn_destroy(&c); /* NULL-safe */

    /* the pool: bounded, and shared by threads */
    cfg.pool_size = 2;
    db_pool_t *pool = db_pool_new(&cfg);
    CHECK(pool);
    db_conn_t *a = db_pool_acquire(pool, 0);
    db_conn_t *b = db_pool_acquire(pool, 0);
    CHECK(a && b && a != b);
    CHECK(db_pool_acquire(pool, 50) == NULL);
    db_pool_release(pool, &a);
    a = db_pool_acquire(pool, 50);
    CHECK(a);
    db_pool_release(pool, &a);
    db_pool_release(pool, &b);
    pthread_t threads[4];
    s_worker_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (s_worker_arg_t){pool, i};
        CHECK(pthread_create(&threads[i], NULL, s_pool_worker, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    c = db_pool_acquire(pool, 1000);
    CHECK(c);
    CHECK_INT(db_query(c, "SELECT uid FROM user WHERE name LIKE 'p%'", NULL, 0, NULL, NULL), 100);
    db_pool_release(pool, &c);
    db_pool_destroy(&pool);
    CHECK(pool == NULL);

    /* no server: a clear error, quickly */
    db_config_t down = cfg;
    down.port = test_free_port();
    c = db_conn_new(&down);
    CHECK(c);
    CHECK_INT(db_ping(c), DB_ERR_CONN);
    CHECK_INT(db_query(c, "SELECT 1", NULL, 0, NULL, NULL), DB_ERR_CONN);
    CHECK(strlen(db_conn_error(c)) > 0);
    db_conn_destroy(&c);

    s_test_tx_retry(&cfg);
    CHECK(test_db_drop(name) == 0);
    printf("db: ok\n");
}

static void s_test_redis(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_REDIS_HOST", "USCHAT_TEST_REDIS_PORT", NULL});
    redis_config_t cfg = {.host = test_env("USCHAT_TEST_REDIS_HOST"),
                          .port = atoi(test_env("USCHAT_TEST_REDIS_PORT")),
                          .timeout_ms = 2000};
    redis_conn_t *r = redis_conn_new(&cfg);
    CHECK(r);
    CHECK_INT(redis_conn_ping(r), 0);
    char key[64];
    snprintf(key, sizeof key, "test_store_%ld", (long)getpid());
    redisReply *rep = redis_conn_command(r, "SET %s %s EX 30", key, "值 value");
    CHECK(rep && rep->type == REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    rep = redis_conn_command(r, "GET %s", key);
    CHECK(rep && rep->type == REDIS_REPLY_STRING);
    CHECK_STR(rep->str, "值 value");
    freeReplyObject(rep);

    /* the server closes our connection: the next command reconnects and works */
    rep = redis_conn_command(r, "CLIENT ID");
    long long id = redis_reply_int(rep, -1);
    CHECK(id > 0);
    freeReplyObject(rep);
    redis_conn_t *admin = redis_conn_new(&cfg);
    rep = redis_conn_command(admin, "CLIENT KILL ID %lld", id);
    CHECK_INT(redis_reply_int(rep, -1), 1);
    freeReplyObject(rep);
    redis_conn_destroy(&admin);
    rep = redis_conn_command(r, "GET %s", key);
    CHECK(rep && rep->type == REDIS_REPLY_STRING);
    freeReplyObject(rep);
    rep = redis_conn_command(r, "DEL %s", key);
    CHECK_INT(redis_reply_int(rep, -1), 1);
    freeReplyObject(rep);
    rep = redis_conn_command(r, "NOSUCHCOMMAND");
    CHECK(rep && redis_reply_is_error(rep));
    freeReplyObject(rep);
    redis_conn_destroy(&r);
    CHECK(r == NULL);

    /* nobody listening: NULL with a reason, and the back-off answers at once */
    redis_config_t down = cfg;
    down.port = test_free_port();
    r = redis_conn_new(&down);
    CHECK(redis_conn_command(r, "PING") == NULL);
    CHECK(strstr(redis_conn_error(r), "connect") != NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(redis_conn_ping(r), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 1);
    redis_conn_destroy(&r);
    printf("redis: ok\n");
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    if (strcmp(what, "db") == 0 || strcmp(what, "all") == 0)
        s_test_db();
    if (strcmp(what, "redis") == 0 || strcmp(what, "all") == 0)
        s_test_redis();
    return 0;
}
