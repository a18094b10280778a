/* test_chat_group_checker.c - the message guarantees of group chat checked end to end against
 * the real stack (chat_stack.h) with three chat nodes, under churn and a node's death.
 *
 * 15 users spread over node1..node3, four groups (owners: users 0..3, each a friend of all)
 * whose members are on all three nodes. In each of ROUNDS rounds up to SENDERS users send a
 * text request (1 to 3 items) to one of their groups at the same time, and every other round
 * a membership change goes with them (an owner invites a user, perhaps one who left before,
 * a member leaves, an owner removes a member). Between rounds users go offline for a few rounds and
 * log in again through status (the call the gate makes, on whichever node it picks); at round
 * KILL_ROUND node3 is killed (SIGKILL) and its users log in again elsewhere the same way; it is
 * started again at RESTART_ROUND. Logging in, a client lists its groups (1075) and syncs each
 * (1080) after the last seq it shows without a gap (after 0, "from my join", when it shows
 * nothing of its membership yet: the server places the join).
 *
 * What a client shows of a group is the set of seqs it got by push, by sync or (its own
 * texts) in the answer; it drops a seq it already shows, so duplicates are counted where they
 * arrive. Checked, every count printed and required to be 0:
 *   lost          an acked message (text or change) of a member's span [join seq, leave
 *                 seq] that the member does not show at the end; and, at the end of every
 *                 round, a push not received by a member whose session was up for the whole
 *                 round (its node alive): the push itself, not the sync, is checked
 *   duplicated    a seq pushed twice to one user; a seq twice in one sync answer
 *   reordered     pushes of one group from one node not in seq order on a session; a sync
 *                 answer not in seq order
 *   seq gaps      a group's stored seqs not 1..last_seq, a sync answer with a gap
 *   before join   a message before the member's join seq pushed or synced; the join seq of a
 *                 sync or the list not the one of the invite
 *   after leave   a message after the leave / removal pushed to the one gone; the group still
 *                 listed, or readable (a sync not answered 1016) after it
 *   mismatched    one seq with different message ids at two members, or not what was acked
 * GROUP_CHECKER_SEED sets the random seed (printed) to replay a run. Main thread only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

#define NODES         3
#define USERS         15
#define OWNERS        4 /* = groups: group g is owned by user g */
#define GROUPS        OWNERS
#define ROUNDS        45
#define SENDERS       4
#define KILL_ROUND    15
#define RESTART_ROUND 27
#define KILLED        2     /* node3 */
#define SPANS         3     /* times a user may be invited again after leaving a group */
#define SEQ_MAX       2048  /* per group: ROUNDS * SENDERS * 3 texts and the events fit */
#define PAUSE_MS      40    /* between rounds: a bounded rate */
#define REPLY_MS      20000 /* an answer on a busy machine */
#define PUSH_WAIT_MS  20000 /* the pushes of a round on a busy machine */

typedef struct { /* one stored message as its writer was answered */
    bool known;
    int kind; /* 0 text, USCHAT_MSG_EVENT a change */
    int64_t sender, msg_id;
    char unique[32];
    int round, node; /* sent in round, by a session on node */
} rec_t;

typedef struct {
    int64_t id, last; /* the highest seq answered */
    rec_t recs[SEQ_MAX];
} group_t;

typedef struct {            /* a user in a group: the test's record and what the client shows */
    int64_t join, leave;    /* the seq of the change that added / removed the user, 0 = none */
    int64_t past[SPANS][2]; /* earlier spans [join, leave] of a user invited again */
    int npast;
    bool known;             /* the client knows it is a member */
    int64_t shown[SEQ_MAX]; /* the message id shown at seq, 0 = not shown */
    uint8_t pushed[SEQ_MAX];
} member_t;

typedef struct {
    int group;
    int64_t seq;
    int epoch;
} push_t;

typedef struct {
    int64_t uid;
    char name[16];
    uschat_session_t *s; /* NULL = offline */
    int node, epoch, login_round, back_at;
    member_t m[GROUPS];
    push_t *log; /* every push, in arrival order */
    size_t nlog, caplog;
    int nsent;
} user_t;

