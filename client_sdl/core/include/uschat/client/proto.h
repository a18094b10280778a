/* proto.h - the chat node messages of docs/protocol.md §2 as C: ids, field names, request builders
 * and reply parsers.
 *
 * This is the one place in the client that knows JSON field names. Callers build a request
 * with uschat_req_*() (a new json_t object, caller owns it: json_decref) and hand it to the
 * connection core or the blocking session; a reply body (json_t) is read with the matching
 * uschat_parse_*() into a plain struct whose strings and lists point INTO the body (borrowed:
 * valid while the body lives; keep a reference or copy them).
 *
 * Parsers are lenient the way the protocol asks: unknown fields are ignored, an absent field
 * reads as 0 / "" / NULL list, and an integer field sent as a decimal string ("42") is read as
 * the number (the seed sends some ids as strings). A parser returns USCHAT_E_REPLY only when
 * the body is not an object or a field has an unusable type (an object where a number is
 * expected); the server's `error` code is in out->error. No I/O; thread-safe.
 */
#ifndef USCHAT_CLIENT_PROTO_H
#define USCHAT_CLIENT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "uschat/client_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- message ids: USCHAT_ID_* of uschat/client_proto.h (schema/messages/client.def) ----- */

/* The reply id of request id REQ (1005 -> 1006, ...), or 0 when REQ is not a request. */
uint16_t uschat_reply_id(uint16_t req);
/* "login_req", "notify_text_chat", ... or NULL for an id this library does not know. */
const char *uschat_msg_name(uint16_t id);

/* Limits: USCHAT_MAX(SYNC_REQ, limit), USCHAT_MAX(TEXT_ITEM, content), ... (client_proto.h). */

/* ---- request builders (C->S). Each returns a new object (caller owns) or NULL ---------- */

json_t *uschat_req_login(int64_t uid, const char *token);                                 /* 1005 */
json_t *uschat_req_search(const char *uid_or_name);                                       /* 1007 */
json_t *uschat_req_add_friend(int64_t touid, const char *applyname, const char *bakname); /* 1009 */
json_t *uschat_req_auth_friend(int64_t touid, const char *back);                          /* 1013 */

/* The kind of a message (the `kind` field of docs/protocol.md): a group's events are kind 3. */
enum {
    USCHAT_MSG_TEXT = 0,
    USCHAT_MSG_IMAGE = 1,
    USCHAT_MSG_FILE = 2,
    USCHAT_MSG_EVENT = 3, /* groups only: a change of the group (uschat_group_msg_t.event) */
};

typedef struct {
    const char *content;   /* 1..USCHAT_MAX(TEXT_ITEM, content) bytes of UTF-8 */
    const char *unique_id; /* client-made, unique per sender (see uschat_unique_id()) */
} uschat_text_t;
/* 1017; N items (N >= 1). NULL when N is 0 or an item lacks content/unique_id. */
json_t *uschat_req_text_chat(int64_t touid, int64_t thread_id, const uschat_text_t *items,
                             size_t n);

/* One item of a 1017 or 1077 that may be an image or a file: kind USCHAT_MSG_IMAGE / _FILE
 * names the finished upload by file_id and still sends a content ("[Image]" / "[File] <name>":
 * the server stores its own spelling); kind USCHAT_MSG_TEXT is a text as uschat_text_t. */
typedef struct {
    const char *content;   /* 1..USCHAT_MAX(TEXT_ITEM, content) bytes of UTF-8 */
    const char *unique_id; /* client-made, unique per sender (see uschat_unique_id()) */
    int kind;              /* USCHAT_MSG_TEXT (0), _IMAGE or _FILE */
    const char *file_id;   /* kind != 0: 32 lower-case hex (X-Uschat-File-Id); required */
    int width, height;     /* images: pixels, 0..65535; sent when > 0 */
    const char *preview;   /* images, optional (NULL or "" = none): base64 of a PNG or JPEG of
                              at most 160x160, at most USCHAT_MAX(TEXT_ITEM, preview) bytes */
} uschat_msg_item_t;
/* 1017 with items that may be images or files; N >= 1. NULL when N is 0, an item lacks
 * content/unique_id, has a kind outside 0..2, or is an image/file without file_id. */
json_t *uschat_req_chat_items(int64_t touid, int64_t thread_id, const uschat_msg_item_t *items,
                              size_t n);
