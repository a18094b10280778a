/* chat_checker.c - the message guarantees checked end to end (chat_checker.h), against the
 * real stack (chat_stack.h). Called from the test's main thread.
 *
 * The model: per user its messages (unique_id "c<user>-<k>", content, acked id and seq,
 * whether the peer received it), and per thread what the user has seen (ids by seq). Acks,
 * pushes and syncs fill it in; at the end the database is read and compared with it.
 */
#include "chat_checker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define USERS       8
#define LINKS       3    /* friends of each user */
#define MSGS_MAX    2000 /* messages of one user */
#define CONTENT_MAX 4200

/* ---- the model ---------------------------------------------------------------------------- */

typedef struct {
    int64_t *ids; /* message id by seq (0 = not seen) */
    int64_t cap;
} view_t;

typedef struct {
    int peer;      /* user index */
    int peer_link; /* index of this thread in the peer's links */
    int64_t thread;
    view_t view;          /* what this user knows of the thread: own acks, pushes, syncs */
    int64_t ack_last_seq; /* order of first-send acks on one session */
    int ack_epoch;
    int64_t push_last_seq; /* order of pushes on one session from one sender session */
    int push_epoch, push_sender_epoch;
} link_t;

typedef struct {
    int sender, link, k;
    char unique[32];
    char *content;
    int epoch;        /* the sender's session when first sent */
    int sends;        /* requests that carried it */
    bool outstanding; /* sent on the current session, no answer yet */
    bool in_doubt;    /* a session ended with it unanswered: stored or not, unknown */
    bool acked;
    int64_t message_id, seq;
    bool received;  /* the peer has it */
    int push_epoch; /* the peer's session of the last push of it, 0 = none */
} msg_t;

typedef struct {
    int64_t uid;
    char token[128];
    uschat_session_t *s; /* NULL = offline */
    int node;
    int epoch;
    int back_at_round; /* offline until */
    link_t links[LINKS];
    msg_t *msgs;
    int nmsgs;
} user_t;

typedef struct {
    uint64_t sent, resent, acked_items, error_acks, pushes, synced, sync_overlap, offline, relogins,
        lost, duplicated, reordered, in_doubt, refused, login_failed, sync_errors;
} counts_t;

static chat_stack_t *s_st;
static bool s_strict;                  /* every login and sync must succeed */
static bool s_avoid[CHAT_STACK_NODES]; /* nodes that take no logins now */
static int s_round;
static user_t s_users[USERS];
static counts_t s_n;
static uint64_t s_rand_state;

static uint64_t s_rand(void)
{
    s_rand_state ^= s_rand_state << 13;
    s_rand_state ^= s_rand_state >> 7;
    s_rand_state ^= s_rand_state << 17;
    return s_rand_state;
}

static int s_pick(int n)
{
    return (int)(s_rand() % (uint64_t)n);
}

/* Records id as seq's and returns the id seq had before (0: none). */
static int64_t s_view_set(view_t *v, int64_t seq, int64_t id)
{
    CHECK(seq > 0 && seq < 1000000, "seq %lld", (long long)seq);
    if (seq >= v->cap) {
        int64_t cap = v->cap ? v->cap : 256;
        while (cap <= seq)
            cap *= 2;
        v->ids = realloc(v->ids, (size_t)cap * sizeof *v->ids);
        CHECK(v->ids, "memory");
        memset(v->ids + v->cap, 0, (size_t)(cap - v->cap) * sizeof *v->ids);
        v->cap = cap;
    }
    int64_t was = v->ids[seq];
    v->ids[seq] = id;
    return was;
}

/* The highest seq N with 1..N all known. */
static int64_t s_view_contiguous(const view_t *v)
{
    int64_t n = 0;
    while (n + 1 < v->cap && v->ids[n + 1])
        n++;
    return n;
}

/* One of the two messages a thread starts with when a friend request is accepted (stored by
 * the node with unique_id "friends-<thread>-<seq>"), not sent by any user of the test. */
static bool s_is_first(const char *unique)
{
    return unique && strncmp(unique, "friends-", 8) == 0;
}

/* The message of unique_id "c<user>-<k>", NULL when not one of this test's. */
static msg_t *s_msg_of(const char *unique)
{
    int u = -1, k = -1;
    if (!unique || sscanf(unique, "c%d-%d", &u, &k) != 2 || u < 0 || u >= USERS || k < 0 ||
        k >= s_users[u].nmsgs)
        return NULL;
    return &s_users[u].msgs[k];
}

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* ---- what arrives ------------------------------------------------------------------------- */