static struct {
    uint64_t lost, duplicated, reordered, gaps, before_join, after_leave, mismatched;
    uint64_t texts, events, pushes, synced, relogins, offline, invites, again, leaves, removes;
} s_n;

static chat_stack_t *s_st;
static user_t s_users[USERS];
static group_t s_groups[GROUPS];
static int s_round;
static uint64_t s_rand_state, s_seed;

static int s_pick(int n)
{
    s_rand_state ^= s_rand_state << 13;
    s_rand_state ^= s_rand_state >> 7;
    s_rand_state ^= s_rand_state << 17;
    return (int)(s_rand_state % (uint64_t)n);
}

static int s_group_index(int64_t id)
{
    for (int g = 0; g < GROUPS; g++)
        if (s_groups[g].id == id)
            return g;
    return -1;
}

static bool s_in_span(const member_t *m, int64_t seq)
{
    for (int k = 0; k < m->npast; k++)
        if (seq >= m->past[k][0] && seq <= m->past[k][1])
            return true;
    return m->join > 0 && seq >= m->join && (m->leave == 0 || seq <= m->leave);
}

/* A member now, as the test knows it (the change's answer is in). */
static bool s_member(const user_t *u, int g)
{
    return u->m[g].join > 0 && u->m[g].leave == 0;
}

/* The client shows item (of group g) at u, whichever way it came. */
static void s_show(user_t *u, int g, const uschat_group_msg_t *msg, const char *how)
{
    member_t *m = &u->m[g];
    CHECK(msg->seq > 0 && msg->seq < SEQ_MAX, "seq %lld", (long long)msg->seq);
    bool after_leave =
        (m->leave && msg->seq > m->leave) || (m->npast && msg->seq > m->past[m->npast - 1][1]);
    if (s_in_span(m, msg->seq)) {
        /* a member then */
    } else if (!after_leave) {
        s_n.before_join++;
        fprintf(stderr, "before join: %s got %s seq %lld of group %d (join %lld)\n", u->name, how,
                (long long)msg->seq, g, (long long)m->join);
    } else {
        s_n.after_leave++;
        fprintf(stderr, "after leave: %s got %s seq %lld of group %d (left at %lld)\n", u->name,
                how, (long long)msg->seq, g, (long long)m->leave);
    }
    if (m->shown[msg->seq] && m->shown[msg->seq] != msg->msg_id) {
        s_n.mismatched++;
        fprintf(stderr, "mismatch: %s seq %lld of group %d is message %lld and %lld\n", u->name,
                (long long)msg->seq, g, (long long)m->shown[msg->seq], (long long)msg->msg_id);
    }
    m->shown[msg->seq] = msg->msg_id;
}

/* The highest seq the client shows with every seq from its join to it. */
static int64_t s_contiguous(const user_t *u, int g)
{
    const member_t *m = &u->m[g];
    int64_t seq = m->join > 0 ? m->join - 1 : 0;
    while (seq + 1 < SEQ_MAX && m->shown[seq + 1])
        seq++;
    return seq;
}

/* A 1079 at u: each item shown, counted as a push, logged for the order. */
static void s_on_push(user_t *u, json_t *body)
{
    uschat_group_msgs_t msgs;
    CHECK(uschat_parse_group_msgs(body, &msgs) == 0 && msgs.error == 0, "1079 parses");
    int g = s_group_index(msgs.group_id);
    CHECK(g >= 0, "1079 of a group %lld not the test's", (long long)msgs.group_id);
    size_t i;
    json_t *it;
    json_array_foreach(msgs.chat_datas, i, it)
    {
        uschat_group_msg_t msg;
        CHECK(uschat_parse_group_msg(it, &msg) == 0, "1079 item parses");
        s_show(u, g, &msg, "pushed");
        s_n.pushes++;
        if (++u->m[g].pushed[msg.seq] > 1) {
            s_n.duplicated++;
            fprintf(stderr, "duplicated: %s got seq %lld of group %d pushed %d times\n", u->name,
                    (long long)msg.seq, g, u->m[g].pushed[msg.seq]);
        }
        if (u->nlog == u->caplog) {
            u->caplog = u->caplog ? 2 * u->caplog : 256;
            u->log = realloc(u->log, u->caplog * sizeof *u->log);
            CHECK(u->log, "memory");
        }
        u->log[u->nlog++] = (push_t){g, msg.seq, u->epoch};
        bool gone = msg.kind == USCHAT_MSG_EVENT && msg.event.op &&
                    ((strcmp(msg.event.op, "leave") == 0 && msg.sender == u->uid) ||
                     (strcmp(msg.event.op, "remove") == 0 && msg.event.member == u->uid));
        u->m[g].known = !gone; /* a push tells the client it is in; its own leave, out */
    }
}

