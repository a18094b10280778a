/* seed.c - load users straight into MySQL and Redis (seed.h).
 *
 * Speed matters more than elegance here: users, friendships and private_chat rows go in as
 * multi-row INSERTs of up to SEED_BATCH rows; only chat_thread rows are inserted one by one
 * (each needs its own auto-increment id for private_chat, and consecutive ids from one
 * multi-row insert are not promised under every innodb_autoinc_lock_mode). Every value in
 * the SQL is generated here (digits, [a-z0-9_] names, an Argon2id string of [A-Za-z0-9$=,+/])
 * so nothing needs escaping. Redis commands are pipelined. Main thread.
 */
#include "seed.h"

#include <hiredis/hiredis.h>
#include <mysql.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_BATCH 1000

/* ---- a growing SQL string ------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sql_t;

__attribute__((format(printf, 2, 3))) static void s_add(sql_t *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->failed = 1;
            return;
        }
        if (s->buf && s->len + (size_t)n < s->cap) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->failed = 1;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
}

static void s_reset(sql_t *s)
{
    s->len = 0;
    if (s->buf)
        s->buf[0] = '\0';
}

/* ---- connections --------------------------------------------------------------------- */

static MYSQL *s_mysql(const stack_env_t *env, char *err, size_t cap)
{
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    unsigned int timeout = 10;
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!mysql_real_connect(m, env->mysql_host, env->mysql_user, env->mysql_password, env->mysql_db,
                            (unsigned)env->mysql_port, NULL, 0)) {
        snprintf(err, cap, "MySQL %s:%d: %s", env->mysql_host, env->mysql_port, mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

static int s_exec(MYSQL *m, const char *sql, char *err, size_t cap)
{
    if (mysql_query(m, sql) != 0) {
        snprintf(err, cap, "MySQL: %s", mysql_error(m));
        return -1;
    }
    MYSQL_RES *r = mysql_store_result(m);
    if (r)
        mysql_free_result(r);
    return 0;
}

static redisContext *s_redis(const stack_env_t *env, char *err, size_t cap)
{
    struct timeval tv = {5, 0};
    redisContext *r = redisConnectWithTimeout(env->redis_host, env->redis_port, tv);
    if (!r || r->err) {
        snprintf(err, cap, "Redis %s:%d: %s", env->redis_host, env->redis_port,
                 r ? r->errstr : "out of memory");
        redisFree(r);
        return NULL;
    }
    if (env->redis_password[0]) {
        redisReply *reply = redisCommand(r, "AUTH %s", env->redis_password);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok) {
            snprintf(err, cap, "Redis: AUTH failed");
            redisFree(r);
            return NULL;
        }
    }
    return r;
}

void seed_user_email(const char *prefix, int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s_%06d@load.invalid", prefix, i);
}

static void s_new_token(char out[LOAD_TOKEN_LEN + 1])
{
    unsigned char raw[LOAD_TOKEN_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, LOAD_TOKEN_LEN + 1, raw, sizeof raw);
}

/* The rows of SQL (caller frees), or NULL with ERR set. */
static MYSQL_RES *s_select(MYSQL *m, const char *sql, char *err, size_t cap)
{
    MYSQL_RES *res = mysql_query(m, sql) == 0 ? mysql_store_result(m) : NULL;
    if (!res)
        snprintf(err, cap, "MySQL: %s", mysql_error(m));
    return res;
}

/* ---- users and pairs ----------------------------------------------------------------- */

/* uids[i] for users 0..N-1 of PREFIX (0 when absent). Returns how many were found, -1. */
static int s_read_uids(MYSQL *m, const char *prefix, int n, int64_t *uids, char *err, size_t cap)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT uid, name FROM `user` WHERE name LIKE '%s\\_%%'", prefix);
    MYSQL_RES *res = s_select(m, sql, err, cap);
    if (!res)
        return -1;
    memset(uids, 0, sizeof *uids * (size_t)n);
    int found = 0;
    size_t plen = strlen(prefix);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        const char *name = row[1];
        if (strlen(name) != plen + 7)
            continue;
        int i = atoi(name + plen + 1);
        if (i >= 0 && i < n && uids[i] == 0) {
            uids[i] = strtoll(row[0], NULL, 10);
            found++;
        }
    }
    mysql_free_result(res);
    return found;
}

