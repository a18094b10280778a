/* model_chat.c - the chat node's messages applied to the model (1006..1035), and the user's
 * chat actions turned into requests in the outbox.
 *
 * Rules that live here:
 * - After every login (1006) the thread list is asked for again (1025); after a re-login on a
 *   new connection, every thread whose history is on screen is synced from its highest seq
 *   (1031), and my messages still sending are sent again with the same unique_id (the server
 *   stores a retried unique_id once), so a reconnect loses and doubles nothing.
 * - Per thread, seqs have no gaps (docs/protocol.md). A 1018/1019 whose seq leaves a gap behind
 *   what is held (a push lost on the way: a node or Redis restarting) starts a sync from the
 *   gap, in a thread whose history is held, so the missed messages show up without a
 *   reconnect; syncs always continue from the first gap.
 * - Unread counts: the server's count from 1026 is the truth when it comes; in between, a
 *   peer's message with a seq past the highest one known adds one, and opening the conversation
 *   at its bottom marks it read (1033).
 * - A failed 1018 carries no unique_id: it answers my oldest message still sending in that
 *   thread, because the node answers one user's requests in order.
 * UI thread only.
 */
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "utf8.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* Merges every item of ITEMS (chat_datas) into T; SENDER is used when an item has none.
 * Returns how many were new. */
static int s_merge_items(app_model_t *m, app_thread_t *t, const json_t *items, int64_t sender)
{
    size_t i;
    json_t *item;
    int fresh = 0;
    json_array_foreach(items, i, item)
    {
        uschat_chat_msg_t msg;
        if (uschat_parse_chat_msg(item, &msg) < 0)
            continue;
        int64_t known_last = t->last_seq;
        bool mine = msg.sender > 0 ? msg.sender == m->self.uid : sender == m->self.uid;
        int rc = model_msg_merge(m, t, &msg, sender);
        if (rc == 1) {
            fresh++;
            if (!mine && msg.seq > known_last && msg.seq > t->read_sent)
                t->unread++;
        }
    }
    if (json_array_size(items))
        model_thread_touch(m, t);
    return fresh;
}

static void s_send_text_item(app_model_t *m, const app_thread_t *t, app_msg_t *msg)
{
    if (msg->file) { /* a picture or file goes once its upload is done (model_files.c) */
        if (model_msg_ready(msg))
            model_file_send(m, t, msg);
        return;
    }
    if (t->group) {
        model_group_send_text(m, t, msg); /* model_group.c */
        return;
    }
    uschat_text_t item = {msg->content, msg->unique_id};
    model_send(m, USCHAT_ID_TEXT_CHAT_REQ, uschat_req_text_chat(t->peer, t->thread_id, &item, 1));
}

static void s_ask_history(app_model_t *m, app_thread_t *t)
{
    t->history_asked = true;
    t->loading_older = true;
    if (t->group) {
        model_group_ask_history(m, t);
        return;
    }
    model_send(m, USCHAT_ID_LOAD_CHAT_REQ, uschat_req_load_older(t->thread_id, 0));
}

static void s_sync(app_model_t *m, app_thread_t *t)
{
    t->syncing = true;
    if (t->group) {
        model_group_sync(m, t);
        return;
    }
    model_send(
        m, USCHAT_ID_SYNC_REQ,
        uschat_req_sync(t->thread_id, model_thread_gapless_seq(t), USCHAT_MAX(SYNC_REQ, limit)));
}

/* After new messages: a gap below them means pushes were lost; fetch what is missing. */
static void s_sync_gap(app_model_t *m, app_thread_t *t)
{
    if (t->history_asked && !t->syncing && m->conn == APP_CONN_ONLINE &&
        model_thread_gapless_seq(t) < model_thread_max_seq(t))
        s_sync(m, t);
}

/* ---- 1006: logged in --------------------------------------------------------------------- */

