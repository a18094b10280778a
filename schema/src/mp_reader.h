/* mp_reader.h - a small bounded msgpack reader for untrusted input (internal to schema/).
 *
 * msgpack-c's unpacker believes the counts in its input (5 bytes can ask it for 4 GB), so
 * nothing in schema/ hands untrusted bytes to it. This reader reads one item header at a time
 * from [p, end) and checks every length and count against the bytes that remain before the
 * caller sees it: a str/bin/ext length must fit in what is left, and an array (map) of N
 * elements needs at least N (2N) more bytes, since every element takes at least one. Nothing
 * here allocates. Everything is static inline because the envelope decoder, on the broker's
 * hot path, is built from it. Used by envelope.c, message.c, message_format.c and tap.c, on
 * whatever thread calls them; a reader is a local variable, so all of it is thread-safe.
 */
#ifndef USCHAT_MP_READER_H
#define USCHAT_MP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    MP_NIL,
    MP_BOOL,
    MP_UINT, /* any integer >= 0, whatever its encoding (msgpack may write 5 as int8) */
    MP_INT,  /* any integer < 0 */
    MP_FLOAT,
    MP_STR,
    MP_BIN,
    MP_EXT,
    MP_ARRAY,
    MP_MAP,
} mp_type_t;

typedef struct {
    mp_type_t type;
    bool b;
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t *data; /* STR, BIN, EXT: the payload, inside the input */
    uint32_t len;        /* STR, BIN, EXT: payload bytes; ARRAY, MAP: element (pair) count */
    int8_t ext_type;
} mp_item_t;

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} mp_reader_t;

static inline void mp_reader_init(mp_reader_t *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf ? buf + len : buf;
}

static inline size_t mp_reader_left(const mp_reader_t *r)
{
    return (size_t)(r->end - r->p);
}

static inline uint64_t mp_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads n bytes of big-endian length/value after the type byte; -1 when they are not there. */
static inline int mp_take(mp_reader_t *r, unsigned n, uint64_t *v)
{
    if (mp_reader_left(r) < n)
        return -1;
    *v = mp_be(r->p, n);
    r->p += n;
    return 0;
}

/* A payload of len bytes follows (str, bin, ext). */
static inline int mp_payload(mp_reader_t *r, uint64_t len, mp_item_t *it)
{
    if (len > mp_reader_left(r))
        return -1;
    it->data = r->p;
    it->len = (uint32_t)len;
    r->p += len;
    return 0;
}

/* count elements follow, each at least one byte (pairs: two bytes). */
static inline int mp_container(mp_reader_t *r, mp_type_t type, uint64_t count, mp_item_t *it)
{
    uint64_t need = type == MP_MAP ? count * 2 : count;
    if (need > mp_reader_left(r))
        return -1;
    it->type = type;
    it->len = (uint32_t)count;
    return 0;
}

static inline int mp_signed(mp_item_t *it, int64_t v)
{
    if (v >= 0) {
        it->type = MP_UINT;
        it->u = (uint64_t)v;
    } else {
        it->type = MP_INT;
        it->i = v;
    }
    return 0;
}

/* Reads the next item. For ARRAY and MAP only the header is consumed: the caller reads the
 * elements next. Returns 0, or -1 when the input is malformed or truncated. */
