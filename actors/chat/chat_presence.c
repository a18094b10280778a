/* chat_presence.c - where a user is connected, in Redis: uip_<uid> = node name, with a TTL.
 *
 * Each login bumps a per-uid counter, usn_<uid>, in the same Lua script that checks the token
 * and writes uip_<uid>; the counter's value is the session number. It settles every race
 * between two logins of one uid: the node holding an older session closes it when told
 * (CHAT_KICK carries the new number), a presence refresh or clear only touches uip_<uid> while
 * usn_<uid> still holds the session's own number, so a session that ends never erases the
 * presence of the one that replaced it, on this node or another.
 *
 * Threads: the scripts run on worker threads (the chat_worker_t's Redis connection). The I/O
 * thread batches: sessions that ended are queued in node->clear_pending and cleared by one job
 * per event batch; a refresh job every second covers a slice of the ring of live sessions so
 * that each is refreshed once per third of the TTL (10,000 sessions and a 60 s TTL make 500
 * refreshes in one script call a second, not 10,000 timers).
 */
#include "chat_presence.h"
#include "chat_jobs.h"
#include "chat_net.h"
#include "chat_node.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "uschat/log.h"
#include "uschat/redis_keys.h"

#define USN_TTL_S     86400 /* the session counter outlives any session by far */
#define BATCH_MAX     1000  /* sessions per refresh or clear script call */
#define REFRESH_LIMIT 2     /* refresh jobs in the pool at once */
/* The pool key of refreshes and clears: they run in the order submitted. With key 0 (any
 * order) a refresh taken from the ring just before a session ended could run after its
 * clear, and its SET brought uip_<uid> back for a whole TTL: the user looked online. */
#define PRESENCE_KEY (1ULL << 63) /* above every uid, below every lane (chat_text.c) */

enum { SCRIPT_LOGIN, SCRIPT_REFRESH, SCRIPT_CLEAR, SCRIPT_COUNT };

/* KEYS: utoken, uip, usn. ARGV: token, node, ttl, usn ttl. -> {ok, old node, session} */
static const char s_login_lua[] = "local t = redis.call('GET', KEYS[1])\n"
                                  "if (not t) or t ~= ARGV[1] then return {0, '', 0} end\n"
                                  "local old = redis.call('GET', KEYS[2]) or ''\n"
                                  "local sn = redis.call('INCR', KEYS[3])\n"
                                  "redis.call('EXPIRE', KEYS[3], ARGV[4])\n"
                                  "redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])\n"
                                  "return {1, old, sn}\n";

/* KEYS: uip_i, usn_i pairs. ARGV: node, ttl, usn ttl, session_i... -> {1 still ours | 0} */
static const char s_refresh_lua[] =
    "local out = {}\n"
    "for i = 1, #ARGV - 3 do\n"
    "  local cur = redis.call('GET', KEYS[2 * i])\n"
    "  if cur and cur ~= ARGV[3 + i] then out[i] = 0 else\n"
    "    redis.call('SET', KEYS[2 * i - 1], ARGV[1], 'EX', ARGV[2])\n"
    "    redis.call('SET', KEYS[2 * i], ARGV[3 + i], 'EX', ARGV[3])\n"
    "    out[i] = 1\n"
    "  end\n"
    "end\n"
    "return out\n";

/* KEYS: uip_i, usn_i pairs. ARGV: node, session_i... -> number cleared */
static const char s_clear_lua[] = "local n = 0\n"
                                  "for i = 1, #ARGV - 1 do\n"
                                  "  if redis.call('GET', KEYS[2 * i]) == ARGV[1 + i] and\n"
                                  "     redis.call('GET', KEYS[2 * i - 1]) == ARGV[1] then\n"
                                  "    redis.call('DEL', KEYS[2 * i - 1])\n"
                                  "    n = n + 1\n"
                                  "  end\n"
                                  "end\n"
                                  "return n\n";

static const char *const s_scripts[SCRIPT_COUNT] = {s_login_lua, s_refresh_lua, s_clear_lua};

/* Runs script with argv = [keys..., args...] through EVALSHA (loading it on first use and
 * again after a Redis restart forgot it). The caller frees the reply. NULL when Redis failed. */