/* Reads what is queued at u, waiting up to wait_ms for the first. */
static void s_pump(user_t *u, int wait_ms)
{
    for (int n = 0; u->s; n++) {
        uint16_t id = 0;
        json_t *body = NULL;
        int rc = uschat_session_next(u->s, n == 0 ? wait_ms : 0, &id, &body);
        if (rc == USCHAT_E_TIMEOUT)
            return;
        /* a session ends only with its node killed: what it still had was read */
        CHECK(rc == 0 || s_st->node[u->node] == 0, "session of %s: %s", u->name,
              uschat_strerror(rc));
        if (rc != 0)
            return;
        if (id == USCHAT_ID_NOTIFY_GROUP_MSG)
            s_on_push(u, body);
        json_decref(body);
    }
}

/* ---- logging in, listing, syncing ------------------------------------------------------------ */

/* Syncs group g at u after the last seq shown without a gap: the answers in seq order, from
 * the join on, and the join seq the invite gave. */
static void s_sync(user_t *u, int g)
{
    member_t *m = &u->m[g];
    int64_t after = s_contiguous(u, g);
    if (after == m->join - 1)
        after = 0; /* nothing of this membership yet: "from my join", the server's to place */
    for (int page = 0; page < 1000; page++) {
        json_t *reply = NULL;
        int rc = uschat_session_request(u->s, USCHAT_ID_GROUP_SYNC_REQ,
                                        uschat_req_group_sync(s_groups[g].id, after, 0, 50),
                                        REPLY_MS, &reply);
        CHECK(rc == 0, "sync of %s: %s", u->name, uschat_strerror(rc));
        uschat_group_msgs_t msgs;
        CHECK(uschat_parse_group_msgs(reply, &msgs) == 0 && msgs.error == 0,
              "sync of group %d by %s answered %d", g, u->name, msgs.error);
        if (msgs.join_seq != m->join - 1) {
            s_n.before_join++;
            fprintf(stderr, "before join: %s has join_seq %lld in group %d, invited at %lld\n",
                    u->name, (long long)msgs.join_seq, g, (long long)m->join);
        }
        size_t i;
        json_t *it;
        int64_t last = after > 0 ? after : m->join - 1;
        json_array_foreach(msgs.chat_datas, i, it)
        {
            uschat_group_msg_t msg;
            CHECK(uschat_parse_group_msg(it, &msg) == 0, "sync item parses");
            if (msg.seq < m->join) {
                /* counted by s_show() */
            } else if (msg.seq == last) {
                s_n.duplicated++;
            } else if (msg.seq < last) {
                s_n.reordered++;
            } else if (msg.seq > last + 1) {
                s_n.gaps++;
                fprintf(stderr, "gap: %s synced seq %lld of group %d after %lld\n", u->name,
                        (long long)msg.seq, g, (long long)last);
            }
            last = msg.seq > last ? msg.seq : last;
            s_show(u, g, &msg, "synced");
            s_n.synced++;
        }
        bool more = msgs.has_more && json_array_size(msgs.chat_datas) > 0;
        json_decref(reply);
        if (!more)
            return;
        after = last;
    }
}

/* The groups listed at u's login: each one u is in, with the join seq of its invite, and no
 * group u left. The client then knows them. */
