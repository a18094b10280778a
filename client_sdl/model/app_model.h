/* app_model.h - the desktop client's model: who I am, my friends and friend requests, my
 * threads and their messages, which screen is shown and what the user is waiting for. No SDL,
 * no sockets: it changes only through
 *   - events from the network thread (app_model_on_conn / _on_gate / _on_message: the chat
 *     node's messages as the client library parses them), and
 *   - actions of the user, called by the UI (app_model_login, _send_text, _open_*, ...),
 * and it speaks to the network only by queueing commands (app_cmd_t) in its outbox, which the
 * UI thread drains into net_thread. That keeps every rule of the client (message order by seq,
 * dedup, unread counts, thread order, what to sync after a reconnect) testable without SDL.
 *
 * Reading: the structs below are read-only views for the UI; pointers returned by the
 * accessors stay valid until the next call that changes the model (any _on_* or action).
 * Owned by the UI thread; not thread-safe.
 */
#ifndef USCHAT_SDL_APP_MODEL_H
#define USCHAT_SDL_APP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "app_cmd.h"

typedef enum {
    APP_SCREEN_LOGIN = 0,
    APP_SCREEN_REGISTER,
    APP_SCREEN_RESET,
    APP_SCREEN_MAIN,
} app_screen_t;

typedef enum {
    APP_TAB_CHATS = 0,
    APP_TAB_CONTACTS,
} app_tab_t;

typedef struct {
    int64_t uid;
    char *name, *nick, *email, *desc, *icon, *back; /* never NULL ("" when unknown) */
    int sex;
} app_user_t;

typedef struct {
    app_user_t user; /* user.desc is the greeting */
    bool accepted;
    bool accepting; /* 1013 sent, no 1014 yet */
} app_apply_t;

typedef enum {
    APP_MSG_SENT = 0, /* committed by the server (has message_id and seq) */
    APP_MSG_SENDING,  /* queued or in flight */
    APP_MSG_FAILED,   /* the server refused it (the user may retry) */
} app_msg_state_t;

typedef struct {
    int64_t message_id; /* 0 until committed */
    int64_t seq;        /* 0 until committed */
    int64_t sender;
    char *unique_id;
    char *content;
    char chat_time[20]; /* UTC "YYYY-MM-DD HH:MM:SS"; the local send time while sending */
    app_msg_state_t state;
    int error; /* the server's code for a FAILED message */
    /* Scratch for the UI (bubble height at a given width), reset when the message changes. */
    int layout_width, layout_height;
} app_msg_t;

typedef struct {
    int64_t thread_id;
    int64_t peer;    /* the other member's uid */
    app_msg_t *msgs; /* committed ones by seq, then sending/failed ones in the order sent */
    size_t nmsgs;
    int64_t last_seq;  /* highest seq known to exist (server's last_seq, or held) */
    int64_t unread;    /* the peer's messages past my read mark */
    int64_t read_sent; /* highest seq I marked read */
    int64_t peer_read; /* the peer's read mark (1035) */
    char *preview;     /* the last message's text ("" when none) */
    char preview_time[20];
    int64_t preview_sender;
    bool history_asked; /* the newest page was requested (1029 with cursor 0) */
    bool has_older;     /* the server said load_more */
    bool loading_older; /* a 1029 is in flight */
    bool syncing;       /* a 1031 is in flight */
    uint64_t activity;  /* local tie-break for the thread order */
    size_t cap;
} app_thread_t;

/* One row of the chat list: a thread (with its peer when known) or a friend without a thread
 * yet. */
typedef struct {
    const app_thread_t *thread; /* NULL for a friend without a thread */
    const app_user_t *peer;     /* NULL when the peer is not a friend (name unknown) */
    int64_t peer_uid;
} app_chat_row_t;

typedef enum {
    APP_SEARCH_NONE = 0,
    APP_SEARCH_BUSY,
    APP_SEARCH_FOUND,
    APP_SEARCH_NOT_FOUND,
} app_search_state_t;

typedef enum {
    APP_APPLY_NONE = 0,
    APP_APPLY_SENDING,
    APP_APPLY_SENT,
    APP_APPLY_FAILED,
} app_apply_state_t;

typedef struct app_model app_model_t;

/* A model on the login screen, offline. LAST_EMAIL (may be NULL) prefills the login form
 * (app_model_form_email). NULL when out of memory. */
app_model_t *app_model_new(const char *last_email);
/* NULL-safe, sets *p to NULL; frees queued commands too. */
void app_model_destroy(app_model_t **p);

/* ---- outbox --------------------------------------------------------------------------- */

/* The oldest queued command (caller owns it: app_cmd_destroy or hand it to net_thread), or
 * NULL. */
app_cmd_t *app_model_take_cmd(app_model_t *m);

/* ---- events from the network thread ----------------------------------------------------- */

/* NOW_MS: the caller's monotonic clock (used for the reconnect countdown). ERROR: the local
 * reason the connection went down (USCHAT_E_*), 0 when none. */
void app_model_on_conn(app_model_t *m, app_conn_t conn, int retry_ms, int error, int64_t now_ms);
/* The result of a gate operation: RC is the library's local result (0 = the gate answered),
 * ERROR the gate's code. */