static redisReply *s_eval(redis_conn_t *redis, char sha[41], int script, int nkeys, int nargs,
                          const char **argv, const size_t *lens)
{
    int total = 3 + nargs;
    const char **av = malloc((size_t)total * sizeof *av);
    size_t *al = malloc((size_t)total * sizeof *al);
    char nk[16];
    redisReply *reply = NULL;
    if (!av || !al)
        goto done;
    snprintf(nk, sizeof nk, "%d", nkeys);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!sha[0]) {
            redisReply *r = redis_conn_command(redis, "SCRIPT LOAD %s", s_scripts[script]);
            if (r && r->type == REDIS_REPLY_STRING && r->len == 40) {
                memcpy(sha, r->str, 40);
                sha[40] = 0;
            }
            freeReplyObject(r);
            if (!sha[0])
                goto done;
        }
        av[0] = "EVALSHA";
        al[0] = 7;
        av[1] = sha;
        al[1] = 40;
        av[2] = nk;
        al[2] = strlen(nk);
        memcpy(av + 3, argv, (size_t)nargs * sizeof *av);
        memcpy(al + 3, lens, (size_t)nargs * sizeof *al);
        reply = redis_conn_argv(redis, total, av, al);
        if (reply && reply->type == REDIS_REPLY_ERROR && !strncmp(reply->str, "NOSCRIPT", 8)) {
            freeReplyObject(reply);
            reply = NULL;
            sha[0] = 0;
            continue;
        }
        break;
    }
done:
    free(av);
    free(al);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        log_warn("chat: redis script failed: %s", reply->str);
        freeReplyObject(reply);
        reply = NULL;
    }
    return reply;
}

int chat_presence_login(chat_worker_t *worker, uint64_t uid, const char *token, uint64_t *session,
                        char old_node[ENVELOPE_NODE_MAX])
{
    char k_token[48], k_uip[48], k_usn[48], ttl[16], usn_ttl[16];
    snprintf(k_token, sizeof k_token, REDIS_KEY_TOKEN "%" PRIu64, uid);
    snprintf(k_uip, sizeof k_uip, REDIS_KEY_UIP "%" PRIu64, uid);
    snprintf(k_usn, sizeof k_usn, CHAT_REDIS_KEY_USN "%" PRIu64, uid);
    snprintf(ttl, sizeof ttl, "%u", worker->node->cfg.presence_ttl_s);
    snprintf(usn_ttl, sizeof usn_ttl, "%d", USN_TTL_S);
    const char *argv[] = {k_token, k_uip, k_usn, token, worker->node->name, ttl, usn_ttl};
    size_t lens[7];
    for (int i = 0; i < 7; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r =
        s_eval(worker->redis, worker->script_sha[SCRIPT_LOGIN], SCRIPT_LOGIN, 3, 7, argv, lens);
    if (!r) {
        log_warn("chat: login of uid %" PRIu64 ": redis: %s", uid, redis_conn_error(worker->redis));
        return -1;
    }
    int ok = -1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[0]->type == REDIS_REPLY_INTEGER) {
        ok = r->element[0]->integer == 1;
        if (ok) {
            const redisReply *old = r->element[1];
            snprintf(old_node, ENVELOPE_NODE_MAX, "%.*s",
                     old->type == REDIS_REPLY_STRING ? (int)old->len : 0,
                     old->type == REDIS_REPLY_STRING ? old->str : "");
            *session = (uint64_t)redis_reply_int(r->element[2], 0);
        }
    }
    freeReplyObject(r);
    return ok;
}

/* Notes what a lookup found (chat_seen.h). uip_ and usn_ both gone is not "offline" but a
 * Redis that lost its data (restarted empty; sessions write them again within a tick): the
 * node last seen stands in, as while Redis is unreachable. */
static void s_seen(chat_worker_t *worker, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                   uint64_t *session, bool has_usn)
{
    if (node[0] || has_usn)
        chat_seen_put(worker->node->seen, uid, node, *session);
    else
        chat_seen_get(worker->node->seen, uid, node, session);
}

int chat_presence_lookup(chat_worker_t *worker, uint64_t uid, char node[ENVELOPE_NODE_MAX],
                         uint64_t *session)
{
    char k_uip[48], k_usn[48];
    snprintf(k_uip, sizeof k_uip, REDIS_KEY_UIP "%" PRIu64, uid);
    snprintf(k_usn, sizeof k_usn, CHAT_REDIS_KEY_USN "%" PRIu64, uid);
    node[0] = 0;
    *session = 0;
    redisReply *r = redis_conn_command(worker->redis, "MGET %s %s", k_uip, k_usn);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        freeReplyObject(r);
        return chat_seen_get(worker->node->seen, uid, node, session) ? 0 : -1;
    }
    if (r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < ENVELOPE_NODE_MAX) {
        memcpy(node, r->element[0]->str, r->element[0]->len);
        node[r->element[0]->len] = 0;
        if (r->element[1]->type == REDIS_REPLY_STRING)
            *session = strtoull(r->element[1]->str, NULL, 10);
    }
    s_seen(worker, uid, node, session, r->element[1]->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    return 0;
}

