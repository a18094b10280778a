/* model_group.c - the groups of the desktop client's model: the list of my groups (1075/1076),
 * their messages and events (1078 acks, 1079 pushes, 1081 pages), the member list (1085), the
 * read mark (1082) and the management requests (1061-1074) with their answers (1062/1064).
 *
 * A group's conversation is a thread of the model like a one-to-one one (model_store.c), keyed
 * -group_id (peer the same), with an app_group_t beside it; so messages merge by seq, my texts
 * wait in the same outbox (a SENDING message is sent again with its unique_id after every new
 * login; the server stores a (sender, unique_id) once), and the chat list orders groups and
 * one-to-one threads together by their last message.
 *
 * Rules that live here:
 * - An event (kind 3, USCHAT_MSG_EVENT) is a centred line: its sentence is made when it arrives
 * with the names known then, and made again when the member list brings more names.
 * - The group's state (name, my role, mutes, removed, dissolved) comes from 1076 and is kept
 *   current by the events after the list's last seq, so the pages show what the server
 *   allows without asking again.
 * - Unread counts: 1076's count is the truth; a push of someone else's message (an event too:
 *   the server counts every seq) past what is known adds one.
 * UI thread only.
 */
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define GROUP_PAGE 50
#define MSG(f)     USCHAT_FIELD(GROUP_MSG_ITEM, f)
/* The read counts asked at once: my messages among the newest this many seqs. */
#define READ_RANGE USCHAT_MAX(GROUP_READ_COUNTS_RSP, counts)

/* ---- the group and its members -------------------------------------------------------------- */

void model_group_free(app_group_t *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->members_cap; i++) { /* past nmembers: a list being replaced */
        free(g->members[i].name);
        free(g->members[i].nick);
        free(g->members[i].icon);
    }
    free(g->members);
    free(g->name);
    free(g->announcement);
    free(g);
}

static void s_set(char **dst, const char *src)
{
    char *d = model_strdup(src);
    if (!d)
        return;
    free(*dst);
    *dst = d;
}

static app_thread_t *s_thread(const app_model_t *m, int64_t group_id)
{
    app_thread_t *t = group_id > 0 ? model_thread_find(m, -group_id) : NULL;
    return t && t->group ? t : NULL;
}

const app_group_t *app_model_group(const app_model_t *m, int64_t group_id)
{
    app_thread_t *t = s_thread(m, group_id);
    return t ? t->group : NULL;
}

static const app_member_t *s_member(const app_group_t *g, int64_t uid)
{
    for (size_t i = 0; g && i < g->nmembers; i++)
        if (g->members[i].uid == uid)
            return &g->members[i];
    return NULL;
}

const char *model_group_icon(const app_model_t *m, int64_t uid)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        const app_member_t *mb = s_member(m->threads[i]->group, uid);
        if (mb && *mb->icon)
            return mb->icon;
    }
    return NULL;
}

const char *model_group_name(const app_model_t *m, int64_t uid)
{
    app_model_t *w = (app_model_t *)m; /* the name buffer is scratch */
    if (uid < 0) {
        app_thread_t *t = s_thread(m, -uid);
        if (t && *t->group->name)
            return t->group->name;
        snprintf(w->name_buf, sizeof w->name_buf, "Group %lld", (long long)-uid);
        return w->name_buf;
    }
    for (size_t i = 0; i < m->nthreads; i++) {
        const app_member_t *mb = s_member(m->threads[i]->group, uid);
        if (mb && (*mb->nick || *mb->name))
            return *mb->nick ? mb->nick : mb->name;
    }
    snprintf(w->name_buf, sizeof w->name_buf, "User %lld", (long long)uid);
    return w->name_buf;
}

app_group_rights_t app_model_group_rights(const app_model_t *m, const app_group_t *g,
                                          const app_member_t *member)
{
    app_group_rights_t r = {0};
    if (!g || g->removed || g->dissolved)
        return r;
    bool staff = g->role >= 1;
    r.invite = staff || g->members_invite;
    r.admins = g->role == 2;
    r.edit = staff;
    r.policy = g->role == 2;
    r.dissolve = g->role == 2;
    r.leave = g->role != 2; /* the owner hands the group over or dissolves it */
    /* the owner manages anyone, an admin plain members; nobody themself */
    r.manage = member && member->uid != m->self.uid &&
               (g->role == 2 || (g->role == 1 && member->role == 0));
    r.send = app_model_group_locked(m, g) == NULL;
    return r;
}

