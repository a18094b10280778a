/* client_proto.h - the client protocol (docs/protocol.md), defined once: the chat node's TCP
 * messages, the gate's HTTP routes and the error codes, shared by the servers, the client
 * library, the tools and the tests.
 *
 * The tables are X-macro files under schema/messages/:
 *   - errors.def: USCHAT_ERROR(code, NAME, SENDERS, ORIGIN, "sentence", "meaning");
 *   - client.def: USCHAT_CLIENT_ITEM(NAME, FIELDS, "doc") for the shapes of list items and
 *     USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, "doc") for
 *     every TCP message: DIR is C2S or S2C, REPLY the NAME of a request's reply (NONE for the
 *     rest), FLAGS USCHAT_M_*;
 *   - http.def: USCHAT_HTTP_ROUTE(METHOD, "path", NAME, REQUEST, REPLY, ERRORS, ORIGIN, "doc"),
 *     and the fields of the gate's refusals outside any route (shape HTTP_REFUSAL).
 * A FIELDS list is FIELDS(F, L, T) with F(T, name, KIND, min, max, flags, "doc") per value and
 * L(T, name, ITEM, max_items, flags, "doc") per list of ITEM shapes. KIND is INT (an integer),
 * ID (an integer, or its decimal digits as a string: the seed sends both), STR (UTF-8 text;
 * min/max in bytes, in characters with USCHAT_F_CHARS), BOOL, or OBJ (an object or null);
 * for INT and ID min/max bound the value, 0 for max meaning none. ERRORS(E) is E(NAME, "when")
 * per code a reply carries. ORIGIN is SEED (the seed design's, kept) or USCHAT (added).
 *
 * Generated here: the id enum USCHAT_ID_<NAME> and the error enum USCHAT_ERR_<NAME> that
 * every side uses, per field of a shape USCHAT_MIN()/USCHAT_MAX() and its checked name
 * USCHAT_FIELD(), and descriptor tables for lookups (schema/src/client_proto.c) and for
 * docs/protocol.md (schema/tools/protocol_docs_main.c). Users that need their own expansion
 * (a route table) include "messages/client.def" themselves with USCHAT_CLIENT_MSG defined and
 * USCHAT_CLIENT_ITEM defined empty. No I/O; constant tables; thread-safe.
 */
#ifndef USCHAT_SCHEMA_CLIENT_PROTO_H
#define USCHAT_SCHEMA_CLIENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field flags */
#define USCHAT_F_REQ     0x1u /* must be present (requests) / always present (replies) */
#define USCHAT_F_CHARS   0x2u /* STR min/max count characters (code points), not bytes */
#define USCHAT_F_SESSION 0x4u /* names the sender: when present it must be the session's uid */
#define USCHAT_F_ADDED   0x8u /* added by UsChat to a seed message */

/* Message flags */
#define USCHAT_M_LOGIN          0x1u /* C2S: only after a successful login (else 1017) */
#define USCHAT_M_PRELOGIN       0x2u /* C2S: allowed before the login */
#define USCHAT_M_UID_IS_SESSION 0x4u /* C2S: a body `uid` names the sender (not a search key) */
#define USCHAT_M_PUSH           0x8u /* S2C: sent to a user unasked, not a reply */

/* Senders of an error code */
#define USCHAT_BY_GATE   0x1u
#define USCHAT_BY_CHAT   0x2u
#define USCHAT_BY_VARIFY 0x4u
#define USCHAT_BY_STATUS 0x8u

typedef enum {
    USCHAT_KIND_INT,
    USCHAT_KIND_ID,
    USCHAT_KIND_STR,
    USCHAT_KIND_BOOL,
    USCHAT_KIND_OBJ,
    USCHAT_KIND_LIST
} uschat_kind_t;

typedef enum { USCHAT_DIR_C2S, USCHAT_DIR_S2C } uschat_dir_t;
typedef enum { USCHAT_ORIGIN_SEED, USCHAT_ORIGIN_USCHAT } uschat_origin_t;

/* ---- ids and error codes -------------------------------------------------------------- */

#define USCHAT_CLIENT_ITEM(NAME, FIELDS, doc)
#define USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, doc)          \
    USCHAT_ID_##NAME = id,
enum {
    USCHAT_ID_NONE = 0,
#include "../../messages/client.def"
};
#undef USCHAT_CLIENT_MSG

#define USCHAT_ERROR(code, NAME, SENDERS, ORIGIN, sentence, meaning) USCHAT_ERR_##NAME = code,
enum {
#include "../../messages/errors.def"
};
#undef USCHAT_ERROR

/* ---- limits and field names ----------------------------------------------------------- */

/* USCHAT_MAX(TEXT_ITEM, content) is 4096: the max of field content of shape TEXT_ITEM (a
 * message NAME or an item NAME); USCHAT_MIN likewise. USCHAT_FIELD(TEXT_ITEM, content) is the
 * string "content", and does not compile when the shape has no such field. */
