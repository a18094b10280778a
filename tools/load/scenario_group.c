/* scenario_group.c - `group`: G groups of M members, every member online (spread over the chat
 * nodes) and reading, texts (1077) at an open-loop rate spread over the groups or flat out.
 *
 * Setup: the groups are made straight in MySQL (seed_groups()), then every member logs in,
 * member k of a group on node k % nodes, so each group has members on every node. Message j is
 * due at start + j / rate and goes to group j % G from its next member in turn (senders
 * rotate, so every node commits texts of every group); flat out (--rate 0), each group keeps
 * --window requests in flight. The unique_id carries the scheduled time, so the ack (1078,
 * after the COMMIT) and each member's receipt of the push (1079) are timed from when the
 * message SHOULD have gone out.
 *
 * Correctness while it runs: every member keeps a bitmap of the seqs it received (after the
 * group's last_seq at the start); a seq received twice is a duplicate, a seq below one already
 * received from a sender on the same node is a reorder (a node commits and pushes a group's
 * texts in seq order; texts committed by two nodes may cross, counted apart), and after the
 * drain every acked message that a member online other than its sender did not receive is
 * lost. Any of the three makes the run fail (exit 1). The broker's tap counts the
 * CHAT_GROUP_PUSH messages: per group message it must be the number of other nodes holding
 * members of the group online (another count fails the run too). Main thread (plus the tap's
 * counting thread).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "schedule.h"
#include "tapcount.h"

#define GROUP_DRAIN_US   15000000 /* a 10,000-member fan-out may still be on its way */
#define TAP_SETTLE_US    500000   /* the tap's copies arrive after the pushes themselves */
#define BITS_PER_WORD    64
#define LOGINS_IN_FLIGHT 48 /* under the node's chat/prelogin_per_address (64) */

typedef struct {
    int32_t sender; /* user index, -1 until acked */
} gmsg_t;

typedef struct {
    int64_t id, base_seq; /* the messages of this run are those after base_seq */
    gmsg_t *msgs;         /* by seq - base_seq - 1 */
    size_t msg_cap;
    uint64_t next_sender; /* rotates over the members */
    int nodes_online;     /* bit per node with a member logged in */
    int online;           /* members logged in */
} group_t;

typedef struct {
    uint64_t *bits; /* seq - base_seq - 1 received */
    size_t words;
    int64_t last;                      /* highest seq received */
    int64_t last_from[LOAD_MAX_NODES]; /* highest seq received of senders on each node */
    int online;                        /* logged in when the measurement started */
} member_t;

typedef struct {
    int64_t uid;
    int32_t user;
} uid_index_t;

typedef struct {
    load_opts_t *o;
    load_user_t *users;
    lconn_t *conns;
    group_t *groups;
    member_t *members;
    int g_n, m_n, users_n;
    int64_t t0;
    char tag[40];
    char *content;
    uint64_t sent, acked, ack_errors, delivered, foreign, sender_gone;
    uint64_t acked_in_window, delivered_in_window, expected_deliveries, expected_broker;
    /* counted on the broker's tap (when there is one): CHAT_GROUP_PUSH and CHAT_PUSH */
    bool tapped;
    uint64_t broker_group_pushes, broker_chat_pushes;
    uint64_t duplicated, reordered, out_of_seq, lost, unacked_received;
    uid_index_t *by_uid; /* sorted: the user (and so the node) of a sender */
    int measuring;
    hist_t ack_us, delivery_us;
    err_table_t errors;
    engine_t *engine;
} gl_t;

static int s_send(gl_t *gl, int g, int64_t sched)
{
    group_t *grp = &gl->groups[g];
    lconn_t *c = NULL;
    for (int tries = 0; tries < gl->m_n && !c; tries++) {
        int u = g * gl->m_n + (int)(grp->next_sender++ % (uint64_t)gl->m_n);
        if (gl->conns[u].state == LC_READY)
            c = &gl->conns[u];
    }
    if (!c) {
        gl->sender_gone++;
        return -1;
    }
    char uid[64];
    snprintf(uid, sizeof uid, "%s-%lld-%llu", gl->tag, (long long)(sched - gl->t0),
             (unsigned long long)gl->sent);
    uschat_text_t item = {gl->content, uid};
    json_t *body = uschat_req_group_text(grp->id, &item, 1);
    int rc = body ? engine_send(gl->engine, c, USCHAT_ID_GROUP_TEXT_REQ, body) : -1;
    json_decref(body);
    if (rc == 0)
        gl->sent++;
    return rc;
}

