/* group_fixture.h - groups in the desktop client's tests the way the chat node sends them:
 * a GROUP_ITEM of 1076, GROUP_MSG_ITEMs (texts and events) and the replies and pushes that
 * carry them (1076, 1079, 1081, 1085). Shared by the model and UI tests. Main thread only.
 */
#ifndef USCHAT_TEST_GROUP_FIXTURE_H
#define USCHAT_TEST_GROUP_FIXTURE_H

#include <jansson.h>
#include <stdint.h>

#include "app_model.h"

/* A text of a group (GROUP_MSG_ITEM, kind 0; msg_id gid * 1000 + seq). New reference. */
json_t *fx_gtext(int64_t gid, int64_t seq, int64_t sender, const char *unique_id,
                 const char *content, const char *chat_time);
/* An event of a group (kind 1) with EVENT (taken over; a GROUP_EVENT_ITEM). New reference. */
json_t *fx_gevent(int64_t gid, int64_t seq, int64_t sender, const char *chat_time, json_t *event);
/* A GROUP_ITEM: my ROLE, MEMBERS members, LAST_SEQ, UNREAD, LAST_MSG (taken over; NULL:
 * none). New reference. */
json_t *fx_group(int64_t gid, const char *name, int role, int64_t members, int64_t last_seq,
                 int64_t unread, json_t *last_msg);
/* 1076 with GROUPS (taken over: an array of fx_group()). */
void fx_group_list(app_model_t *m, json_t *groups);
/* 1079 / 1081 (join_seq 0, has_more MORE) / 1078 with ITEMS (taken over). */
void fx_group_push(app_model_t *m, int64_t gid, json_t *items);
void fx_group_page(app_model_t *m, int64_t gid, int more, json_t *items);
void fx_group_ack(app_model_t *m, int64_t gid, json_t *items);
/* 1085 with the members (uid, name, nick as in fx_user_t), ROLES and MUTED (their
 * muted_until; NULL: nobody muted), one per member. */
void fx_group_members(app_model_t *m, int64_t gid, size_t n, const int64_t *uids,
                      const char *const *nicks, const int *roles, const int64_t *muted);

#endif