#define USCHAT_MAX(SHAPE, field)   USCHAT_MAX_##SHAPE##_##field
#define USCHAT_MIN(SHAPE, field)   USCHAT_MIN_##SHAPE##_##field
#define USCHAT_FIELD(SHAPE, field) (&#field[0 * USCHAT_MAX_##SHAPE##_##field])

#define USCHAT_LIMIT_F(T, name, KIND, min, max, flags, doc)                                        \
    USCHAT_MAX_##T##_##name = max, USCHAT_MIN_##T##_##name = min,
#define USCHAT_LIMIT_L(T, name, ITEM, max, flags, doc)                                             \
    USCHAT_MAX_##T##_##name = max, USCHAT_MIN_##T##_##name = 0,
#undef USCHAT_CLIENT_ITEM
#define USCHAT_CLIENT_ITEM(NAME, FIELDS, doc) FIELDS(USCHAT_LIMIT_F, USCHAT_LIMIT_L, NAME)
#define USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, doc)          \
    FIELDS(USCHAT_LIMIT_F, USCHAT_LIMIT_L, NAME)
#define USCHAT_HTTP_ROUTE(METHOD, path, NAME, REQUEST, REPLY, ERRORS, ORIGIN, doc)                 \
    REQUEST(USCHAT_LIMIT_F, USCHAT_LIMIT_L, HTTP_##NAME##_REQ)                                     \
    REPLY(USCHAT_LIMIT_F, USCHAT_LIMIT_L, HTTP_##NAME##_RSP)
enum {
#include "../../messages/client.def"
#include "../../messages/http.def"
    USCHAT_LIMITS_END_
};
enum { USCHAT_HTTP_REFUSAL_FIELDS(USCHAT_LIMIT_F, USCHAT_LIMIT_L, HTTP_REFUSAL) };
#undef USCHAT_HTTP_ROUTE
#undef USCHAT_CLIENT_MSG
#undef USCHAT_CLIENT_ITEM
#undef USCHAT_LIMIT_F
#undef USCHAT_LIMIT_L

/* The gate's routes, in table order: USCHAT_HTTP_<NAME>. */
#define USCHAT_HTTP_ROUTE(METHOD, path, NAME, REQUEST, REPLY, ERRORS, ORIGIN, doc)                 \
    USCHAT_HTTP_##NAME,
typedef enum {
#include "../../messages/http.def"
    USCHAT_HTTP_ROUTE_COUNT
} uschat_http_route_t;
#undef USCHAT_HTTP_ROUTE

/* ---- descriptors ---------------------------------------------------------------------- */

typedef struct uschat_shape uschat_shape_t;

typedef struct {
    const char *name;
    uint8_t kind; /* uschat_kind_t */
    uint32_t flags;
    int64_t min, max;           /* LIST: max items */
    const uschat_shape_t *item; /* LIST: the items' shape */
    const char *doc;
} uschat_field_t;

typedef struct {
    uint16_t code;
    const char *when;
} uschat_reason_t;

struct uschat_shape {
    const char *name; /* "TEXT_ITEM", "login_req" */
    const char *doc;
    const uschat_field_t *fields;
    size_t field_count;
};

typedef struct {
    uint16_t id;
    const char *name; /* "login_req" */
    uint8_t dir;      /* uschat_dir_t */
    uint16_t reply;   /* C2S: the reply's id; else 0 */
    uint32_t flags;   /* USCHAT_M_* */
    uint8_t origin;   /* uschat_origin_t */
    uschat_shape_t body;
    const uschat_reason_t *errors;
    size_t error_count;
} uschat_msg_desc_t;

typedef struct {
    uint16_t code;
    const char *name; /* "PENDING" */
    uint32_t senders; /* USCHAT_BY_* */
    uint8_t origin;
    const char *sentence; /* for the user */
    const char *meaning;  /* for the reader of the protocol */
} uschat_error_desc_t;

typedef struct {
    const char *method, *path, *name;
    uint8_t origin;
    const char *doc;
    uschat_shape_t request, reply;
    const uschat_reason_t *errors;
    size_t error_count;
} uschat_http_desc_t;

/* Lookups; NULL when unknown or out of range. */
const uschat_msg_desc_t *uschat_proto_msg(uint16_t id);
size_t uschat_proto_msg_count(void);
const uschat_msg_desc_t *uschat_proto_msg_at(size_t index); /* id order */
size_t uschat_proto_item_count(void);
const uschat_shape_t *uschat_proto_item_at(size_t index);
const uschat_error_desc_t *uschat_proto_error(int code);
size_t uschat_proto_error_count(void);
const uschat_error_desc_t *uschat_proto_error_at(size_t index); /* code order */
const uschat_http_desc_t *uschat_proto_http_at(size_t index);   /* uschat_http_route_t */
/* The path of route NAME (USCHAT_HTTP_<NAME>), e.g. USCHAT_HTTP_PATH(LOGIN) = "/user_login". */
#define USCHAT_HTTP_PATH(NAME) (uschat_proto_http_at(USCHAT_HTTP_##NAME)->path)
/* The body of the gate's refusals before a route runs (HTTP 400, 404, 405, 413). */
const uschat_shape_t *uschat_proto_http_refusal(void);

#ifdef __cplusplus
}
#endif

#endif