/* The record of SEQ in group G, grown as needed; NULL for a seq not of this run. */
static gmsg_t *s_msg(group_t *grp, int64_t seq)
{
    if (seq <= grp->base_seq)
        return NULL;
    size_t i = (size_t)(seq - grp->base_seq - 1);
    if (i >= grp->msg_cap) {
        size_t cap = grp->msg_cap ? grp->msg_cap : 256;
        while (cap <= i)
            cap *= 2;
        gmsg_t *grown = realloc(grp->msgs, cap * sizeof *grown);
        if (!grown)
            return NULL;
        for (size_t k = grp->msg_cap; k < cap; k++)
            grown[k] = (gmsg_t){-1};
        grp->msgs = grown;
        grp->msg_cap = cap;
    }
    return &grp->msgs[i];
}

/* Marks seq index I received by member M; 1 when it had been received before. */
static int s_mark(member_t *m, size_t i)
{
    size_t w = i / BITS_PER_WORD;
    if (w >= m->words) {
        size_t words = m->words ? m->words : 8;
        while (words <= w)
            words *= 2;
        uint64_t *grown = realloc(m->bits, words * sizeof *grown);
        if (!grown)
            return 0;
        memset(grown + m->words, 0, (words - m->words) * sizeof *grown);
        m->bits = grown;
        m->words = words;
    }
    uint64_t bit = 1ull << (i % BITS_PER_WORD);
    int had = (m->bits[w] & bit) != 0;
    m->bits[w] |= bit;
    return had;
}

static int s_has(const member_t *m, size_t i)
{
    size_t w = i / BITS_PER_WORD;
    return w < m->words && (m->bits[w] >> (i % BITS_PER_WORD)) & 1;
}

/* Other nodes than the sender's holding members of the group online: the broker messages one
 * group message should cost. */
static int s_other_nodes(const group_t *grp, int sender_node)
{
    return __builtin_popcount((unsigned)grp->nodes_online & ~(1u << sender_node));
}

static void s_on_ack(gl_t *gl, lconn_t *c, const json_t *body, int64_t now)
{
    uschat_group_msgs_t t;
    int g = c->user / gl->m_n;
    group_t *grp = &gl->groups[g];
    int parsed = uschat_parse_group_msgs(body, &t);
    if (load_reply_failed(&gl->errors, parsed, parsed < 0 ? 0 : t.error)) {
        gl->ack_errors++;
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(t.chat_datas, i, item)
        {
            uschat_group_msg_t m;
            if (uschat_parse_group_msg(item, &m) < 0)
                continue;
            int64_t sched = load_sched_of(gl->tag, gl->t0, m.unique_id);
            gmsg_t *rec = sched < 0 ? NULL : s_msg(grp, m.seq);
            if (!rec) {
                gl->foreign++;
                continue;
            }
            rec->sender = c->user;
            gl->acked++;
            if (gl->measuring)
                gl->acked_in_window++;
            hist_record(&gl->ack_us, now - sched);
            gl->expected_deliveries += (uint64_t)(grp->online - 1);
            gl->expected_broker += (uint64_t)s_other_nodes(grp, c->node);
        }
    }
    if (gl->o->rate <= 0 && gl->measuring) /* flat out: the freed slot goes again */
        s_send(gl, g, now);
}