int chat_presence_lookup_many(chat_worker_t *worker, const uint64_t *uids, size_t n,
                              char (*nodes)[ENVELOPE_NODE_MAX], uint64_t *sessions)
{
    for (size_t i = 0; i < n; i++) {
        nodes[i][0] = 0;
        sessions[i] = 0;
    }
    if (n == 0)
        return 0;
    /* One MGET for all of them: a batch of messages costs one round trip, not one per peer. */
    size_t argc = 1 + 2 * n;
    const char **argv = calloc(argc, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    char *text = malloc(n * 2 * 32);
    int rc = -1;
    if (!argv || !lens || !text)
        goto done;
    argv[0] = "MGET";
    char *p = text;
    for (size_t i = 0; i < n; i++) {
        argv[1 + 2 * i] = p;
        p += sprintf(p, REDIS_KEY_UIP "%" PRIu64, uids[i]) + 1;
        argv[2 + 2 * i] = p;
        p += sprintf(p, CHAT_REDIS_KEY_USN "%" PRIu64, uids[i]) + 1;
    }
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = redis_conn_argv(worker->redis, (int)argc, argv, lens);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 * n) {
        for (size_t i = 0; i < n; i++) {
            const redisReply *node = r->element[2 * i], *usn = r->element[2 * i + 1];
            if (node->type == REDIS_REPLY_STRING && node->len < ENVELOPE_NODE_MAX) {
                memcpy(nodes[i], node->str, node->len);
                nodes[i][node->len] = 0;
                if (usn->type == REDIS_REPLY_STRING)
                    sessions[i] = strtoull(usn->str, NULL, 10);
            }
            s_seen(worker, uids[i], nodes[i], &sessions[i], usn->type == REDIS_REPLY_STRING);
        }
        rc = 0;
    } else {
        /* Redis unreachable: the nodes they were last found on */
        rc = -1;
        for (size_t i = 0; i < n; i++)
            if (chat_seen_get(worker->node->seen, uids[i], nodes[i], &sessions[i]))
                rc = 0;
    }
    freeReplyObject(r);
done:
    free(argv);
    free(lens);
    free(text);
    return rc;
}

/* ---- batches --------------------------------------------------------------------------------- */

int chat_presence_list_add(chat_presence_list_t *list, uint64_t uid, uint64_t session)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        chat_presence_item_t *items = realloc(list->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = (chat_presence_item_t){uid, session};
    return 0;
}

