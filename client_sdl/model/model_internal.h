/* model_internal.h - the model's private state and the helpers its three files share:
 *   app_model.c     life cycle, outbox, screens, forms and the gate, connection state, notices
 *   model_store.c   users, threads and messages: merge by seq, dedup, order, chat list rows
 *   model_chat.c    chat node messages in (1006..1035) and the chat actions out
 * UI thread only, like the model itself.
 */
#ifndef USCHAT_SDL_MODEL_INTERNAL_H
#define USCHAT_SDL_MODEL_INTERNAL_H

#include "app_model.h"
#include "model_avatar.h"
#include "model_files.h"
#include "uschat_client.h"
#include "uschat/printf_attr.h"

#define MODEL_TEXT_MAX 256

struct app_model {
    app_screen_t screen;
    app_tab_t tab;
    app_conn_t conn;
    int64_t retry_at_ms;
    bool busy; /* a gate request is under way */
    char form_error[MODEL_TEXT_MAX];
    char form_info[MODEL_TEXT_MAX];
    char *form_email;    /* prefill of the forms */
    char *login_email;   /* email of the login under way */
    char *email_to_save; /* after a successful login */
    int64_t code_sent_ms;
    bool code_sent;
    bool logged_in;      /* a 1006 with error 0 arrived since the last logout */
    bool remember;       /* the login is kept in the config folder (the network thread's) */
    bool resuming;       /* logging in with the kept login, no password typed */
    bool profile_saving; /* a 1086 is in flight */

    app_user_t self;
    app_user_t *friends; /* sorted by display name */
    size_t nfriends, friends_cap;
    app_user_t *former; /* friends no longer: their names, for the conversations kept */
    size_t nformer;
    app_apply_t *applies; /* newest first */
    size_t napplies, applies_cap;

    app_thread_t **threads; /* in arrival order; `order` is the chat list's view */
    size_t nthreads, threads_cap;
    app_chat_row_t *rows;
    size_t nrows, rows_cap;
    bool rows_dirty;
    uint64_t activity;

    int64_t open_thread; /* 0 when none */
    int64_t open_peer;   /* 0 when none */

    app_search_state_t search_state;
    app_user_t search_result;
    app_apply_state_t apply_state;
    int64_t apply_target;

    char notice[MODEL_TEXT_MAX];
    unsigned notice_serial;
    bool notice_error;

    struct model_files *files;     /* pictures and files (model_files.c), NULL when none */
    struct model_avatars *avatars; /* avatar pictures (model_avatar.c), NULL when none */

    app_cmd_t *out_head, *out_tail;
    uint64_t version;
    char name_buf[48];
};

/* ---- app_model.c ------------------------------------------------------------------------ */

void model_changed(app_model_t *m);
void model_notice(app_model_t *m, bool is_error, const char *fmt, ...) USCHAT_PRINTF(3, 4);
/* Queues a chat node request (takes BODY; a NULL body, a failed builder, is dropped). */
void model_send(app_model_t *m, uint16_t id, json_t *body);
/* Back to an empty, logged-out model (keeps the form email). */
void model_clear_session(app_model_t *m);
/* The open conversation's thread, NULL when none (or while it is being created). */
app_thread_t *model_open(const app_model_t *m);

/* The user's actions behind app_model_act() (app_model.h says what each does). */
int app_model_login(app_model_t *m, const char *email, const char *passwd);
int app_model_request_code(app_model_t *m, const char *email, int64_t now_ms);
int app_model_register(app_model_t *m, const char *email, const char *code, const char *user,
                       const char *passwd, const char *confirm);
int app_model_reset(app_model_t *m, const char *email, const char *code, const char *user,
                    const char *passwd);
void app_model_logout(app_model_t *m);
void app_model_retry_now(app_model_t *m);
void app_model_show(app_model_t *m, app_screen_t screen);
void app_model_set_tab(app_model_t *m, app_tab_t tab);
void app_model_email_saved(app_model_t *m);

/* Queues a command in the outbox (taken). */
void model_queue(app_model_t *m, app_cmd_t *c);

/* ---- model_profile.c ---------------------------------------------------------------------- */

int app_model_save_profile(app_model_t *m, const char *nick, int sex, const char *desc);
void app_model_set_remember(app_model_t *m, bool on);
int app_model_resume(app_model_t *m, const char *email);
int app_model_set_gate(app_model_t *m, const char *url);
/* 1087 and 1088 (BODY borrowed). */
void model_on_profile(app_model_t *m, uint16_t id, const json_t *body);
/* What the login form says when the kept login is refused. */
const char *model_resume_refused(void);

/* ---- model_friends.c ---------------------------------------------------------------------- */

int app_model_set_remark(app_model_t *m, int64_t uid, const char *back);
int app_model_remove_friend(app_model_t *m, int64_t uid);
int app_model_decline(app_model_t *m, int64_t uid);
/* 1092, 1094, 1095, 1097, 1098 (BODY borrowed). */
void model_on_friendship(app_model_t *m, uint16_t id, const json_t *body);
/* A former friend by uid, or NULL; and freeing them all (at the end of a session). */
const app_user_t *model_former(const app_model_t *m, int64_t uid);
void model_former_free(app_model_t *m);