static void s_on_login(app_model_t *m, const json_t *body)
{
    uschat_login_rsp_t rsp;
    if (uschat_parse_login_rsp(body, &rsp) < 0 || rsp.error != 0 || rsp.self.uid <= 0) {
        if (!m->logged_in) {
            m->busy = false;
            snprintf(m->form_error, sizeof m->form_error, "%s",
                     m->resuming && rsp.error != 0 ? model_resume_refused()
                     : rsp.error == USCHAT_ERR_TOKEN_INVALID
                         ? "The login expired. Please log in again."
                         : "The chat server refused the login. Please try again.");
            m->form_info[0] = '\0';
        }
        model_changed(m);
        return;
    }
    bool again = m->logged_in && m->self.uid == rsp.self.uid;
    if (m->logged_in && !again)
        model_clear_session(m); /* another account on the same model: start clean */
    model_user_set(&m->self, &rsp.self);
    if (!*m->self.email && m->login_email) {
        free(m->self.email);
        m->self.email = model_strdup(m->login_email);
    }
    for (size_t i = 0; i < m->nfriends; i++)
        model_user_free(&m->friends[i]);
    m->nfriends = 0;
    size_t i;
    json_t *item;
    json_array_foreach(rsp.friend_list, i, item)
    {
        uschat_user_t u;
        if (uschat_parse_user(item, &u) == 0)
            model_friend_put(m, &u);
    }
    /* the server's list comes oldest first; ours shows the newest on top */
    for (size_t k = json_array_size(rsp.apply_list); k > 0; k--) {
        uschat_user_t u;
        if (uschat_parse_user(json_array_get(rsp.apply_list, k - 1), &u) < 0)
            continue;
        app_apply_t *a = model_apply_put(m, &u);
        if (a)
            a->accepted = u.status == 1 || app_model_friend(m, u.uid) != NULL;
    }
    if (!m->logged_in && m->login_email) {
        free(m->email_to_save);
        m->email_to_save = model_strdup(m->login_email);
    }
    m->logged_in = true;
    m->busy = false;
    m->screen = APP_SCREEN_MAIN;
    m->conn = APP_CONN_ONLINE;
    m->form_error[0] = m->form_info[0] = '\0';
    m->rows_dirty = true;
    model_send(m, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0));
    model_group_on_login(m);
    if (again) {
        for (size_t k = 0; k < m->nthreads; k++) {
            app_thread_t *t = m->threads[k];
            t->loading_older = false;
            if (t->history_asked)
                s_sync(m, t);
            for (size_t j = 0; j < t->nmsgs; j++)
                if (t->msgs[j].state == APP_MSG_SENDING)
                    s_send_text_item(m, t, &t->msgs[j]);
        }
        if (m->open_peer && !m->open_thread)
            model_send(m, USCHAT_ID_CREATE_PRIVATE_REQ, uschat_req_create_private(m->open_peer));
    }
    model_changed(m);
}

/* ---- threads and messages ------------------------------------------------------------------- */

/* Raises T's copy of the peer's read mark (1026/1030/1032 carry it, 1035 pushes it); a mark
 * never goes back. True when it moved. */
static bool s_peer_read(app_thread_t *t, int64_t seq)
{
    if (!t || seq <= t->peer_read)
        return false;
    t->peer_read = seq;
    return true;
}

static void s_on_thread_list(app_model_t *m, const json_t *body)
{
    uschat_thread_list_rsp_t rsp;
    if (uschat_parse_thread_list_rsp(body, &rsp) < 0 || rsp.error != 0)
        return;
    size_t i;
    json_t *item;
    json_array_foreach(rsp.threads, i, item)
    {
        uschat_thread_t th;
        if (uschat_parse_thread(item, &th) < 0 || th.thread_id <= 0)
            continue;
        int64_t peer = th.user1_id == m->self.uid ? th.user2_id : th.user1_id;
        app_thread_t *t = model_thread_get(m, th.thread_id, peer);
        if (!t)
            continue;
        if (th.last_seq > t->last_seq)
            t->last_seq = th.last_seq;
        t->unread = th.unread;
        s_peer_read(t, th.peer_read_seq);
        uschat_chat_msg_t last;
        if (th.last_msg && json_is_object(th.last_msg) &&
            uschat_parse_chat_msg(th.last_msg, &last) == 0 && *last.chat_time &&
            strcmp(last.chat_time, t->preview_time) >= 0)
            model_thread_set_preview(m, t, last.content, last.chat_time, last.sender);
        if (t->history_asked && !t->syncing && t->last_seq > model_thread_max_seq(t))
            s_sync(m, t);
    }
    if (rsp.load_more && rsp.next_last_id > 0)
        model_send(m, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(rsp.next_last_id));
    m->rows_dirty = true;
    model_changed(m);
}