typedef struct {
    int64_t lo, hi;
    int pair;
} pair_key_t;

static int s_cmp_pair(const void *a, const void *b)
{
    const pair_key_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* threads[k] of pair k (users 2k, 2k+1) from private_chat; 0 when the pair has none. */
static int s_read_threads(MYSQL *m, const int64_t *uids, int pairs, int64_t *threads, char *err,
                          size_t cap)
{
    memset(threads, 0, sizeof *threads * (size_t)pairs);
    if (pairs == 0)
        return 0;
    pair_key_t *keys = calloc((size_t)pairs, sizeof *keys);
    if (!keys) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (int k = 0; k < pairs; k++) {
        int64_t a = uids[2 * k], b = uids[2 * k + 1];
        keys[k] = (pair_key_t){a < b ? a : b, a < b ? b : a, k};
    }
    qsort(keys, (size_t)pairs, sizeof *keys, s_cmp_pair);
    sql_t q = {0};
    int rc = 0;
    for (int start = 0; start < pairs && rc == 0; start += SEED_BATCH) {
        int end = start + SEED_BATCH < pairs ? start + SEED_BATCH : pairs;
        s_reset(&q);
        s_add(&q, "SELECT thread_id, user1_id, user2_id FROM private_chat WHERE user1_id IN (");
        for (int k = start; k < end; k++)
            s_add(&q, "%s%lld", k > start ? "," : "", (long long)keys[k].lo);
        s_add(&q, ")");
        if (q.failed || mysql_query(m, q.buf) != 0) {
            snprintf(err, cap, "MySQL: %s", q.failed ? "out of memory" : mysql_error(m));
            rc = -1;
            break;
        }
        MYSQL_RES *res = mysql_store_result(m);
        MYSQL_ROW row;
        while (res && (row = mysql_fetch_row(res)) != NULL) {
            pair_key_t probe = {strtoll(row[1], NULL, 10), 0, 0};
            int64_t hi = strtoll(row[2], NULL, 10);
            pair_key_t *hit = bsearch(&probe, keys, (size_t)pairs, sizeof *keys, s_cmp_pair);
            if (!hit)
                continue;
            /* several pairs may share lo only if uids repeat; they do not, but scan anyway */
            while (hit > keys && hit[-1].lo == probe.lo)
                hit--;
            for (; hit < keys + pairs && hit->lo == probe.lo; hit++)
                if (hit->hi == hi)
                    threads[hit->pair] = strtoll(row[0], NULL, 10);
        }
        if (res)
            mysql_free_result(res);
    }
    free(q.buf);
    free(keys);
    return rc;
}

/* ---- tokens -------------------------------------------------------------------------- */

/* Writes a fresh token for each user with FRESH[i] (all when FRESH is NULL). */
static int s_write_tokens(redisContext *r, load_user_t *users, int n, const int *fresh, int ttl,
                          char *err, size_t cap)
{
    int sent = 0;
    for (int i = 0; i < n; i++) {
        if (fresh && !fresh[i])
            continue;
        s_new_token(users[i].token);
        redisAppendCommand(r, "SET utoken_%lld %s EX %d", (long long)users[i].uid, users[i].token,
                           ttl);
        sent++;
    }
    for (int i = 0; i < sent; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(r, (void **)&reply) != REDIS_OK || !reply ||
            reply->type == REDIS_REPLY_ERROR) {
            snprintf(err, cap, "Redis SET: %s", reply ? reply->str : r->errstr);
            freeReplyObject(reply);
            return -1;
        }
        freeReplyObject(reply);
    }
    return 0;
}

