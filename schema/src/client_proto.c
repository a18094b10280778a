/* client_proto.c - the descriptor tables of the client protocol (client_proto.h), expanded from
 * schema/messages/client.def, errors.def and http.def, and their lookups.
 *
 * Constant data built by the compiler; the lookups are pure, callable from any thread.
 */
#include "uschat/client_proto.h"

#define DIR_C2S       USCHAT_DIR_C2S
#define DIR_S2C       USCHAT_DIR_S2C
#define ORIGIN_SEED   USCHAT_ORIGIN_SEED
#define ORIGIN_USCHAT USCHAT_ORIGIN_USCHAT

/* Fields: a value, or a list pointing at its item shape (items come first in client.def). */
#define FIELD_F(T, fname, KIND, fmin, fmax, fflags, fdoc)                                          \
    {.name = #fname,                                                                               \
     .kind = USCHAT_KIND_##KIND,                                                                   \
     .flags = (fflags),                                                                            \
     .min = (fmin),                                                                                \
     .max = (fmax),                                                                                \
     .doc = fdoc},
#define FIELD_L(T, fname, ITEM, fmax, fflags, fdoc)                                                \
    {.name = #fname,                                                                               \
     .kind = USCHAT_KIND_LIST,                                                                     \
     .flags = (fflags),                                                                            \
     .max = (fmax),                                                                                \
     .item = &s_item_##ITEM,                                                                       \
     .doc = fdoc},
#define REASON(NAME, when) {USCHAT_ERR_##NAME, when},

/* Item shapes, then each message's fields and reasons. A shape may have no fields, so every
 * array carries one unused entry at the end and the count comes from the expansion. */
#define COUNT_F(...) +1
#define COUNT_E(...) +1

#define USCHAT_CLIENT_ITEM(NAME, FIELDS, idoc)                                                     \
    static const uschat_field_t s_item_fields_##NAME[] = {FIELDS(FIELD_F, FIELD_L, NAME){0}};      \
    static const uschat_shape_t s_item_##NAME = {#NAME, idoc, s_item_fields_##NAME,                \
                                                 0 FIELDS(COUNT_F, COUNT_F, NAME)};
#define USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, doc)          \
    static const uschat_field_t s_fields_##NAME[] = {FIELDS(FIELD_F, FIELD_L, NAME){0}};           \
    static const uschat_reason_t s_reasons_##NAME[] = {ERRORS(REASON){0, 0}};
#include "../messages/client.def"
#undef USCHAT_CLIENT_MSG
#undef USCHAT_CLIENT_ITEM

#define USCHAT_CLIENT_ITEM(NAME, FIELDS, doc) &s_item_##NAME,
#define USCHAT_CLIENT_MSG(id, NAME, name, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, doc)
static const uschat_shape_t *const s_items[] = {
#include "../messages/client.def"
};
#undef USCHAT_CLIENT_MSG
#undef USCHAT_CLIENT_ITEM