static void s_on_ack(user_t *u, const json_t *body)
{
    uschat_text_chat_t t;
    CHECK(uschat_parse_text_chat(body, &t) == 0, "a 1018 that does not parse");
    if (t.error) {
        /* busy, a server down and the like: an error reply names the thread, not the
         * messages; those of the thread still unanswered are sent again later, as a client
         * would, after newer ones maybe: their place in the sender's order is that of the send
         * that is acknowledged, as for those a session left in doubt */
        s_n.error_acks++;
        for (int k = 0; k < u->nmsgs; k++)
            if (u->msgs[k].outstanding && u->links[u->msgs[k].link].thread == t.thread_id) {
                u->msgs[k].outstanding = false;
                if (!u->msgs[k].in_doubt)
                    s_n.refused++;
                u->msgs[k].in_doubt = true;
            }
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(t.chat_datas, i, item)
    {
        uschat_chat_msg_t m;
        CHECK(uschat_parse_chat_msg(item, &m) == 0, "an ack item that does not parse");
        msg_t *msg = s_msg_of(m.unique_id);
        CHECK(msg && msg->sender == (int)(u - s_users), "an ack for %s, not sent by uid %lld",
              m.unique_id ? m.unique_id : "?", (long long)u->uid);
        CHECK(strcmp(s_str(item, "content"), msg->content) == 0, "ack of %s: content differs",
              msg->unique);
        link_t *l = &u->links[msg->link];
        CHECK(t.thread_id == l->thread, "ack of %s names thread %lld", msg->unique,
              (long long)t.thread_id);
        s_n.acked_items++;
        if (msg->acked && (msg->message_id != m.message_id || msg->seq != m.seq)) {
            fprintf(stderr, "DUPLICATED: %s acked as %lld/%lld, before as %lld/%lld\n", msg->unique,
                    (long long)m.message_id, (long long)m.seq, (long long)msg->message_id,
                    (long long)msg->seq);
            s_n.duplicated++;
        }
        /* acks of first sends on one session come in send order */
        if (msg->sends == 1 && !msg->in_doubt && !msg->acked) {
            if (l->ack_epoch == u->epoch && m.seq <= l->ack_last_seq) {
                fprintf(stderr, "REORDERED: ack of %s seq %lld after seq %lld\n", msg->unique,
                        (long long)m.seq, (long long)l->ack_last_seq);
                s_n.reordered++;
            }
            l->ack_epoch = u->epoch;
            l->ack_last_seq = m.seq;
        }
        msg->acked = true;
        msg->outstanding = false;
        msg->message_id = m.message_id;
        msg->seq = m.seq;
        int64_t was = s_view_set(&l->view, m.seq, m.message_id);
        if (was && was != m.message_id) {
            fprintf(stderr,
                    "DUPLICATED: seq %lld of thread %lld has two ids (%lld, acked %s as %lld)\n",
                    (long long)m.seq, (long long)l->thread, (long long)was, msg->unique,
                    (long long)m.message_id);
            s_n.duplicated++;
        }
    }
}

/* A message of the peer's arrived at u (push on u's current session, or sync). */
static void s_on_peer_msg(user_t *u, int64_t thread, const json_t *item, bool push)
{
    uschat_chat_msg_t m;
    CHECK(uschat_parse_chat_msg(item, &m) == 0, "a message that does not parse");
    const char *content = push ? s_str(item, "content") : s_str(item, "msg_content");
    msg_t *msg = s_msg_of(m.unique_id);
    int64_t was;
    if (!msg && s_is_first(m.unique_id) && !push && m.seq <= CHAT_STACK_FIRST_SEQS) {
        for (int li = 0; li < LINKS; li++) /* read by a sync: known from then on */
            if (u->links[li].thread == thread)
                s_view_set(&u->links[li].view, m.seq, m.message_id);
        return;
    }
    CHECK(msg, "a message %s that nobody sent", m.unique_id ? m.unique_id : "?");
    if (msg->sender == (int)(u - s_users)) { /* one of u's own, read back by a sync */
        link_t *own = &u->links[msg->link];
        CHECK(!push && own->thread == thread, "own %s pushed or in thread %lld", msg->unique,
              (long long)thread);
        was = s_view_set(&own->view, m.seq, m.message_id);
        if ((was && was != m.message_id) ||
            (msg->acked && (msg->seq != m.seq || msg->message_id != m.message_id))) {
            fprintf(stderr, "DUPLICATED: own %s synced as seq %lld\n", msg->unique,
                    (long long)m.seq);
            s_n.duplicated++;
        }
        return;
    }
    user_t *sender = &s_users[msg->sender];
    link_t *l = &u->links[sender->links[msg->link].peer_link];
    CHECK(sender->links[msg->link].peer == (int)(u - s_users) && l->thread == thread,
          "%s reached uid %lld in thread %lld", msg->unique, (long long)u->uid, (long long)thread);
    CHECK(strcmp(content, msg->content) == 0, "%s arrived with other content", msg->unique);
    was = s_view_set(&l->view, m.seq, m.message_id);
    if (was && was != m.message_id) {
        fprintf(stderr,
                "DUPLICATED: seq %lld of thread %lld arrived with two ids (%lld, %s %s as %lld)\n",
                (long long)m.seq, (long long)thread, (long long)was, push ? "pushed" : "synced",
                msg->unique, (long long)m.message_id);
        s_n.duplicated++;
    }
    if (!push) {
        s_n.synced++;
        if (was)
            s_n.sync_overlap++; /* pushed and synced: the client keeps one (same id and seq) */
        msg->received = true;
        return;
    }
    s_n.pushes++;
    if (msg->push_epoch == u->epoch) {
        fprintf(stderr, "DUPLICATED: %s pushed twice to one session\n", msg->unique);
        s_n.duplicated++;
    }
    msg->push_epoch = u->epoch;
    msg->received = true;
    if (!msg->in_doubt) {
        if (l->push_epoch == u->epoch && l->push_sender_epoch == msg->epoch &&
            m.seq <= l->push_last_seq) {
            fprintf(stderr, "REORDERED: push of %s seq %lld after seq %lld\n", msg->unique,
                    (long long)m.seq, (long long)l->push_last_seq);
            s_n.reordered++;
        }
        l->push_epoch = u->epoch;
        l->push_sender_epoch = msg->epoch;
        l->push_last_seq = m.seq;
    }
}

static void s_on_push(user_t *u, const json_t *body)
{
    uschat_text_chat_t t;
    CHECK(uschat_parse_text_chat(body, &t) == 0 && t.error == 0, "a 1019 that does not parse");
    size_t i;
    json_t *item;
    json_array_foreach(t.chat_datas, i, item) s_on_peer_msg(u, t.thread_id, item, true);
}

static void s_went_offline(user_t *u)
{
    uschat_session_destroy(&u->s);
    for (int k = 0; k < u->nmsgs; k++)
        if (u->msgs[k].outstanding) {
            u->msgs[k].outstanding = false;
            if (!u->msgs[k].in_doubt)
                s_n.in_doubt++;
            u->msgs[k].in_doubt = true;
        }
}

/* Handles what u's session holds, waiting up to wait_ms for the first message. */
static void s_pump(user_t *u, int wait_ms)
{
    while (u->s) {
        uint16_t id = 0;
        json_t *body = NULL;
        int rc = uschat_session_next(u->s, wait_ms, &id, &body);
        wait_ms = 0;
        if (rc == USCHAT_E_TIMEOUT)
            return;
        if (rc != 0) { /* closed: kicked, node stopped or killed */
            s_went_offline(u);
            return;
        }
        if (id == USCHAT_ID_TEXT_CHAT_RSP)
            s_on_ack(u, body);
        else if (id == USCHAT_ID_NOTIFY_TEXT_CHAT)
            s_on_push(u, body);
        json_decref(body);
    }
}

static void s_pump_all(int ms)
{
    int64_t end = zclock_mono() + ms;
    do
        for (int i = 0; i < USERS; i++)
            s_pump(&s_users[i], 1);
    while (zclock_mono() < end);
}

/* ---- what users do ------------------------------------------------------------------------ */

static void s_make_content(msg_t *msg, int64_t uid)
{
    msg->content = malloc(CONTENT_MAX + 1);
    CHECK(msg->content, "memory");
    int n = snprintf(msg->content, CONTENT_MAX, "m%lld-%d|", (long long)uid, msg->k);
    switch (s_pick(10)) {
    case 0: /* exactly the largest content there is */
        memset(msg->content + n, 'x', 4096 - (size_t)n);
        msg->content[4096] = 0;
        break;
    case 1:
        snprintf(msg->content + n, (size_t)(CONTENT_MAX - n),
                 "你好 🙂 \"quoted\" back\\slash\nline\ttab");
        break;
    default:
        snprintf(msg->content + n, (size_t)(CONTENT_MAX - n), "hello %d", s_pick(1000));
    }
}

/* One 1017 with the given messages of u (all of one link). */
static void s_send(user_t *u, msg_t **msgs, int n)
{
    uschat_text_t items[3];
    for (int i = 0; i < n; i++) {
        items[i] = (uschat_text_t){msgs[i]->content, msgs[i]->unique};
        msgs[i]->sends++;
        msgs[i]->outstanding = true;
    }
    link_t *l = &u->links[msgs[0]->link];
    int rc = uschat_session_send_take(
        u->s, USCHAT_ID_TEXT_CHAT_REQ,
        uschat_req_text_chat(s_users[l->peer].uid, l->thread, items, (size_t)n));
    if (rc != 0)
        s_went_offline(u);
}

static void s_send_new(user_t *u)
{
    int link = s_pick(LINKS), n = 1 + s_pick(3);
    msg_t *batch[3];
    for (int i = 0; i < n && u->nmsgs < MSGS_MAX; i++) {
        if (i && strlen(batch[i - 1]->content) > 1000) {
            n = i; /* a long one goes alone: a frame body holds at most 8192 bytes */
            break;
        }
        msg_t *msg = &u->msgs[u->nmsgs];
        *msg =
            (msg_t){.sender = (int)(u - s_users), .link = link, .k = u->nmsgs, .epoch = u->epoch};
        snprintf(msg->unique, sizeof msg->unique, "c%d-%d", msg->sender, msg->k);
        s_make_content(msg, u->uid);
        batch[i] = msg;
        u->nmsgs++;
        s_n.sent++;
    }
    s_send(u, batch, n);
}

/* Sends again every message of u that is not acknowledged, in the order first sent. */
static void s_resend_unacked(user_t *u)
{
    for (int k = 0; k < u->nmsgs && u->s; k++) {
        msg_t *msg = &u->msgs[k];
        if (msg->acked || msg->outstanding)
            continue;
        s_n.resent++;
        s_send(u, &msg, 1);
    }
}

/* Syncs every thread of u after the last seq it holds without a gap. */
static void s_sync_all(user_t *u)
{
    for (int li = 0; li < LINKS && u->s; li++) {
        link_t *l = &u->links[li];
        if (!l->thread)
            continue; /* not a friend yet */
        int64_t after = s_view_contiguous(&l->view);
        for (int page = 0; page < 1000 && u->s; page++) {
            json_t *rsp = NULL;
            int rc = uschat_session_request(u->s, USCHAT_ID_SYNC_REQ,
                                            uschat_req_sync(l->thread, after, 200), 5000, &rsp);
            if (rc != 0) {
                s_went_offline(u);
                break;
            }
            uschat_sync_rsp_t sr;
            bool parsed = uschat_parse_sync_rsp(rsp, &sr) == 0;
            if (!s_strict && (!parsed || sr.error != 0)) { /* a server still coming back */
                json_decref(rsp);
                s_n.sync_errors++;
                break;
            }
            CHECK(parsed && sr.error == 0, "sync error %d", parsed ? sr.error : -1);
            size_t i;
            json_t *item;
            int64_t last = after;
            json_array_foreach(sr.chat_datas, i, item)
            {
                int64_t seq = json_integer_value(json_object_get(item, "seq"));
                CHECK(seq == last + 1, "sync after %lld of thread %lld: seq %lld after %lld",
                      (long long)after, (long long)l->thread, (long long)seq, (long long)last);
                last = seq;
                s_on_peer_msg(u, l->thread, item, false);
            }
            bool more = sr.has_more;
            json_decref(rsp);
            if (!more)
                break;
            after = last;
        }
    }
}

/* Logs u in on node (u's previous session, if any, is kicked by the server). While a fault
 * is on or just over (not strict) a refused login leaves u as it was and returns false. */
static bool s_login(user_t *u, int node)
{
    int err = 0, error = -1;
    uschat_session_t *s =
        uschat_session_connect(s_st->node_host[node], s_st->node_port[node], 3000, &err);
    if (!s || uschat_session_login(s, u->uid, u->token, 5000, NULL, &error) != 0 || error != 0) {
        CHECK(!s_strict, "login of uid %lld on node%d: %d", (long long)u->uid, node + 1, error);
        uschat_session_destroy(&s);
        s_n.login_failed++;
        return false;
    }
    if (u->s) { /* the old session gets 1021 and is closed: read what it still had */
        for (int i = 0; i < 500 && u->s; i++)
            s_pump(u, 10);
        CHECK(!u->s, "the old session of uid %lld was not closed", (long long)u->uid);
        s_n.relogins++;
    }
    u->s = s;
    u->node = node;
    u->epoch++;
    s_resend_unacked(u);
    s_sync_all(u);
    return true;
}

/* A node that takes logins now, at random. */
static int s_login_node(void)
{
    int node = s_pick(CHAT_STACK_NODES);
    for (int i = 0; i < CHAT_STACK_NODES && s_avoid[node]; i++)
        node = (node + 1) % CHAT_STACK_NODES;
    return node;
}

/* ---- checker ------------------------------------------------------------------------------ */

static MYSQL_RES *s_select(const char *sql)
{
    CHECK(mysql_query(s_st->mysql, sql) == 0, "%s: %s", sql, mysql_error(s_st->mysql));
    MYSQL_RES *res = mysql_store_result(s_st->mysql);
    CHECK(res, "%s: no result", sql);
    return res;
}

static bool s_all_acked(void)
{
    for (int i = 0; i < USERS; i++)
        for (int k = 0; k < s_users[i].nmsgs; k++)
            if (!s_users[i].msgs[k].acked)
                return false;
    return true;
}

static bool s_outstanding(const user_t *u)
{
    for (int k = 0; k < u->nmsgs; k++)
        if (u->msgs[k].outstanding)
            return true;
    return false;
}

/* Seqs of every thread: 1..N, no gap, last_seq = N. Returns the number of bad threads. */
static uint64_t s_check_seqs(void)
{
    uint64_t bad = 0;
    MYSQL_RES *res = s_select("SELECT t.id, t.last_seq, COUNT(m.seq), COALESCE(MIN(m.seq), 0), "
                              "COALESCE(MAX(m.seq), 0), COUNT(DISTINCT m.seq) FROM chat_thread t "
                              "LEFT JOIN chat_message m ON m.thread_id = t.id GROUP BY t.id");
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        long long last = atoll(row[1]), count = atoll(row[2]), min = atoll(row[3]),
                  max = atoll(row[4]), distinct = atoll(row[5]);
        if (count != max || distinct != count || (count && min != 1) || last != max) {
            fprintf(stderr,
                    "GAP: thread %s: %lld rows, seqs %lld..%lld (%lld distinct), "
                    "last_seq %lld\n",
                    row[0], count, min, max, distinct, last);
            bad++;
        }
    }
    mysql_free_result(res);
    return bad;
}

