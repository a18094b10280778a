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

#include "uschat/client_proto.h"

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

/* Server error codes (the `error` field): USCHAT_ERR_* of uschat/client_proto.h
 * (schema/messages/errors.def). */

/* Short English text for a local USCHAT_E_* or a server USCHAT_ERR_* code (every code of
 * errors.def has its own sentence); "unknown error" for any other. Never NULL. */
const char *uschat_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