const char *app_model_group_locked(const app_model_t *m, const app_group_t *g)
{
    app_model_t *w = (app_model_t *)m;
    if (!g)
        return NULL;
    if (g->removed)
        return "You are no longer a member of this group.";
    if (g->dissolved)
        return "This group was dissolved.";
    int64_t now = (int64_t)time(NULL);
    if (g->muted_until > now) {
        char until[32];
        app_model_mute_until(g->muted_until, until, sizeof until);
        snprintf(w->name_buf, sizeof w->name_buf,
                 *until ? "You are muted until %s." : "You are muted.", until);
        return w->name_buf;
    }
    if (g->mute_all && g->role == 0)
        return "Only the owner and admins may send now.";
    return NULL;
}

void app_model_mute_until(int64_t until, char *out, size_t cap)
{
    if (until >= APP_GROUP_MUTE_FOREVER) { /* a mute without an end: no time to say */
        if (cap)
            *out = '\0';
        return;
    }
    timefmt_until(until, (int64_t)time(NULL), out, cap);
}

/* ---- events: their sentence and their effect --------------------------------------------------
 */

/* "You" / "you" for me, else the display name. */
static const char *s_who(const app_model_t *m, int64_t uid, bool subject, char *buf, size_t cap)
{
    if (uid == m->self.uid)
        return subject ? "You" : "you";
    snprintf(buf, cap, "%s", app_model_display_name(m, uid));
    return buf;
}