static inline int mp_read(mp_reader_t *r, mp_item_t *it)
{
    uint64_t v;
    if (r->p >= r->end)
        return -1;
    uint8_t c = *r->p++;
    if (c <= 0x7f) {
        it->type = MP_UINT;
        it->u = c;
        return 0;
    }
    if (c >= 0xe0) {
        it->type = MP_INT;
        it->i = (int8_t)c;
        return 0;
    }
    if (c >= 0xa0 && c <= 0xbf) {
        it->type = MP_STR;
        return mp_payload(r, c & 0x1fu, it);
    }
    if (c >= 0x90 && c <= 0x9f)
        return mp_container(r, MP_ARRAY, c & 0x0fu, it);
    if (c >= 0x80 && c <= 0x8f)
        return mp_container(r, MP_MAP, c & 0x0fu, it);
    switch (c) {
    case 0xc0:
        it->type = MP_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        it->type = MP_BOOL;
        it->b = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        it->type = MP_BIN;
        if (mp_take(r, 1u << (c - 0xc4), &v) < 0)
            return -1;
        return mp_payload(r, v, it);
    case 0xc7:
    case 0xc8:
    case 0xc9: {
        uint64_t t;
        it->type = MP_EXT;
        if (mp_take(r, 1u << (c - 0xc7), &v) < 0 || mp_take(r, 1, &t) < 0)
            return -1;
        it->ext_type = (int8_t)(uint8_t)t;
        return mp_payload(r, v, it);
    }
    case 0xca: {
        float f;
        uint32_t bits;
        if (mp_take(r, 4, &v) < 0)
            return -1;
        bits = (uint32_t)v;
        memcpy(&f, &bits, sizeof f);
        it->type = MP_FLOAT;
        it->f = f;
        return 0;
    }
    case 0xcb: {
        double d;
        if (mp_take(r, 8, &v) < 0)
            return -1;
        memcpy(&d, &v, sizeof d);
        it->type = MP_FLOAT;
        it->f = d;
        return 0;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        it->type = MP_UINT;
        return mp_take(r, 1u << (c - 0xcc), &it->u);
    case 0xd0:
        if (mp_take(r, 1, &v) < 0)
            return -1;
        return mp_signed(it, (int8_t)(uint8_t)v);
    case 0xd1:
        if (mp_take(r, 2, &v) < 0)
            return -1;
        return mp_signed(it, (int16_t)(uint16_t)v);
    case 0xd2:
        if (mp_take(r, 4, &v) < 0)
            return -1;
        return mp_signed(it, (int32_t)(uint32_t)v);
    case 0xd3:
        if (mp_take(r, 8, &v) < 0)
            return -1;
        return mp_signed(it, (int64_t)v);
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: {
        uint64_t t;
        it->type = MP_EXT;
        if (mp_take(r, 1, &t) < 0)
            return -1;
        it->ext_type = (int8_t)(uint8_t)t;
        return mp_payload(r, 1u << (c - 0xd4), it);
    }
    case 0xd9:
    case 0xda:
    case 0xdb:
        it->type = MP_STR;
        if (mp_take(r, 1u << (c - 0xd9), &v) < 0)
            return -1;
        return mp_payload(r, v, it);
    case 0xdc:
    case 0xdd:
        if (mp_take(r, c == 0xdc ? 2 : 4, &v) < 0)
            return -1;
        return mp_container(r, MP_ARRAY, v, it);
    case 0xde:
    case 0xdf:
        if (mp_take(r, c == 0xde ? 2 : 4, &v) < 0)
            return -1;
        return mp_container(r, MP_MAP, v, it);
    default: /* 0xc1: never used */
        return -1;
    }
}

/* Skips one whole value (an array or map with everything in it). Iterative, so nesting depth
 * costs no stack; the number of items still to skip is bounded by the bytes left, since every
 * container was checked against them. Returns 0 or -1. */
static inline int mp_skip(mp_reader_t *r)
{
    uint64_t pending = 1;
    mp_item_t it;
    while (pending > 0) {
        if (mp_read(r, &it) < 0)
            return -1;
        pending--;
        if (it.type == MP_ARRAY)
            pending += it.len;
        else if (it.type == MP_MAP)
            pending += 2ull * it.len;
    }
    return 0;
}

/* True when the item is a string equal to the NUL-terminated s. */
static inline bool mp_str_eq(const mp_item_t *it, const char *s, size_t slen)
{
    return it->type == MP_STR && it->len == slen && memcmp(it->data, s, slen) == 0;
}

#endif
