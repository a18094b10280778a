/* error.h - error codes of the UsChat client library.
 *
 * Two kinds, never mixed in one value:
 * - local failures (negative USCHAT_E_*): returned by the library's functions (no memory, a
 *   socket error, a timeout, a malformed frame from the server);
 * - server error codes (positive USCHAT_ERR_*, docs/protocol.md §3): the `error` field of
 *   a reply; a function that got a reply returns 0 and hands the reply's code in an out field.
 * Thread-safe (constant tables only).
 */
#ifndef USCHAT_CLIENT_ERROR_H
#define USCHAT_CLIENT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Local failures. */
enum {
    USCHAT_OK = 0,
    USCHAT_E_NOMEM = -1,    /* allocation failed */
    USCHAT_E_ARG = -2,      /* bad argument (NULL, out of range, invalid UTF-8) */
    USCHAT_E_TOOLARGE = -3, /* a frame over the body limit (either way); sticky on a decoder */
    USCHAT_E_BADBODY = -4,  /* a frame whose body is not a JSON object; the stream stays in sync */
    USCHAT_E_IO = -5,       /* socket or transport error */
    USCHAT_E_CLOSED = -6,   /* the peer closed the connection */
    USCHAT_E_TIMEOUT = -7,  /* nothing within the timeout */
    USCHAT_E_RESOLVE = -8,  /* host name or address not usable */
    USCHAT_E_HTTP = -9,     /* HTTP status other than 200, or a reply that is not a JSON object */
    USCHAT_E_REPLY = -10,   /* a reply lacks a field the caller needs (or has the wrong type) */
};

/* Server error codes (the `error` field), docs/protocol.md. */
enum {
    USCHAT_ERR_SUCCESS = 0,
    USCHAT_ERR_JSON = 1001,            /* bad JSON or missing field */
    USCHAT_ERR_RPC = 1002,             /* internal service call failed */
    USCHAT_ERR_CODE_EXPIRED = 1003,    /* verification code expired or absent */
    USCHAT_ERR_CODE_WRONG = 1004,      /* wrong verification code */
    USCHAT_ERR_USER_EXISTS = 1005,     /* user name or email already registered */
    USCHAT_ERR_PASSWD_CONFIRM = 1006,  /* password and confirm differ */
    USCHAT_ERR_EMAIL_MISMATCH = 1007,  /* user name and email do not match */
    USCHAT_ERR_PASSWD_UPDATE = 1008,   /* password update failed */
    USCHAT_ERR_PASSWD_INVALID = 1009,  /* wrong email or password */
    USCHAT_ERR_TOKEN_INVALID = 1010,   /* token invalid */
    USCHAT_ERR_UID_INVALID = 1011,     /* uid invalid / not found / not the session's */
    USCHAT_ERR_CREATE_CHAT = 1012,     /* create chat failed */
    USCHAT_ERR_LOAD_CHAT = 1013,       /* load chat failed */
    USCHAT_ERR_RATE_LIMITED = 1014,    /* rate limited, try later */
    USCHAT_ERR_OUT_OF_RANGE = 1015,    /* a field is out of range (length, format) */
    USCHAT_ERR_NOT_FRIENDS = 1016,     /* not friends / not a member of the thread */
    USCHAT_ERR_NOT_LOGGED_IN = 1017,   /* not logged in on this connection */
    USCHAT_ERR_BUSY = 1018,            /* server busy, retry */
    USCHAT_ERR_PENDING = 1019,         /* a friend request to that user is already pending */
    USCHAT_ERR_ALREADY_FRIENDS = 1020, /* already friends */
};

/* Short English text for a local USCHAT_E_* or a server USCHAT_ERR_* code (every code of
 * docs/protocol.md "Error codes" has its own); "unknown error" for any other. Never NULL. */
const char *uschat_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