/* The names of a create/invite event's members, "Ann, Ben and Cat". */
static void s_names(const app_model_t *m, const json_t *members, char *out, size_t cap)
{
    size_t n = json_array_size(members), used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        int64_t uid = 0;
        char buf[64];
        if (uschat_parse_group_uid(json_array_get(members, i), &uid) < 0)
            continue;
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        int k =
            snprintf(out + used, cap - used, "%s%s", sep, s_who(m, uid, false, buf, sizeof buf));
        used += k > 0 ? (size_t)k : 0;
    }
    if (used >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

/* The sentence of event EV made by SENDER into OUT. */
static void s_sentence(const app_model_t *m, int64_t sender, const uschat_group_event_t *ev,
                       char *out, size_t cap)
{
    char a[64], b[64], list[200];
    const char *who = s_who(m, sender, true, a, sizeof a);
    const char *whom = s_who(m, ev->member, false, b, sizeof b);
    const char *op = ev->op ? ev->op : "";
    if (strcmp(op, "create") == 0) {
        s_names(m, ev->members, list, sizeof list);
        snprintf(out, cap,
                 *list ? "%s created the group \"%s\" with %s" : "%s created the group \"%s\"", who,
                 ev->name ? ev->name : "", list);
    } else if (strcmp(op, "invite") == 0) {
        s_names(m, ev->members, list, sizeof list);
        snprintf(out, cap, "%s added %s", who, list);
    } else if (strcmp(op, "leave") == 0) {
        snprintf(out, cap, "%s left the group", who);
    } else if (strcmp(op, "remove") == 0) {
        snprintf(out, cap, "%s removed %s", who, whom);
    } else if (strcmp(op, "admin") == 0) {
        snprintf(out, cap, "%s made %s an admin", who, whom);
    } else if (strcmp(op, "unadmin") == 0) {
        snprintf(out, cap, "%s took admin from %s", who, whom);
    } else if (strcmp(op, "transfer") == 0) {
        snprintf(out, cap, "%s handed the group over to %s", who, whom);
    } else if (strcmp(op, "rename") == 0) {
        snprintf(out, cap, "%s renamed the group to \"%s\"", who, ev->name ? ev->name : "");
    } else if (strcmp(op, "announce") == 0) {
        if (ev->announcement && *ev->announcement)
            snprintf(out, cap, "%s set the announcement: %s", who, ev->announcement);
        else
            snprintf(out, cap, "%s cleared the announcement", who);
    } else if (strcmp(op, "mute") == 0) {
        char until[32];
        app_model_mute_until(ev->until, until, sizeof until);
        if (ev->until > 0 && *until)
            snprintf(out, cap, "%s muted %s until %s", who, whom, until);
        else if (ev->until > 0)
            snprintf(out, cap, "%s muted %s until further notice", who, whom);
        else
            snprintf(out, cap, "%s unmuted %s", who, whom);
    } else if (strcmp(op, "mute_all") == 0) {
        snprintf(out, cap, ev->on ? "%s muted everyone but the admins" : "%s unmuted everyone",
                 who);
    } else if (strcmp(op, "invite_policy") == 0) {
        snprintf(out, cap, ev->on ? "%s let every member invite" : "%s let only admins invite",
                 who);
    } else if (strcmp(op, "dissolve") == 0) {
        snprintf(out, cap, "%s dissolved the group", who);
    } else {
        snprintf(out, cap, "%s changed the group", who);
    }
}

/* An event newer than the group's state changes it. */
static void s_apply(app_model_t *m, app_thread_t *t, int64_t seq, int64_t sender,
                    const uschat_group_event_t *ev)
{
    app_group_t *g = t->group;
    if (seq <= g->state_seq || !ev->op)
        return;
    g->state_seq = seq;
    g->members_stale = true;
    int64_t me = m->self.uid;
    const char *op = ev->op;
    if (strcmp(op, "create") == 0 && ev->name) { /* a group I learn of by its first push */
        s_set(&g->name, ev->name);
        g->owner = sender;
        g->role = sender == me ? 2 : 0;
        g->count = (int64_t)json_array_size(ev->members) + 1;
        m->rows_dirty = true;
    } else if (strcmp(op, "rename") == 0 && ev->name) {
        s_set(&g->name, ev->name);
        m->rows_dirty = true;
    } else if (strcmp(op, "announce") == 0) {
        s_set(&g->announcement, ev->announcement);
    } else if (strcmp(op, "invite") == 0) {
        g->count += (int64_t)json_array_size(ev->members);
    } else if (strcmp(op, "leave") == 0 || strcmp(op, "remove") == 0) {
        int64_t gone = strcmp(op, "leave") == 0 ? sender : ev->member;
        g->count -= g->count > 0;
        if (gone == me)
            g->removed = true;
    } else if (strcmp(op, "admin") == 0 || strcmp(op, "unadmin") == 0) {
        if (ev->member == me)
            g->role = op[0] == 'a' ? 1 : 0;
    } else if (strcmp(op, "transfer") == 0) {
        g->owner = ev->member;
        if (ev->member == me)
            g->role = 2;
        else if (sender == me)
            g->role = 1;
    } else if (strcmp(op, "mute") == 0) {
        if (ev->member == me)
            g->muted_until = ev->until;
    } else if (strcmp(op, "mute_all") == 0) {
        g->mute_all = ev->on != 0;
    } else if (strcmp(op, "invite_policy") == 0) {
        g->members_invite = ev->on != 0;
    } else if (strcmp(op, "dissolve") == 0) {
        g->dissolved = true;
    }
}

/* Says the event line of MSG again from its stored event (names learnt since). */
static void s_resay(app_model_t *m, app_msg_t *msg)
{
    json_error_t err;
    json_t *ev = msg->event ? json_loads(msg->event, 0, &err) : NULL;
    json_t *item =
        ev ? json_pack("{sIsIsisIsssO}", MSG(msg_id), (json_int_t)msg->message_id, MSG(seq),
                       (json_int_t)msg->seq, MSG(kind), USCHAT_MSG_EVENT, MSG(sender),
                       (json_int_t)msg->sender, MSG(chat_time), msg->chat_time, MSG(event), ev)
           : NULL;
    uschat_group_msg_t gm;
    if (item && uschat_parse_group_msg(item, &gm) == 0) {
        char line[512];
        s_sentence(m, gm.sender, &gm.event, line, sizeof line);
        if (strcmp(line, msg->content) != 0) {
            s_set(&msg->content, line);
            msg->layout_width = 0;
        }
    }
    json_decref(item);
    json_decref(ev);
}

/* ---- messages in -------------------------------------------------------------------------- */

/* Merges one GROUP_MSG_ITEM into T: 1 new, 0 known, -1 unusable. */
static int s_merge_one(app_model_t *m, app_thread_t *t, const json_t *item)
{
    uschat_group_msg_t gm;
    if (uschat_parse_group_msg(item, &gm) < 0 || gm.seq <= 0 || gm.sender <= 0)
        return -1;
    char line[512] = "";
    if (gm.kind == USCHAT_MSG_EVENT)
        s_sentence(m, gm.sender, &gm.event, line, sizeof line);
    uschat_chat_msg_t cm = {.message_id = gm.msg_id,
                            .seq = gm.seq,
                            .sender = gm.sender,
                            .unique_id = gm.unique_id ? gm.unique_id : "",
                            .content = gm.kind == USCHAT_MSG_EVENT ? line
                                       : gm.content                ? gm.content
                                                                   : "",
                            .chat_time = gm.chat_time ? gm.chat_time : "",
                            /* a picture or file: as in one-to-one (model_msg_merge) */
                            .kind = gm.kind == USCHAT_MSG_EVENT ? USCHAT_MSG_TEXT : gm.kind,
                            .file = gm.file};
    int rc = model_msg_merge(m, t, &cm, gm.sender);
    app_msg_t *msg = rc >= 0 ? model_msg_at_seq(t, gm.seq) : NULL;
    if (msg && gm.kind == USCHAT_MSG_EVENT && !msg->event) {
        msg->kind = USCHAT_MSG_EVENT;
        msg->event = json_dumps(json_object_get(item, MSG(event)), JSON_COMPACT);
    }
    if (gm.kind == USCHAT_MSG_EVENT)
        s_apply(m, t, gm.seq, gm.sender, &gm.event);
    return rc;
}

/* Merges ITEMS (seq order) into T; counts others' new messages as unread. */
static void s_merge(app_model_t *m, app_thread_t *t, const json_t *items)
{
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        int64_t known_last = t->last_seq;
        int64_t seq = json_integer_value(json_object_get(item, MSG(seq)));
        int64_t sender = json_integer_value(json_object_get(item, MSG(sender)));
        if (s_merge_one(m, t, item) == 1 && sender != m->self.uid && seq > known_last &&
            seq > t->read_sent)
            t->unread++;
    }
    if (json_array_size(items))
        model_thread_touch(m, t);
}

