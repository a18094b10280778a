/* chat_proto_ids.h - the client protocol as the chat node speaks it: the error codes it
 * answers, the frame ids it reads and writes, and the limits of the bodies.
 *
 * No dependencies: any file of the node may include it. Constants only (any thread).
 */
#ifndef USCHAT_CHAT_PROTO_IDS_H
#define USCHAT_CHAT_PROTO_IDS_H

/* ---- the protocol (docs/protocol.md §2) ---------------------------------------------- */

enum {
    CHAT_ERR_JSON = 1001,        /* not a JSON object, or a field missing / of the wrong type */
    CHAT_ERR_RPC = 1002,         /* MySQL or Redis failed */
    CHAT_ERR_TOKEN = 1010,       /* login token wrong or expired */
    CHAT_ERR_UID = 1011,         /* uid unknown, or not the session's */
    CHAT_ERR_CREATE_CHAT = 1012, /* creating the thread failed */
    CHAT_ERR_LOAD_CHAT = 1013,
    CHAT_ERR_RATE = 1014,  /* over the per-connection request rate */
    CHAT_ERR_RANGE = 1015, /* a field out of range (length, yourself as a friend) */
    CHAT_ERR_NOT_FRIENDS = 1016,
    CHAT_ERR_NOT_LOGGED_IN = 1017,
    CHAT_ERR_BUSY = 1018,    /* the worker queue is full: retry */
    CHAT_ERR_PENDING = 1019, /* a friend request to that user is already pending */
    CHAT_ERR_ALREADY = 1020, /* already friends */
};

enum {
    CHAT_ID_LOGIN = 1005,
    CHAT_ID_LOGIN_RSP = 1006,
    CHAT_ID_SEARCH = 1007,
    CHAT_ID_SEARCH_RSP = 1008,
    CHAT_ID_APPLY = 1009,
    CHAT_ID_APPLY_RSP = 1010,
    CHAT_ID_NOTIFY_APPLY = 1011,
    CHAT_ID_AUTH = 1013,
    CHAT_ID_AUTH_RSP = 1014,
    CHAT_ID_NOTIFY_AUTH = 1015,
    CHAT_ID_TEXT = 1017,
    CHAT_ID_TEXT_RSP = 1018,
    CHAT_ID_NOTIFY_TEXT = 1019,
    CHAT_ID_KICKED = 1021,
    CHAT_ID_HEARTBEAT = 1023,
    CHAT_ID_HEARTBEAT_RSP = 1024,
    CHAT_ID_THREADS = 1025,
    CHAT_ID_THREADS_RSP = 1026,
    CHAT_ID_PRIVATE = 1027,
    CHAT_ID_PRIVATE_RSP = 1028,
    CHAT_ID_HISTORY = 1029,
    CHAT_ID_HISTORY_RSP = 1030,
    CHAT_ID_SYNC = 1031,
    CHAT_ID_SYNC_RSP = 1032,
    CHAT_ID_READ = 1033,
    CHAT_ID_READ_RSP = 1034,
    CHAT_ID_NOTIFY_READ = 1035,
};

#define CHAT_TEXT_MAX_BYTES 4096 /* content of one text item */
#define CHAT_UNIQUE_ID_MAX  64   /* chat_message.unique_id */
#define CHAT_TEXT_ITEMS_MAX 50   /* items of one 1017 */
#define CHAT_SYNC_LIMIT_MAX 200  /* 1031 limit */

#endif