#define USCHAT_CLIENT_ITEM(NAME, FIELDS, doc)
#define USCHAT_CLIENT_MSG(mid, NAME, mname, DIR, REPLY, FLAGS, FIELDS, ERRORS, ORIGIN, mdoc)       \
    {.id = mid,                                                                                    \
     .name = #mname,                                                                               \
     .dir = DIR_##DIR,                                                                             \
     .reply = USCHAT_ID_##REPLY,                                                                   \
     .flags = (FLAGS),                                                                             \
     .origin = ORIGIN_##ORIGIN,                                                                    \
     .body = {#mname, mdoc, s_fields_##NAME, 0 FIELDS(COUNT_F, COUNT_F, NAME)},                    \
     .errors = s_reasons_##NAME,                                                                   \
     .error_count = 0 ERRORS(COUNT_E)},
static const uschat_msg_desc_t s_msgs[] = {
#include "../messages/client.def"
};
#undef USCHAT_CLIENT_MSG
#undef USCHAT_CLIENT_ITEM

#define USCHAT_ERROR(ecode, NAME, SENDERS, ORIGIN, esentence, emeaning)                            \
    {.code = ecode,                                                                                \
     .name = #NAME,                                                                                \
     .senders = (SENDERS),                                                                         \
     .origin = ORIGIN_##ORIGIN,                                                                    \
     .sentence = esentence,                                                                        \
     .meaning = emeaning},
static const uschat_error_desc_t s_errors[] = {
#include "../messages/errors.def"
};
#undef USCHAT_ERROR

#define USCHAT_HTTP_ROUTE(METHOD, path, NAME, REQUEST, REPLY, ERRORS, ORIGIN, doc)                 \
    static const uschat_field_t s_http_req_##NAME[] = {REQUEST(FIELD_F, FIELD_L, NAME){0}};        \
    static const uschat_field_t s_http_rsp_##NAME[] = {REPLY(FIELD_F, FIELD_L, NAME){0}};          \
    static const uschat_reason_t s_http_reasons_##NAME[] = {ERRORS(REASON){0, 0}};
#include "../messages/http.def"
#undef USCHAT_HTTP_ROUTE

#define USCHAT_HTTP_ROUTE(METHOD, hpath, NAME, REQUEST, REPLY, ERRORS, ORIGIN, hdoc)               \
    [USCHAT_HTTP_##                                                                                \
        NAME] = {.method = #METHOD,                                                                \
                 .path = hpath,                                                                    \
                 .name = #NAME,                                                                    \
                 .origin = ORIGIN_##ORIGIN,                                                        \
                 .doc = hdoc,                                                                      \
                 .request = {hpath, "", s_http_req_##NAME, 0 REQUEST(COUNT_F, COUNT_F, NAME)},     \
                 .reply = {hpath, "", s_http_rsp_##NAME, 0 REPLY(COUNT_F, COUNT_F, NAME)},         \
                 .errors = s_http_reasons_##NAME,                                                  \
                 .error_count = 0 ERRORS(COUNT_E)},
static const uschat_http_desc_t s_http[USCHAT_HTTP_ROUTE_COUNT] = {
#include "../messages/http.def"
};
#undef USCHAT_HTTP_ROUTE

/* The body of the gate's refusals outside any route (http.def). */
static const uschat_field_t s_http_refusal_fields[] = {
    USCHAT_HTTP_REFUSAL_FIELDS(FIELD_F, FIELD_L, HTTP_REFUSAL){0}};
static const uschat_shape_t s_http_refusal = {
    "HTTP_REFUSAL", "", s_http_refusal_fields,
    0 USCHAT_HTTP_REFUSAL_FIELDS(COUNT_F, COUNT_F, HTTP_REFUSAL)};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const uschat_msg_desc_t *uschat_proto_msg(uint16_t id)
{
    for (size_t i = 0; i < COUNT(s_msgs); i++)
        if (s_msgs[i].id == id)
            return &s_msgs[i];
    return NULL;
}

size_t uschat_proto_msg_count(void)
{
    return COUNT(s_msgs);
}

const uschat_msg_desc_t *uschat_proto_msg_at(size_t index)
{
    return index < COUNT(s_msgs) ? &s_msgs[index] : NULL;
}

size_t uschat_proto_item_count(void)
{
    return COUNT(s_items);
}

const uschat_shape_t *uschat_proto_item_at(size_t index)
{
    return index < COUNT(s_items) ? s_items[index] : NULL;
}

const uschat_error_desc_t *uschat_proto_error(int code)
{
    for (size_t i = 0; i < COUNT(s_errors); i++)
        if (s_errors[i].code == code)
            return &s_errors[i];
    return NULL;
}

size_t uschat_proto_error_count(void)
{
    return COUNT(s_errors);
}

const uschat_error_desc_t *uschat_proto_error_at(size_t index)
{
    return index < COUNT(s_errors) ? &s_errors[index] : NULL;
}

const uschat_http_desc_t *uschat_proto_http_at(size_t index)
{
    return index < COUNT(s_http) ? &s_http[index] : NULL;
}

const uschat_shape_t *uschat_proto_http_refusal(void)
{
    return &s_http_refusal;
}
