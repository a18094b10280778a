/* group_fixture.c - groups as the chat node sends them, for the desktop client's tests
 * (group_fixture.h). */
#include "group_fixture.h"

#include "check.h"
#include "model_fixture.h"
#include "uschat_client.h"

json_t *fx_gtext(int64_t gid, int64_t seq, int64_t sender, const char *unique_id,
                 const char *content, const char *chat_time)
{
    return json_pack("{sIsIsIsisIssssss}", "group_id", (json_int_t)gid, "msg_id",
                     (json_int_t)(gid * 1000 + seq), "seq", (json_int_t)seq, "kind", 0, "sender",
                     (json_int_t)sender, "unique_id", unique_id, "content", content, "chat_time",
                     chat_time);
}

json_t *fx_gevent(int64_t gid, int64_t seq, int64_t sender, const char *chat_time, json_t *event)
{
    char uid[48];
    snprintf(uid, sizeof uid, "ev-%lld-%lld", (long long)gid, (long long)seq);
    return json_pack("{sIsIsIsisIssssssso}", "group_id", (json_int_t)gid, "msg_id",
                     (json_int_t)(gid * 1000 + seq), "seq", (json_int_t)seq, "kind", 3, "sender",
                     (json_int_t)sender, "unique_id", uid, "content", "", "chat_time", chat_time,
                     "event", event);
}

json_t *fx_group(int64_t gid, const char *name, int role, int64_t members, int64_t last_seq,
                 int64_t unread, json_t *last_msg)
{
    return json_pack("{sIsssssIsisIsbsbsbsIsIsIsIsIso}", "group_id", (json_int_t)gid, "name", name,
                     "announcement", "", "owner", (json_int_t)(role == 2 ? FX_ME : 2002), "role",
                     role, "members", (json_int_t)members, "members_invite", 1, "mute_all", 0,
                     "dissolved", 0, "muted_until", (json_int_t)0, "last_seq", (json_int_t)last_seq,
                     "join_seq", (json_int_t)0, "read_seq", (json_int_t)(last_seq - unread),
                     "unread", (json_int_t)unread, "last_msg", last_msg ? last_msg : json_null());
}

void fx_group_list(app_model_t *m, json_t *groups)
{
    fx_feed(m, USCHAT_ID_GROUP_LIST_RSP,
            json_pack("{sisbsIso}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "groups", groups));
}

void fx_group_push(app_model_t *m, int64_t gid, json_t *items)
{
    fx_feed(m, USCHAT_ID_NOTIFY_GROUP_MSG,
            json_pack("{sisIso}", "error", 0, "group_id", (json_int_t)gid, "chat_datas", items));
}

void fx_group_page(app_model_t *m, int64_t gid, int more, json_t *items)
{
    fx_feed(m, USCHAT_ID_GROUP_SYNC_RSP,
            json_pack("{sisIsbsIso}", "error", 0, "group_id", (json_int_t)gid, "has_more", more,
                      "join_seq", (json_int_t)0, "chat_datas", items));
}

void fx_group_ack(app_model_t *m, int64_t gid, json_t *items)
{
    fx_feed(m, USCHAT_ID_GROUP_TEXT_RSP,
            json_pack("{sisIso}", "error", 0, "group_id", (json_int_t)gid, "chat_datas", items));
}

void fx_group_members(app_model_t *m, int64_t gid, size_t n, const int64_t *uids,
                      const char *const *nicks, const int *roles, const int64_t *muted)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list,
                              json_pack("{sIsssssssisI}", "uid", (json_int_t)uids[i], "name",
                                        nicks[i], "nick", nicks[i], "icon", "", "role", roles[i],
                                        "muted_until", (json_int_t)(muted ? muted[i] : 0)));
    fx_feed(m, USCHAT_ID_GROUP_MEMBERS_RSP,
            json_pack("{sisIsbsIso}", "error", 0, "group_id", (json_int_t)gid, "load_more", 0,
                      "next_uid", (json_int_t)0, "members", list));
}