/* Every stored row against what was sent and acknowledged. */
static void s_check_rows(uint64_t *rows_out)
{
    static int stored[USERS][MSGS_MAX];
    memset(stored, 0, sizeof stored);
    MYSQL_RES *res = s_select("SELECT sender_id, unique_id, message_id, seq, thread_id, content "
                              "FROM chat_message");
    MYSQL_ROW row;
    uint64_t rows = 0;
    while ((row = mysql_fetch_row(res))) {
        if (s_is_first(row[1]))
            continue; /* the two a thread starts with */
        rows++;
        msg_t *msg = s_msg_of(row[1]);
        if (!msg || s_users[msg->sender].uid != atoll(row[0]) || strcmp(row[5], msg->content)) {
            fprintf(stderr, "DUPLICATED: a stored message nobody sent: %s\n", row[1]);
            s_n.duplicated++;
            continue;
        }
        if (++stored[msg->sender][msg->k] > 1) {
            fprintf(stderr, "DUPLICATED: %s stored twice\n", msg->unique);
            s_n.duplicated++;
        }
        if (msg->acked && (msg->message_id != atoll(row[2]) || msg->seq != atoll(row[3]) ||
                           s_users[msg->sender].links[msg->link].thread != atoll(row[4]))) {
            fprintf(stderr, "LOST: %s acked as %lld/%lld, stored as %s/%s\n", msg->unique,
                    (long long)msg->message_id, (long long)msg->seq, row[2], row[3]);
            s_n.lost++;
        }
    }
    mysql_free_result(res);
    for (int i = 0; i < USERS; i++)
        for (int k = 0; k < s_users[i].nmsgs; k++) {
            const msg_t *msg = &s_users[i].msgs[k];
            if (msg->acked && !stored[i][k]) {
                fprintf(stderr, "LOST: %s acked, not stored\n", msg->unique);
                s_n.lost++;
            } else if (msg->acked && !msg->received) {
                fprintf(stderr, "LOST: %s never reached its peer\n", msg->unique);
                s_n.lost++;
            }
        }
    *rows_out = rows;
}

