/* message.c - the message table and the generic body encoder/decoder (see message.h).
 *
 * Every message of schema/messages/<area>.def becomes, through the X-macros below, a msg_desc_t
 * with a table of fields (name, kind, offset in the struct, max, flags). One encoder and one
 * decoder walk those tables, so adding a message is one .def entry and nothing else. Called
 * by every actor for every body it sends or receives, on its own thread; no shared state.
 *
 * The decoder reads with the bounded reader (mp_reader.h), never with msgpack_unpack: every
 * length is checked against the bytes left and against the field's max before the one malloc
 * that holds a string or bin, so a body can never make us allocate more than it carries.
 * The encoder checks the same rules (max, UTF-8, required) so that whatever it produces
 * decodes, sizes the output exactly in a first packing pass that only counts, then packs into
 * one malloc'd buffer. A LIST field is an array of records, each a map read and written by the
 * same code as a body; a list's count is bounded by its max and by the bytes left before its
 * one calloc.
 */
#include "uschat/message.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "message_internal.h"
#include "mp_reader.h"
#include "mp_writer.h"
#include "uschat/utf8.h"

/* ---- the tables --------------------------------------------------------------------------*/

/* The record a field's items are: NULL but for LIST(rec), which names the record's desc. */
#define MSG_RECORD_U64       NULL
#define MSG_RECORD_I64       NULL
#define MSG_RECORD_U32       NULL
#define MSG_RECORD_BOOL      NULL
#define MSG_RECORD_STR       NULL
#define MSG_RECORD_BIN       NULL
#define MSG_RECORD_LIST(rec) &s_record_##rec

/* Records come before the messages (and records) that list them in the .def files, so one pass
 * in file order defines every table before it is pointed at. */