static void s_on_create_private(app_model_t *m, const json_t *body)
{
    uschat_create_private_rsp_t rsp;
    if (uschat_parse_create_private_rsp(body, &rsp) < 0)
        return;
    if (rsp.error != 0 || rsp.thread_id <= 0) {
        model_notice(m, true, "Cannot open the chat: %s", uschat_strerror(rsp.error));
        return;
    }
    app_thread_t *t = model_thread_get(m, rsp.thread_id, rsp.other_id);
    if (t && m->open_peer == rsp.other_id && !m->open_thread) {
        m->open_thread = t->thread_id;
        if (!t->history_asked)
            s_ask_history(m, t);
    }
    model_changed(m);
}

static void s_on_history(app_model_t *m, const json_t *body)
{
    uschat_load_chat_rsp_t rsp;
    if (uschat_parse_load_chat_rsp(body, &rsp) < 0)
        return;
    app_thread_t *t = model_thread_find(m, rsp.thread_id);
    if (!t)
        return;
    t->loading_older = false;
    if (rsp.error != 0) {
        model_notice(m, true, "Cannot load the history: %s", uschat_strerror(rsp.error));
        return;
    }
    t->has_older = rsp.load_more != 0;
    s_peer_read(t, rsp.peer_read_seq);
    s_merge_items(m, t, rsp.chat_datas, 0);
    model_changed(m);
}

static void s_on_sync(app_model_t *m, const json_t *body)
{
    uschat_sync_rsp_t rsp;
    if (uschat_parse_sync_rsp(body, &rsp) < 0)
        return;
    app_thread_t *t = model_thread_find(m, rsp.thread_id);
    if (!t)
        return;
    t->syncing = false;
    if (rsp.error != 0)
        return;
    s_peer_read(t, rsp.peer_read_seq);
    s_merge_items(m, t, rsp.chat_datas, 0);
    if (rsp.has_more && json_array_size(rsp.chat_datas) > 0)
        s_sync(m, t);
    else if (json_array_size(rsp.chat_datas) > 0) /* a gap the page did not reach */
        s_sync_gap(m, t);
    model_changed(m);
}

static void s_on_text_ack(app_model_t *m, const json_t *body)
{
    uschat_text_chat_t rsp;
    if (uschat_parse_text_chat(body, &rsp) < 0)
        return;
    app_thread_t *t = model_thread_find(m, rsp.thread_id);
    if (!t)
        return;
    if (rsp.error != 0) {
        model_msg_fail_oldest(t, rsp.error);
        model_notice(m, true, "Message not sent: %s",
                     rsp.error == USCHAT_ERR_NOT_FRIENDS ? "you are not friends any more"
                                                         : uschat_strerror(rsp.error));
        return;
    }
    s_merge_items(m, t, rsp.chat_datas, m->self.uid);
    s_sync_gap(m, t);
    model_changed(m);
}

static void s_on_text_push(app_model_t *m, const json_t *body)
{
    uschat_text_chat_t rsp;
    if (uschat_parse_text_chat(body, &rsp) < 0 || rsp.error != 0 || rsp.fromuid <= 0)
        return;
    app_thread_t *t = model_thread_get(m, rsp.thread_id, rsp.fromuid);
    if (!t)
        return;
    s_merge_items(m, t, rsp.chat_datas, rsp.fromuid);
    s_sync_gap(m, t);
    model_changed(m);
}

static void s_on_read(app_model_t *m, const json_t *body)
{
    uschat_notify_read_t rsp;
    if (uschat_parse_notify_read(body, &rsp) < 0 || rsp.reader == m->self.uid)
        return;
    if (s_peer_read(model_thread_find(m, rsp.thread_id), rsp.seq))
        model_changed(m);
}