/* A gap below what was merged means pushes were lost: sync from it. */
static void s_sync_gap(app_model_t *m, app_thread_t *t)
{
    if (t->history_asked && !t->syncing && m->conn == APP_CONN_ONLINE &&
        model_thread_gapless_seq(t) < model_thread_max_seq(t)) {
        t->syncing = true;
        model_group_sync(m, t);
    }
}

/* Asks how many have read my messages among the newest READ_RANGE seqs held in T (1100),
 * one request at a time: after the conversation's pages and new messages, which is when
 * the counts shown can have moved. */
static void s_ask_read_counts(app_model_t *m, app_thread_t *t)
{
    app_group_t *g = t->group;
    int64_t top = model_thread_max_seq(t), from = 0;
    if (g->counts_asked || g->removed || top <= 0 || m->conn != APP_CONN_ONLINE)
        return;
    for (size_t i = t->nmsgs; i > 0; i--) {
        const app_msg_t *msg = &t->msgs[i - 1];
        if (msg->seq <= 0)
            continue;
        if (msg->seq <= top - READ_RANGE)
            break;
        if (msg->sender == m->self.uid && !msg->kind)
            from = msg->seq;
    }
    if (from <= 0)
        return;
    json_t *body =
        json_pack("{sIsIsI}", USCHAT_FIELD(GROUP_READ_COUNTS_REQ, group_id),
                  (json_int_t)g->group_id, USCHAT_FIELD(GROUP_READ_COUNTS_REQ, from_seq),
                  (json_int_t)from, USCHAT_FIELD(GROUP_READ_COUNTS_REQ, to_seq), (json_int_t)top);
    if (body) {
        g->counts_asked = true;
        model_send(m, USCHAT_ID_GROUP_READ_COUNTS_REQ, body);
    }
}