#define MSG_FIELD_ENTRY(T, KIND, fname, fmax, fflags)                                              \
    {#fname, MSG_KIND_##KIND, (uint32_t)offsetof(T, fname), (fmax), (fflags), MSG_RECORD_##KIND},
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    static const msg_field_t s_fields_##name[] = {                                                 \
        FIELDS(MSG_FIELD_ENTRY, msg_##name##_t){NULL, 0, 0, 0, 0, NULL}};
#define USCHAT_RECORD(name, FIELDS, doc)                                                           \
    USCHAT_MESSAGE(0, RECORD_, name, FIELDS, doc)                                                  \
    static const msg_desc_t s_record_##name = {                                                    \
        0,                                                                                         \
        #name,                                                                                     \
        (doc),                                                                                     \
        sizeof(msg_##name##_t),                                                                    \
        s_fields_##name,                                                                           \
        sizeof s_fields_##name / sizeof s_fields_##name[0] - 1};
#include "../messages/all.def"
#undef USCHAT_RECORD
#undef USCHAT_MESSAGE

#define S_FIELD_COUNT(name) (sizeof s_fields_##name / sizeof s_fields_##name[0] - 1)

/* Mistakes in a .def entry fail the build rather than a decode at run time. Duplicate ids
 * fail in msg_desc()'s switch, duplicate message or field names in message.h. */
#define MSG_FIELD_CHECK(T, KIND, fname, fmax, fflags)                                              \
    _Static_assert(MSG_KIND_##KIND < MSG_KIND_STR || (fmax) <= MSG_MAX_BODY,                       \
                   #T "." #fname ": max over MSG_MAX_BODY");                                       \
    _Static_assert(MSG_KIND_##KIND != MSG_KIND_LIST || (fmax) > 0,                                 \
                   #T "." #fname ": a list needs a max count");                                    \
    _Static_assert(MSG_KIND_##KIND != MSG_KIND_LIST ||                                             \
                       sizeof(((T *)0)->fname) == sizeof(msg_list_t),                              \
                   #T "." #fname ": a list member is not laid out as msg_list_t");                 \
    _Static_assert(((fflags) & ~(MSG_F_SECRET | MSG_F_UID | MSG_F_REQUIRED)) == 0,                 \
                   #T "." #fname ": unknown flag");
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    FIELDS(MSG_FIELD_CHECK, msg_##name##_t)                                                        \
    _Static_assert(S_FIELD_COUNT(name) <= MSG_MAX_FIELDS, #name ": too many fields");
#define USCHAT_RECORD(name, FIELDS, doc) USCHAT_MESSAGE(0, RECORD_, name, FIELDS, doc)
#include "../messages/all.def"
#undef USCHAT_RECORD
#undef USCHAT_MESSAGE
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    _Static_assert((id) > 0 && (id) <= UINT16_MAX, #name ": id out of range");
#include "../messages/all.def"
#undef USCHAT_MESSAGE

#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc) S_INDEX_##NAME,
enum {
#include "../messages/all.def"
    S_MESSAGE_COUNT
};
#undef USCHAT_MESSAGE

#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    {(id), #name, (doc), sizeof(msg_##name##_t), s_fields_##name, S_FIELD_COUNT(name)},
static const msg_desc_t s_descs[] = {
#include "../messages/all.def"
};
#undef USCHAT_MESSAGE

const msg_desc_t *msg_desc(uint16_t type)
{
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    case (id):                                                                                     \
        return &s_descs[S_INDEX_##NAME];
    switch (type) {
#include "../messages/all.def"
    default:
        return NULL;
    }
#undef USCHAT_MESSAGE
}

const msg_desc_t *msg_desc_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < S_MESSAGE_COUNT; i++)
        if (strcmp(s_descs[i].name, name) == 0)
            return &s_descs[i];
    return NULL;
}

size_t msg_desc_count(void)
{
    return S_MESSAGE_COUNT;
}

const msg_desc_t *msg_desc_at(size_t index)
{
    return index < S_MESSAGE_COUNT ? &s_descs[index] : NULL;
}

const msg_field_t *msg__field_find(const msg_desc_t *d, const uint8_t *name, size_t len)
{
    /* With no NUL in name, strncmp() == 0 means fname's first len bytes are name's, so
     * fname[len] is inside fname. */
    if (memchr(name, 0, len))
        return NULL;
    for (size_t i = 0; i < d->field_count; i++) {
        const char *fname = d->fields[i].name;
        if (strncmp(fname, (const char *)name, len) == 0 && fname[len] == '\0')
            return &d->fields[i];
    }
    return NULL;
}

/* ---- shared rules --------------------------------------------------------------------- */

static inline uint32_t s_bytes_max(const msg_field_t *f)
{
    return f->max ? f->max : MSG_MAX_BODY;
}

static inline bool s_u64_ok(const msg_field_t *f, uint64_t v)
{
    return f->max == 0 || v <= f->max;
}

static inline bool s_i64_ok(const msg_field_t *f, int64_t v)
{
    return f->max == 0 || (v <= (int64_t)f->max && v >= -(int64_t)f->max);
}

/* ---- encoding ------------------------------------------------------------------------- */

static int s_record_check(const msg_desc_t *d, const uint8_t *msg);

/* 0 when the field's value fits the table, -EINVAL when it breaks it. */
static int s_encode_check(const msg_field_t *f, const uint8_t *p)
{
    switch (f->kind) {
    case MSG_KIND_U64:
        return s_u64_ok(f, *(const uint64_t *)p) ? 0 : -EINVAL;
    case MSG_KIND_I64:
        return s_i64_ok(f, *(const int64_t *)p) ? 0 : -EINVAL;
    case MSG_KIND_U32:
        return s_u64_ok(f, *(const uint32_t *)p) ? 0 : -EINVAL;
    case MSG_KIND_BOOL:
        return 0;
    case MSG_KIND_STR: {
        const char *s = *(char *const *)p;
        if (!s)
            return (f->flags & MSG_F_REQUIRED) ? -EINVAL : 0;
        size_t n = strnlen(s, (size_t)s_bytes_max(f) + 1);
        if (n > s_bytes_max(f) || !utf8_text_valid((const uint8_t *)s, n))
            return -EINVAL;
        return 0;
    }
    case MSG_KIND_BIN: {
        const msg_bin_t *b = (const msg_bin_t *)p;
        if (b->len > s_bytes_max(f) || (!b->data && b->len))
            return -EINVAL;
        return 0;
    }
    case MSG_KIND_LIST: {
        const msg_list_t *l = (const msg_list_t *)p;
        if (l->count > f->max || (!l->items && l->count))
            return -EINVAL;
        for (size_t i = 0; i < l->count; i++) {
            int rc = s_record_check(f->record, (const uint8_t *)l->items + i * f->record->size);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    default:
        return -EINVAL;
    }
}

static int s_record_check(const msg_desc_t *d, const uint8_t *msg)
{
    for (size_t i = 0; i < d->field_count; i++) {
        int rc = s_encode_check(&d->fields[i], msg + d->fields[i].offset);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Whether a checked field goes on the wire: all do but a NULL string. */
static inline bool s_present(const msg_field_t *f, const uint8_t *p)
{
    return f->kind != MSG_KIND_STR || *(char *const *)p != NULL;
}

static void s_pack_record(msgpack_packer *pk, const msg_desc_t *d, const uint8_t *msg);

static void s_pack_field(msgpack_packer *pk, const msg_field_t *f, const uint8_t *p)
{
    mp_pack_cstr(pk, f->name, strlen(f->name));
    switch (f->kind) {
    case MSG_KIND_U64:
        msgpack_pack_uint64(pk, *(const uint64_t *)p);
        break;
    case MSG_KIND_I64:
        msgpack_pack_int64(pk, *(const int64_t *)p);
        break;
    case MSG_KIND_U32:
        msgpack_pack_uint32(pk, *(const uint32_t *)p);
        break;
    case MSG_KIND_BOOL:
        /* Read as a byte: a bool holding anything but 0 or 1 would be undefined to load. */
        if (*p)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case MSG_KIND_STR: {
        const char *s = *(char *const *)p;
        mp_pack_cstr(pk, s, strlen(s));
        break;
    }
    case MSG_KIND_BIN: {
        const msg_bin_t *b = (const msg_bin_t *)p;
        msgpack_pack_bin(pk, b->len);
        if (b->len)
            msgpack_pack_bin_body(pk, b->data, b->len);
        break;
    }
    case MSG_KIND_LIST: {
        const msg_list_t *l = (const msg_list_t *)p;
        msgpack_pack_array(pk, l->count);
        for (size_t i = 0; i < l->count; i++)
            s_pack_record(pk, f->record, (const uint8_t *)l->items + i * f->record->size);
        break;
    }
    }
}

/* A body or a record: the map of its present fields. Records nest only as deep as the table
 * does, so the recursion is bounded at compile time. */
static void s_pack_record(msgpack_packer *pk, const msg_desc_t *d, const uint8_t *msg)
{
    size_t count = 0;
    for (size_t i = 0; i < d->field_count; i++)
        count += s_present(&d->fields[i], msg + d->fields[i].offset);
    msgpack_pack_map(pk, count);
    for (size_t i = 0; i < d->field_count; i++)
        if (s_present(&d->fields[i], msg + d->fields[i].offset))
            s_pack_field(pk, &d->fields[i], msg + d->fields[i].offset);
}

int msg_encode(uint16_t type, const void *msg, uint8_t **out, size_t *out_len)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    const msg_desc_t *d = msg_desc(type);
    if (!d)
        return -ENOENT;
    if (!msg || !out || !out_len)
        return -EINVAL;
    int rc = s_record_check(d, msg);
    if (rc < 0)
        return rc;

    mp_writer_t w;
    msgpack_packer pk;
    mp_writer_init(&w, &pk, NULL, 0);
    s_pack_record(&pk, d, msg);
    size_t size = w.len;
    if (size > MSG_MAX_BODY)
        return -E2BIG;
    uint8_t *buf = malloc(size);
    if (!buf)
        return -ENOMEM;
    mp_writer_init(&w, &pk, buf, size);
    s_pack_record(&pk, d, msg);
    if (w.overflow || w.len != size) {
        free(buf);
        return -EINVAL;
    }
    *out = buf;
    *out_len = size;
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------- */

static int s_map_read(const msg_desc_t *d, mp_reader_t *r, uint8_t *msg);

/* Checks one value against its field and, with msg non-NULL, stores it; a list reads its
 * records from r. */
static int s_store(const msg_field_t *f, const mp_item_t *v, mp_reader_t *r, uint8_t *msg)
{
    uint8_t *p = msg ? msg + f->offset : NULL;
    switch (f->kind) {
    case MSG_KIND_U64:
        if (v->type != MP_UINT || !s_u64_ok(f, v->u))
            return -EBADMSG;
        if (p)
            *(uint64_t *)p = v->u;
        return 0;
    case MSG_KIND_I64: {
        int64_t x;
        if (v->type == MP_UINT && v->u <= INT64_MAX)
            x = (int64_t)v->u;
        else if (v->type == MP_INT)
            x = v->i;
        else
            return -EBADMSG;
        if (!s_i64_ok(f, x))
            return -EBADMSG;
        if (p)
            *(int64_t *)p = x;
        return 0;
    }
    case MSG_KIND_U32:
        if (v->type != MP_UINT || v->u > UINT32_MAX || !s_u64_ok(f, v->u))
            return -EBADMSG;
        if (p)
            *(uint32_t *)p = (uint32_t)v->u;
        return 0;
    case MSG_KIND_BOOL:
        if (v->type != MP_BOOL)
            return -EBADMSG;
        if (p)
            *(bool *)p = v->b;
        return 0;
    case MSG_KIND_STR: {
        if (v->type != MP_STR || v->len > s_bytes_max(f) || !utf8_text_valid(v->data, v->len))
            return -EBADMSG;
        if (!p)
            return 0;
        char *s = malloc((size_t)v->len + 1);
        if (!s)
            return -ENOMEM;
        memcpy(s, v->data, v->len);
        s[v->len] = '\0';
        *(char **)p = s;
        return 0;
    }
    case MSG_KIND_BIN: {
        if (v->type != MP_BIN || v->len > s_bytes_max(f))
            return -EBADMSG;
        if (!p || v->len == 0)
            return 0;
        msg_bin_t *b = (msg_bin_t *)p;
        b->data = malloc(v->len);
        if (!b->data)
            return -ENOMEM;
        memcpy(b->data, v->data, v->len);
        b->len = v->len;
        return 0;
    }
    case MSG_KIND_LIST: {
        /* The reader has checked the count against the bytes left (a record takes at least
         * one), and the table bounds it: the array below is never larger than the input. */
        if (v->type != MP_ARRAY || v->len > f->max)
            return -EBADMSG;
        msg_list_t *l = (msg_list_t *)p;
        if (l && v->len) {
            l->items = calloc(v->len, f->record->size);
            if (!l->items)
                return -ENOMEM;
            l->count = v->len; /* all of them, so that msg_clear() frees a half-read list */
        }
        for (uint32_t i = 0; i < v->len; i++) {
            uint8_t *item = l ? (uint8_t *)l->items + (size_t)i * f->record->size : NULL;
            int rc = s_map_read(f->record, r, item);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    default:
        return -EBADMSG;
    }
}

/* One map of fields of d (a body or a record) from r. */
static int s_map_read(const msg_desc_t *d, mp_reader_t *r, uint8_t *msg)
{
    mp_item_t top, key, value;
    uint64_t seen = 0, given = 0;

    if (mp_read(r, &top) < 0 || top.type != MP_MAP)
        return -EBADMSG;
    for (uint32_t i = 0; i < top.len; i++) {
        if (mp_read(r, &key) < 0 || key.type != MP_STR)
            return -EBADMSG;
        const msg_field_t *f = msg__field_find(d, key.data, key.len);
        if (!f) {
            /* Unknown keys are ignored: the other side may be newer. */
            if (mp_skip(r) < 0)
                return -EBADMSG;
            continue;
        }
        uint64_t bit = 1ull << (f - d->fields);
        if (seen & bit)
            return -EBADMSG; /* a repeated key: which one would be meant? */
        seen |= bit;
        if (mp_read(r, &value) < 0)
            return -EBADMSG;
        if (value.type == MP_NIL)
            continue; /* nil reads as absent */
        int rc = s_store(f, &value, r, msg);
        if (rc < 0)
            return rc;
        given |= bit;
    }
    for (size_t i = 0; i < d->field_count; i++)
        if ((d->fields[i].flags & MSG_F_REQUIRED) && !(given & (1ull << i)))
            return -EBADMSG;
    return 0;
}

int msg__body_read(const msg_desc_t *d, const uint8_t *buf, size_t len, void *msg)
{
    mp_reader_t r;
    if (len > MSG_MAX_BODY)
        return -E2BIG;
    if (!buf)
        return -EBADMSG;
    mp_reader_init(&r, buf, len);
    int rc = s_map_read(d, &r, msg);
    if (rc < 0)
        return rc;
    return mp_reader_left(&r) == 0 ? 0 : -EBADMSG;
}

int msg_decode(uint16_t type, const uint8_t *buf, size_t len, void *msg)
{
    const msg_desc_t *d = msg_desc(type);
    if (!d)
        return -ENOENT;
    if (!msg)
        return -EINVAL;
    memset(msg, 0, d->size);
    int rc = msg__body_read(d, buf, len, msg);
    if (rc < 0)
        msg_clear(type, msg);
    return rc;
}

/* Frees what the fields of one body or record own; the caller zeroes it. */
static void s_clear_fields(const msg_desc_t *d, uint8_t *msg)
{
    for (size_t i = 0; i < d->field_count; i++) {
        const msg_field_t *f = &d->fields[i];
        uint8_t *p = msg + f->offset;
        if (f->kind == MSG_KIND_STR) {
            free(*(char **)p);
        } else if (f->kind == MSG_KIND_BIN) {
            free(((msg_bin_t *)p)->data);
        } else if (f->kind == MSG_KIND_LIST) {
            msg_list_t *l = (msg_list_t *)p;
            for (size_t k = 0; l->items && k < l->count; k++)
                s_clear_fields(f->record, (uint8_t *)l->items + k * f->record->size);
            free(l->items);
        }
    }
}

void msg_clear(uint16_t type, void *msg)
{
    const msg_desc_t *d = msg_desc(type);
    if (!d || !msg)
        return;
    s_clear_fields(d, msg);
    memset(msg, 0, d->size);
}