/* ---- model_store.c ------------------------------------------------------------------------ */

char *model_strdup(const char *s);
void model_user_set(app_user_t *u, const uschat_user_t *src);
void model_user_free(app_user_t *u);
const char *model_user_name(const app_user_t *u);

/* Adds or updates a friend (sorted by name). */
void model_friend_put(app_model_t *m, const uschat_user_t *src);
/* Adds or updates an incoming request; returns it. */
app_apply_t *model_apply_put(app_model_t *m, const uschat_user_t *src);
app_apply_t *model_apply_find(app_model_t *m, int64_t uid);

app_thread_t *model_thread_find(const app_model_t *m, int64_t thread_id);
int64_t model_unread_total(const app_model_t *m);
app_thread_t *model_thread_of_peer(const app_model_t *m, int64_t peer);
/* The thread, created with PEER when new (PEER 0 leaves an existing peer alone). */
app_thread_t *model_thread_get(app_model_t *m, int64_t thread_id, int64_t peer);
void model_threads_free(app_model_t *m);
/* A group's thread (key -GROUP_ID, peer the same, with its app_group_t), created when new;
 * NULL when GROUP_ID is not one or out of memory. */
app_thread_t *model_group_thread(app_model_t *m, int64_t group_id);
/* The message of T with SEQ, or NULL. */
app_msg_t *model_msg_at_seq(app_thread_t *t, int64_t seq);

/* Merges a committed message into T (by seq; a sending message with the same unique_id and
 * sender becomes this one). Returns 1 when it is new to T, 0 when it was known (updated), -1
 * when out of memory or the item is unusable. */
int model_msg_merge(app_model_t *m, app_thread_t *t, const uschat_chat_msg_t *msg, int64_t sender);
/* Appends a SENDING message of mine; returns it (valid until the thread changes) or NULL. */
app_msg_t *model_msg_add_pending(app_thread_t *t, int64_t sender, const char *content, size_t len,
                                 const char *unique_id, const char *chat_time);
/* The oldest SENDING message of T, or NULL. */
app_msg_t *model_msg_oldest_sending(app_thread_t *t);
/* A refused text: the answer carries no unique_id, so it is my oldest message still sending in
 * T (the node answers one user's requests in order); marks it FAILED with ERROR. */
void model_msg_fail_oldest(app_thread_t *t, int error);
/* Highest committed seq held in T (0 when none). */
int64_t model_thread_max_seq(const app_thread_t *t);
/* Highest committed seq held in T before the first gap above the oldest one held (0 when none):
 * what a sync continues from, so a push that came past missed messages does not hide them. */
int64_t model_thread_gapless_seq(const app_thread_t *t);
/* Makes the thread's preview the newest message held when it is newer than the preview. */
void model_thread_touch(app_model_t *m, app_thread_t *t);
/* Sets the preview from a message (e.g. 1026's last_msg). */
void model_thread_set_preview(app_model_t *m, app_thread_t *t, const char *content,
                              const char *chat_time, int64_t sender);

/* ---- model_chat.c ------------------------------------------------------------------------- */

/* The chat actions behind app_model_act(). */
void app_model_open_thread(app_model_t *m, int64_t thread_id);
void app_model_open_peer(app_model_t *m, int64_t uid);
void app_model_close_conversation(app_model_t *m);
int app_model_send_text(app_model_t *m, const char *text);
void app_model_resend(app_model_t *m, size_t index);
bool app_model_load_older(app_model_t *m);
void app_model_mark_read(app_model_t *m);
void app_model_search(app_model_t *m, const char *query);
void app_model_add_friend(app_model_t *m, int64_t uid, const char *greeting);
void app_model_accept(app_model_t *m, int64_t uid);

/* ---- model_group.c ------------------------------------------------------------------------- */

/* The group actions of app_model_act() (app_model.h). */
int model_group_act(app_model_t *m, const app_act_t *a);
/* 1062..1085 (BODY borrowed); false when ID is not a group message. */
bool model_group_on_message(app_model_t *m, uint16_t id, const json_t *body);
/* After a login: the group list (1075). */
void model_group_on_login(app_model_t *m);
/* What model_chat.c does the same way for a group's thread T: send one of my texts (1077),
 * ask the newest page (1080 before the last seq), the page before the oldest held, a sync
 * from the first gap, the read mark (1082). */
void model_group_send_text(app_model_t *m, const app_thread_t *t, const app_msg_t *msg);
void model_group_ask_history(app_model_t *m, app_thread_t *t);
bool model_group_load_older(app_model_t *m, app_thread_t *t);
void model_group_sync(app_model_t *m, app_thread_t *t);
void model_group_mark_read(app_model_t *m, app_thread_t *t, int64_t seq);
/* The name of a group (UID = -group_id) or of a member of one of my groups; "User <uid>" or
 * "Group <id>" when unknown (in m->name_buf). */
const char *model_group_name(const app_model_t *m, int64_t uid);
/* The icon of UID as a member of one of my groups lists it, or NULL when none. */
const char *model_group_icon(const app_model_t *m, int64_t uid);
void model_group_free(app_group_t *g);

#endif