void app_model_on_gate(app_model_t *m, app_gate_op_t op, int rc, int error, int64_t now_ms);
/* A message from the chat node (BODY borrowed). */
void app_model_on_message(app_model_t *m, uint16_t id, const json_t *body);
/* Convenience: dispatches an event to the three above (EV borrowed). */
void app_model_on_event(app_model_t *m, const app_ev_t *ev, int64_t now_ms);

/* ---- user actions ------------------------------------------------------------------------ */

void app_model_show(app_model_t *m, app_screen_t screen); /* LOGIN / REGISTER / RESET */
void app_model_set_tab(app_model_t *m, app_tab_t tab);
/* Forms: each checks its fields (the error shows on the form) and queues a gate command.
 * 0 when queued, -1 when a field is wrong or a request is already under way. */
int app_model_login(app_model_t *m, const char *email, const char *passwd);
int app_model_request_code(app_model_t *m, const char *email, int64_t now_ms);
int app_model_register(app_model_t *m, const char *email, const char *code, const char *user,
                       const char *passwd, const char *confirm);
int app_model_reset(app_model_t *m, const char *email, const char *code, const char *user,
                    const char *passwd);
void app_model_logout(app_model_t *m);
void app_model_retry_now(app_model_t *m);

/* Opens the conversation of THREAD_ID (asks for its newest page the first time). */
void app_model_open_thread(app_model_t *m, int64_t thread_id);
/* Opens the conversation with friend UID, creating the thread (1027) when there is none. */
void app_model_open_peer(app_model_t *m, int64_t uid);
void app_model_close_conversation(app_model_t *m);
/* Sends TEXT to the open conversation (split into pieces of at most 4096 bytes; blank text is
 * ignored). 0, or -1 when nothing was sent. */
int app_model_send_text(app_model_t *m, const char *text);
/* Sends a FAILED message of the open conversation again (index into its msgs). */
void app_model_resend(app_model_t *m, size_t index);
/* Asks for the page before the oldest message held in the open conversation (once at a
 * time, only while the server says there is more). True when a request went out. */
bool app_model_load_older(app_model_t *m);
/* The open conversation is on screen and scrolled to its newest message: mark it read. */
void app_model_mark_read(app_model_t *m);

void app_model_search(app_model_t *m, const char *query);
/* Sends a friend request to the found user with GREETING (NULL: a default one). */
void app_model_add_friend(app_model_t *m, int64_t uid, const char *greeting);
void app_model_accept(app_model_t *m, int64_t uid);

/* ---- state for the UI ---------------------------------------------------------------------- */

app_screen_t app_model_screen(const app_model_t *m);
app_tab_t app_model_tab(const app_model_t *m);
app_conn_t app_model_conn(const app_model_t *m);
/* Milliseconds until the next reconnect (RECONNECTING only; 0 otherwise). */
int app_model_retry_in(const app_model_t *m, int64_t now_ms);
/* Gate request under way (forms show it and refuse a second submit). */
bool app_model_busy(const app_model_t *m);
/* Form feedback: error (red) or info (green) text, "" when none. */
const char *app_model_form_error(const app_model_t *m);
const char *app_model_form_info(const app_model_t *m);
/* The email to prefill (last one used). */
const char *app_model_form_email(const app_model_t *m);
/* Milliseconds before another code may be asked for (the gate allows one a minute). */
int app_model_code_wait(const app_model_t *m, int64_t now_ms);
/* The email of a successful login not yet saved (the UI saves it and calls _saved). */
const char *app_model_email_to_save(const app_model_t *m);
void app_model_email_saved(app_model_t *m);

const app_user_t *app_model_self(const app_model_t *m);
size_t app_model_friend_count(const app_model_t *m);
const app_user_t *app_model_friend_at(const app_model_t *m, size_t i); /* sorted by name */
const app_user_t *app_model_friend(const app_model_t *m, int64_t uid);
size_t app_model_apply_count(const app_model_t *m);
const app_apply_t *app_model_apply_at(const app_model_t *m, size_t i); /* newest first */
size_t app_model_pending_apply_count(const app_model_t *m);

/* The chat list: threads by their last message (newest first), then friends without a thread
 * by name. */
size_t app_model_chat_count(const app_model_t *m);
app_chat_row_t app_model_chat_at(const app_model_t *m, size_t i);
size_t app_model_thread_count(const app_model_t *m);
const app_thread_t *app_model_thread(const app_model_t *m, int64_t thread_id);
int64_t app_model_unread_total(const app_model_t *m);

/* The open conversation: its thread (NULL while it is being created or none is open) and
 * peer uid (0 when none). */
app_thread_t *app_model_open(const app_model_t *m);
int64_t app_model_open_peer_uid(const app_model_t *m);
/* Display name of UID: friend's nick or name, search result, or "User <uid>". Valid until the
 * next change. */
const char *app_model_display_name(const app_model_t *m, int64_t uid);

app_search_state_t app_model_search_state(const app_model_t *m);
const app_user_t *app_model_search_result(const app_model_t *m); /* FOUND only */
app_apply_state_t app_model_apply_state(const app_model_t *m);

/* A short message for a toast ("Friend request sent", an error), its serial number (grows
 * with every new notice; 0 = none yet) and whether it is an error. */
const char *app_model_notice(const app_model_t *m, unsigned *serial, bool *is_error);

/* Bumped on every change, so the UI can tell when to draw again. */
uint64_t app_model_version(const app_model_t *m);

#endif