static void s_list(user_t *u)
{
    bool listed[GROUPS] = {false};
    int64_t cursor = 0;
    for (int page = 0; page < 100; page++) {
        json_t *reply = NULL;
        int rc = uschat_session_request(u->s, USCHAT_ID_GROUP_LIST_REQ,
                                        uschat_req_group_list(cursor), REPLY_MS, &reply);
        CHECK(rc == 0, "group list of %s: %s", u->name, uschat_strerror(rc));
        uschat_group_list_rsp_t list;
        CHECK(uschat_parse_group_list_rsp(reply, &list) == 0 && list.error == 0, "group list of %s",
              u->name);
        size_t i;
        json_t *it;
        json_array_foreach(list.groups, i, it)
        {
            uschat_group_t item;
            CHECK(uschat_parse_group(it, &item) == 0, "group item parses");
            int g = s_group_index(item.group_id);
            CHECK(g >= 0, "%s lists a group %lld not the test's", u->name,
                  (long long)item.group_id);
            listed[g] = true;
            if (!s_member(u, g)) {
                s_n.after_leave++;
                fprintf(stderr, "after leave: %s still lists group %d (left at %lld)\n", u->name, g,
                        (long long)u->m[g].leave);
            } else if (item.join_seq != u->m[g].join - 1) {
                s_n.before_join++;
                fprintf(stderr,
                        "before join: %s lists group %d with join_seq %lld, invited at "
                        "%lld\n",
                        u->name, g, (long long)item.join_seq, (long long)u->m[g].join);
            }
            u->m[g].known = true;
        }
        bool more = list.load_more;
        cursor = list.next_last_id;
        json_decref(reply);
        if (!more)
            break;
    }
    for (int g = 0; g < GROUPS; g++)
        CHECK(listed[g] == s_member(u, g), "%s: group %d listed %d, a member %d", u->name, g,
              listed[g], s_member(u, g));
}

static void s_go_offline(user_t *u)
{
    s_pump(u, 0); /* what had arrived the client shows; the rest comes by sync */
    uschat_session_destroy(&u->s);
}

/* u logs in where status sends it (the gate's call), then lists its groups and syncs them. */
static void s_login(user_t *u, int node)
{
    char token[128];
    int port = 0;
    for (int attempt = 0; node < 0; attempt++) {
        chat_stack_token(s_st, u->uid, token, &port);
        for (int i = 0; i < s_st->nodes; i++)
            if (s_st->node_port[i] == port && s_st->node[i] > 0)
                node = i;
        CHECK(node >= 0 || attempt < 200, "status sends %s to a dead node for 60 s", u->name);
        if (node < 0)
            usleep(300 * 1000); /* status has not yet seen that the node is gone */
    }
    if (port == 0)
        chat_stack_token(s_st, u->uid, token, NULL);
    u->s = chat_stack_login(s_st, node, u->uid, token, NULL);
    u->node = node;
    u->epoch++;
    u->login_round = s_round;
    if (s_round > 0) {
        s_n.relogins++;
        s_list(u);
        for (int g = 0; g < GROUPS; g++)
            if (u->m[g].known && s_member(u, g))
                s_sync(u, g);
    }
}

/* ---- a round --------------------------------------------------------------------------------- */

typedef struct {
    user_t *u;
    uint16_t reply;
    int group;
    int op; /* 0 text, else the change's request id */
    user_t *target;
} req_t;

static void s_send_text(req_t *r)
{
    user_t *u = r->u;
    uschat_text_t items[3];
    char content[3][160], unique[3][32];
    int n = 1 + s_pick(3);
    for (int i = 0; i < n; i++) {
        snprintf(unique[i], sizeof unique[i], "%s-%d", u->name, u->nsent++);
        if (s_pick(3) == 0)
            snprintf(content[i], sizeof content[i], "%s 你好 🙂 \"q\" \\ \n%d", unique[i],
                     s_round);
        else
            snprintf(content[i], sizeof content[i], "%s in round %d", unique[i], s_round);
        items[i] = (uschat_text_t){content[i], unique[i]};
    }
    CHECK(uschat_session_send_take(
              u->s, USCHAT_ID_GROUP_TEXT_REQ,
              uschat_req_group_text(s_groups[r->group].id, items, (size_t)n)) == 0,
          "send of %s", u->name);
    r->reply = USCHAT_ID_GROUP_TEXT_RSP;
}

