/* test_chat_groups.c - group chat against the real stack (chat_stack.h): broker, status, two
 * chat nodes, Redis and MariaDB, spoken to through the client library's group requests and
 * parsers (uschat/client/proto.h).
 *
 * Run by CTest as `test_chat_groups CASE`, one process (and one stack) per case:
 *   manage   every change of a group (create, invite, rename, announce, admin, mute, mute all,
 *            invite policy, remove, leave, transfer, dissolve): answered with the event's seq
 *            and pushed as that event to every member online on both nodes, in seq order,
 *            the member removed or gone included; the list of groups and of members follows
 *   perms    a member cannot remove, rename or dissolve (1061); invite off stops members; a
 *            removed member can neither send nor read (1016); a muted member gets 1062 and
 *            nothing is stored until the time passes; mute all stops members, not admins;
 *            a dissolved group refuses texts (1065); limits: name too long (1066), group
 *            full (1063), too many groups (1064), a stranger (1016)
 *   offline  a member offline while texts and events go on reads them all by sync after
 *            login, seq 1..N without a gap; the group list shows unread = last_seq - read
 *            mark and the last message; a member invited later reads from the invite only;
 *            paging back; the read mark
 *   dedup    a resent (sender, unique_id) gets the stored message back, is stored once and
 *            pushed once; the same unique_id twice in one request is one message
 *   fanout   a group with members on both nodes: each message stored once, every member
 *            online gets it once, and each group message costs exactly one broker message
 *            (K - 1 for K = 2 nodes), counted on the broker's tap and by the nodes' counters; every
 *            one of them is decoded by uschat-monitor's formatter (type, group, the 1079 frame
 *            and the text or event inside)
 *   kill     texts to a group with members on both nodes while node2 is killed (SIGKILL) and
 *            started again: every member reads every acked message exactly once in seq order,
 *            by push or by sync after logging in again
 *   batch    three members send texts back to back without waiting for the answers (one of
 *            them muted, one text resent in the burst): the texts that queue behind the
 *            group's write in the pool are committed together, each answered after the commit
 *            with its own seq, gap-free across the senders; the resend gets the stored copy,
 *            the muted member's texts 1062 and no seq; every member gets every text once in
 *            seq order; the node counts fewer commits than text requests, and fewer writes
 *            than frames to its clients (the answers and pushes of a batch share a write)
 *   readby   the read counts (1100) of a seq range: the members but me whose read mark is at
 *            or past each seq, on both nodes; a member invited later is not counted for what
 *            came before the event that added them; a range backwards or longer than a reply: 1015;
 * a stranger: 1016
 */
#include <czmq.h>
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
#include "uschat/envelope.h"
#include "uschat/message.h"
#include "monitor_view.h"
#include "uschat/tap.h"

#define WAIT_MS 5000

typedef struct {
    int64_t uid;
    uschat_session_t *s;
} s_user_t;

static s_user_t s_login(chat_stack_t *st, const char *name, int node)
{
    s_user_t u = {.uid = chat_stack_user(st, name)};
    char token[128];
    chat_stack_token(st, u.uid, token, NULL);
    u.s = chat_stack_login(st, node, u.uid, token, NULL);
    return u;
}

static void s_logout(s_user_t *u)
{
    uschat_session_destroy(&u->s);
}

/* A group request; returns the answer's error, *op the parsed answer. */
static int s_op(s_user_t *u, uint16_t id, json_t *body, uschat_group_op_rsp_t *op)
{
    json_t *reply = NULL;
    int error = chat_stack_request(u->s, id, body, &reply);
    uschat_group_op_rsp_t tmp;
    CHECK(uschat_parse_group_op_rsp(reply, op ? op : &tmp) == 0, "answer to %u parses", id);
    json_decref(reply);
    return error;
}

static int64_t s_create(s_user_t *owner, const char *name, const int64_t *uids, size_t n)
{
    uschat_group_op_rsp_t op;
    CHECK(s_op(owner, USCHAT_ID_GROUP_CREATE_REQ, uschat_req_group_create(name, uids, n), &op) == 0,
          "create %s", name);
    CHECK(op.seq == 1 && op.group_id > 0, "the create event is seq 1 of group %lld",
          (long long)op.group_id);
    return op.group_id;
}

/* The next 1079 on u: one message; checks its group and seq, and for an event its op. */
static json_t *s_push(s_user_t *u, int64_t group, int64_t seq, const char *op,
                      uschat_group_msg_t *msg)
{
    json_t *body = chat_stack_wait(u->s, USCHAT_ID_NOTIFY_GROUP_MSG);
    uschat_group_msgs_t msgs;
    CHECK(uschat_parse_group_msgs(body, &msgs) == 0 && msgs.error == 0 && msgs.group_id == group,
          "1079 of group %lld to %lld", (long long)group, (long long)u->uid);
    CHECK(uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), msg) == 0, "item parses");
    CHECK(msg->seq == seq, "uid %lld gets seq %lld (got %lld)", (long long)u->uid, (long long)seq,
          (long long)msg->seq);
    if (op)
        CHECK(msg->kind == USCHAT_MSG_EVENT && strcmp(msg->event.op, op) == 0,
              "uid %lld: event %s (got %s)", (long long)u->uid, op, msg->event.op);
    return body;
}

/* Every user of list[0..n) gets the event seq of group. */
static void s_all_get(s_user_t *const *list, size_t n, int64_t group, int64_t seq, const char *op)
{
    for (size_t i = 0; i < n; i++) {
        uschat_group_msg_t msg;
        json_decref(s_push(list[i], group, seq, op, &msg));
    }
}

static int s_text(s_user_t *u, int64_t group, const char *content, const char *unique,
                  uschat_group_msgs_t *out, json_t **reply)
{
    uschat_text_t item = {content, unique};
    json_t *body = NULL;
    int error = chat_stack_request(u->s, USCHAT_ID_GROUP_TEXT_REQ,
                                   uschat_req_group_text(group, &item, 1), &body);
    if (out)
        CHECK(uschat_parse_group_msgs(body, out) == 0, "1078 parses");
    if (reply)
        *reply = body;
    else
        json_decref(body);
    return error;
}

/* The group's stored messages (last = false) or its last_seq (last = true). */
static long long s_count(chat_stack_t *st, bool last, int64_t group)
{
    char sql[128];
    if (last)
        snprintf(sql, sizeof sql, "SELECT last_seq FROM group_chat WHERE id = %lld",
                 (long long)group);
    else
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM group_message WHERE group_id = %lld",
                 (long long)group);
    return chat_stack_query_int(st, sql);
}

/* A friend of owner for each of the others. */
static void s_friends(s_user_t *owner, s_user_t *const *others, size_t n)
{
    for (size_t i = 0; i < n; i++)
        chat_stack_befriend(owner->s, owner->uid, others[i]->s, others[i]->uid);
}