void chat_presence_list_free(chat_presence_list_t *list)
{
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* Runs the refresh or clear script over items; results (refresh only) get 1/0 per item.
 * Returns 0 or -1. */
static int s_batch(redis_conn_t *redis, char sha[41], int script, const char *node_name,
                   uint32_t ttl_s, const chat_presence_item_t *items, size_t n, uint8_t *results)
{
    int nfixed = script == SCRIPT_REFRESH ? 3 : 1;
    size_t nargs = 2 * n + (size_t)nfixed + n;
    const char **argv = calloc(nargs, sizeof *argv);
    size_t *lens = calloc(nargs, sizeof *lens);
    char *text = malloc(n * 3 * 24 + 64); /* two keys and a number per item, fixed args */
    int rc = -1;
    if (!argv || !lens || !text)
        goto done;
    char *p = text;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        argv[k] = p;
        p += sprintf(p, REDIS_KEY_UIP "%" PRIu64, items[i].uid) + 1;
        k++;
        argv[k] = p;
        p += sprintf(p, CHAT_REDIS_KEY_USN "%" PRIu64, items[i].uid) + 1;
        k++;
    }
    argv[k++] = node_name;
    if (script == SCRIPT_REFRESH) {
        argv[k++] = p;
        p += sprintf(p, "%u", ttl_s) + 1;
        argv[k++] = p;
        p += sprintf(p, "%d", USN_TTL_S) + 1;
    }
    for (size_t i = 0; i < n; i++) {
        argv[k++] = p;
        p += sprintf(p, "%" PRIu64, items[i].session) + 1;
    }
    for (size_t i = 0; i < nargs; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = s_eval(redis, sha, script, (int)(2 * n), (int)nargs, argv, lens);
    if (r) {
        rc = 0;
        if (results && r->type == REDIS_REPLY_ARRAY && r->elements == n)
            for (size_t i = 0; i < n; i++)
                results[i] =
                    r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == 0 ? 0
                                                                                              : 1;
    }
    freeReplyObject(r);
done:
    free(argv);
    free(lens);
    free(text);
    return rc;
}

static void s_clear_run(chat_job_t *job, chat_worker_t *worker)
{
    for (size_t off = 0; off < job->nitems; off += BATCH_MAX) {
        size_t n = job->nitems - off < BATCH_MAX ? job->nitems - off : BATCH_MAX;
        if (s_batch(worker->redis, worker->script_sha[SCRIPT_CLEAR], SCRIPT_CLEAR,
                    worker->node->name, 0, job->items + off, n, NULL) < 0)
            log_warn("chat: presence of %zu sessions not cleared: %s", n,
                     redis_conn_error(worker->redis));
    }
}

static void s_clear_done(chat_node_t *node, chat_job_t *job)
{
    (void)node;
    (void)job;
}

static void s_refresh_run(chat_job_t *job, chat_worker_t *worker)
{
    job->results = malloc(job->nitems ? job->nitems : 1);
    if (!job->results)
        return;
    memset(job->results, 1, job->nitems);
    if (s_batch(worker->redis, worker->script_sha[SCRIPT_REFRESH], SCRIPT_REFRESH,
                worker->node->name, worker->node->cfg.presence_ttl_s, job->items, job->nitems,
                job->results) < 0) {
        log_warn("chat: presence of %zu sessions not refreshed: %s", job->nitems,
                 redis_conn_error(worker->redis));
        memset(job->results, 1, job->nitems);
    }
}

static void s_refresh_done(chat_node_t *node, chat_job_t *job)
{
    node->refresh_inflight--;
    for (size_t i = 0; job->results && i < job->nitems; i++) {
        if (job->results[i])
            continue;
        /* usn_<uid> moved on: a newer login exists whose kick did not reach us. */
        chat_conn_t *conn = chat_session_find(node, job->items[i].uid);
        if (conn && conn->session == job->items[i].session)
            chat_conn_kick(node, conn, false, "session taken over elsewhere");
    }
}

void chat_presence_clear_later(chat_node_t *node, uint64_t uid, uint64_t session)
{
    if (chat_presence_list_add(&node->clear_pending, uid, session) < 0)
        log_warn("chat: out of memory: presence of uid %" PRIu64 " left to expire", uid);
}

void chat_presence_flush(chat_node_t *node)
{
    if (!node->clear_pending.count || !node->base)
        return;
    chat_job_t *job = chat_job_new(node, NULL, 0, s_clear_run, s_clear_done);
    if (!job)
        return;
    job->items = node->clear_pending.items;
    job->nitems = node->clear_pending.count;
    size_t cap = node->clear_pending.cap;
    memset(&node->clear_pending, 0, sizeof node->clear_pending);
    if (chat_job_try_submit(node, job, PRESENCE_KEY) < 0) {
        /* The pool is full: keep them for the next tick. */
        node->clear_pending.items = job->items;
        node->clear_pending.count = job->nitems;
        node->clear_pending.cap = cap;
        job->items = NULL;
        chat_job_destroy(&job);
    }
}

void chat_presence_tick(chat_node_t *node)
{
    chat_presence_flush(node);
    if (!node->nsessions || !node->base || node->refresh_inflight >= REFRESH_LIMIT)
        return;
    uint32_t period = node->cfg.presence_ttl_s / 3;
    if (period < 1)
        period = 1;
    size_t n = (node->nsessions + period - 1) / period;
    while (n > 0) {
        size_t take = n < BATCH_MAX ? n : BATCH_MAX;
        chat_job_t *job = chat_job_new(node, NULL, 0, s_refresh_run, s_refresh_done);
        if (job)
            job->items = malloc(take * sizeof *job->items);
        if (!job || !job->items) {
            chat_job_destroy(&job);
            return;
        }
        for (size_t i = 0; i < take && node->ring_cursor; i++) {
            chat_conn_t *c = node->ring_cursor;
            job->items[job->nitems++] = (chat_presence_item_t){c->uid, c->session};
            node->ring_cursor = c->ring_next;
        }
        if (chat_job_try_submit(node, job, PRESENCE_KEY) < 0) {
            chat_job_destroy(&job);
            return; /* busy: the next tick goes on from where the cursor stopped */
        }
        node->refresh_inflight++;
        n -= take;
    }
}

void chat_presence_clear_all_sync(chat_node_t *node, const chat_presence_list_t *list)
{
    if (!list->count)
        return;
    redis_conn_t *redis = redis_conn_new(&node->cfg.redis);
    char sha[41] = "";
    for (size_t off = 0; redis && off < list->count; off += BATCH_MAX) {
        size_t n = list->count - off < BATCH_MAX ? list->count - off : BATCH_MAX;
        if (s_batch(redis, sha, SCRIPT_CLEAR, node->name, 0, list->items + off, n, NULL) < 0) {
            log_warn("chat: presence of %zu sessions not cleared: %s", list->count - off,
                     redis_conn_error(redis));
            break;
        }
    }
    redis_conn_destroy(&redis);
}