/* Each sender's messages in a thread are stored in the order sent (those left in doubt by a
 * session that ended, and so sent again later, aside). */
static void s_check_order(void)
{
    for (int i = 0; i < USERS; i++)
        for (int li = 0; li < LINKS; li++) {
            int64_t last = 0;
            for (int k = 0; k < s_users[i].nmsgs; k++) {
                const msg_t *msg = &s_users[i].msgs[k];
                if (msg->link != li || msg->in_doubt)
                    continue;
                if (msg->seq <= last) {
                    fprintf(stderr, "REORDERED: %s stored as seq %lld after seq %lld\n",
                            msg->unique, (long long)msg->seq, (long long)last);
                    s_n.reordered++;
                }
                last = msg->seq;
            }
        }
}

static void s_link(int a, int b, int64_t thread)
{
    user_t *ua = &s_users[a], *ub = &s_users[b];
    int la = 0, lb = 0;
    while (ua->links[la].thread)
        la++;
    while (ub->links[lb].thread)
        lb++;
    CHECK(la < LINKS && lb < LINKS, "too many friends");
    ua->links[la] = (link_t){.peer = b, .peer_link = lb, .thread = thread};
    ub->links[lb] = (link_t){.peer = a, .peer_link = la, .thread = thread};
}

static void s_setup_users(const char *tag)
{
    for (int i = 0; i < USERS; i++) {
        user_t *u = &s_users[i];
        char name[32];
        snprintf(name, sizeof name, "%s%d", tag, i);
        u->uid = chat_stack_user(s_st, name);
        chat_stack_token(s_st, u->uid, u->token, NULL);
        u->msgs = calloc(MSGS_MAX, sizeof *u->msgs);
        CHECK(u->msgs, "memory");
        CHECK(s_login(u, i % 2), "first login of uid %lld", (long long)u->uid);
    }
}