/* The answer to r: its messages recorded at their seq (and, for a text, shown by its sender). */
static void s_answer(req_t *r)
{
    json_t *body = NULL;
    int rc = uschat_session_wait(r->u->s, r->reply, REPLY_MS, &body);
    CHECK(rc == 0, "answer %u to %s: %s", r->reply, r->u->name, uschat_strerror(rc));
    group_t *grp = &s_groups[r->group];
    if (r->op == 0) {
        uschat_group_msgs_t msgs;
        CHECK(uschat_parse_group_msgs(body, &msgs) == 0 && msgs.error == 0,
              "text of %s to group %d answered %d", r->u->name, r->group, msgs.error);
        size_t i;
        json_t *it;
        json_array_foreach(msgs.chat_datas, i, it)
        {
            uschat_group_msg_t msg;
            CHECK(uschat_parse_group_msg(it, &msg) == 0 && msg.seq > 0 && msg.seq < SEQ_MAX,
                  "answer item");
            CHECK(!grp->recs[msg.seq].known, "seq %lld of group %d answered twice",
                  (long long)msg.seq, r->group);
            rec_t *rec = &grp->recs[msg.seq];
            *rec = (rec_t){true, 0, r->u->uid, msg.msg_id, "", s_round, r->u->node};
            snprintf(rec->unique, sizeof rec->unique, "%s", msg.unique_id ? msg.unique_id : "");
            grp->last = msg.seq > grp->last ? msg.seq : grp->last;
            s_show(r->u, r->group, &msg, "answered");
            s_n.texts++;
        }
    } else {
        uschat_group_op_rsp_t op;
        CHECK(uschat_parse_group_op_rsp(body, &op) == 0 && op.error == 0 && op.seq > 0 &&
                  op.seq < SEQ_MAX,
              "change %d of group %d by %s answered %d", r->op, r->group, r->u->name, op.error);
        CHECK(!grp->recs[op.seq].known, "seq %lld answered twice", (long long)op.seq);
        grp->recs[op.seq] = (rec_t){.known = true,
                                    .kind = USCHAT_MSG_EVENT,
                                    .sender = r->u->uid,
                                    .round = s_round,
                                    .node = r->u->node};
        grp->last = op.seq > grp->last ? op.seq : grp->last;
        member_t *m = &r->target->m[r->group];
        if (r->op == USCHAT_ID_GROUP_INVITE_REQ || r->op == USCHAT_ID_GROUP_CREATE_REQ) {
            s_n.invites++;
            if (m->leave) { /* invited again: the old span stays readable as it was */
                s_n.again++;
                m->past[m->npast][0] = m->join;
                m->past[m->npast++][1] = m->leave;
                m->leave = 0;
            }
            m->join = op.seq;
        } else {
            m->leave = op.seq;
            if (r->op == USCHAT_ID_GROUP_LEAVE_REQ)
                s_n.leaves++;
            else
                s_n.removes++;
        }
        s_n.events++;
    }
    json_decref(body);
}

/* A change to a group this round: an invite, a leave or a removal, when one fits. */
static bool s_pick_change(req_t *r)
{
    int g = s_pick(GROUPS), kind = s_pick(3);
    user_t *owner = &s_users[g];
    user_t *cand[USERS];
    int n = 0;
    for (int i = OWNERS; i < USERS; i++) {
        user_t *u = &s_users[i];
        if (kind == 0 ? !s_member(u, g) && u->m[g].npast < SPANS : (s_member(u, g) && u->s))
            cand[n++] = u;
    }
    if (!n || !owner->s)
        return false;
    user_t *t = cand[s_pick(n)];
    *r = (req_t){
        .u = kind == 1 ? t : owner, .group = g, .target = t, .reply = USCHAT_ID_GROUP_OP_RSP};
    json_t *body;
    if (kind == 0) {
        r->op = USCHAT_ID_GROUP_INVITE_REQ;
        body = uschat_req_group_invite(s_groups[g].id, &t->uid, 1);
    } else {
        r->op = kind == 1 ? USCHAT_ID_GROUP_LEAVE_REQ : USCHAT_ID_GROUP_REMOVE_REQ;
        body = uschat_req_group_member_op((uint16_t)r->op, s_groups[g].id, kind == 1 ? 0 : t->uid);
    }
    CHECK(uschat_session_send_take(r->u->s, (uint16_t)r->op, body) == 0, "send of %s", r->u->name);
    return true;
}