/* A change by u answered with seq, and pushed as event op to every user of list[0..n). */
static void s_change(s_user_t *u, uint16_t id, json_t *body, s_user_t *const *list, size_t n,
                     int64_t group, int64_t seq, const char *op)
{
    uschat_group_op_rsp_t rsp;
    CHECK(s_op(u, id, body, &rsp) == 0 && rsp.seq == seq && rsp.op == id,
          "%s by %lld answered with seq %lld", op, (long long)u->uid, (long long)seq);
    s_all_get(list, n, group, seq, op);
}

/* ---- manage ------------------------------------------------------------------------------------
 */

static void s_case_manage(void)
{
    chat_stack_t *st = chat_stack_start("groupmanage", NULL);
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 1);
    s_user_t cat = s_login(st, "cat", 0), dan = s_login(st, "dan", 1);
    s_user_t *others[] = {&ben, &cat, &dan};
    s_friends(&ann, others, 3);

    chat_stack_befriend(cat.s, cat.uid, dan.s, dan.uid); /* one invites only friends */
    int64_t first[] = {ben.uid, cat.uid};
    int64_t g = s_create(&ann, "Team 小组 😀", first, 2);
    s_user_t *three[] = {&ann, &ben, &cat};
    uschat_group_msg_t msg;
    json_t *body = s_push(&ben, g, 1, "create", &msg);
    CHECK(msg.sender == ann.uid && strcmp(msg.event.name, "Team 小组 😀") == 0 &&
              json_array_size(msg.event.members) == 2,
          "the create event names the group and its two first members");
    json_decref(body);
    s_all_get((s_user_t *[]){&ann, &cat}, 2, g, 1, "create");

    /* a member invites dan (members may invite by default): everyone, dan too, gets seq 2 */
    s_user_t *four[] = {&ann, &ben, &cat, &dan};
    s_change(&cat, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), four, 4, g,
             2, "invite");
    CHECK(s_op(&cat, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), NULL) ==
              USCHAT_ERR_OUT_OF_RANGE,
          "inviting a member again: 1015");

    s_change(&ann, USCHAT_ID_GROUP_RENAME_REQ, uschat_req_group_rename(g, "Renamed"), four, 4, g, 3,
             "rename");
    s_change(&ann, USCHAT_ID_GROUP_ANNOUNCE_REQ, uschat_req_group_announce(g, "Read me"), four, 4,
             g, 4, "announce");
    uschat_group_op_rsp_t op;
    CHECK(s_op(&ann, USCHAT_ID_GROUP_SET_ADMIN_REQ, uschat_req_group_set_admin(g, ben.uid, 1),
               &op) == 0,
          "ben made admin");
    json_decref(s_push(&dan, g, 5, "admin", &msg));
    CHECK(msg.event.member == ben.uid, "the admin event names ben");
    s_all_get(three, 3, g, 5, "admin");
    /* admin ben mutes cat, and unmutes her */
    s_change(&ben, USCHAT_ID_GROUP_MUTE_REQ, uschat_req_group_mute(g, cat.uid, time(NULL) + 600),
             four, 4, g, 6, "mute");
    s_change(&ben, USCHAT_ID_GROUP_MUTE_REQ, uschat_req_group_mute(g, cat.uid, 0), four, 4, g, 7,
             "mute");
    for (int on = 1; on >= 0; on--)
        s_change(&ann, USCHAT_ID_GROUP_MUTE_ALL_REQ,
                 uschat_req_group_switch(USCHAT_ID_GROUP_MUTE_ALL_REQ, g, on), four, 4, g, 9 - on,
                 "mute_all");
    s_change(&ann, USCHAT_ID_GROUP_INVITE_POLICY_REQ,
             uschat_req_group_switch(USCHAT_ID_GROUP_INVITE_POLICY_REQ, g, 0), four, 4, g, 10,
             "invite_policy");

    /* a text between the events: the next seq, pushed to all but the sender */
    uschat_group_msgs_t sent;
    json_t *dan_reply = NULL;
    CHECK(s_text(&dan, g, "hello all", "d-1", &sent, &dan_reply) == 0, "dan writes");
    uschat_group_msg_t mine;
    CHECK(uschat_parse_group_msg(json_array_get(sent.chat_datas, 0), &mine) == 0 &&
              mine.seq == 11 && mine.kind == 0 && mine.msg_id > 0,
          "dan's text is seq 11");
    json_decref(dan_reply);
    for (size_t i = 0; i < 3; i++) {
        json_t *text = s_push(three[i], g, 11, NULL, &msg);
        CHECK(msg.kind == 0 && msg.sender == dan.uid && strcmp(msg.content, "hello all") == 0,
              "the text reaches %lld", (long long)three[i]->uid);
        json_decref(text);
    }

    /* remove dan: everyone and dan himself get the event */
    s_change(&ben, USCHAT_ID_GROUP_REMOVE_REQ,
             uschat_req_group_member_op(USCHAT_ID_GROUP_REMOVE_REQ, g, dan.uid), four, 4, g, 12,
             "remove");
    s_change(&cat, USCHAT_ID_GROUP_LEAVE_REQ,
             uschat_req_group_member_op(USCHAT_ID_GROUP_LEAVE_REQ, g, 0), three, 3, g, 13, "leave");
    /* ann hands over to ben; then ben is the owner, ann an admin */
    CHECK(s_op(&ann, USCHAT_ID_GROUP_TRANSFER_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_TRANSFER_REQ, g, ben.uid), &op) == 0,
          "transfer to ben");
    s_all_get((s_user_t *[]){&ann, &ben}, 2, g, 14, "transfer");

    /* the list and the members say so */
    json_t *reply = NULL;
    CHECK(chat_stack_request(ann.s, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(0), &reply) ==
              0,
          "ann's groups");
    uschat_group_list_rsp_t list;
    uschat_group_t grp;
    CHECK(uschat_parse_group_list_rsp(reply, &list) == 0 && json_array_size(list.groups) == 1 &&
              uschat_parse_group(json_array_get(list.groups, 0), &grp) == 0,
          "one group");
    CHECK(grp.group_id == g && strcmp(grp.name, "Renamed") == 0 &&
              strcmp(grp.announcement, "Read me") == 0 && grp.owner == ben.uid && grp.role == 1 &&
              grp.members == 2 && !grp.members_invite && !grp.mute_all && grp.last_seq == 14,
          "name, announcement, owner ben, ann admin, 2 members, invite off, last_seq 14");
    json_decref(reply);
    CHECK(chat_stack_request(ann.s, USCHAT_ID_GROUP_MEMBERS_REQ, uschat_req_group_members(g, 0),
                             &reply) == 0,
          "members");
    uschat_group_members_rsp_t members;
    CHECK(uschat_parse_group_members_rsp(reply, &members) == 0 &&
              json_array_size(members.members) == 2,
          "two members");
    json_decref(reply);

    CHECK(s_op(&ben, USCHAT_ID_GROUP_DISSOLVE_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_DISSOLVE_REQ, g, 0), &op) == 0,
          "ben dissolves");
    s_all_get((s_user_t *[]){&ann, &ben}, 2, g, 15, "dissolve");
    CHECK(s_text(&ann, g, "anyone?", "a-x", NULL, NULL) == USCHAT_ERR_GROUP_DISSOLVED,
          "no text in a dissolved group: 1065");
    CHECK(s_count(st, false, g) == 15 && s_count(st, true, g) == 15,
          "15 messages stored once each, seq 1..15");
    s_user_t *all[] = {&ann, &ben, &cat, &dan};
    for (size_t i = 0; i < 4; i++) {
        CHECK(uschat_session_queued(all[i]->s) == 0, "no push twice to %lld",
              (long long)all[i]->uid);
        s_logout(all[i]);
    }
    chat_stack_stop(&st);
}