json_t *uschat_req_heartbeat(int64_t fromuid);            /* 1023; fromuid <= 0: omitted */
json_t *uschat_req_thread_list(int64_t thread_id_cursor); /* 1025 */
json_t *uschat_req_create_private(int64_t other_id);      /* 1027 */
/* 1029 as the seed client sends it: the messages after the cursor, oldest first (0 = from the
 * first); the reply's last_message_id is the next cursor. */
json_t *uschat_req_load_chat(int64_t thread_id, int64_t message_id_cursor);
/* 1029 with "before": true: the page of messages before the cursor (0 = the newest page), for
 * scrolling up; the reply's last_message_id is the oldest of the page, the next cursor. */
json_t *uschat_req_load_older(int64_t thread_id, int64_t message_id_cursor);
json_t *uschat_req_sync(int64_t thread_id, int64_t after_seq, int limit); /* 1031 */
json_t *uschat_req_read_mark(int64_t thread_id, int64_t seq);             /* 1033 */

/* Writes a fresh client message id ("<uid>-<time_us>-<counter>", NUL-terminated) into OUT of
 * CAP bytes (>= 48 is always enough). Unique per process and sender. Returns 0 or USCHAT_E_ARG. */
int uschat_unique_id(int64_t sender, char *out, size_t cap);

/* ---- parsed shapes. Strings are borrowed from the body and never NULL ("" when absent) ----- */

/* A user as it appears in 1006 (own profile, apply_list, friend_list), 1008, 1011, 1014, 1015.
 * For 1011 uid is `applyuid` and desc is the greeting; status only in apply_list items; back
 * only in friend_list items. */
typedef struct {
    int64_t uid;
    const char *name, *email, *nick, *desc, *icon, *back;
    int sex;
    int status;
} uschat_user_t;

/* The file an image or file message names (kind 1/2; all 0 / "" for a text). name, size,
 * sha256 and mime are the files service's record of the upload; width, height and preview are
 * what the sender's client sent. Fetch the bytes with GET <files_url>/files/<file_id>. */
typedef struct {
    const char *file_id; /* 32 hex */
    const char *name;
    int64_t size;       /* bytes */
    const char *sha256; /* 64 hex */
    const char *mime;
    int width, height;
    const char *preview; /* base64 PNG/JPEG, "" when none */
} uschat_file_meta_t;

/* A chat message: 1018/1019/1014/1015 items (message_id, content) and 1030/1032 items (msg_id,
 * msg_content, sender, thread_id) both fill this; absent ones stay 0 / "". */
typedef struct {
    int64_t message_id;
    int64_t seq;
    int64_t sender;    /* 1030/1032 only; 0 in 1018/1019 (use the reply's fromuid) */
    int64_t thread_id; /* 1030/1032 only */
    const char *unique_id;
    const char *content;
    const char *chat_time;   /* "YYYY-MM-DD HH:MM:SS" UTC */
    int status;              /* 0 unread, 1 read */
    int kind;                /* USCHAT_MSG_TEXT, _IMAGE or _FILE (0 when absent: a text) */
    uschat_file_meta_t file; /* kind 1/2 */
} uschat_chat_msg_t;

/* A thread of 1026. last_msg is whatever the server put there (borrowed; may be NULL). */
typedef struct {
    int64_t thread_id;
    int type;
    int64_t user1_id, user2_id;
    int64_t last_seq;
    int64_t unread;
    int64_t peer_read_seq; /* the other member's read mark (0 when absent) */
    const json_t *last_msg;
} uschat_thread_t;

/* Item parsers for list elements (json arrays below): 0 or USCHAT_E_REPLY. */
int uschat_parse_user(const json_t *obj, uschat_user_t *out);
int uschat_parse_chat_msg(const json_t *obj, uschat_chat_msg_t *out);
int uschat_parse_thread(const json_t *obj, uschat_thread_t *out);

/* ---- reply parsers. Lists are borrowed json arrays, NULL when absent; jansson treats NULL
 *      as empty (json_array_size(NULL) == 0), so json_array_foreach needs no check ---------- */

typedef struct { /* 1006 */
    int error;
    uschat_user_t self;
    const json_t *apply_list;  /* items: uschat_parse_user() */
    const json_t *friend_list; /* items: uschat_parse_user() */
} uschat_login_rsp_t;
int uschat_parse_login_rsp(const json_t *body, uschat_login_rsp_t *out);

typedef struct { /* 1008 */
    int error;
    uschat_user_t user;
} uschat_search_rsp_t;
int uschat_parse_search_rsp(const json_t *body, uschat_search_rsp_t *out);