/* ---- friends ------------------------------------------------------------------------------ */

static void s_on_search(app_model_t *m, const json_t *body)
{
    uschat_search_rsp_t rsp;
    if (m->search_state != APP_SEARCH_BUSY || uschat_parse_search_rsp(body, &rsp) < 0)
        return;
    if (rsp.error != 0 || rsp.user.uid <= 0) {
        m->search_state = APP_SEARCH_NOT_FOUND;
    } else {
        model_user_set(&m->search_result, &rsp.user);
        m->search_state = APP_SEARCH_FOUND;
    }
    model_changed(m);
}

static void s_on_apply_rsp(app_model_t *m, const json_t *body)
{
    int error = 0;
    if (m->apply_state != APP_APPLY_SENDING || uschat_parse_error(body, &error) < 0)
        return;
    m->apply_state = error ? APP_APPLY_FAILED : APP_APPLY_SENT;
    if (error)
        model_notice(m, true, "Friend request not sent: %s", uschat_strerror(error));
    else
        model_notice(m, false, "Friend request sent to %s.",
                     app_model_display_name(m, m->apply_target));
}

static void s_on_apply_push(app_model_t *m, const json_t *body)
{
    uschat_notify_add_friend_t rsp;
    if (uschat_parse_notify_add_friend(body, &rsp) < 0 || rsp.applicant.uid <= 0)
        return;
    app_apply_t *a = model_apply_put(m, &rsp.applicant);
    if (!a)
        return;
    a->accepted = app_model_friend(m, rsp.applicant.uid) != NULL;
    model_notice(m, false, "%s wants to be your friend.", model_user_name(&a->user));
}

/* 1014 (I accepted) and 1015 (my request was accepted). */
static void s_on_auth(app_model_t *m, uint16_t id, const json_t *body)
{
    uschat_auth_friend_t rsp;
    if (uschat_parse_auth_friend(body, &rsp) < 0)
        return;
    if (id == USCHAT_ID_AUTH_FRIEND_RSP && rsp.error != 0) {
        for (size_t i = 0; i < m->napplies; i++)
            m->applies[i].accepting = false;
        model_notice(m, true, "Could not accept: %s", uschat_strerror(rsp.error));
        return;
    }
    if (id == USCHAT_ID_NOTIFY_AUTH_FRIEND && rsp.peer.uid <= 0)
        rsp.peer.uid = rsp.fromuid;
    if (rsp.peer.uid <= 0)
        return;
    model_friend_put(m, &rsp.peer);
    app_apply_t *a = model_apply_find(m, rsp.peer.uid);
    if (a) {
        a->accepted = true;
        a->accepting = false;
    }
    app_thread_t *t = model_thread_get(m, rsp.thread_id, rsp.peer.uid);
    if (t)
        s_merge_items(m, t, rsp.chat_datas, rsp.peer.uid);
    const char *name = app_model_display_name(m, rsp.peer.uid);
    if (id == USCHAT_ID_AUTH_FRIEND_RSP)
        model_notice(m, false, "You and %s are now friends.", name);
    else
        model_notice(m, false, "%s accepted your friend request.", name);
}

static void s_on_kicked(app_model_t *m, const json_t *body)
{
    const char *why =
        json_string_value(json_object_get(body, USCHAT_FIELD(NOTIFY_OFFLINE, reason)));
    model_clear_session(m);
    m->remember = false; /* the kept token is void: the network thread forgot it */
    m->conn = APP_CONN_OFFLINE;
    m->screen = APP_SCREEN_LOGIN;
    if (why && strcmp(why, "password_reset") == 0)
        snprintf(m->form_error, sizeof m->form_error,
                 "Your password was changed, so you were logged out. Log in with the new one.");
    else if (why && strcmp(why, "revoked") == 0)
        snprintf(m->form_error, sizeof m->form_error,
                 "The server ended this session. Log in again.");
    else
        snprintf(m->form_error, sizeof m->form_error,
                 "You were logged in on another device, so this one was logged out.");
    m->form_info[0] = '\0';
    model_changed(m);
}