/* ---- perms -------------------------------------------------------------------------------------
 */

static void s_case_perms(void)
{
    const char *env[] = {"USCHAT_CHAT_GROUP_MAX_MEMBERS=3", "USCHAT_CHAT_GROUP_MAX_PER_USER=2",
                         NULL};
    chat_stack_t *st = chat_stack_start("groupperms", env);
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 1);
    s_user_t cat = s_login(st, "cat", 1), dan = s_login(st, "dan", 0);
    s_user_t *others[] = {&ben, &cat, &dan};
    s_friends(&ann, others, 3);
    uschat_group_op_rsp_t op;

    /* limits */
    char long_name[80];
    memset(long_name, 'n', 65);
    long_name[65] = 0;
    CHECK(s_op(&ann, USCHAT_ID_GROUP_CREATE_REQ, uschat_req_group_create(long_name, NULL, 0),
               NULL) == USCHAT_ERR_GROUP_TEXT_TOO_LONG,
          "a name of 65 characters: 1066");
    int64_t all3[] = {ben.uid, cat.uid, dan.uid};
    CHECK(s_op(&ann, USCHAT_ID_GROUP_CREATE_REQ, uschat_req_group_create("big", all3, 3), NULL) ==
              USCHAT_ERR_GROUP_FULL,
          "4 members where 3 is the most: 1063");
    int64_t stranger = cat.uid;
    CHECK(s_op(&ben, USCHAT_ID_GROUP_CREATE_REQ, uschat_req_group_create("x", &stranger, 1),
               NULL) == USCHAT_ERR_NOT_FRIENDS,
          "ben adds cat, not his friend: 1016");
    int64_t two[] = {ben.uid, cat.uid};
    int64_t g = s_create(&ann, "g", two, 2);
    s_create(&ann, "second", NULL, 0);
    CHECK(s_op(&ann, USCHAT_ID_GROUP_CREATE_REQ, uschat_req_group_create("third", NULL, 0), NULL) ==
              USCHAT_ERR_GROUP_TOO_MANY,
          "a third group for ann where 2 is the most: 1064");
    CHECK(s_op(&ann, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), NULL) ==
              USCHAT_ERR_GROUP_FULL,
          "a fourth member: 1063");

    /* roles */
    CHECK(s_op(&ben, USCHAT_ID_GROUP_REMOVE_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_REMOVE_REQ, g, cat.uid),
               NULL) == USCHAT_ERR_GROUP_NOT_PERMITTED,
          "a member cannot remove: 1061");
    CHECK(s_op(&ben, USCHAT_ID_GROUP_RENAME_REQ, uschat_req_group_rename(g, "mine"), NULL) ==
              USCHAT_ERR_GROUP_NOT_PERMITTED,
          "nor rename");
    CHECK(s_op(&ben, USCHAT_ID_GROUP_DISSOLVE_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_DISSOLVE_REQ, g, 0),
               NULL) == USCHAT_ERR_GROUP_NOT_PERMITTED,
          "nor dissolve");
    CHECK(s_op(&ann, USCHAT_ID_GROUP_LEAVE_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_LEAVE_REQ, g, 0),
               NULL) == USCHAT_ERR_GROUP_NOT_PERMITTED,
          "the owner cannot leave without handing over");
    CHECK(s_op(&dan, USCHAT_ID_GROUP_RENAME_REQ, uschat_req_group_rename(g, "x"), NULL) ==
              USCHAT_ERR_NOT_FRIENDS,
          "a stranger to the group: 1016");
    CHECK(s_count(st, true, g) == 1, "no refused change stored");

    /* mute until a time: refused with nothing stored, then allowed once it passed */
    CHECK(s_op(&ann, USCHAT_ID_GROUP_MUTE_REQ, uschat_req_group_mute(g, cat.uid, time(NULL) + 3),
               &op) == 0,
          "cat muted for 3 s");
    int64_t seq = op.seq;
    CHECK(s_text(&cat, g, "let me speak", "c-1", NULL, NULL) == USCHAT_ERR_GROUP_MUTED,
          "muted: 1062");
    CHECK(s_count(st, true, g) == seq, "nothing stored");
    sleep(4);
    uschat_group_msgs_t sent;
    CHECK(s_text(&cat, g, "let me speak", "c-1", &sent, NULL) == 0, "after the time: stored");
    seq++;
    /* mute all: members stop, the owner goes on */
    CHECK(s_op(&ann, USCHAT_ID_GROUP_MUTE_ALL_REQ,
               uschat_req_group_switch(USCHAT_ID_GROUP_MUTE_ALL_REQ, g, 1), NULL) == 0,
          "mute all");
    seq++;
    CHECK(s_text(&ben, g, "hi", "b-1", NULL, NULL) == USCHAT_ERR_GROUP_MUTED,
          "a member under mute all: 1062");
    CHECK(s_text(&ann, g, "quiet please", "a-1", NULL, NULL) == 0, "the owner still writes");
    seq++;
    CHECK(s_op(&ann, USCHAT_ID_GROUP_MUTE_ALL_REQ,
               uschat_req_group_switch(USCHAT_ID_GROUP_MUTE_ALL_REQ, g, 0), NULL) == 0,
          "unmute all");
    seq++;
    /* invite policy off: members cannot invite */
    CHECK(s_op(&ann, USCHAT_ID_GROUP_INVITE_POLICY_REQ,
               uschat_req_group_switch(USCHAT_ID_GROUP_INVITE_POLICY_REQ, g, 0), NULL) == 0,
          "invite policy off");
    seq++;
    chat_stack_befriend(ben.s, ben.uid, dan.s, dan.uid);
    CHECK(s_op(&ben, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), NULL) ==
              USCHAT_ERR_GROUP_NOT_PERMITTED,
          "ben may not invite now: 1061");

    /* removed: no more sending or reading */
    CHECK(s_op(&ann, USCHAT_ID_GROUP_REMOVE_REQ,
               uschat_req_group_member_op(USCHAT_ID_GROUP_REMOVE_REQ, g, cat.uid), NULL) == 0,
          "ann removes cat");
    seq++;
    CHECK(s_text(&cat, g, "still here?", "c-2", NULL, NULL) == USCHAT_ERR_NOT_FRIENDS,
          "a removed member cannot send: 1016");
    CHECK(s_text(&ann, g, "after cat", "a-2", NULL, NULL) == 0, "ann writes on");
    seq++;
    json_t *reply = NULL;
    CHECK(chat_stack_request(cat.s, USCHAT_ID_GROUP_SYNC_REQ, uschat_req_group_sync(g, 0, 0, 0),
                             &reply) == USCHAT_ERR_NOT_FRIENDS,
          "nor read: 1016");
    json_decref(reply);
    CHECK(s_count(st, false, g) == seq && s_count(st, true, g) == seq,
          "exactly the accepted messages stored (%lld)", (long long)seq);
    s_user_t *all[] = {&ann, &ben, &cat, &dan};
    for (size_t i = 0; i < 4; i++)
        s_logout(all[i]);
    chat_stack_stop(&st);
}

