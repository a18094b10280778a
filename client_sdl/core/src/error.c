/* error.c - texts of the client library's local error codes and of the server's error codes
 * (error.h; the server's sentences are those of schema/messages/errors.def). Constant tables;
 * any thread.
 */
#include "uschat/client/error.h"

const char *uschat_strerror(int code)
{
    switch (code) {
    case USCHAT_OK:
        return "success";
    case USCHAT_E_NOMEM:
        return "out of memory";
    case USCHAT_E_ARG:
        return "invalid argument";
    case USCHAT_E_TOOLARGE:
        return "frame larger than the body limit";
    case USCHAT_E_BADBODY:
        return "frame body is not a JSON object";
    case USCHAT_E_IO:
        return "connection error";
    case USCHAT_E_CLOSED:
        return "connection closed by the server";
    case USCHAT_E_TIMEOUT:
        return "timed out";
    case USCHAT_E_RESOLVE:
        return "cannot resolve the server address";
    case USCHAT_E_HTTP:
        return "unexpected HTTP answer";
    case USCHAT_E_REPLY:
        return "reply lacks a field or has a wrong type";
    default: {
        const uschat_error_desc_t *e = code > 0 ? uschat_proto_error(code) : NULL;
        return e ? e->sentence : "unknown error";
    }
    }
}
