/* app_model.h - the desktop client's model: who I am, my friends and friend requests, my
 * threads and their messages, which screen is shown and what the user is waiting for. No SDL,
 * no sockets: it changes only through
 *   - events from the network thread (app_model_on_conn / _on_gate / _on_message: the chat
 *     node's messages as the client library parses them), and
 *   - actions of the user, called by the UI through app_model_act() (log in, send a text,
 *     open a conversation, ...),
 * and it speaks to the network only by queueing commands (app_cmd_t) in its outbox, which the
 * UI thread drains into net_thread. That keeps every rule of the client (message order by seq,
 * dedup, unread counts, thread order, what to sync after a reconnect) testable without SDL.
 *
 * Reading: app_model_view() gives the UI one read-only snapshot (app_view_t) of what it
 * shows, plus a few lookups by key; pointers in them stay valid until the next call that
 * changes the model (any _on_* or action).
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

/* Where the bytes of a picture or file message are (model_files.h). */
typedef enum {
    APP_FILE_REMOTE = 0, /* on the server only */
    APP_FILE_MOVING,     /* uploading or downloading (done of size bytes) */
    APP_FILE_WAITING,    /* the transfer waits for the connection */
    APP_FILE_PAUSED,
    APP_FILE_FAILED, /* error says why; it may be retried */
    APP_FILE_CANCELLED,
    APP_FILE_LOCAL, /* path is a local copy (my upload's source, or the finished download) */
} app_file_state_t;

/* The file an image or file message names (kind 1/2). Strings never NULL ("" when unknown). */
typedef struct app_file {
    char *file_id, *name, *sha256, *mime, *preview; /* preview: base64 PNG/JPEG */
    int64_t size;
    int width, height;
    char *path;     /* the local copy, "" when none */
    int64_t xfer;   /* the transfer moving it (transfer.h), 0 when none */
    bool uploading; /* xfer is my upload (else a download) */
    app_file_state_t state;
    uint64_t done;   /* bytes moved so far */
    char error[128]; /* FAILED: why */
    bool kept;       /* an outbox entry keeps the message until the server stored it */
    bool sent;       /* the message went to the chat node */
} app_file_t;

typedef struct {
    int64_t message_id; /* 0 until committed */
    int64_t seq;        /* 0 until committed */
    int64_t sender;
    char *unique_id;
    char *content;
    char chat_time[20]; /* UTC "YYYY-MM-DD HH:MM:SS"; the local send time while sending */
    app_msg_state_t state;
    int error; /* the server's code for a FAILED message */
    /* kind: USCHAT_MSG_TEXT, _IMAGE or _FILE (file then names the file, owned, else NULL), or
     * in groups (model_group.c) USCHAT_MSG_EVENT, a change of the group shown as a centred
     * line: content then holds its sentence ("Ann added Ben") and event the stored change
     * (JSON, kept to say it again with the names learnt later). read_by: how many members have
     * read one of my group messages, 0 when not known. */
    int kind;
    app_file_t *file;
    char *event;
    int64_t read_by;
    /* Scratch for the UI, valid while layout_width is not 0 and reset (layout_width = 0) when
     * the message changes: the bubble's height at that width, and chat_time as the local
     * calendar day and clock, so a frame does not parse every message's time again. */
    int layout_width, layout_height;
    int64_t layout_day;
    char layout_clock[8];
} app_msg_t;

/* A member of a group, as 1085 lists them. */
typedef struct {
    int64_t uid;
    char *name, *nick; /* never NULL */
    int role;          /* 0 member, 1 admin, 2 owner */
    int64_t muted_until;
    char *icon; /* the avatar (model_avatar.h), never NULL */
} app_member_t;

/* What the model knows of a group of mine (1076, kept up to date by its events). */
typedef struct app_group {
    int64_t group_id;
    char *name, *announcement; /* never NULL */
    int64_t owner;
    int role;      /* mine: 0 member, 1 admin, 2 owner */
    int64_t count; /* members */
    bool members_invite, mute_all, dissolved;
    bool removed;        /* I left or was removed: the history stays, read-only */
    int64_t muted_until; /* I may not send before this Unix time */
    int64_t join_seq;
    int64_t state_seq;     /* the events up to it are in the fields above */
    app_member_t *members; /* the member list (1085) in uid order, once asked */
    size_t nmembers, members_cap;
    bool members_loading, members_stale;
    bool counts_asked; /* a 1100 is in flight */
} app_group_t;