/* Reads tokens; users without one get FRESH[i] = 1. */
static int s_read_tokens(redisContext *r, load_user_t *users, int n, int *fresh, char *err,
                         size_t cap)
{
    for (int i = 0; i < n; i++)
        redisAppendCommand(r, "GET utoken_%lld", (long long)users[i].uid);
    for (int i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(r, (void **)&reply) != REDIS_OK || !reply) {
            snprintf(err, cap, "Redis GET: %s", r->errstr);
            freeReplyObject(reply);
            return -1;
        }
        fresh[i] = !(reply->type == REDIS_REPLY_STRING && reply->len == LOAD_TOKEN_LEN);
        if (!fresh[i])
            memcpy(users[i].token, reply->str, LOAD_TOKEN_LEN + 1);
        freeReplyObject(reply);
    }
    return 0;
}

/* ---- seeding ------------------------------------------------------------------------- */

static int s_insert_users(MYSQL *m, const seed_opts_t *o, int n, const char *hash, char *err,
                          size_t cap)
{
    sql_t q = {0};
    int rc = 0;
    for (int start = 0; start < n && rc == 0; start += SEED_BATCH) {
        int end = start + SEED_BATCH < n ? start + SEED_BATCH : n;
        s_reset(&q);
        s_add(&q, "INSERT INTO `user` (name, email, pwd_hash, nick) VALUES ");
        for (int i = start; i < end; i++) {
            char email[128];
            seed_user_email(o->prefix, i, email, sizeof email);
            s_add(&q, "%s('%s_%06d','%s','%s','load %d')", i > start ? "," : "", o->prefix, i,
                  email, hash, i);
        }
        s_add(&q, " ON DUPLICATE KEY UPDATE pwd_hash = VALUES(pwd_hash)");
        rc = q.failed ? -1 : s_exec(m, q.buf, err, cap);
    }
    free(q.buf);
    return rc;
}

static int s_insert_friends(MYSQL *m, const int64_t *uids, int pairs, char *err, size_t cap)
{
    sql_t q = {0};
    int rc = 0;
    for (int start = 0; start < pairs && rc == 0; start += SEED_BATCH) {
        int end = start + SEED_BATCH < pairs ? start + SEED_BATCH : pairs;
        s_reset(&q);
        s_add(&q, "INSERT IGNORE INTO friend (self_id, friend_id, back) VALUES ");
        for (int k = start; k < end; k++) {
            long long a = uids[2 * k], b = uids[2 * k + 1];
            s_add(&q, "%s(%lld,%lld,''),(%lld,%lld,'')", k > start ? "," : "", a, b, b, a);
        }
        rc = q.failed ? -1 : s_exec(m, q.buf, err, cap);
    }
    free(q.buf);
    return rc;
}

