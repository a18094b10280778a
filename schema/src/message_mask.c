/* message_mask.c - a copy of a message body with its secrets replaced (msg_mask_secrets), for
 * the broker's tap: what leaves the broker for a monitor must not carry a token, code or
 * password in clear, whatever program reads it.
 *
 * Called from any thread (the broker's loop); no shared state. The body is walked straight
 * from the bytes with the bounded reader: each value under a secret key (MSG_F_SECRET in the
 * table at the top level of a known type and in the records of its lists; a secret-looking
 * name anywhere else, the rule the printer follows) is noted as a byte range, and the copy is the
 * body with those ranges replaced by the string "***". A container deeper than MASK_MAX_DEPTH is
 * replaced whole, so nothing unexamined passes. Nothing is allocated unless something is masked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/message.h"

#include "message_internal.h"
#include "mp_reader.h"

#define MASK_MAX_DEPTH 16
/* msgpack fixstr "***": what a masked value becomes */
static const uint8_t MASK_VALUE[] = {0xa3, '*', '*', '*'};

typedef struct {
    const uint8_t *base;
    size_t (*spans)[2]; /* [start, end) offsets of values to replace */
    size_t count;
    size_t cap;
} mask_t;

static int s_note_span(mask_t *m, const uint8_t *start, const uint8_t *end)
{
    if (m->count == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        size_t(*spans)[2] = realloc(m->spans, cap * sizeof(*spans));
        if (!spans)
            return -ENOMEM;
        m->spans = spans;
        m->cap = cap;
    }
    m->spans[m->count][0] = (size_t)(start - m->base);
    m->spans[m->count][1] = (size_t)(end - m->base);
    m->count++;
    return 0;
}

/* Skips one value, noting it as a span when secret. */
static int s_value(mask_t *m, mp_reader_t *r, const msg_desc_t *desc, int depth);

static int s_masked_value(mask_t *m, mp_reader_t *r)
{
    const uint8_t *start = r->p;
    if (mp_skip(r) < 0)
        return -EBADMSG;
    return s_note_span(m, start, r->p);
}

/* The value of a LIST field: an array of records of desc, each masked by desc's table. */
static int s_records(mask_t *m, mp_reader_t *r, const msg_desc_t *desc, int depth)
{
    const uint8_t *start = r->p;
    mp_item_t it;
    if (mp_read(r, &it) < 0)
        return -EBADMSG;
    r->p = start;
    if (it.type != MP_ARRAY || depth >= MASK_MAX_DEPTH)
        return s_value(m, r, NULL, depth);
    if (mp_read(r, &it) < 0)
        return -EBADMSG;
    for (uint32_t i = 0; i < it.len; i++) {
        int rc = s_value(m, r, desc, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The pairs of a map whose header is read; desc for the top-level map of a known type or a
 * record of one of its lists. */
static int s_pairs(mask_t *m, mp_reader_t *r, uint32_t count, const msg_desc_t *desc, int depth)
{
    for (uint32_t i = 0; i < count; i++) {
        mp_item_t key;
        const uint8_t *key_start = r->p;
        if (mp_read(r, &key) < 0)
            return -EBADMSG;
        if (key.type == MP_ARRAY || key.type == MP_MAP) {
            /* a container as a key: odd, and not worth reading into; both go */
            r->p = key_start;
            if (s_masked_value(m, r) < 0 || s_masked_value(m, r) < 0)
                return -EBADMSG;
            continue;
        }
        const msg_field_t *field =
            desc && key.type == MP_STR ? msg__field_find(desc, key.data, key.len) : NULL;
        bool secret = field ? (field->flags & MSG_F_SECRET) != 0
                            : key.type == MP_STR && msg__secret_name(key.data, key.len);
        int rc;
        if (secret)
            rc = s_masked_value(m, r);
        else if (field && field->kind == MSG_KIND_LIST)
            rc = s_records(m, r, field->record, depth + 1);
        else
            rc = s_value(m, r, NULL, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int s_value(mask_t *m, mp_reader_t *r, const msg_desc_t *desc, int depth)
{
    const uint8_t *start = r->p;
    mp_item_t it;
    if (mp_read(r, &it) < 0)
        return -EBADMSG;
    if (it.type != MP_MAP && it.type != MP_ARRAY)
        return 0;
    if (depth >= MASK_MAX_DEPTH) {
        r->p = start;
        return s_masked_value(m, r);
    }
    if (it.type == MP_MAP)
        return s_pairs(m, r, it.len, desc, depth);
    for (uint32_t i = 0; i < it.len; i++) {
        int rc = s_value(m, r, NULL, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int msg_mask_secrets(uint16_t type, const uint8_t *buf, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!buf || len > MSG_MAX_BODY)
        return -EBADMSG;
    mask_t m = {buf, NULL, 0, 0};
    mp_reader_t r;
    mp_reader_init(&r, buf, len);
    int rc = s_value(&m, &r, msg_desc(type), 0);
    if (rc == 0 && mp_reader_left(&r) != 0)
        rc = -EBADMSG;
    if (rc < 0 || m.count == 0) {
        free(m.spans);
        return rc;
    }
    /* spans are in body order and never overlap: the walk goes forward only */
    size_t kept = len;
    for (size_t i = 0; i < m.count; i++)
        kept -= m.spans[i][1] - m.spans[i][0];
    uint8_t *copy = malloc(kept + m.count * sizeof(MASK_VALUE));
    if (!copy) {
        free(m.spans);
        return -ENOMEM;
    }
    size_t at = 0, from = 0;
    for (size_t i = 0; i < m.count; i++) {
        memcpy(copy + at, buf + from, m.spans[i][0] - from);
        at += m.spans[i][0] - from;
        memcpy(copy + at, MASK_VALUE, sizeof(MASK_VALUE));
        at += sizeof(MASK_VALUE);
        from = m.spans[i][1];
    }
    memcpy(copy + at, buf + from, len - from);
    at += len - from;
    free(m.spans);
    *out = copy;
    *out_len = at;
    return 1;
}