typedef struct {
    int64_t thread_id;  /* a group's is -group_id */
    int64_t peer;       /* the other member's uid; a group's: its thread_id */
    app_group_t *group; /* a group's conversation, else NULL */
    app_msg_t *msgs;    /* committed ones by seq, then sending/failed ones in the order sent */
    size_t nmsgs;
    int64_t last_seq;  /* highest seq known to exist (server's last_seq, or held) */
    int64_t unread;    /* the peer's messages past my read mark */
    int64_t read_sent; /* highest seq I marked read */
    int64_t peer_read; /* the peer's read mark (1026/1030/1032 peer_read_seq, 1035) */
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

typedef enum {
    APP_ACT_SHOW = 0,           /* screen: LOGIN / REGISTER / RESET */
    APP_ACT_TAB,                /* tab */
    APP_ACT_LOGIN,              /* email, passwd */
    APP_ACT_REQUEST_CODE,       /* email, now_ms */
    APP_ACT_REGISTER,           /* email, code, user, passwd, confirm */
    APP_ACT_RESET,              /* email, code, user, passwd */
    APP_ACT_LOGOUT,             /* */
    APP_ACT_RETRY_NOW,          /* reconnect now instead of at the end of the backoff */
    APP_ACT_OPEN_THREAD,        /* id: the thread (its newest page is asked for the first time) */
    APP_ACT_OPEN_PEER,          /* id: a friend's uid (creates the thread, 1027, when none) */
    APP_ACT_CLOSE_CONVERSATION, /* */
    APP_ACT_SEND_TEXT,          /* text, to the open conversation (pieces of at most 4096
                                 * bytes; blank text is ignored) */
    APP_ACT_RESEND,             /* index: a FAILED message of the open conversation */
    APP_ACT_LOAD_OLDER,         /* the page before the oldest message held in the open
                                 * conversation (once at a time, while the server says there
                                 * is more) */
    APP_ACT_MARK_READ,          /* the open conversation is on screen at its newest message */
    APP_ACT_SEARCH,             /* text: a uid or a user name */
    APP_ACT_ADD_FRIEND,         /* id: the found user; text: the greeting (NULL: a default) */
    APP_ACT_ACCEPT,             /* id: the applicant */
    APP_ACT_EMAIL_SAVED,        /* the UI saved app_view_t.email_to_save */
    APP_ACT_SAVE_PROFILE,       /* text: nick, user: description, id: sex (0-2); -1 when a
                                 * field is wrong (said in the notice) or offline */
    APP_ACT_REMEMBER,           /* id: 1 keep the login for the next launch, 0 forget it */
    APP_ACT_RESUME,             /* email (may be NULL): log in with the kept login; -1 when
                                 * busy or logged in */
    APP_ACT_SET_GATE,           /* text: the gate's URL (http:// or https://) for the next
                                 * logins; -1 when it is not one (said in the notice) */
    APP_ACT_SET_REMARK,         /* id: a friend, text: my remark name for them ("" = none) */
    APP_ACT_REMOVE_FRIEND,      /* id: a friend (the conversation stays, read-only) */
    APP_ACT_DECLINE,            /* id: the applicant of a pending request */
    /* groups (model_group.c); id is the group's id. 0 when the request went out, -1 when
     * offline or not allowed to (said in the notice) */
    APP_ACT_GROUP_CREATE,      /* text: name, ids/nids: friends */
    APP_ACT_GROUP_INVITE,      /* id, ids/nids: friends */
    APP_ACT_GROUP_LEAVE,       /* id */
    APP_ACT_GROUP_REMOVE,      /* id, member */
    APP_ACT_GROUP_ADMIN,       /* id, member, on */
    APP_ACT_GROUP_TRANSFER,    /* id, member: the new owner (I become an admin) */
    APP_ACT_GROUP_MUTE,        /* id, member, until (Unix time; 0 unmutes) */
    APP_ACT_GROUP_MUTE_ALL,    /* id, on */
    APP_ACT_GROUP_POLICY,      /* id, on: members may invite (the owner's switch) */
    APP_ACT_GROUP_RENAME,      /* id, text */
    APP_ACT_GROUP_ANNOUNCE,    /* id, text */
    APP_ACT_GROUP_DISSOLVE,    /* id */
    APP_ACT_GROUP_MEMBERS,     /* id: (re)load the member list */
    APP_ACT_GROUP_READ_COUNTS, /* id: ask again how many read my newest messages (1100) */
} app_act_kind_t;

/* One action of the user; each kind reads only the fields its comment names. */
typedef struct {
    app_act_kind_t kind;
    app_screen_t screen;
    app_tab_t tab;
    int64_t id;
    size_t index;
    const char *text;
    const char *email, *code, *user, *passwd, *confirm; /* forms, as typed */
    int64_t now_ms;
    const int64_t *ids; /* groups */
    size_t nids;
    int64_t member, until;
    int on;
} app_act_t;

/* Does what ACT (borrowed) asks; the model queues the commands it needs. Forms check their
 * fields (the error shows on the form) and queue a gate command: 0 when queued, -1 when a
 * field is wrong or a request is already under way. SEND_TEXT: 0, or -1 when nothing was
 * sent. LOAD_OLDER: 1 when a request went out, else 0. The others: 0. */
int app_model_act(app_model_t *m, const app_act_t *act);

/* ---- what the UI reads ------------------------------------------------------------------ */

/* The model's state as the UI reads it: a snapshot of plain values and read-only pointers into
 * the model, valid until the next call that changes the model (any _on_* or action). The
 * one thing the UI may write is the layout scratch of the open thread's messages. */
typedef struct {
    app_screen_t screen;
    app_tab_t tab;
    app_conn_t conn;
    bool busy;              /* a gate request is under way (forms refuse a second submit) */
    const char *form_error; /* form feedback, red; "" when none */
    const char *form_info;  /* form feedback, green; "" when none */
    const char *form_email; /* the email to prefill (the last one used) */
    /* The email of a successful login not yet saved (the UI saves it and calls
     * app_model_email_saved), NULL when none. */
    const char *email_to_save;

    const app_user_t *self;
    const app_user_t *friends; /* sorted by name */
    size_t nfriends;
    const app_apply_t *applies; /* newest first */
    size_t napplies;
    size_t pending_applies; /* not accepted yet */
    size_t nthreads;
    int64_t unread_total;

    /* The open conversation: its thread (NULL while it is being created or none is open;
     * writable for the layout scratch only) and peer uid (0 when none). */
    app_thread_t *open;
    int64_t open_peer;

    app_search_state_t search_state;
    const app_user_t *search_result; /* FOUND only, else NULL */
    app_apply_state_t apply_state;

    /* A short message for a toast ("Friend request sent", an error), its serial number (grows
     * with every new notice; 0 = none yet) and whether it is an error. */
    const char *notice;
    unsigned notice_serial;
    bool notice_error;

    bool remember;       /* "remember me": the login is kept for the next launch */
    bool profile_saving; /* the profile was sent, no answer yet */

    uint64_t version; /* bumped on every change, so the UI can tell when to draw again */
} app_view_t;

app_view_t app_model_view(const app_model_t *m);

/* Lookups and what depends on the caller's clock. */
/* Milliseconds until the next reconnect (RECONNECTING only; 0 otherwise). */
int app_model_retry_in(const app_model_t *m, int64_t now_ms);
/* Milliseconds before another code may be asked for (the gate allows one a minute). */
int app_model_code_wait(const app_model_t *m, int64_t now_ms);
const app_user_t *app_model_friend(const app_model_t *m, int64_t uid);
/* The chat list: threads by their last message (newest first), then friends without a thread
 * by name. */
size_t app_model_chat_count(const app_model_t *m);
app_chat_row_t app_model_chat_at(const app_model_t *m, size_t i);
const app_thread_t *app_model_thread(const app_model_t *m, int64_t thread_id);
/* Display name of UID: friend's nick or name, search result, or "User <uid>". Valid until the
 * next change. */
const char *app_model_display_name(const app_model_t *m, int64_t uid);

/* ---- groups (model_group.c) ---------------------------------------------------------------- */

/* The group GROUP_ID of mine, or NULL. */
const app_group_t *app_model_group(const app_model_t *m, int64_t group_id);
/* What I may do in G (the server's rules, docs/protocol.md 1063-1074): invite, manage
 * MEMBER (remove, mute: the owner anyone, an admin plain members), make admins, change the
 * name, announcement and mute-all, let members invite or not (policy: the owner), dissolve;
 * and send (not removed, dissolved or muted). */
typedef struct {
    bool invite, manage, admins, edit, policy, dissolve, leave, send;
} app_group_rights_t;
app_group_rights_t app_model_group_rights(const app_model_t *m, const app_group_t *g,
                                          const app_member_t *member);
/* Why I cannot send in G ("You are muted until 14:00.", ...), or NULL when I can. Valid
 * until the next change. */
const char *app_model_group_locked(const app_model_t *m, const app_group_t *g);
/* A mute's end as said after "until" ("14:00", "tomorrow 09:00", "Tue 09:00", a date) into
 * OUT (>= 24 bytes); "" for a mute without an end (APP_GROUP_MUTE_FOREVER and later). */
#define APP_GROUP_MUTE_FOREVER 253402300799LL /* 9999-12-31 23:59:59 UTC, the latest 1071 takes */
void app_model_mute_until(int64_t until, char *out, size_t cap);

#endif
