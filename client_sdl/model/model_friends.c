/* model_friends.c - the model's side of a friendship after it began: my remark name for a
 * friend (1091 -> 1092), removing a friend (1093 -> 1094; 1095 when the other one removed me)
 * and declining a friend request (1096 -> 1097; 1098 when mine was declined).
 *
 * A removed friend leaves the friend list but not the chat list: the conversation stays
 * readable, and its name comes from `former` (what the user was called when the friendship
 * ended); sending there is refused by the server with 1016, which model_chat.c says in words.
 * UI thread only.
 */
#include "model_internal.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

static void s_set(char **dst, const char *src)
{
    char *d = model_strdup(src);
    if (d) {
        free(*dst);
        *dst = d;
    }
}

int app_model_set_remark(app_model_t *m, int64_t uid, const char *back)
{
    back = back ? back : "";
    if (!app_model_friend(m, uid) || m->conn != APP_CONN_ONLINE) {
        model_notice(m, true, "The remark can be saved for a friend, once online.");
        return -1;
    }
    if (utf8_count(back, strlen(back)) > USCHAT_MAX(SET_REMARK_REQ, back)) {
        model_notice(m, true, "The remark is longer than %d characters.",
                     (int)USCHAT_MAX(SET_REMARK_REQ, back));
        return -1;
    }
    model_send(m, USCHAT_ID_SET_REMARK_REQ,
               json_pack("{sIss}", USCHAT_FIELD(SET_REMARK_REQ, touid), (json_int_t)uid,
                         USCHAT_FIELD(SET_REMARK_REQ, back), back));
    return 0;
}

int app_model_remove_friend(app_model_t *m, int64_t uid)
{
    if (!app_model_friend(m, uid) || m->conn != APP_CONN_ONLINE)
        return -1;
    model_send(m, USCHAT_ID_REMOVE_FRIEND_REQ,
               json_pack("{sI}", USCHAT_FIELD(REMOVE_FRIEND_REQ, touid), (json_int_t)uid));
    return 0;
}

int app_model_decline(app_model_t *m, int64_t uid)
{
    app_apply_t *a = model_apply_find(m, uid);
    if (!a || a->accepted || a->accepting || m->conn != APP_CONN_ONLINE)
        return -1;
    a->accepting = true; /* busy: neither button until the answer */
    model_send(m, USCHAT_ID_DECLINE_FRIEND_REQ,
               json_pack("{sI}", USCHAT_FIELD(DECLINE_FRIEND_REQ, touid), (json_int_t)uid));
    model_changed(m);
    return 0;
}

const app_user_t *model_former(const app_model_t *m, int64_t uid)
{
    for (size_t i = 0; i < m->nformer; i++)
        if (m->former[i].uid == uid)
            return &m->former[i];
    return NULL;
}

/* UID is no friend any more: out of the friend list, its name kept for the conversation. */
static void s_unfriend(app_model_t *m, int64_t uid)
{
    for (size_t i = 0; i < m->nfriends; i++) {
        if (m->friends[i].uid != uid)
            continue;
        app_user_t gone = m->friends[i];
        memmove(&m->friends[i], &m->friends[i + 1], (m->nfriends - i - 1) * sizeof *m->friends);
        m->nfriends--;
        app_user_t *former = model_former(m, uid) ? (app_user_t *)model_former(m, uid) : NULL;
        if (former) {
            model_user_free(former);
            *former = gone;
        } else {
            app_user_t *grown = realloc(m->former, (m->nformer + 1) * sizeof *grown);
            if (grown) {
                m->former = grown;
                m->former[m->nformer++] = gone;
            } else {
                model_user_free(&gone);
            }
        }
        m->rows_dirty = true;
        break;
    }
}

void model_former_free(app_model_t *m)
{
    for (size_t i = 0; i < m->nformer; i++)
        model_user_free(&m->former[i]);
    free(m->former);
    m->former = NULL;
    m->nformer = 0;
}

static int s_error(const json_t *body)
{
    json_t *e = json_object_get(body, USCHAT_FIELD(REMOVE_FRIEND_RSP, error));
    return json_is_integer(e) ? (int)json_integer_value(e) : USCHAT_ERR_JSON;
}

static int64_t s_uid(const json_t *body)
{
    json_t *u = json_object_get(body, USCHAT_FIELD(REMOVE_FRIEND_RSP, uid));
    return json_is_integer(u) ? (int64_t)json_integer_value(u) : 0;
}

void model_on_friendship(app_model_t *m, uint16_t id, const json_t *body)
{
    int error = s_error(body);
    int64_t uid = s_uid(body);
    switch (id) {
    case USCHAT_ID_SET_REMARK_RSP: {
        app_user_t *f = (app_user_t *)app_model_friend(m, uid);
        const char *back =
            json_string_value(json_object_get(body, USCHAT_FIELD(SET_REMARK_RSP, back)));
        if (error || !f || !back) {
            model_notice(m, true, "The remark was not saved: %s.",
                         uschat_strerror(error ? error : USCHAT_ERR_JSON));
            return;
        }
        s_set(&f->back, back);
        uschat_user_t same = {.uid = f->uid,
                              .name = f->name,
                              .email = f->email,
                              .nick = f->nick,
                              .desc = f->desc,
                              .icon = f->icon,
                              .back = f->back,
                              .sex = f->sex};
        model_friend_put(m, &same); /* sorted again: the remark is the name shown */
        model_notice(m, false, "Remark saved");
        break;
    }
    case USCHAT_ID_REMOVE_FRIEND_RSP:
    case USCHAT_ID_NOTIFY_REMOVE_FRIEND: {
        if (error || uid <= 0) {
            model_notice(m, true, "The friend was not removed: %s.",
                         uschat_strerror(error ? error : USCHAT_ERR_JSON));
            return;
        }
        char name[96];
        snprintf(name, sizeof name, "%s", app_model_display_name(m, uid));
        s_unfriend(m, uid);
        if (id == USCHAT_ID_REMOVE_FRIEND_RSP)
            model_notice(m, false, "%s is no longer your friend.", name);
        else
            model_notice(m, false, "%s removed you from their friends.", name);
        break;
    }
    case USCHAT_ID_DECLINE_FRIEND_RSP: {
        app_apply_t *a = model_apply_find(m, uid);
        if (a)
            a->accepting = false;
        if (error || !a) {
            model_notice(m, true, "The request was not declined: %s.",
                         uschat_strerror(error ? error : USCHAT_ERR_JSON));
            return;
        }
        char name[96];
        snprintf(name, sizeof name, "%s", app_model_display_name(m, uid));
        model_user_free(&a->user);
        size_t i = (size_t)(a - m->applies);
        memmove(a, a + 1, (m->napplies - i - 1) * sizeof *a);
        m->napplies--;
        model_notice(m, false, "You declined %s's friend request.", name);
        break;
    }
    case USCHAT_ID_NOTIFY_DECLINE_FRIEND: {
        const char *nick =
            json_string_value(json_object_get(body, USCHAT_FIELD(NOTIFY_DECLINE_FRIEND, nick)));
        const char *name =
            json_string_value(json_object_get(body, USCHAT_FIELD(NOTIFY_DECLINE_FRIEND, name)));
        if (error || uid <= 0)
            return;
        if (m->apply_target == uid && m->apply_state == APP_APPLY_SENT)
            m->apply_state = APP_APPLY_NONE; /* may ask again */
        model_notice(m, false, "%s declined your friend request.",
                     nick && *nick   ? nick
                     : name && *name ? name
                                     : "The user");
        break;
    }
    }
    model_changed(m);
}
