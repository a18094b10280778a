/* error.c - texts of the client library's local error codes and of the server's error codes
 * (error.h). Constant tables; any thread.
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
    case USCHAT_ERR_JSON:
        return "bad JSON or missing field";
    case USCHAT_ERR_RPC:
        return "internal service call failed";
    case USCHAT_ERR_CODE_EXPIRED:
        return "verification code expired or absent";
    case USCHAT_ERR_CODE_WRONG:
        return "wrong verification code";
    case USCHAT_ERR_USER_EXISTS:
        return "user name or email already registered";
    case USCHAT_ERR_PASSWD_CONFIRM:
        return "password and confirmation differ";
    case USCHAT_ERR_EMAIL_MISMATCH:
        return "user name and email do not match";
    case USCHAT_ERR_PASSWD_UPDATE:
        return "password update failed";
    case USCHAT_ERR_PASSWD_INVALID:
        return "wrong email or password";
    case USCHAT_ERR_TOKEN_INVALID:
        return "token invalid";
    case USCHAT_ERR_UID_INVALID:
        return "user id invalid";
    case USCHAT_ERR_CREATE_CHAT:
        return "create chat failed";
    case USCHAT_ERR_LOAD_CHAT:
        return "load chat failed";
    case USCHAT_ERR_RATE_LIMITED:
        return "rate limited, try later";
    case USCHAT_ERR_OUT_OF_RANGE:
        return "a field is out of range";
    case USCHAT_ERR_NOT_FRIENDS:
        return "not friends or not a member of the thread";
    case USCHAT_ERR_NOT_LOGGED_IN:
        return "not logged in";
    case USCHAT_ERR_BUSY:
        return "server busy, retry";
    case USCHAT_ERR_PENDING:
        return "a friend request to that user is already waiting for an answer";
    case USCHAT_ERR_ALREADY_FRIENDS:
        return "you are already friends";
    default:
        return "unknown error";
    }
}