/* 1010, 1024, 1034 and any reply: just the `error` field (absent = 0). */
int uschat_parse_error(const json_t *body, int *error);

typedef struct {             /* 1011 */
    uschat_user_t applicant; /* uid = applyuid, desc = the greeting (applyname) */
} uschat_notify_add_friend_t;
int uschat_parse_notify_add_friend(const json_t *body, uschat_notify_add_friend_t *out);

typedef struct {        /* 1014 (reply to the accepter) and 1015 (push to the applicant) */
    int error;          /* 1014 only */
    int64_t fromuid;    /* 1015 only: the accepter */
    int64_t touid;      /* 1015 only: the applicant */
    uschat_user_t peer; /* 1014: the new friend; 1015: the accepter */
    int64_t thread_id;
    const json_t *chat_datas; /* items: uschat_parse_chat_msg() */
} uschat_auth_friend_t;
int uschat_parse_auth_friend(const json_t *body, uschat_auth_friend_t *out);

typedef struct { /* 1018 and 1019 */
    int error;
    int64_t fromuid, touid, thread_id;
    const json_t *chat_datas; /* items: uschat_parse_chat_msg() */
} uschat_text_chat_t;
int uschat_parse_text_chat(const json_t *body, uschat_text_chat_t *out);

typedef struct { /* 1021 */
    int64_t uid;
} uschat_notify_offline_t;
int uschat_parse_notify_offline(const json_t *body, uschat_notify_offline_t *out);

typedef struct { /* 1026 */
    int error;
    int load_more;
    int64_t next_last_id;
    const json_t *threads; /* items: uschat_parse_thread() */
} uschat_thread_list_rsp_t;
int uschat_parse_thread_list_rsp(const json_t *body, uschat_thread_list_rsp_t *out);

typedef struct { /* 1028 */
    int error;
    int64_t other_id, thread_id;
} uschat_create_private_rsp_t;
int uschat_parse_create_private_rsp(const json_t *body, uschat_create_private_rsp_t *out);

typedef struct { /* 1030 */
    int error;
    int64_t thread_id, last_message_id;
    int load_more;
    int64_t peer_read_seq;    /* the other member's read mark (0 when absent) */
    const json_t *chat_datas; /* items: uschat_parse_chat_msg() */
} uschat_load_chat_rsp_t;
int uschat_parse_load_chat_rsp(const json_t *body, uschat_load_chat_rsp_t *out);

typedef struct { /* 1032 */
    int error;
    int64_t thread_id;
    int has_more;
    int64_t peer_read_seq;    /* the other member's read mark (0 when absent) */
    const json_t *chat_datas; /* items: uschat_parse_chat_msg(), seq order */
} uschat_sync_rsp_t;
int uschat_parse_sync_rsp(const json_t *body, uschat_sync_rsp_t *out);

typedef struct { /* 1035 */
    int64_t thread_id, reader, seq;
} uschat_notify_read_t;
int uschat_parse_notify_read(const json_t *body, uschat_notify_read_t *out);

/* ---- groups (1061-1085) ------------------------------------------------------------------
 * Builders return a new object (caller owns) or NULL; uids lists of N ids (N may be 0 for a
 * create). A change is answered by 1062 (create) or 1064 and reaches every member as a 1079
 * whose item has kind 3 (USCHAT_MSG_EVENT) and an `event`. */

json_t *uschat_req_group_create(const char *name, const int64_t *uids, size_t n); /* 1061 */
json_t *uschat_req_group_invite(int64_t group_id, const int64_t *uids, size_t n); /* 1063 */
/* 1065 leave, 1066 remove, 1068 transfer, 1074 dissolve: REQ with group_id, and member when
 * member > 0. NULL for any other REQ. */