/* Every push of this round's messages reached each member whose session was up through the
 * round (logged in before it; the texts' senders have the answer): waits for them, on a busy
 * machine up to PUSH_WAIT_MS. */
static void s_await_pushes(void)
{
    for (int waited = 0;; waited += 50) {
        const char *who = NULL;
        int64_t seq = 0;
        int group = 0;
        for (int g = 0; g < GROUPS && !who; g++)
            for (int64_t q = 1; q <= s_groups[g].last && !who; q++) {
                const rec_t *rec = &s_groups[g].recs[q];
                if (!rec->known || rec->round != s_round)
                    continue;
                for (int i = 0; i < USERS && !who; i++) {
                    user_t *u = &s_users[i];
                    if (u->s && u->login_round < s_round && s_in_span(&u->m[g], q) &&
                        !(rec->kind == 0 && rec->sender == u->uid) && !u->m[g].pushed[q])
                        who = u->name, seq = q, group = g;
                }
            }
        if (!who)
            return;
        if (waited >= PUSH_WAIT_MS) {
            s_n.lost++;
            CHECK(false, "lost: the push of seq %lld of group %d never reached %s (round %d)",
                  (long long)seq, group, who, s_round);
        }
        usleep(50 * 1000);
        for (int i = 0; i < USERS; i++)
            s_pump(&s_users[i], 0);
    }
}

static void s_round_run(void)
{
    if (s_round == KILL_ROUND) { /* node3 dies; its users log in again where status says */
        chat_stack_kill(&s_st->node[KILLED]);
        int moved = 0;
        for (int i = 0; i < USERS; i++)
            if (s_users[i].s && s_users[i].node == KILLED) {
                s_go_offline(&s_users[i]);
                s_login(&s_users[i], -1);
                moved++;
            }
        printf("group checker: node%d killed in round %d, %d of its users logged in again on "
               "another node\n",
               KILLED + 1, s_round, moved);
        CHECK(moved > 0, "node%d had users", KILLED + 1);
    }
    if (s_round == RESTART_ROUND) {
        /* registered with the broker again (its second "ready"), before status sends anyone */
        chat_stack_start_node(s_st, KILLED);
        char ready[32];
        snprintf(ready, sizeof ready, "ready: node%d (chat)", KILLED + 1);
        for (int waited = 0; chat_stack_count_log(s_st, s_st->broker_log, ready) < 2;
             waited += 100) {
            CHECK(waited < 30000, "node%d registers again", KILLED + 1);
            usleep(100 * 1000);
        }
    }
    for (int i = 0; i < USERS; i++) {
        user_t *u = &s_users[i];
        if (!u->s && u->back_at <= s_round) {
            s_login(u, -1);
        } else if (u->s && i >= OWNERS && s_round < ROUNDS - 3 && s_pick(12) == 0) {
            s_go_offline(u); /* back in 1 to 4 rounds */
            u->back_at = s_round + 1 + s_pick(4);
            s_n.offline++;
        }
    }
    req_t reqs[SENDERS + 1];
    int n = 0;
    bool busy[USERS] = {false};
    if (s_round % 2 == 1 && s_pick_change(&reqs[n])) {
        busy[reqs[n].u - s_users] = busy[reqs[n].target - s_users] = true;
        n++;
    }
    for (int tries = 0; tries < 4 * SENDERS && n < 1 + SENDERS; tries++) {
        int i = s_pick(USERS), g = s_pick(GROUPS);
        user_t *u = &s_users[i];
        if (busy[i] || !u->s || !s_member(u, g))
            continue;
        busy[i] = true;
        reqs[n] = (req_t){.u = u, .group = g};
        s_send_text(&reqs[n++]);
    }
    for (int i = 0; i < n; i++)
        s_answer(&reqs[i]);
    s_await_pushes();
    usleep(PAUSE_MS * 1000);
}

/* ---- setup and the checks at the end ------------------------------------------------------- */