static void s_on_read_counts(app_model_t *m, const json_t *body)
{
    int64_t gid =
        json_integer_value(json_object_get(body, USCHAT_FIELD(GROUP_READ_COUNTS_RSP, group_id)));
    app_thread_t *t = s_thread(m, gid);
    if (!t)
        return;
    t->group->counts_asked = false;
    json_t *counts = json_object_get(body, USCHAT_FIELD(GROUP_READ_COUNTS_RSP, counts));
    size_t i;
    json_t *item;
    json_array_foreach(counts, i, item)
    {
        json_t *seq = json_object_get(item, USCHAT_FIELD(READ_COUNT_ITEM, seq));
        json_t *read = json_object_get(item, USCHAT_FIELD(READ_COUNT_ITEM, read));
        app_msg_t *msg = json_is_integer(seq) && json_is_integer(read)
                             ? model_msg_at_seq(t, json_integer_value(seq))
                             : NULL;
        if (!msg || msg->sender != m->self.uid || json_integer_value(read) < 0 ||
            msg->read_by == json_integer_value(read))
            continue;
        msg->read_by = json_integer_value(read);
        msg->layout_width = 0; /* the bubble's meta line changes */
    }
    model_changed(m);
}

static void s_ask_members(app_model_t *m, app_thread_t *t)
{
    if (t->group->members_loading)
        return;
    t->group->members_loading = true;
    t->group->members_stale = false;
    t->group->nmembers = 0; /* the first page replaces the list; their strings are freed then */
    model_send(m, USCHAT_ID_GROUP_MEMBERS_REQ, uschat_req_group_members(t->group->group_id, 0));
}

static void s_on_list(app_model_t *m, const json_t *body)
{
    uschat_group_list_rsp_t rsp;
    if (uschat_parse_group_list_rsp(body, &rsp) < 0 || rsp.error != 0)
        return;
    size_t i;
    json_t *item;
    json_array_foreach(rsp.groups, i, item)
    {
        uschat_group_t gr;
        if (uschat_parse_group(item, &gr) < 0 || gr.group_id <= 0)
            continue;
        app_thread_t *t = model_group_thread(m, gr.group_id);
        if (!t)
            continue;
        app_group_t *g = t->group;
        s_set(&g->name, gr.name);
        s_set(&g->announcement, gr.announcement);
        g->owner = gr.owner;
        g->role = gr.role;
        g->count = gr.members;
        g->members_invite = gr.members_invite != 0;
        g->mute_all = gr.mute_all != 0;
        g->dissolved = gr.dissolved != 0;
        g->removed = false;
        g->muted_until = gr.muted_until;
        g->join_seq = gr.join_seq;
        g->state_seq = gr.last_seq;
        if (gr.last_seq > t->last_seq)
            t->last_seq = gr.last_seq;
        t->unread = gr.unread;
        if (gr.read_seq > t->read_sent)
            t->read_sent = gr.read_seq;
        uschat_group_msg_t last;
        if (gr.last_msg && uschat_parse_group_msg(gr.last_msg, &last) == 0 && last.chat_time &&
            strcmp(last.chat_time, t->preview_time) >= 0) {
            char line[512];
            if (last.kind == USCHAT_MSG_EVENT)
                s_sentence(m, last.sender, &last.event, line, sizeof line);
            model_thread_set_preview(m, t, last.kind == USCHAT_MSG_EVENT ? line : last.content,
                                     last.chat_time, last.sender);
        }
        if (t->history_asked && !t->syncing && t->last_seq > model_thread_max_seq(t)) {
            t->syncing = true;
            model_group_sync(m, t);
        }
    }
    if (rsp.load_more && rsp.next_last_id > 0)
        model_send(m, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(rsp.next_last_id));
    m->rows_dirty = true;
    model_changed(m);
}