void app_model_on_message(app_model_t *m, uint16_t id, const json_t *body)
{
    if (!json_is_object(body))
        return;
    if (id == USCHAT_ID_LOGIN_RSP) {
        if (m->logged_in || m->busy)
            s_on_login(m, body);
        return;
    }
    if (!m->logged_in)
        return; /* left over from a session that is gone */
    switch (id) {
    case USCHAT_ID_SEARCH_RSP:
        s_on_search(m, body);
        break;
    case USCHAT_ID_ADD_FRIEND_RSP:
        s_on_apply_rsp(m, body);
        break;
    case USCHAT_ID_NOTIFY_ADD_FRIEND:
        s_on_apply_push(m, body);
        break;
    case USCHAT_ID_AUTH_FRIEND_RSP:
    case USCHAT_ID_NOTIFY_AUTH_FRIEND:
        s_on_auth(m, id, body);
        break;
    case USCHAT_ID_TEXT_CHAT_RSP:
        s_on_text_ack(m, body);
        break;
    case USCHAT_ID_NOTIFY_TEXT_CHAT:
        s_on_text_push(m, body);
        break;
    case USCHAT_ID_NOTIFY_OFFLINE:
        s_on_kicked(m, body);
        break;
    case USCHAT_ID_THREAD_LIST_RSP:
        s_on_thread_list(m, body);
        break;
    case USCHAT_ID_CREATE_PRIVATE_RSP:
        s_on_create_private(m, body);
        break;
    case USCHAT_ID_LOAD_CHAT_RSP:
        s_on_history(m, body);
        break;
    case USCHAT_ID_SYNC_RSP:
        s_on_sync(m, body);
        break;
    case USCHAT_ID_NOTIFY_READ:
        s_on_read(m, body);
        break;
    case USCHAT_ID_UPDATE_PROFILE_RSP:
    case USCHAT_ID_NOTIFY_PROFILE:
        model_on_profile(m, id, body); /* model_profile.c */
        break;
    case USCHAT_ID_SET_REMARK_RSP:
    case USCHAT_ID_REMOVE_FRIEND_RSP:
    case USCHAT_ID_NOTIFY_REMOVE_FRIEND:
    case USCHAT_ID_DECLINE_FRIEND_RSP:
    case USCHAT_ID_NOTIFY_DECLINE_FRIEND:
        model_on_friendship(m, id, body); /* model_friends.c */
        break;
    default: /* groups; 1024 heartbeat, 1034 read mark: nothing to show */
        model_group_on_message(m, id, body);
        break;
    }
}

/* ---- actions ----------------------------------------------------------------------------------
 */

void app_model_open_thread(app_model_t *m, int64_t thread_id)
{
    app_thread_t *t = model_thread_find(m, thread_id);
    if (!t)
        return;
    m->open_thread = thread_id;
    m->open_peer = t->peer;
    if (!t->history_asked)
        s_ask_history(m, t);
    model_changed(m);
}

void app_model_open_peer(app_model_t *m, int64_t uid)
{
    app_thread_t *t = model_thread_of_peer(m, uid);
    if (t) {
        app_model_open_thread(m, t->thread_id);
        return;
    }
    m->open_thread = 0;
    m->open_peer = uid;
    model_send(m, USCHAT_ID_CREATE_PRIVATE_REQ, uschat_req_create_private(uid));
    model_changed(m);
}

void app_model_close_conversation(app_model_t *m)
{
    m->open_thread = m->open_peer = 0;
    model_changed(m);
}