static void s_setup(void)
{
    for (int i = 0; i < USERS; i++) {
        user_t *u = &s_users[i];
        snprintf(u->name, sizeof u->name, "gc%d", i);
        u->uid = chat_stack_user(s_st, u->name);
        s_login(u, i % NODES); /* three nodes' worth of members */
        u->login_round = -1;
    }
    for (int o = 0; o < OWNERS; o++)
        for (int i = o + 1; i < USERS; i++)
            chat_stack_befriend(s_users[o].s, s_users[o].uid, s_users[i].s, s_users[i].uid);
    for (int g = 0; g < GROUPS; g++) {
        /* about two thirds of the others, one on each node at least: the rest join later */
        int64_t uids[USERS];
        user_t *first[USERS];
        size_t n = 0;
        for (int i = 0; i < USERS; i++)
            if (i != g && (i == OWNERS + g % NODES || i == OWNERS + 3 + (g + 1) % NODES ||
                           i == OWNERS + 6 + (g + 2) % NODES || s_pick(3) > 0)) {
                first[n] = &s_users[i];
                uids[n++] = s_users[i].uid;
            }
        char name[16];
        snprintf(name, sizeof name, "checker %d", g);
        user_t *owner = &s_users[g];
        req_t r = {.u = owner,
                   .group = g,
                   .op = USCHAT_ID_GROUP_CREATE_REQ,
                   .target = owner,
                   .reply = USCHAT_ID_GROUP_CREATE_RSP};
        CHECK(uschat_session_send_take(owner->s, USCHAT_ID_GROUP_CREATE_REQ,
                                       uschat_req_group_create(name, uids, n)) == 0,
              "create");
        json_t *body = NULL;
        CHECK(uschat_session_wait(owner->s, r.reply, REPLY_MS, &body) == 0, "create answered");
        uschat_group_op_rsp_t op;
        CHECK(uschat_parse_group_op_rsp(body, &op) == 0 && op.error == 0 && op.seq == 1,
              "group %d created", g);
        json_decref(body);
        s_groups[g].id = op.group_id;
        s_groups[g].last = 1;
        s_groups[g].recs[1] = (rec_t){
            .known = true, .kind = USCHAT_MSG_EVENT, .sender = owner->uid, .node = owner->node};
        owner->m[g].join = 1;
        for (size_t i = 0; i < n; i++)
            first[i]->m[g].join = 1;
        s_n.events++;
    }
    s_await_pushes(); /* round 0: the creations */
}

/* Pushes of one group from one node arrive in seq order on a session. */
static void s_check_order(const user_t *u)
{
    for (size_t i = 0; i < u->nlog; i++)
        for (size_t j = i + 1; j < u->nlog; j++) {
            const push_t *a = &u->log[i], *b = &u->log[j];
            if (a->epoch != b->epoch || a->group != b->group)
                continue;
            const rec_t *ra = &s_groups[a->group].recs[a->seq];
            const rec_t *rb = &s_groups[b->group].recs[b->seq];
            if (ra->node == rb->node && b->seq < a->seq) {
                s_n.reordered++;
                fprintf(stderr, "reordered: %s got seq %lld of group %d after %lld\n", u->name,
                        (long long)b->seq, a->group, (long long)a->seq);
            }
        }
}