/* Creates a private thread for each pair without one. Returns how many, or -1. */
static int s_insert_threads(MYSQL *m, const int64_t *uids, int pairs, int64_t *threads, char *err,
                            size_t cap)
{
    sql_t q = {0};
    int created = 0, rc = s_exec(m, "START TRANSACTION", err, cap);
    for (int k = 0; k < pairs && rc == 0; k++) {
        if (threads[k])
            continue;
        rc = s_exec(m, "INSERT INTO chat_thread (type) VALUES (0)", err, cap);
        if (rc == 0) {
            threads[k] = (int64_t)mysql_insert_id(m);
            long long a = uids[2 * k], b = uids[2 * k + 1];
            s_add(&q, "%s(%lld,%lld,%lld)", created ? "," : "", (long long)threads[k],
                  a < b ? a : b, a < b ? b : a);
            created++;
        }
    }
    if (rc == 0 && created > 0) {
        char *values = q.buf;
        sql_t ins = {0};
        s_add(&ins, "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES %s", values);
        rc = ins.failed || q.failed ? -1 : s_exec(m, ins.buf, err, cap);
        free(ins.buf);
    }
    if (rc == 0)
        rc = s_exec(m, "COMMIT", err, cap);
    else
        (void)mysql_query(m, "ROLLBACK");
    free(q.buf);
    return rc < 0 ? -1 : created;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int seed_run(const seed_opts_t *o, int n, char *err, size_t err_cap)
{
    if (n <= 0 || sodium_init() < 0) {
        snprintf(err, err_cap, n <= 0 ? "--seed needs a count > 0" : "libsodium init failed");
        return -1;
    }
    double t0 = s_now();
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, o->password, strlen(o->password), o->argon_ops, o->argon_mem) !=
        0) {
        snprintf(err, err_cap, "Argon2id hashing failed (out of memory?)");
        return -1;
    }
    double t_hash = s_now() - t0;
    MYSQL *m = s_mysql(o->env, err, err_cap);
    redisContext *r = m ? s_redis(o->env, err, err_cap) : NULL;
    int64_t *uids = calloc((size_t)n, sizeof *uids);
    int pairs = n / 2;
    int64_t *threads = calloc((size_t)(pairs ? pairs : 1), sizeof *threads);
    load_user_t *users = calloc((size_t)n, sizeof *users);
    int rc = -1, before = 0, created = 0;
    if (!m || !r || !uids || !threads || !users) {
        if (m && r)
            snprintf(err, err_cap, "out of memory");
        goto done;
    }
    before = s_read_uids(m, o->prefix, n, uids, err, err_cap);
    if (before < 0 || s_insert_users(m, o, n, hash, err, err_cap) < 0)
        goto done;
    int found = s_read_uids(m, o->prefix, n, uids, err, err_cap);
    if (found != n) {
        if (found >= 0)
            snprintf(err, err_cap, "only %d of %d users present after insert", found, n);
        goto done;
    }
    if (s_insert_friends(m, uids, pairs, err, err_cap) < 0 ||
        s_read_threads(m, uids, pairs, threads, err, err_cap) < 0)
        goto done;
    created = s_insert_threads(m, uids, pairs, threads, err, err_cap);
    if (created < 0)
        goto done;
    for (int i = 0; i < n; i++)
        users[i].uid = uids[i];
    if (s_write_tokens(r, users, n, NULL, o->token_ttl_s, err, err_cap) < 0)
        goto done;
    printf("seed: %d users (%d new), %d pairs (%d new threads), %d tokens (TTL %d s) in %.2f s "
           "(one Argon2id hash: %.2f s)\n",
           n, n - before, pairs, created, n, o->token_ttl_s, s_now() - t0, t_hash);
    rc = 0;
done:
    free(users);
    free(threads);
    free(uids);
    if (r)
        redisFree(r);
    if (m)
        mysql_close(m);
    return rc;
}

int seed_load_users(const seed_opts_t *o, int n, load_user_t **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (n <= 0 || sodium_init() < 0) {
        snprintf(err, err_cap, "no users asked for");
        return -1;
    }
    MYSQL *m = s_mysql(o->env, err, err_cap);
    redisContext *r = m ? s_redis(o->env, err, err_cap) : NULL;
    int64_t *uids = calloc((size_t)n, sizeof *uids);
    int pairs = n / 2;
    int64_t *threads = calloc((size_t)(pairs ? pairs : 1), sizeof *threads);
    int *fresh = calloc((size_t)n, sizeof *fresh);
    load_user_t *users = calloc((size_t)n, sizeof *users);
    int rc = -1;
    if (!m || !r || !uids || !threads || !fresh || !users) {
        if (m && r)
            snprintf(err, err_cap, "out of memory");
        goto done;
    }
    int found = s_read_uids(m, o->prefix, n, uids, err, err_cap);
    if (found < 0)
        goto done;
    if (found < n) {
        snprintf(err, err_cap, "only %d of the %d load users exist: seed them first (--seed %d)",
                 found, n, n);
        goto done;
    }
    if (s_read_threads(m, uids, pairs, threads, err, err_cap) < 0)
        goto done;
    for (int i = 0; i < n; i++) {
        users[i].uid = uids[i];
        users[i].thread_id = i / 2 < pairs ? threads[i / 2] : 0;
    }
    if (s_read_tokens(r, users, n, fresh, err, err_cap) < 0 ||
        s_write_tokens(r, users, n, fresh, o->token_ttl_s, err, err_cap) < 0)
        goto done;
    *out = users;
    users = NULL;
    rc = 0;
done:
    free(users);
    free(fresh);
    free(threads);
    free(uids);
    if (r)
        redisFree(r);
    if (m)
        mysql_close(m);
    return rc;
}