/* ---- offline -----------------------------------------------------------------------------------
 */

static void s_case_offline(void)
{
    chat_stack_t *st = chat_stack_start("groupoffline", NULL);
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 1);
    s_user_t dan = s_login(st, "dan", 0);
    s_friends(&ann, (s_user_t *[]){&ben, &dan}, 2);
    int64_t g = s_create(&ann, "g", &ben.uid, 1);
    json_decref(chat_stack_wait(ben.s, USCHAT_ID_NOTIFY_GROUP_MSG));
    int64_t ben_uid = ben.uid;
    s_logout(&ben);
    chat_stack_wait_presence(st, ben_uid, NULL, WAIT_MS);

    /* 40 texts, with a rename and dan's invite among them */
    enum { N = 40 };
    for (int i = 1; i <= N; i++) {
        char text[32], unique[32];
        snprintf(text, sizeof text, "text %d", i);
        snprintf(unique, sizeof unique, "a-%d", i);
        CHECK(s_text(&ann, g, text, unique, NULL, NULL) == 0, "text %d", i);
        if (i == 10)
            CHECK(s_op(&ann, USCHAT_ID_GROUP_RENAME_REQ, uschat_req_group_rename(g, "later"),
                       NULL) == 0,
                  "rename");
        if (i == 20)
            CHECK(s_op(&ann, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1),
                       NULL) == 0,
                  "dan invited");
    }
    int64_t last = 1 + N + 2, invite_seq = 1 + 20 + 2;

    /* ben back (on the other node): the list shows the unread and the last message */
    char token[128];
    chat_stack_token(st, ben_uid, token, NULL);
    ben.s = chat_stack_login(st, 0, ben_uid, token, NULL);
    json_t *reply = NULL;
    CHECK(chat_stack_request(ben.s, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(0), &reply) ==
              0,
          "ben's groups");
    uschat_group_list_rsp_t list;
    uschat_group_t grp;
    uschat_group_msg_t lastmsg;
    CHECK(uschat_parse_group_list_rsp(reply, &list) == 0 &&
              uschat_parse_group(json_array_get(list.groups, 0), &grp) == 0 &&
              uschat_parse_group_msg(grp.last_msg, &lastmsg) == 0,
          "one group with its last message");
    CHECK(grp.last_seq == last && grp.unread == last && grp.read_seq == 0 && lastmsg.seq == last &&
              strcmp(lastmsg.content, "text 40") == 0,
          "unread %lld = last_seq - read mark, last message text 40 (got unread %lld)",
          (long long)last, (long long)grp.unread);
    json_decref(reply);

    /* sync in pages of 16: every seq 1..last once, in order */
    int64_t after = 0, expect = 1;
    for (int page = 0; page < 10 && expect <= last; page++) {
        CHECK(chat_stack_request(ben.s, USCHAT_ID_GROUP_SYNC_REQ,
                                 uschat_req_group_sync(g, after, 0, 16), &reply) == 0,
              "sync after %lld", (long long)after);
        uschat_group_msgs_t msgs;
        CHECK(uschat_parse_group_msgs(reply, &msgs) == 0, "sync parses");
        size_t i;
        json_t *it;
        json_array_foreach(msgs.chat_datas, i, it)
        {
            uschat_group_msg_t m;
            CHECK(uschat_parse_group_msg(it, &m) == 0 && m.seq == expect,
                  "seq %lld in order (got %lld)", (long long)expect, (long long)m.seq);
            expect++;
            after = m.seq;
        }
        CHECK(msgs.has_more == (after < last), "has_more until the end");
        json_decref(reply);
    }
    CHECK(expect == last + 1, "ben read all %lld", (long long)last);

    /* dan reads from his invite on, not before */
    CHECK(chat_stack_request(dan.s, USCHAT_ID_GROUP_SYNC_REQ, uschat_req_group_sync(g, 0, 0, 200),
                             &reply) == 0,
          "dan syncs from 0");
    uschat_group_msgs_t msgs;
    uschat_group_msg_t m;
    CHECK(uschat_parse_group_msgs(reply, &msgs) == 0 && msgs.join_seq == invite_seq - 1 &&
              (int64_t)json_array_size(msgs.chat_datas) == last - invite_seq + 1 &&
              uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), &m) == 0 &&
              m.seq == invite_seq && strcmp(m.event.op, "invite") == 0,
          "dan's first message is his invite (seq %lld)", (long long)invite_seq);
    json_decref(reply);
    /* paging back stops at the join too */
    CHECK(chat_stack_request(dan.s, USCHAT_ID_GROUP_SYNC_REQ,
                             uschat_req_group_sync(g, 0, invite_seq + 3, 50), &reply) == 0,
          "dan pages back");
    CHECK(uschat_parse_group_msgs(reply, &msgs) == 0 && json_array_size(msgs.chat_datas) == 3 &&
              !msgs.has_more,
          "three messages back, down to the invite");
    json_decref(reply);

    /* ben's read mark: the unread count follows; past the end: 1015 */
    uschat_group_op_rsp_t op;
    CHECK(s_op(&ben, USCHAT_ID_GROUP_READ_REQ, uschat_req_group_read(g, last - 5), &op) == 0 &&
              op.seq == last - 5,
          "read mark");
    CHECK(s_op(&ben, USCHAT_ID_GROUP_READ_REQ, uschat_req_group_read(g, last + 1), NULL) ==
              USCHAT_ERR_OUT_OF_RANGE,
          "a read mark past the end: 1015");
    CHECK(chat_stack_request(ben.s, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(0), &reply) ==
                  0 &&
              uschat_parse_group_list_rsp(reply, &list) == 0 &&
              uschat_parse_group(json_array_get(list.groups, 0), &grp) == 0 && grp.unread == 5,
          "5 unread after the mark");
    json_decref(reply);
    s_logout(&ann);
    s_logout(&ben);
    s_logout(&dan);
    chat_stack_stop(&st);
}