/* ---- the run ------------------------------------------------------------------------------ */

void checker_setup(chat_stack_t *st, const char *tag)
{
    const char *seed = getenv("CHAT_CHECKER_SEED");
    s_rand_state = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL) * 2654435761u;
    if (!s_rand_state)
        s_rand_state = 1;
    printf("%s: seed %llu (CHAT_CHECKER_SEED replays it)\n", tag, (unsigned long long)s_rand_state);
    s_st = st;
    s_strict = true;
    s_setup_users(tag);
    /* a ring, and each user with the one opposite: 3 friends each, 12 threads */
    for (int i = 0; i < USERS; i++) {
        int j = (i + 1) % USERS;
        s_link(i, j,
               chat_stack_befriend(s_users[i].s, s_users[i].uid, s_users[j].s, s_users[j].uid));
    }
    for (int i = 0; i < USERS / 2; i++) {
        int j = i + USERS / 2;
        s_link(i, j,
               chat_stack_befriend(s_users[i].s, s_users[i].uid, s_users[j].s, s_users[j].uid));
    }
    s_strict = false;
}

void checker_avoid_node(int index, bool avoid)
{
    s_avoid[index] = avoid;
}

void checker_round(bool churn, bool away)
{
    int r = s_round++;
    for (int i = 0; i < USERS; i++) {
        user_t *u = &s_users[i];
        if (!u->s) {
            if (churn && r >= u->back_at_round)
                s_login(u, s_login_node());
            continue;
        }
        if (away && s_pick(30) == 0) { /* away for a few rounds */
            s_went_offline(u);
            u->back_at_round = r + 2 + s_pick(6);
            s_n.offline++;
            continue;
        }
        if (churn && s_pick(40) == 0 && !s_avoid[1 - u->node]) /* logs in elsewhere: kicked */
            s_login(u, 1 - u->node);
        for (int n = s_pick(3); n > 0 && u->s; n--)
            s_send_new(u);
        if (u->s && u->nmsgs && s_pick(6) == 0) { /* sends one again, on purpose */
            msg_t *msg = &u->msgs[s_pick(u->nmsgs)];
            s_n.resent++;
            s_send(u, &msg, 1);
        }
    }
    s_pump_all(15);
}