static int s_cmp_uid(const void *a, const void *b)
{
    const uid_index_t *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The node the sender UID is logged in on; -1 for a uid not of this run. */
static int s_node_of(const gl_t *gl, int64_t uid)
{
    uid_index_t probe = {uid, 0};
    const uid_index_t *hit =
        bsearch(&probe, gl->by_uid, (size_t)gl->users_n, sizeof probe, s_cmp_uid);
    return hit ? gl->conns[hit->user].node : -1;
}

static void s_on_push(gl_t *gl, lconn_t *c, const json_t *body, int64_t now)
{
    uschat_group_msgs_t t;
    if (uschat_parse_group_msgs(body, &t) < 0)
        return;
    int g = c->user / gl->m_n;
    group_t *grp = &gl->groups[g];
    member_t *mem = &gl->members[c->user];
    size_t i;
    json_t *item;
    json_array_foreach(t.chat_datas, i, item)
    {
        uschat_group_msg_t m;
        if (uschat_parse_group_msg(item, &m) < 0 || t.group_id != grp->id)
            continue;
        int64_t sched = load_sched_of(gl->tag, gl->t0, m.unique_id);
        if (sched < 0 || m.seq <= grp->base_seq) {
            gl->foreign++;
            continue;
        }
        if (s_mark(mem, (size_t)(m.seq - grp->base_seq - 1))) {
            gl->duplicated++;
            continue;
        }
        /* A node commits a group's texts one after the other and pushes them in seq order,
         * so the texts of senders on one node must arrive in seq order. Texts committed by
         * different nodes may cross on their way (a client puts them in place by seq):
         * counted apart, not a fault. */
        int from = s_node_of(gl, m.sender);
        if (from >= 0 && m.seq < mem->last_from[from])
            gl->reordered++;
        else if (from >= 0)
            mem->last_from[from] = m.seq;
        if (m.seq < mem->last)
            gl->out_of_seq++;
        else
            mem->last = m.seq;
        gl->delivered++;
        if (gl->measuring)
            gl->delivered_in_window++;
        hist_record(&gl->delivery_us, now - sched);
    }
}

static void s_on_message(engine_t *e, lconn_t *c, const uschat_msg_t *msg, void *ud)
{
    (void)e;
    gl_t *gl = ud;
    int64_t now = engine_now_us();
    if (msg->id == USCHAT_ID_GROUP_TEXT_RSP)
        s_on_ack(gl, c, msg->body, now);
    else if (msg->id == USCHAT_ID_NOTIFY_GROUP_MSG)
        s_on_push(gl, c, msg->body, now);
}

/* Logs in every member; returns when all are in or failed, or at DEADLINE. */
static int s_setup(gl_t *gl, const struct sockaddr_storage *addrs, const socklen_t *lens,
                   int64_t deadline)
{
    load_opts_t *o = gl->o;
    engine_stats_t *st = engine_stats(gl->engine);
    int64_t t0 = engine_now_us();
    double gap_us = o->connect_rate > 0 ? 1e6 / o->connect_rate : 0;
    int next = 0, nodes = o->env.node_count;
    while (!load_stop) {
        int64_t now = engine_now_us();
        while (next < gl->users_n && t0 + (int64_t)(next * gap_us) <= now &&
               st->connects - st->logins_ok - st->logins_failed < LOGINS_IN_FLIGHT) {
            lconn_t *c = &gl->conns[next];
            int node = (next % gl->m_n) % nodes;
            c->node = (uint16_t)node;
            c->user = next;
            engine_login(gl->engine, c, &addrs[node], lens[node], gl->users[next].uid,
                         gl->users[next].token, t0 + (int64_t)(next * gap_us));
            next++;
        }
        if (next == gl->users_n && st->logins_ok + st->logins_failed >= (uint64_t)gl->users_n)
            break;
        if (now >= deadline) {
            fprintf(stderr, "uschat-load: setup time is up: %llu of %d logged in\n",
                    (unsigned long long)st->logins_ok, gl->users_n);
            break;
        }
        engine_poll(gl->engine, 10000);
    }
    int ready = 0;
    for (int u = 0; u < gl->users_n; u++)
        if (gl->conns[u].state == LC_READY) {
            gl->groups[u / gl->m_n].nodes_online |= 1 << gl->conns[u].node;
            gl->groups[u / gl->m_n].online++;
            gl->members[u].online = 1;
            ready++;
        }
    fprintf(stderr, "setup: %d of %d members online in %.2f s (logins: %llu ok, %llu failed)\n",
            ready, gl->users_n, (double)(engine_now_us() - t0) / 1e6,
            (unsigned long long)st->logins_ok, (unsigned long long)st->logins_failed);
    return ready;
}

/* After the drain: every acked message must have reached every member but its sender. */
static void s_count_lost(gl_t *gl)
{
    for (int g = 0; g < gl->g_n; g++) {
        group_t *grp = &gl->groups[g];
        for (size_t i = 0; i < grp->msg_cap; i++) {
            if (grp->msgs[i].sender < 0)
                continue;
            for (int k = 0; k < gl->m_n; k++) {
                int u = g * gl->m_n + k;
                if (u == grp->msgs[i].sender || !gl->members[u].online)
                    continue;
                if (!s_has(&gl->members[u], i))
                    gl->lost++;
            }
        }
        /* received but never acked: the ack went missing */
        for (int k = 0; k < gl->m_n; k++) {
            const member_t *m = &gl->members[g * gl->m_n + k];
            for (size_t i = 0; i < m->words * BITS_PER_WORD; i++)
                if (s_has(m, i) && (i >= grp->msg_cap || grp->msgs[i].sender < 0))
                    gl->unacked_received++;
        }
    }
}

/* Progress line and timeline, once a second. */
static void s_tick(gl_t *gl, report_t *r, int second, uint64_t *last)
{
    uint64_t sent = gl->sent - last[0], acked = gl->acked - last[1],
             delivered = gl->delivered - last[2];
    last[0] = gl->sent;
    last[1] = gl->acked;
    last[2] = gl->delivered;
    report_timeline(r, "sent_per_s", (double)sent);
    report_timeline(r, "acked_per_s", (double)acked);
    report_timeline(r, "delivered_per_s", (double)delivered);
    fprintf(stderr,
            "t=%3ds sent/s %6llu  acked/s %6llu  deliveries/s %8llu  delivery p99 %.1f ms  "
            "dup %llu  reordered %llu\n",
            second, (unsigned long long)sent, (unsigned long long)acked,
            (unsigned long long)delivered, (double)hist_percentile(&gl->delivery_us, 99) / 1000.0,
            (unsigned long long)gl->duplicated, (unsigned long long)gl->reordered);
}

/* The measurement at --rate (0 = flat out) for --duration seconds and its drain. */
static void s_measure(gl_t *gl, tapcount_t *tap, report_t *r)
{
    load_opts_t *o = gl->o;
    double rate = o->rate;
    hist_init(&gl->ack_us);
    hist_init(&gl->delivery_us);
    gl->t0 = engine_now_us();
    sched_t sc;
    sched_start(&sc, gl->t0, rate, (int64_t)o->duration_s * 1000000);
    uint64_t tap0 = tap ? tapcount_group_pushes(tap, NULL) : 0;
    gl->measuring = 1;
    proc_set_start(&o->procs);
    if (rate <= 0)
        for (int g = 0; g < gl->g_n; g++)
            for (int w = 0; w < o->window; w++)
                s_send(gl, g, gl->t0);
    uint64_t last[3] = {0};
    ticker_t tick;
    ticker_start(&tick, gl->t0);
    int64_t now = gl->t0;
    while (now < sc.end_us && !load_stop) {
        if (rate > 0) {
            int64_t due;
            while (sched_take(&sc, now, &due))
                s_send(gl, (int)((sc.next - 1) % (uint64_t)gl->g_n), due);
            engine_poll(gl->engine, sched_wait_us(&sc, engine_now_us(), 50000));
        } else {
            engine_poll(gl->engine, 50000);
        }
        now = engine_now_us();
        if (ticker_due(&tick, now)) {
            proc_set_sample(&o->procs);
            s_tick(gl, r, tick.seconds, last);
        }
    }
    gl->measuring = 0;
    double window_s = (double)(now - gl->t0) / 1e6;
    int64_t drain_end = engine_now_us() + GROUP_DRAIN_US;
    while (engine_now_us() < drain_end && !load_stop &&
           (gl->acked + gl->ack_errors < gl->sent || gl->delivered < gl->expected_deliveries))
        engine_poll(gl->engine, 20000);
    double span_s = (double)(engine_now_us() - gl->t0) / 1e6;
    int64_t settle = engine_now_us() + TAP_SETTLE_US;
    while (engine_now_us() < settle)
        engine_poll(gl->engine, 20000);
    uint64_t chat_push = 0;
    uint64_t broker = tap ? tapcount_group_pushes(tap, &chat_push) - tap0 : 0;
    gl->tapped = tap != NULL;
    gl->broker_group_pushes = broker;
    gl->broker_chat_pushes = chat_push;
    s_count_lost(gl);

    report_metric(r, "groups", gl->g_n);
    report_metric(r, "members_per_group", gl->m_n);
    report_metric(r, "rate_target", rate);
    report_metric(r, "sent", (double)gl->sent);
    report_metric(r, "acked", (double)gl->acked);
    report_metric(r, "ack_errors", (double)gl->ack_errors);
    report_metric(r, "acks_missing", (double)(gl->sent - gl->acked - gl->ack_errors));
    report_metric(r, "delivered", (double)gl->delivered);
    report_metric(r, "deliveries_expected", (double)gl->expected_deliveries);
    report_metric(r, "acked_per_s", window_s > 0 ? (double)gl->acked_in_window / window_s : 0);
    report_metric(r, "delivered_per_s",
                  window_s > 0 ? (double)gl->delivered_in_window / window_s : 0);
    report_metric(r, "lost", (double)gl->lost);
    report_metric(r, "duplicated", (double)gl->duplicated);
    report_metric(r, "reordered", (double)gl->reordered);
    report_metric(r, "out_of_seq_across_nodes", (double)gl->out_of_seq);
    report_metric(r, "received_unacked", (double)gl->unacked_received);
    report_metric(r, "sender_gone", (double)gl->sender_gone);
    report_metric(r, "foreign_messages", (double)gl->foreign);
    if (tap) {
        report_metric(r, "broker_group_pushes", (double)broker);
        report_metric(r, "broker_chat_pushes", (double)chat_push);
        report_metric(r, "broker_msgs_per_group_msg",
                      gl->acked ? (double)broker / (double)gl->acked : 0);
        report_metric(r, "broker_msgs_expected_per_group_msg",
                      gl->acked ? (double)gl->expected_broker / (double)gl->acked : 0);
    }
    report_hist(r, "ack", &gl->ack_us);
    report_hist(r, "delivery", &gl->delivery_us);
    report_errors(r, &gl->errors);
    load_report_finish(o, r, window_s, gl->users_n);
    report_servers(r, &o->procs, span_s);
    report_cpu_per_op(r, &o->procs, "delivery", (double)gl->delivered);
    fprintf(stderr,
            "group: %llu acked, %llu deliveries of %llu expected: %llu lost, %llu duplicated, "
            "%llu reordered (%llu out of seq across nodes); broker group pushes %llu (%.2f per "
            "message, %.2f expected)\n",
            (unsigned long long)gl->acked, (unsigned long long)gl->delivered,
            (unsigned long long)gl->expected_deliveries, (unsigned long long)gl->lost,
            (unsigned long long)gl->duplicated, (unsigned long long)gl->reordered,
            (unsigned long long)gl->out_of_seq, (unsigned long long)broker,
            gl->acked ? (double)broker / (double)gl->acked : 0,
            gl->acked ? (double)gl->expected_broker / (double)gl->acked : 0);
}

int scenario_group(load_opts_t *o, report_t *r)
{
    if (o->groups < 1 || o->group_members < 2 || (long)o->groups * o->group_members > 1000000) {
        fprintf(stderr, "uschat-load: group needs --groups >= 1 and --members >= 2\n");
        return -1;
    }
    char err[256] = "";
    gl_t gl = {.o = o, .g_n = o->groups, .m_n = o->group_members};
    gl.users_n = gl.g_n * gl.m_n;
    if (seed_load_users(&o->seed_opts, gl.users_n, &gl.users, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: %s\n", err);
        return -1;
    }
    int64_t *ids = calloc((size_t)gl.g_n, sizeof *ids);
    int64_t *seqs = calloc((size_t)gl.g_n, sizeof *seqs);
    gl.groups = calloc((size_t)gl.g_n, sizeof *gl.groups);
    gl.members = calloc((size_t)gl.users_n, sizeof *gl.members);
    gl.conns = calloc((size_t)gl.users_n, sizeof *gl.conns);
    gl.content = malloc((size_t)o->msg_size + 1);
    int rc = -1;
    tapcount_t *tap = NULL;
    struct sockaddr_storage addrs[LOAD_MAX_NODES];
    socklen_t lens[LOAD_MAX_NODES];
    if (!ids || !seqs || !gl.groups || !gl.members || !gl.conns || !gl.content)
        goto done;
    if (seed_groups(&o->seed_opts, gl.users, gl.g_n, gl.m_n, ids, seqs, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: seed groups: %s\n", err);
        goto done;
    }
    for (int g = 0; g < gl.g_n; g++)
        gl.groups[g] = (group_t){.id = ids[g], .base_seq = seqs[g]};
    gl.by_uid = calloc((size_t)gl.users_n, sizeof *gl.by_uid);
    if (!gl.by_uid)
        goto done;
    for (int u = 0; u < gl.users_n; u++)
        gl.by_uid[u] = (uid_index_t){gl.users[u].uid, u};
    qsort(gl.by_uid, (size_t)gl.users_n, sizeof *gl.by_uid, s_cmp_uid);
    engine_callbacks_t cb = {.on_message = s_on_message};
    gl.engine = engine_new(&cb, &gl, o->heartbeat_ms);
    if (!gl.engine || load_resolve_nodes(o, addrs, lens) < 0)
        goto done;
    if (o->env.tap_endpoint[0] && !(tap = tapcount_start(o->env.tap_endpoint, o->stack_env_path)))
        fprintf(stderr, "uschat-load: cannot subscribe to the tap %s\n", o->env.tap_endpoint);
    engine_raise_fd_limit(gl.users_n);
    memset(gl.content, 'x', (size_t)o->msg_size);
    memcpy(gl.content, "load ", o->msg_size < 5 ? (size_t)o->msg_size : 5);
    gl.content[o->msg_size] = '\0';
    snprintf(gl.tag, sizeof gl.tag, "G%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
    if (s_setup(&gl, addrs, lens, engine_now_us() + (int64_t)o->setup_s * 1000000) < 2) {
        fprintf(stderr, "uschat-load: too few members could log in\n");
    } else {
        s_measure(&gl, tap, r);
        rc = gl.lost || gl.duplicated || gl.reordered ? 1 : 0;
        if (rc)
            report_note(r, "FAILED: messages lost, duplicated or reordered");
        /* one broker message per other node with members online, never one per member */
        if (gl.tapped && gl.broker_group_pushes != gl.expected_broker) {
            fprintf(
                stderr, "uschat-load: broker group pushes %llu, expected %llu; CHAT_PUSH %llu\n",
                (unsigned long long)gl.broker_group_pushes, (unsigned long long)gl.expected_broker,
                (unsigned long long)gl.broker_chat_pushes);
            report_note(r, "FAILED: not one broker message per other node with members online");
            rc = 1;
        }
    }
    load_report_engine(r, engine_stats(gl.engine));
done:
    tapcount_stop(&tap);
    engine_destroy(&gl.engine);
    for (int g = 0; gl.groups && g < gl.g_n; g++)
        free(gl.groups[g].msgs);
    for (int u = 0; gl.members && u < gl.users_n; u++)
        free(gl.members[u].bits);
    free(gl.by_uid);
    free(gl.content);
    free(gl.conns);
    free(gl.members);
    free(gl.groups);
    free(seqs);
    free(ids);
    free(gl.users);
    return rc;
}