/* ---- dedup -------------------------------------------------------------------------------------
 */

static void s_case_dedup(void)
{
    chat_stack_t *st = chat_stack_start("groupdedup", NULL);
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 1);
    s_friends(&ann, (s_user_t *[]){&ben}, 1);
    int64_t g = s_create(&ann, "g", &ben.uid, 1);
    uschat_group_msg_t msg;
    json_decref(s_push(&ben, g, 1, "create", &msg));

    uschat_group_msgs_t sent;
    json_t *reply = NULL;
    CHECK(s_text(&ann, g, "once", "u-1", &sent, &reply) == 0, "sent");
    uschat_group_msg_t first;
    CHECK(uschat_parse_group_msg(json_array_get(sent.chat_datas, 0), &first) == 0 && first.seq == 2,
          "seq 2");
    int64_t first_id = first.msg_id;
    json_decref(reply);
    json_decref(s_push(&ben, g, 2, NULL, &msg));
    /* the resend: the stored copy back */
    CHECK(s_text(&ann, g, "once", "u-1", &sent, &reply) == 0, "resent");
    uschat_group_msg_t again;
    CHECK(uschat_parse_group_msg(json_array_get(sent.chat_datas, 0), &again) == 0 &&
              again.seq == 2 && again.msg_id == first_id,
          "the resend gets seq 2 and the same id back");
    json_decref(reply);
    /* two items with one unique_id in one request, and a new one */
    uschat_text_t items[] = {{"x", "u-2"}, {"x", "u-2"}, {"y", "u-3"}};
    CHECK(chat_stack_request(ann.s, USCHAT_ID_GROUP_TEXT_REQ, uschat_req_group_text(g, items, 3),
                             &reply) == 0,
          "three items");
    uschat_group_msg_t a, b, c;
    CHECK(uschat_parse_group_msgs(reply, &sent) == 0 &&
              uschat_parse_group_msg(json_array_get(sent.chat_datas, 0), &a) == 0 &&
              uschat_parse_group_msg(json_array_get(sent.chat_datas, 1), &b) == 0 &&
              uschat_parse_group_msg(json_array_get(sent.chat_datas, 2), &c) == 0 && a.seq == 3 &&
              b.seq == 3 && c.seq == 4,
          "the twin is one message: seqs 3, 3, 4");
    json_decref(reply);
    json_t *push = chat_stack_wait(ben.s, USCHAT_ID_NOTIFY_GROUP_MSG);
    uschat_group_msgs_t pushed;
    CHECK(uschat_parse_group_msgs(push, &pushed) == 0 && json_array_size(pushed.chat_datas) == 2,
          "ben gets the two new ones in one push, not the resend");
    json_decref(push);
    usleep(300 * 1000);
    CHECK(uschat_session_queued(ben.s) == 0, "nothing more pushed");
    CHECK(s_count(st, false, g) == 4, "4 messages stored");
    s_logout(&ann);
    s_logout(&ben);
    chat_stack_stop(&st);
}

/* ---- fanout ------------------------------------------------------------------------------------
 */

/* CHAT_GROUP_PUSHes whose uschat-monitor line names the type, the group and the client frame
 * inside (1079 with the text or the event), counted by s_tap_count. */
static int s_decoded;

/* CHAT_GROUP_PUSH messages the broker routed, read from its tap for ms (the tap never goes
 * quiet: the nodes report their load every second); *chat_push gets the CHAT_PUSHes. */
static int s_tap_count(zsock_t *sub, int ms, int *chat_push)
{
    int count = 0;
    *chat_push = 0;
    s_decoded = 0;
    int64_t end = zclock_mono() + ms;
    for (int64_t now = zclock_mono(); now < end; now = zclock_mono()) {
        zsock_set_rcvtimeo(sub, (int)(end - now));
        zmsg_t *msg = zmsg_recv(sub);
        if (!msg)
            break;
        tap_item_t it;
        if (monitor_item_parse(msg, &it) == 0 && !it.is_event && it.has_env) {
            if (it.env.type == MSG_CHAT_GROUP_PUSH) {
                count++;
                char *line = monitor_format(&it, false); /* as uschat-monitor prints it */
                if (count == 1)
                    printf("monitor: %s\n", line ? line : "(null)");
                s_decoded += line && strstr(line, "chat_group_push") && strstr(line, "group_id=") &&
                             strstr(line, "frame=1079") &&
                             (strstr(line, "to all") || strstr(line, "create"));
                free(line);
            }
            if (it.env.type == MSG_CHAT_PUSH)
                (*chat_push)++;
        }
        zmsg_destroy(&msg);
    }
    return count;
}

static void s_case_fanout(void)
{
    chat_stack_t *st = chat_stack_start("groupfanout", NULL);
    enum { ON1 = 3, ON2 = 4, TEXTS = 20 };
    s_user_t ann = s_login(st, "ann", 0);
    s_user_t users[ON1 + ON2];
    s_user_t *list[ON1 + ON2];
    int64_t uids[ON1 + ON2];
    for (int i = 0; i < ON1 + ON2; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        users[i] = s_login(st, name, i < ON1 ? 0 : 1);
        list[i] = &users[i];
        uids[i] = users[i].uid;
    }
    s_friends(&ann, list, ON1 + ON2);
    char tap[96];
    snprintf(tap, sizeof tap, "tcp://%s:%d", st->host, st->tap_port);
    zsock_t *sub = zsock_new_sub(tap, TAP_TOPIC_MSG);
    CHECK(sub != NULL, "tap subscriber");
    zclock_sleep(500); /* the subscription reaches the broker */
    int chat_push = 0;
    s_tap_count(sub, 200, &chat_push); /* whatever came before */

    int64_t g = s_create(&ann, "fan", uids, ON1 + ON2);
    for (int i = 0; i < ON1 + ON2; i++) {
        uschat_group_msg_t msg;
        json_decref(s_push(&users[i], g, 1, "create", &msg));
    }
    for (int t = 1; t <= TEXTS; t++) {
        char text[32], unique[32];
        snprintf(text, sizeof text, "to all %d", t);
        snprintf(unique, sizeof unique, "f-%d", t);
        CHECK(s_text(&ann, g, text, unique, NULL, NULL) == 0, "text %d", t);
    }
    for (int i = 0; i < ON1 + ON2; i++)
        for (int t = 1; t <= TEXTS; t++) {
            uschat_group_msg_t msg;
            json_decref(s_push(&users[i], g, 1 + t, NULL, &msg));
        }
    int group_pushes = s_tap_count(sub, 1000, &chat_push);
    printf("fanout: %d group messages to %d members (%d on node1, %d on node2): %d broker "
           "messages (CHAT_GROUP_PUSH), %d CHAT_PUSH\n",
           1 + TEXTS, ON1 + ON2 + 1, ON1 + 1, ON2, group_pushes, chat_push);
    CHECK(group_pushes == 1 + TEXTS, "one broker message per group message (K - 1 = 1), got %d",
          group_pushes);
    CHECK(chat_push == 0, "no per-member CHAT_PUSH");
    CHECK(s_decoded == group_pushes, "uschat-monitor decodes every group push: %d of %d", s_decoded,
          group_pushes);
    for (int i = 0; i < ON1 + ON2; i++)
        CHECK(uschat_session_queued(users[i].s) == 0, "member %d got each message once", i);
    CHECK(s_count(st, false, g) == 1 + TEXTS, "each message stored once");
    zsock_destroy(&sub);
    /* the nodes' own counters, logged at their stop */
    s_logout(&ann);
    for (int i = 0; i < ON1 + ON2; i++)
        s_logout(&users[i]);
    CHECK(chat_stack_stop_node(st, 0) == 0 && chat_stack_stop_node(st, 1) == 0, "nodes stop");
    char line[160];
    snprintf(line, sizeof line,
             "texts %d, events 1, frames to members here %d, group pushes to "
             "other nodes %d",
             TEXTS, ON1 * (TEXTS + 1) + 1, 1 + TEXTS);
    CHECK(chat_stack_count_log(st, "node1", line) >= 1, "node1 counted: %s", line);
    snprintf(line, sizeof line,
             "frames to members here %d, group pushes to other nodes 0, from "
             "other nodes %d",
             ON2 * (TEXTS + 1), 1 + TEXTS);
    CHECK(chat_stack_count_log(st, "node2", line) >= 1, "node2 counted: %s", line);
    chat_stack_stop(&st);
}