/* 1078 (my texts stored), 1079 (pushed) and 1081 (a page or a sync). */
static void s_on_msgs(app_model_t *m, uint16_t id, const json_t *body)
{
    uschat_group_msgs_t rsp;
    if (uschat_parse_group_msgs(body, &rsp) < 0)
        return;
    app_thread_t *t = s_thread(m, rsp.group_id);
    if (!t && id == USCHAT_ID_NOTIFY_GROUP_MSG && rsp.error == 0 && rsp.group_id > 0) {
        /* a group new to me (I was added): its details come with the list from it on */
        t = model_group_thread(m, rsp.group_id);
        model_send(m, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(rsp.group_id - 1));
    }
    if (!t)
        return;
    bool page = id == USCHAT_ID_GROUP_SYNC_RSP;
    bool older = page && t->loading_older;
    if (page) {
        t->loading_older = t->syncing = false;
        if (rsp.join_seq > 0)
            t->group->join_seq = rsp.join_seq;
    }
    if (rsp.error != 0) {
        if (id == USCHAT_ID_GROUP_TEXT_RSP) {
            model_msg_fail_oldest(t, rsp.error);
            if (rsp.error == USCHAT_ERR_NOT_FRIENDS)
                t->group->removed = true;
            model_notice(m, true, "Message not sent: %s",
                         rsp.error == USCHAT_ERR_NOT_FRIENDS ? "you are not in this group any more"
                         : rsp.error == USCHAT_ERR_GROUP_MUTED ? "you are muted"
                                                               : uschat_strerror(rsp.error));
        } else if (page && rsp.error == USCHAT_ERR_NOT_FRIENDS) {
            t->group->removed = true;
            t->has_older = false;
        }
        model_changed(m);
        return;
    }
    if (older)
        t->has_older = rsp.has_more != 0;
    s_merge(m, t, rsp.chat_datas);
    if (page && !older && rsp.has_more && json_array_size(rsp.chat_datas) > 0) {
        t->syncing = true;
        model_group_sync(m, t);
    } else {
        s_sync_gap(m, t);
    }
    if (m->open_thread == t->thread_id) {
        if (t->group->members_stale && t->group->nmembers)
            s_ask_members(m, t);
        s_ask_read_counts(m, t);
    }
    model_changed(m);
}