int app_model_send_text(app_model_t *m, const char *text)
{
    app_thread_t *t = model_open(m);
    if (!t || !text)
        return -1;
    char *clean = utf8_clean(text, strlen(text));
    if (!clean)
        return -1;
    /* no blank message, and no blank lines around one */
    char *start = clean;
    while (*start == ' ' || *start == '\n' || *start == '\t')
        start++;
    size_t len = strlen(start);
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\n' || start[len - 1] == '\t'))
        len--;
    int sent = 0;
    char now[20];
    timefmt_now_utc(now, sizeof now);
    while (len > 0) {
        size_t piece = utf8_cut(start, len, USCHAT_MAX(TEXT_ITEM, content));
        char unique_id[64];
        app_msg_t *msg = NULL;
        if (uschat_unique_id(m->self.uid, unique_id, sizeof unique_id) == 0)
            msg = model_msg_add_pending(t, m->self.uid, start, piece, unique_id, now);
        if (!msg)
            break;
        s_send_text_item(m, t, msg);
        sent++;
        start += piece;
        len -= piece;
    }
    free(clean);
    if (!sent)
        return -1;
    model_thread_touch(m, t);
    model_changed(m);
    return 0;
}

void app_model_resend(app_model_t *m, size_t index)
{
    app_thread_t *t = model_open(m);
    if (!t || index >= t->nmsgs || t->msgs[index].state != APP_MSG_FAILED)
        return;
    t->msgs[index].state = APP_MSG_SENDING;
    t->msgs[index].layout_width = 0;
    s_send_text_item(m, t, &t->msgs[index]);
    model_changed(m);
}

bool app_model_load_older(app_model_t *m)
{
    app_thread_t *t = model_open(m);
    if (t && t->group)
        return model_group_load_older(m, t);
    if (!t || !t->has_older || t->loading_older || t->nmsgs == 0 || t->msgs[0].message_id <= 0)
        return false;
    t->loading_older = true;
    model_send(m, USCHAT_ID_LOAD_CHAT_REQ,
               uschat_req_load_older(t->thread_id, t->msgs[0].message_id));
    model_changed(m);
    return true;
}

void app_model_mark_read(app_model_t *m)
{
    app_thread_t *t = model_open(m);
    if (!t)
        return;
    int64_t seq = model_thread_max_seq(t);
    if (t->unread) {
        t->unread = 0;
        model_changed(m);
    }
    if (seq > t->read_sent && m->conn == APP_CONN_ONLINE) {
        t->read_sent = seq;
        if (t->group)
            model_group_mark_read(m, t, seq);
        else
            model_send(m, USCHAT_ID_READ_MARK_REQ, uschat_req_read_mark(t->thread_id, seq));
    }
}

void app_model_search(app_model_t *m, const char *query)
{
    while (query && *query == ' ')
        query++;
    size_t n = query ? strlen(query) : 0;
    while (n > 0 && query[n - 1] == ' ')
        n--;
    m->apply_state = APP_APPLY_NONE;
    if (n == 0 || n > 64) {
        m->search_state = APP_SEARCH_NONE;
        model_changed(m);
        return;
    }
    char q[72];
    memcpy(q, query, n);
    q[n] = '\0';
    m->search_state = APP_SEARCH_BUSY;
    model_send(m, USCHAT_ID_SEARCH_REQ, uschat_req_search(q));
    model_changed(m);
}

void app_model_add_friend(app_model_t *m, int64_t uid, const char *greeting)
{
    if (uid <= 0 || uid == m->self.uid || m->apply_state == APP_APPLY_SENDING)
        return;
    char text[128];
    if (!greeting || !*greeting) {
        snprintf(text, sizeof text, "Hi, I'm %s.", model_user_name(&m->self));
        greeting = text;
    }
    const char *back = m->search_result.uid == uid ? model_user_name(&m->search_result) : "";
    m->apply_state = APP_APPLY_SENDING;
    m->apply_target = uid;
    model_send(m, USCHAT_ID_ADD_FRIEND_REQ, uschat_req_add_friend(uid, greeting, back));
    model_changed(m);
}

void app_model_accept(app_model_t *m, int64_t uid)
{
    app_apply_t *a = model_apply_find(m, uid);
    if (!a || a->accepted || a->accepting)
        return;
    a->accepting = true;
    model_send(m, USCHAT_ID_AUTH_FRIEND_REQ,
               uschat_req_auth_friend(uid, model_user_name(&a->user)));
    model_changed(m);
}