/* ---- batch -------------------------------------------------------------------------------------
 */

/* The answers (1078) to n requests of u, in order: each one item; seqs[i] its seq (0 when
 * refused with the error expected). */
static void s_answers(s_user_t *u, int n, int error, int64_t *seqs, int64_t *ids)
{
    for (int i = 0; i < n; i++) {
        json_t *body = NULL;
        CHECK(uschat_session_wait(u->s, USCHAT_ID_GROUP_TEXT_RSP, 10000, &body) == 0,
              "answer %d to uid %lld", i, (long long)u->uid);
        uschat_group_msgs_t msgs;
        uschat_group_msg_t m = {0};
        CHECK(uschat_parse_group_msgs(body, &msgs) == 0 && msgs.error == error,
              "answer %d to uid %lld: error %d (got %d)", i, (long long)u->uid, error, msgs.error);
        if (!error)
            CHECK(uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), &m) == 0,
                  "its item parses");
        seqs[i] = m.seq;
        if (ids)
            ids[i] = m.msg_id;
        json_decref(body);
    }
}

/* The next n pushes (1079) on u: seqs strictly increasing (none twice, none out of order). */
static void s_pushes_in_order(s_user_t *u, int64_t group, int n)
{
    int64_t last = 0;
    for (int i = 0; i < n; i++) {
        json_t *body = chat_stack_wait(u->s, USCHAT_ID_NOTIFY_GROUP_MSG);
        uschat_group_msgs_t msgs;
        uschat_group_msg_t m;
        CHECK(uschat_parse_group_msgs(body, &msgs) == 0 && msgs.group_id == group &&
                  uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), &m) == 0,
              "push %d to uid %lld", i, (long long)u->uid);
        CHECK(m.seq > last, "uid %lld: seq %lld after %lld (no twice, no reorder)",
              (long long)u->uid, (long long)m.seq, (long long)last);
        last = m.seq;
        json_decref(body);
    }
}

static void s_case_batch(void)
{
    chat_stack_t *st = chat_stack_start("groupbatch", NULL);
    enum { PER = 20, RESEND_AT = 10, RESENT = 5 };
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 0), cat = s_login(st, "cat", 0),
             dan = s_login(st, "dan", 1);
    s_user_t *all[] = {&ann, &ben, &cat, &dan};
    s_friends(&ann, (s_user_t *[]){&ben, &cat, &dan}, 3);
    int64_t g = s_create(&ann, "burst", (int64_t[]){ben.uid, cat.uid, dan.uid}, 3);
    s_all_get(all, 4, g, 1, "create");
    s_change(&ann, USCHAT_ID_GROUP_MUTE_REQ, uschat_req_group_mute(g, cat.uid, time(NULL) + 600),
             all, 4, g, 2, "mute");

    /* the burst: ann, ben and cat in turn, nobody waiting; ann resends one in the middle */
    for (int i = 0; i < PER; i++) {
        s_user_t *who[] = {&ann, &ben, &cat};
        for (int k = 0; k < 3; k++) {
            char text[32], unique[32];
            snprintf(text, sizeof text, "%c says %d", 'a' + k, i);
            snprintf(unique, sizeof unique, "%c-%d", 'a' + k, i);
            uschat_text_t item = {text, unique};
            CHECK(uschat_session_send_take(who[k]->s, USCHAT_ID_GROUP_TEXT_REQ,
                                           uschat_req_group_text(g, &item, 1)) == 0,
                  "send %s", unique);
        }
        if (i == RESEND_AT) {
            char unique[32];
            snprintf(unique, sizeof unique, "a-%d", RESENT);
            uschat_text_t item = {"a says 5", unique};
            CHECK(uschat_session_send_take(ann.s, USCHAT_ID_GROUP_TEXT_REQ,
                                           uschat_req_group_text(g, &item, 1)) == 0,
                  "resend");
        }
    }
    int64_t a[PER + 1], a_ids[PER + 1], b[PER], c[PER];
    s_answers(&ann, PER + 1, 0, a, a_ids);
    s_answers(&ben, PER, 0, b, NULL);
    s_answers(&cat, PER, USCHAT_ERR_GROUP_MUTED, c, NULL);
    /* ann's answers in request order: the resend (after a-RESEND_AT) is a-RESENT's copy */
    int64_t ann_new[PER];
    for (int i = 0, k = 0; i < PER + 1; i++) {
        if (i == RESEND_AT + 1) {
            CHECK(a[i] == a[RESENT] && a_ids[i] == a_ids[RESENT],
                  "the resend gets the stored copy: seq %lld id %lld (got %lld %lld)",
                  (long long)a[RESENT], (long long)a_ids[RESENT], (long long)a[i],
                  (long long)a_ids[i]);
            continue;
        }
        ann_new[k++] = a[i];
    }
    /* 2 + 2 * PER seqs: 3 .. 2 + 2 * PER each given once, each sender's in its order */
    bool seen[3 + 2 * PER] = {false};
    for (int i = 0; i < PER; i++) {
        CHECK(i == 0 || (ann_new[i] > ann_new[i - 1] && b[i] > b[i - 1]),
              "each sender's texts in its order");
        int64_t both[2] = {ann_new[i], b[i]};
        for (int k = 0; k < 2; k++) {
            CHECK(both[k] >= 3 && both[k] <= 2 + 2 * PER && !seen[both[k]],
                  "seq %lld in 3..%d and given once", (long long)both[k], 2 + 2 * PER);
            seen[both[k]] = true;
        }
    }
    CHECK(s_count(st, true, g) == 2 + 2 * PER && s_count(st, false, g) == 2 + 2 * PER,
          "last_seq %d and as many messages stored: no gap, the refused ones took no seq",
          2 + 2 * PER);
    /* dan gets all 2 * PER, ann ben's, ben ann's, cat both (muted members still read) */
    s_pushes_in_order(&dan, g, 2 * PER);
    s_pushes_in_order(&cat, g, 2 * PER);
    s_pushes_in_order(&ann, g, PER);
    s_pushes_in_order(&ben, g, PER);
    usleep(300 * 1000);
    for (int i = 0; i < 4; i++)
        CHECK(uschat_session_queued(all[i]->s) == 0, "member %d: nothing more pushed", i);
    for (int i = 0; i < 4; i++)
        s_logout(all[i]);
    CHECK(chat_stack_stop_node(st, 0) == 0, "node1 stops");
    /* node1's counters at its stop: the 3 * PER + 1 requests in fewer transactions */
    char path[512];
    snprintf(path, sizeof path, "%s/node1.log", st->dir);
    FILE *f = fopen(path, "r");
    long long texts = -1, commits = -1, frames = -1, writes = -1;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "groups: texts ");
        const char *cm = at ? strstr(line, "text commits ") : NULL;
        if (at && cm) {
            texts = atoll(at + strlen("groups: texts "));
            commits = atoll(cm + strlen("text commits "));
        }
        const char *fr = strstr(line, "frames to clients ");
        const char *wr = fr ? strstr(fr, " in ") : NULL;
        if (fr && wr) {
            frames = atoll(fr + strlen("frames to clients "));
            writes = atoll(wr + strlen(" in "));
        }
    }
    if (f)
        fclose(f);
    printf("batch: %d text requests (%d refused, 1 resend), %lld texts stored in %lld commits; "
           "node1 wrote %lld frames in %lld writes\n",
           3 * PER + 1, PER, texts, commits, frames, writes);
    CHECK(texts == 2 * PER, "node1 counted %d texts (got %lld)", 2 * PER, texts);
    CHECK(commits > 0 && commits < (3 * PER + 1) / 2,
          "texts that waited were committed together: %lld commits for %d requests", commits,
          3 * PER + 1);
    CHECK(writes > 0 && writes < frames,
          "the frames of a batch to one client share a write: %lld frames, %lld writes", frames,
          writes);
    chat_stack_stop(&st);
}