json_t *uschat_req_group_member_op(uint16_t req, int64_t group_id, int64_t member);
json_t *uschat_req_group_set_admin(int64_t group_id, int64_t member, int on);   /* 1067 */
json_t *uschat_req_group_rename(int64_t group_id, const char *name);            /* 1069 */
json_t *uschat_req_group_announce(int64_t group_id, const char *announcement);  /* 1070 */
json_t *uschat_req_group_mute(int64_t group_id, int64_t member, int64_t until); /* 1071 */
/* 1072 mute all, 1073 invite policy: REQ with `on`; NULL for any other REQ. */
json_t *uschat_req_group_switch(uint16_t req, int64_t group_id, int on);
json_t *uschat_req_group_list(int64_t group_id_cursor); /* 1075 */
/* 1077; N items (1 <= N <= 50). NULL when N is 0 or an item lacks content/unique_id. */
json_t *uschat_req_group_text(int64_t group_id, const uschat_text_t *items, size_t n);
/* 1077 with items that may be images or files; NULL as for uschat_req_chat_items(). */
json_t *uschat_req_group_items(int64_t group_id, const uschat_msg_item_t *items, size_t n);
/* 1080: the messages after after_seq (0 = from my join), or with before_seq > 0 the page below
 * it (paging back); limit 1..200 (<= 0: the server's default). */
json_t *uschat_req_group_sync(int64_t group_id, int64_t after_seq, int64_t before_seq, int limit);
json_t *uschat_req_group_read(int64_t group_id, int64_t seq);           /* 1082 */
json_t *uschat_req_group_members(int64_t group_id, int64_t uid_cursor); /* 1084 */

/* The change a kind-3 message records (GROUP_EVENT_ITEM). */
typedef struct {
    const char *op;        /* "create", "invite", "leave", "remove", "admin", "unadmin", "transfer",
                              "rename", "announce", "mute", "mute_all", "invite_policy", "dissolve" */
    int64_t member;        /* the member it concerns (remove, admin, transfer, mute), else 0 */
    const json_t *members; /* create, invite: items {uid} (uschat_parse_group_uid()) */
    const char *name, *announcement;
    int64_t until; /* mute: Unix time, 0 = unmuted */
    int on;        /* mute_all, invite_policy */
} uschat_group_event_t;

typedef struct { /* GROUP_MSG_ITEM */
    int64_t group_id, msg_id, seq;
    int kind; /* USCHAT_MSG_TEXT, _IMAGE, _FILE or _EVENT (3) */
    int64_t sender;
    const char *unique_id, *content, *chat_time;
    uschat_group_event_t event; /* kind 3 */
    uschat_file_meta_t file;    /* kind 1/2 */
} uschat_group_msg_t;

typedef struct { /* GROUP_ITEM of 1076 */
    int64_t group_id;
    const char *name, *announcement;
    int64_t owner;
    int role; /* mine: 0 member, 1 admin, 2 owner */
    int64_t members;
    int members_invite, mute_all, dissolved;
    int64_t muted_until, last_seq, join_seq, read_seq, unread;
    const json_t *last_msg; /* a GROUP_MSG_ITEM or NULL */
} uschat_group_t;

typedef struct { /* GROUP_MEMBER_ITEM of 1085 */
    int64_t uid;
    const char *name, *nick, *icon;
    int role;
    int64_t muted_until;
} uschat_group_member_t;

int uschat_parse_group_uid(const json_t *obj, int64_t *uid);
int uschat_parse_group_msg(const json_t *obj, uschat_group_msg_t *out);
int uschat_parse_group(const json_t *obj, uschat_group_t *out);
int uschat_parse_group_member(const json_t *obj, uschat_group_member_t *out);

typedef struct { /* 1062, 1064 (op: the request's id) and 1083 (seq: my read mark) */
    int error;
    int64_t group_id;
    int op;
    int64_t seq;
} uschat_group_op_rsp_t;
int uschat_parse_group_op_rsp(const json_t *body, uschat_group_op_rsp_t *out);

typedef struct { /* 1078, 1079 and 1081 */
    int error;
    int64_t group_id;
    int has_more;             /* 1081 */
    int64_t join_seq;         /* 1081 */
    const json_t *chat_datas; /* items: uschat_parse_group_msg(), seq order */
} uschat_group_msgs_t;
int uschat_parse_group_msgs(const json_t *body, uschat_group_msgs_t *out);

typedef struct { /* 1076 */
    int error;
    int load_more;
    int64_t next_last_id;
    const json_t *groups; /* items: uschat_parse_group() */
} uschat_group_list_rsp_t;
int uschat_parse_group_list_rsp(const json_t *body, uschat_group_list_rsp_t *out);

typedef struct { /* 1085 */
    int error;
    int64_t group_id;
    int load_more;
    int64_t next_uid;
    const json_t *members; /* items: uschat_parse_group_member() */
} uschat_group_members_rsp_t;
int uschat_parse_group_members_rsp(const json_t *body, uschat_group_members_rsp_t *out);

#ifdef __cplusplus
}
#endif

#endif