static void s_on_members(app_model_t *m, const json_t *body)
{
    uschat_group_members_rsp_t rsp;
    if (uschat_parse_group_members_rsp(body, &rsp) < 0)
        return;
    app_thread_t *t = s_thread(m, rsp.group_id);
    if (!t)
        return;
    app_group_t *g = t->group;
    if (rsp.error != 0) {
        g->members_loading = false;
        if (rsp.error == USCHAT_ERR_NOT_FRIENDS)
            g->removed = true;
        model_changed(m);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(rsp.members, i, item)
    {
        uschat_group_member_t mb;
        if (uschat_parse_group_member(item, &mb) < 0 || mb.uid <= 0)
            continue;
        if (g->nmembers == g->members_cap) {
            size_t cap = g->members_cap ? g->members_cap * 2 : 16;
            app_member_t *grown = realloc(g->members, cap * sizeof *grown);
            if (!grown)
                break;
            memset(grown + g->members_cap, 0, (cap - g->members_cap) * sizeof *grown);
            g->members = grown;
            g->members_cap = cap;
        }
        app_member_t *x = &g->members[g->nmembers];
        char *name = model_strdup(mb.name), *nick = model_strdup(mb.nick);
        char *icon = model_strdup(mb.icon ? mb.icon : "");
        if (!name || !nick || !icon) {
            free(name);
            free(nick);
            free(icon);
            break;
        }
        free(x->name); /* left from the list this one replaces */
        free(x->nick);
        free(x->icon);
        *x = (app_member_t){mb.uid, name, nick, mb.role, mb.muted_until, icon};
        g->nmembers++;
        if (mb.uid == m->self.uid) { /* the server's word on me */
            g->role = mb.role;
            g->muted_until = mb.muted_until;
        }
    }
    if (rsp.load_more && rsp.next_uid > 0) {
        model_send(m, USCHAT_ID_GROUP_MEMBERS_REQ,
                   uschat_req_group_members(g->group_id, rsp.next_uid));
    } else {
        g->members_loading = false;
        if (g->nmembers)
            g->count = (int64_t)g->nmembers;
        for (size_t k = 0; k < t->nmsgs; k++) /* say the events again with the names */
            if (t->msgs[k].kind == USCHAT_MSG_EVENT)
                s_resay(m, &t->msgs[k]);
        m->rows_dirty = true;
    }
    model_changed(m);
}

/* 1062 (created) and 1064 (a change made). */
static void s_on_op(app_model_t *m, uint16_t id, const json_t *body)
{
    uschat_group_op_rsp_t rsp;
    if (uschat_parse_group_op_rsp(body, &rsp) < 0)
        return;
    if (rsp.error != 0) {
        model_notice(m, true, "%s: %s",
                     id == USCHAT_ID_GROUP_CREATE_RSP ? "The group was not created" : "Not changed",
                     rsp.error == USCHAT_ERR_GROUP_NOT_PERMITTED ? "you may not do that"
                                                                 : uschat_strerror(rsp.error));
        return;
    }
    if (id == USCHAT_ID_GROUP_CREATE_RSP && rsp.group_id > 0) {
        app_thread_t *t = model_group_thread(m, rsp.group_id);
        if (t) { /* its details come with the list; the create event with 1079 */
            model_send(m, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(rsp.group_id - 1));
            app_model_open_thread(m, t->thread_id);
        }
        model_notice(m, false, "Group created.");
    }
}

bool model_group_on_message(app_model_t *m, uint16_t id, const json_t *body)
{
    switch (id) {
    case USCHAT_ID_GROUP_LIST_RSP:
        s_on_list(m, body);
        return true;
    case USCHAT_ID_GROUP_TEXT_RSP:
    case USCHAT_ID_NOTIFY_GROUP_MSG:
    case USCHAT_ID_GROUP_SYNC_RSP:
        s_on_msgs(m, id, body);
        return true;
    case USCHAT_ID_GROUP_MEMBERS_RSP:
        s_on_members(m, body);
        return true;
    case USCHAT_ID_GROUP_CREATE_RSP:
    case USCHAT_ID_GROUP_OP_RSP:
        s_on_op(m, id, body);
        return true;
    case USCHAT_ID_GROUP_READ_RSP:
        return true; /* the mark is already counted here */
    case USCHAT_ID_GROUP_READ_COUNTS_RSP:
        s_on_read_counts(m, body);
        return true;
    default:
        return false;
    }
}

/* ---- requests out -----------------------------------------------------------------------------
 */

void model_group_on_login(app_model_t *m)
{
    for (size_t i = 0; i < m->nthreads; i++) /* answers of the old connection never come */
        if (m->threads[i]->group) {
            m->threads[i]->group->counts_asked = false;
            m->threads[i]->group->members_loading = false;
        }
    model_send(m, USCHAT_ID_GROUP_LIST_REQ, uschat_req_group_list(0));
}

void model_group_send_text(app_model_t *m, const app_thread_t *t, const app_msg_t *msg)
{
    uschat_text_t item = {msg->content, msg->unique_id};
    model_send(m, USCHAT_ID_GROUP_TEXT_REQ, uschat_req_group_text(t->group->group_id, &item, 1));
}

void model_group_ask_history(app_model_t *m, app_thread_t *t)
{
    int64_t top = model_thread_max_seq(t);
    top = top > t->last_seq ? top : t->last_seq;
    model_send(m, USCHAT_ID_GROUP_SYNC_REQ,
               uschat_req_group_sync(t->group->group_id, 0, top + 1, GROUP_PAGE));
    s_ask_members(m, t);
}

bool model_group_load_older(app_model_t *m, app_thread_t *t)
{
    if (!t->has_older || t->loading_older || t->nmsgs == 0 || t->msgs[0].seq <= 0)
        return false;
    t->loading_older = true;
    model_send(m, USCHAT_ID_GROUP_SYNC_REQ,
               uschat_req_group_sync(t->group->group_id, 0, t->msgs[0].seq, GROUP_PAGE));
    model_changed(m);
    return true;
}

void model_group_sync(app_model_t *m, app_thread_t *t)
{
    model_send(m, USCHAT_ID_GROUP_SYNC_REQ,
               uschat_req_group_sync(t->group->group_id, model_thread_gapless_seq(t), 0,
                                     USCHAT_MAX(GROUP_SYNC_REQ, limit)));
}

void model_group_mark_read(app_model_t *m, app_thread_t *t, int64_t seq)
{
    if (!t->group->removed)
        model_send(m, USCHAT_ID_GROUP_READ_REQ, uschat_req_group_read(t->group->group_id, seq));
}

/* The group of an action, refused (with a notice) when offline or unknown. */
static app_group_t *s_acting(app_model_t *m, int64_t group_id)
{
    const app_group_t *g = app_model_group(m, group_id);
    if (m->conn != APP_CONN_ONLINE || !g) {
        model_notice(m, true, "%s",
                     m->conn != APP_CONN_ONLINE ? "Not connected." : "No such group.");
        return NULL;
    }
    return (app_group_t *)g;
}

static int s_send(app_model_t *m, uint16_t id, json_t *body)
{
    if (!body)
        return -1;
    model_send(m, id, body);
    return 0;
}

int model_group_act(app_model_t *m, const app_act_t *a)
{
    if (a->kind == APP_ACT_GROUP_CREATE) {
        if (m->conn != APP_CONN_ONLINE) {
            model_notice(m, true, "Not connected.");
            return -1;
        }
        if (!a->text || !*a->text) {
            model_notice(m, true, "Give the group a name.");
            return -1;
        }
        return s_send(m, USCHAT_ID_GROUP_CREATE_REQ,
                      uschat_req_group_create(a->text, a->ids, a->nids));
    }
    app_group_t *g = s_acting(m, a->id);
    if (!g)
        return -1;
    int64_t gid = g->group_id;
    switch (a->kind) {
    case APP_ACT_GROUP_INVITE:
        return a->nids ? s_send(m, USCHAT_ID_GROUP_INVITE_REQ,
                                uschat_req_group_invite(gid, a->ids, a->nids))
                       : -1;
    case APP_ACT_GROUP_LEAVE:
        return s_send(m, USCHAT_ID_GROUP_LEAVE_REQ,
                      uschat_req_group_member_op(USCHAT_ID_GROUP_LEAVE_REQ, gid, 0));
    case APP_ACT_GROUP_REMOVE:
        return s_send(m, USCHAT_ID_GROUP_REMOVE_REQ,
                      uschat_req_group_member_op(USCHAT_ID_GROUP_REMOVE_REQ, gid, a->member));
    case APP_ACT_GROUP_TRANSFER:
        return s_send(m, USCHAT_ID_GROUP_TRANSFER_REQ,
                      uschat_req_group_member_op(USCHAT_ID_GROUP_TRANSFER_REQ, gid, a->member));
    case APP_ACT_GROUP_DISSOLVE:
        return s_send(m, USCHAT_ID_GROUP_DISSOLVE_REQ,
                      uschat_req_group_member_op(USCHAT_ID_GROUP_DISSOLVE_REQ, gid, 0));
    case APP_ACT_GROUP_ADMIN:
        return s_send(m, USCHAT_ID_GROUP_SET_ADMIN_REQ,
                      uschat_req_group_set_admin(gid, a->member, a->on));
    case APP_ACT_GROUP_MUTE:
        return s_send(m, USCHAT_ID_GROUP_MUTE_REQ, uschat_req_group_mute(gid, a->member, a->until));
    case APP_ACT_GROUP_MUTE_ALL:
        return s_send(m, USCHAT_ID_GROUP_MUTE_ALL_REQ,
                      uschat_req_group_switch(USCHAT_ID_GROUP_MUTE_ALL_REQ, gid, a->on));
    case APP_ACT_GROUP_POLICY:
        return s_send(m, USCHAT_ID_GROUP_INVITE_POLICY_REQ,
                      uschat_req_group_switch(USCHAT_ID_GROUP_INVITE_POLICY_REQ, gid, a->on));
    case APP_ACT_GROUP_RENAME:
        return s_send(m, USCHAT_ID_GROUP_RENAME_REQ, uschat_req_group_rename(gid, a->text));
    case APP_ACT_GROUP_ANNOUNCE:
        return s_send(m, USCHAT_ID_GROUP_ANNOUNCE_REQ,
                      uschat_req_group_announce(gid, a->text ? a->text : ""));
    case APP_ACT_GROUP_MEMBERS:
        s_ask_members(m, s_thread(m, gid));
        return 0;
    case APP_ACT_GROUP_READ_COUNTS:
        s_ask_read_counts(m, s_thread(m, gid));
        return 0;
    default:
        return -1;
    }
}