/* ---- kill --------------------------------------------------------------------------------------
 */

/* What one member has seen of a group: the next seq expected, pushes and syncs together. */
typedef struct {
    s_user_t u;
    int node;
    int64_t next;
} s_reader_t;

/* Takes every 1079 queued on r within wait_ms; each must be the next seq (no gap, no twice). */
static void s_drain(s_reader_t *r, int64_t group, int wait_ms)
{
    for (;;) {
        uint16_t id = 0;
        json_t *body = NULL;
        if (uschat_session_next(r->u.s, wait_ms, &id, &body) != 0)
            return;
        uschat_group_msgs_t msgs;
        if (id == USCHAT_ID_NOTIFY_GROUP_MSG && uschat_parse_group_msgs(body, &msgs) == 0 &&
            msgs.group_id == group) {
            size_t i;
            json_t *it;
            json_array_foreach(msgs.chat_datas, i, it)
            {
                uschat_group_msg_t m;
                CHECK(uschat_parse_group_msg(it, &m) == 0 && m.seq == r->next,
                      "uid %lld: pushed seq %lld, expected %lld", (long long)r->u.uid,
                      (long long)m.seq, (long long)r->next);
                r->next = m.seq + 1;
            }
        }
        json_decref(body);
    }
}

/* Syncs r from the last seq it has to the end; each seq once, in order. */
static void s_catch_up(s_reader_t *r, int64_t group)
{
    for (int page = 0; page < 100; page++) {
        json_t *reply = NULL;
        CHECK(chat_stack_request(r->u.s, USCHAT_ID_GROUP_SYNC_REQ,
                                 uschat_req_group_sync(group, r->next - 1, 0, 20), &reply) == 0,
              "sync of uid %lld", (long long)r->u.uid);
        uschat_group_msgs_t msgs;
        CHECK(uschat_parse_group_msgs(reply, &msgs) == 0, "sync parses");
        size_t i;
        json_t *it;
        json_array_foreach(msgs.chat_datas, i, it)
        {
            uschat_group_msg_t m;
            CHECK(uschat_parse_group_msg(it, &m) == 0 && m.seq == r->next,
                  "uid %lld: synced seq %lld, expected %lld", (long long)r->u.uid, (long long)m.seq,
                  (long long)r->next);
            r->next = m.seq + 1;
        }
        int more = msgs.has_more;
        json_decref(reply);
        if (!more)
            return;
    }
}

static void s_case_kill(void)
{
    chat_stack_t *st = chat_stack_start("groupkill", NULL);
    enum { READERS = 4, TEXTS = 60, KILL_AT = 20, BACK_AT = 40 };
    s_user_t ann = s_login(st, "ann", 0);
    s_reader_t r[READERS];
    s_user_t *users[READERS];
    int64_t uids[READERS];
    for (int i = 0; i < READERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", i);
        r[i] = (s_reader_t){.u = s_login(st, name, i % 2), .node = i % 2, .next = 1};
        users[i] = &r[i].u;
        uids[i] = r[i].u.uid;
    }
    s_friends(&ann, users, READERS);
    int64_t g = s_create(&ann, "kill", uids, READERS);
    for (int t = 1; t <= TEXTS; t++) {
        char text[32], unique[32];
        snprintf(text, sizeof text, "k %d", t);
        snprintf(unique, sizeof unique, "k-%d", t);
        CHECK(s_text(&ann, g, text, unique, NULL, NULL) == 0, "text %d acked", t);
        for (int i = 0; i < READERS; i++)
            if (r[i].u.s)
                s_drain(&r[i], g, 0);
        if (t == KILL_AT) {
            /* node2 dies with its members' sessions; ann goes on writing */
            for (int i = 0; i < READERS; i++)
                if (r[i].node == 1) {
                    s_drain(&r[i], g, 500);
                    s_logout(&r[i].u);
                }
            chat_stack_kill(&st->node[1]);
        }
        if (t == BACK_AT) {
            chat_stack_start_node(st, 1);
            for (int i = 0; i < READERS; i++)
                if (r[i].node == 1) {
                    char token[128];
                    chat_stack_token(st, r[i].u.uid, token, NULL);
                    r[i].u.s = chat_stack_login(st, 1, r[i].u.uid, token, NULL);
                    s_catch_up(&r[i], g);
                }
        }
    }
    for (int i = 0; i < READERS; i++) {
        s_drain(&r[i], g, 1000);
        s_catch_up(&r[i], g); /* a push lost on the way (none expected here) */
        CHECK(r[i].next == 1 + TEXTS + 1, "uid %lld has every seq 1..%d once, in order",
              (long long)r[i].u.uid, 1 + TEXTS);
        s_logout(&r[i].u);
    }
    CHECK(s_count(st, false, g) == 1 + TEXTS && s_count(st, true, g) == 1 + TEXTS,
          "stored once each, seq 1..%d", 1 + TEXTS);
    s_logout(&ann);
    chat_stack_stop(&st);
}