void checker_pump(int ms)
{
    s_pump_all(ms);
}

void checker_finish(const char *name)
{
    /* everyone back, everything acknowledged (a server just back may refuse for a while) */
    int64_t deadline = zclock_mono() + 60000;
    while (!s_all_acked() && zclock_mono() < deadline) {
        for (int i = 0; i < USERS; i++) {
            user_t *u = &s_users[i];
            if (!u->s)
                s_login(u, s_login_node());
            else if (!s_outstanding(u))
                s_resend_unacked(u);
        }
        s_pump_all(50);
    }
    for (int i = 0, shown = 0; i < USERS; i++)
        for (int k = 0; k < s_users[i].nmsgs && shown < 10; k++) {
            const msg_t *m = &s_users[i].msgs[k];
            if (!m->acked && ++shown)
                fprintf(stderr,
                        "unacknowledged: %s, sent %d times, outstanding %d, in doubt %d, "
                        "sender online %d\n",
                        m->unique, m->sends, m->outstanding, m->in_doubt, s_users[i].s != NULL);
        }
    CHECK(s_all_acked(), "messages still unacknowledged after 60 s");
    /* everyone online and synced, with no refusal allowed any more */
    s_strict = true;
    for (int i = 0; i < USERS; i++)
        if (!s_users[i].s)
            s_login(&s_users[i], s_login_node());
    s_pump_all(500);
    for (int i = 0; i < USERS; i++)
        s_sync_all(&s_users[i]);
    s_pump_all(100);

    uint64_t rows = 0, gaps = s_check_seqs();
    s_check_rows(&rows);
    s_check_order();
    printf(
        "%s: %llu messages sent by %d users over 12 threads (%llu sent again), %llu "
        "stored; acks %llu items (+%llu error replies), pushes %llu, synced %llu (%llu also "
        "pushed), offline periods %llu, logins elsewhere %llu, logins refused %llu, syncs "
        "refused %llu, left in doubt by a session that ended %llu, refused and sent again %llu\n",
        name, (unsigned long long)s_n.sent, USERS, (unsigned long long)s_n.resent,
        (unsigned long long)rows, (unsigned long long)s_n.acked_items,
        (unsigned long long)s_n.error_acks, (unsigned long long)s_n.pushes,
        (unsigned long long)s_n.synced, (unsigned long long)s_n.sync_overlap,
        (unsigned long long)s_n.offline, (unsigned long long)s_n.relogins,
        (unsigned long long)s_n.login_failed, (unsigned long long)s_n.sync_errors,
        (unsigned long long)s_n.in_doubt, (unsigned long long)s_n.refused);
    printf("%s: lost %llu, duplicated %llu, reordered %llu, seq gaps %llu\n", name,
           (unsigned long long)s_n.lost, (unsigned long long)s_n.duplicated,
           (unsigned long long)s_n.reordered, (unsigned long long)gaps);
    CHECK(rows == s_n.sent, "%llu rows for %llu messages", (unsigned long long)rows,
          (unsigned long long)s_n.sent);
    CHECK(s_n.lost == 0 && s_n.duplicated == 0 && s_n.reordered == 0 && gaps == 0,
          "the guarantees do not hold");
    for (int i = 0; i < USERS; i++) {
        uschat_session_destroy(&s_users[i].s);
        for (int k = 0; k < s_users[i].nmsgs; k++)
            free(s_users[i].msgs[k].content);
        free(s_users[i].msgs);
        for (int li = 0; li < LINKS; li++)
            free(s_users[i].links[li].view.ids);
    }
    memset(s_users, 0, sizeof s_users);
    memset(&s_n, 0, sizeof s_n);
    s_st = NULL;
}