static void s_finish(void)
{
    for (int i = 0; i < USERS; i++) /* everyone back, everything read */
        if (!s_users[i].s)
            s_login(&s_users[i], -1);
    usleep(1000 * 1000); /* pushes on their way: a push twice is counted where it arrives */
    for (int i = 0; i < USERS; i++)
        s_pump(&s_users[i], 0);
    for (int i = 0; i < USERS; i++)
        for (int g = 0; g < GROUPS; g++)
            if (s_member(&s_users[i], g))
                s_sync(&s_users[i], g);
    for (int g = 0; g < GROUPS; g++) {
        group_t *grp = &s_groups[g];
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(DISTINCT seq) = COUNT(*) AND COUNT(*) = MAX(seq) AND MAX(seq) = "
                 "(SELECT last_seq FROM group_chat WHERE id = %lld) FROM group_message WHERE "
                 "group_id = %lld",
                 (long long)grp->id, (long long)grp->id);
        if (chat_stack_query_int(s_st, sql) != 1)
            s_n.gaps++;
        snprintf(sql, sizeof sql, "SELECT last_seq FROM group_chat WHERE id = %lld",
                 (long long)grp->id);
        CHECK(chat_stack_query_int(s_st, sql) == grp->last,
              "group %d: last_seq stored is the last answered (%lld)", g, (long long)grp->last);
        for (int64_t q = 1; q <= grp->last; q++)
            CHECK(grp->recs[q].known, "seq %lld of group %d stored and never answered",
                  (long long)q, g);
    }
    uint64_t shown = 0;
    for (int i = 0; i < USERS; i++) {
        user_t *u = &s_users[i];
        s_check_order(u);
        for (int g = 0; g < GROUPS; g++) {
            member_t *m = &u->m[g];
            int64_t first_id = 0;
            for (int64_t q = 1; q <= s_groups[g].last; q++) {
                rec_t *rec = &s_groups[g].recs[q];
                if (m->shown[q]) {
                    shown++;
                    first_id = rec->msg_id ? rec->msg_id : m->shown[q];
                    if (!rec->msg_id)
                        rec->msg_id = first_id; /* a change: the first member's id */
                    if (m->shown[q] != rec->msg_id) {
                        s_n.mismatched++;
                        fprintf(stderr, "mismatch: %s seq %lld of group %d\n", u->name,
                                (long long)q, g);
                    }
                } else if (s_in_span(m, q)) {
                    s_n.lost++;
                    fprintf(stderr, "lost: %s never shows seq %lld of group %d\n", u->name,
                            (long long)q, g);
                }
            }
            if (m->leave) { /* the one gone reads nothing more: 1016 */
                json_t *reply = NULL;
                CHECK(chat_stack_request(u->s, USCHAT_ID_GROUP_SYNC_REQ,
                                         uschat_req_group_sync(s_groups[g].id, 0, 0, 50),
                                         &reply) == USCHAT_ERR_NOT_FRIENDS,
                      "%s syncs group %d after leaving: 1016", u->name, g);
                json_decref(reply);
            }
        }
    }
    printf("group checker (seed %llu): %d groups on %d nodes, %llu texts, %llu changes, %llu "
           "shown, %llu pushes, %llu synced, %llu logins again, %llu offline periods\n",
           (unsigned long long)s_seed, GROUPS, NODES, (unsigned long long)s_n.texts,
           (unsigned long long)s_n.events, (unsigned long long)shown,
           (unsigned long long)s_n.pushes, (unsigned long long)s_n.synced,
           (unsigned long long)s_n.relogins, (unsigned long long)s_n.offline);
    printf("group checker: changes mid-run: %llu invites (%llu of a member gone before), %llu "
           "leaves, %llu removals\n",
           (unsigned long long)s_n.invites, (unsigned long long)s_n.again,
           (unsigned long long)s_n.leaves, (unsigned long long)s_n.removes);
    printf("group checker: lost %llu, duplicated %llu, reordered %llu, seq gaps %llu, before "
           "join %llu, after leave %llu, mismatched %llu\n",
           (unsigned long long)s_n.lost, (unsigned long long)s_n.duplicated,
           (unsigned long long)s_n.reordered, (unsigned long long)s_n.gaps,
           (unsigned long long)s_n.before_join, (unsigned long long)s_n.after_leave,
           (unsigned long long)s_n.mismatched);
    CHECK(s_n.lost + s_n.duplicated + s_n.reordered + s_n.gaps + s_n.before_join + s_n.after_leave +
                  s_n.mismatched ==
              0,
          "the guarantees hold");
}

int main(void)
{
    const char *seed = getenv("GROUP_CHECKER_SEED");
    s_rand_state = seed && *seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL) ^ getpid();
    if (!s_rand_state)
        s_rand_state = 1;
    s_seed = s_rand_state;
    printf("group checker: seed %llu\n", (unsigned long long)s_rand_state);
    fflush(stdout);
    s_st = chat_stack_start_nodes("groupcheck", NULL, NODES);
    s_setup();
    for (s_round = 1; s_round <= ROUNDS; s_round++)
        s_round_run();
    s_finish();
    for (int i = 0; i < USERS; i++) {
        uschat_session_destroy(&s_users[i].s);
        free(s_users[i].log);
    }
    chat_stack_stop(&s_st);
    return CHECK_DONE();
}