/* 1100 for [from, to] asked by u: the error, and the counts into read[0..] (to - from + 1). */
static int s_read_counts(s_user_t *u, int64_t group, int64_t from, int64_t to, int64_t *read)
{
    json_t *reply = NULL;
    int error = chat_stack_request(
        u->s, USCHAT_ID_GROUP_READ_COUNTS_REQ,
        json_pack("{sIsIsI}", USCHAT_FIELD(GROUP_READ_COUNTS_REQ, group_id), (json_int_t)group,
                  USCHAT_FIELD(GROUP_READ_COUNTS_REQ, from_seq), (json_int_t)from,
                  USCHAT_FIELD(GROUP_READ_COUNTS_REQ, to_seq), (json_int_t)to),
        &reply);
    json_t *counts = json_object_get(reply, USCHAT_FIELD(GROUP_READ_COUNTS_RSP, counts));
    if (error == 0) {
        CHECK_INT(json_array_size(counts), to - from + 1);
        for (size_t i = 0; i < json_array_size(counts); i++) {
            json_t *item = json_array_get(counts, i);
            CHECK_INT(json_integer_value(json_object_get(item, USCHAT_FIELD(READ_COUNT_ITEM, seq))),
                      from + (int64_t)i);
            read[i] =
                json_integer_value(json_object_get(item, USCHAT_FIELD(READ_COUNT_ITEM, read)));
        }
    }
    json_decref(reply);
    return error;
}

static void s_read(s_user_t *u, int64_t group, int64_t seq)
{
    json_t *reply = NULL;
    CHECK(chat_stack_request(u->s, USCHAT_ID_GROUP_READ_REQ, uschat_req_group_read(group, seq),
                             &reply) == 0,
          "read mark %lld", (long long)seq);
    json_decref(reply);
}

static void s_case_readby(void)
{
    chat_stack_t *st = chat_stack_start("groupreadby", NULL);
    s_user_t ann = s_login(st, "ann", 0), ben = s_login(st, "ben", 1), cat = s_login(st, "cat", 0),
             dan = s_login(st, "dan", 1);
    s_friends(&ann, (s_user_t *[]){&ben, &cat, &dan}, 3);
    int64_t g = s_create(&ann, "readers", (int64_t[]){ben.uid, cat.uid}, 2);
    for (int i = 0; i < 3; i++) { /* seqs 2, 3, 4 */
        char content[16], unique[16];
        snprintf(content, sizeof content, "text %d", i);
        snprintf(unique, sizeof unique, "rb-%d", i);
        CHECK(s_text(&ann, g, content, unique, NULL, NULL) == 0, "text %d", i);
    }
    int64_t read[8] = {0};
    CHECK(s_read_counts(&ann, g, 2, 4, read) == 0, "counts");
    CHECK(read[0] == 0 && read[1] == 0 && read[2] == 0, "nobody read yet: %lld %lld %lld",
          (long long)read[0], (long long)read[1], (long long)read[2]);
    s_read(&ben, g, 3); /* node 2 */
    s_read(&cat, g, 4); /* node 1 */
    s_read(&ann, g, 4); /* mine: never counted */
    CHECK(s_read_counts(&ann, g, 2, 4, read) == 0, "counts");
    CHECK(read[0] == 2 && read[1] == 2 && read[2] == 1, "read by 2, 2, 1: %lld %lld %lld",
          (long long)read[0], (long long)read[1], (long long)read[2]);
    /* a stranger may not ask; once invited (the event is seq 5) Dan counts from there on only */
    CHECK_INT(s_read_counts(&dan, g, 2, 4, read), USCHAT_ERR_NOT_FRIENDS);
    uschat_group_op_rsp_t op;
    CHECK(s_op(&ann, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), &op) ==
                  0 &&
              op.seq == 5,
          "Dan invited at seq 5");
    CHECK(s_text(&ann, g, "welcome", "rb-w", NULL, NULL) == 0, "seq 6");
    s_read(&dan, g, 6);
    CHECK(s_read_counts(&ben, g, 2, 6, read) == 0, "counts asked by Ben");
    /* Ann and Cat read 2-4; Ben asks (left out); Dan reads from the event that added him (5,
     * his join_seq is 4) and read 6 */
    CHECK(read[0] == 2 && read[1] == 2 && read[2] == 2 && read[3] == 1 && read[4] == 1,
          "Ben left out, Dan only from his invite: %lld %lld %lld %lld %lld", (long long)read[0],
          (long long)read[1], (long long)read[2], (long long)read[3], (long long)read[4]);
    /* ranges */
    CHECK_INT(s_read_counts(&ann, g, 4, 3, read), USCHAT_ERR_OUT_OF_RANGE);
    CHECK_INT(s_read_counts(&ann, g, 1, 1 + USCHAT_MAX(GROUP_READ_COUNTS_RSP, counts), read),
              USCHAT_ERR_OUT_OF_RANGE);
    s_logout(&ann);
    s_logout(&ben);
    s_logout(&cat);
    s_logout(&dan);
    chat_stack_stop(&st);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "manage") == 0)
        s_case_manage();
    else if (strcmp(which, "perms") == 0)
        s_case_perms();
    else if (strcmp(which, "offline") == 0)
        s_case_offline();
    else if (strcmp(which, "dedup") == 0)
        s_case_dedup();
    else if (strcmp(which, "fanout") == 0)
        s_case_fanout();
    else if (strcmp(which, "kill") == 0)
        s_case_kill();
    else if (strcmp(which, "readby") == 0)
        s_case_readby();
    else if (strcmp(which, "batch") == 0)
        s_case_batch();
    else {
        fprintf(stderr,
                "usage: test_chat_groups manage|perms|offline|dedup|fanout|kill|readby|batch\n");
        return 2;
    }
    printf("ok %s\n", which);
    return CHECK_DONE();
}