/* ---- groups -------------------------------------------------------------------------- */

/* ids/last_seq of the groups named "<prefix> m<members> g<g>" that exist. Returns how many. */
static int s_read_groups(MYSQL *m, const seed_opts_t *o, int groups, int members, int64_t *ids,
                         int64_t *last_seq, char *err, size_t cap)
{
    char sql[256], head[64];
    snprintf(head, sizeof head, "%s m%d g", o->prefix, members);
    snprintf(sql, sizeof sql, "SELECT id, name, last_seq FROM group_chat WHERE name LIKE '%s%%'",
             head);
    MYSQL_RES *res = s_select(m, sql, err, cap);
    if (!res)
        return -1;
    memset(ids, 0, sizeof *ids * (size_t)groups);
    int found = 0;
    size_t hlen = strlen(head);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        char *end;
        long g = strtol(row[1] + hlen, &end, 10);
        if (*end || g < 0 || g >= groups || ids[g])
            continue;
        ids[g] = strtoll(row[0], NULL, 10);
        last_seq[g] = strtoll(row[2], NULL, 10);
        found++;
    }
    mysql_free_result(res);
    return found;
}

int seed_groups(const seed_opts_t *o, const load_user_t *users, int groups, int members,
                int64_t *ids, int64_t *last_seq, char *err, size_t err_cap)
{
    double t0 = s_now();
    MYSQL *m = s_mysql(o->env, err, err_cap);
    if (!m)
        return -1;
    sql_t q = {0};
    int rc = -1, before = s_read_groups(m, o, groups, members, ids, last_seq, err, err_cap);
    if (before < 0)
        goto done;
    if (before < groups) {
        s_add(&q, "INSERT INTO group_chat (name, owner_id, members) VALUES ");
        int first = 1;
        for (int g = 0; g < groups; g++)
            if (!ids[g]) {
                s_add(&q, "%s('%s m%d g%d',%lld,%d)", first ? "" : ",", o->prefix, members, g,
                      (long long)users[(size_t)g * (size_t)members].uid, members);
                first = 0;
            }
        if (q.failed || s_exec(m, q.buf, err, err_cap) < 0 ||
            s_read_groups(m, o, groups, members, ids, last_seq, err, err_cap) != groups) {
            if (!err[0])
                snprintf(err, err_cap, "the groups are not all there after the insert");
            goto done;
        }
    }
    /* members in batches; those present stay as they are */
    long total = (long)groups * members;
    for (long start = 0; start < total; start += SEED_BATCH) {
        long end = start + SEED_BATCH < total ? start + SEED_BATCH : total;
        s_reset(&q);
        s_add(&q, "INSERT IGNORE INTO group_member (group_id, uid, role) VALUES ");
        for (long i = start; i < end; i++)
            s_add(&q, "%s(%lld,%lld,%d)", i > start ? "," : "", (long long)ids[i / members],
                  (long long)users[i].uid, i % members == 0 ? 2 : 0);
        if (q.failed || s_exec(m, q.buf, err, err_cap) < 0)
            goto done;
    }
    printf("seed: %d groups of %d members (%d new) in %.2f s\n", groups, members, groups - before,
           s_now() - t0);
    rc = 0;
done:
    free(q.buf);
    mysql_close(m);
    return rc;
}
