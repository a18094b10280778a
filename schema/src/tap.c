/* tap.c - the broker's tap record (see tap.h): a msgpack map written by the broker for every
 * message it routes and every event it sees, read by the monitor tool.
 *
 * The broker encodes one per routed message on its only thread, so encoding packs straight
 * into the caller's buffer (no allocation). The monitor decodes with the bounded reader:
 * strings must fit their arrays, unknown keys are skipped (a newer broker may add some),
 * absent keys read as zero / "". Thread-safe: no shared state.
 */
#include "uschat/tap.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "mp_reader.h"
#include "mp_writer.h"

typedef enum { S_U64, S_U32, S_TEXT } s_kind_t;

typedef struct {
    const char *name;
    s_kind_t kind;
    size_t offset;
    size_t cap; /* S_TEXT: size of the char array */
} s_key_t;

#define S_TEXT_KEY(member)                                                                         \
    {                                                                                              \
#member, S_TEXT, offsetof(tap_record_t, member), sizeof(((tap_record_t *)0)->member)       \
    }

static const s_key_t s_keys[] = {
    {"time_us", S_U64, offsetof(tap_record_t, time_us), 0},
    S_TEXT_KEY(event),
    S_TEXT_KEY(from_service),
    S_TEXT_KEY(from_node),
    S_TEXT_KEY(to_service),
    S_TEXT_KEY(to_node),
    S_TEXT_KEY(peer),
    {"size", S_U32, offsetof(tap_record_t, size), 0},
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

int tap_record_encode(const tap_record_t *r, uint8_t *buf, size_t cap)
{
    if (!r || !buf)
        return -EINVAL;
    mp_writer_t w;
    msgpack_packer pk;
    mp_writer_init(&w, &pk, buf, cap);
    msgpack_pack_map(&pk, S_KEY_COUNT);
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        const s_key_t *k = &s_keys[i];
        const uint8_t *p = (const uint8_t *)r + k->offset;
        mp_pack_cstr(&pk, k->name, strlen(k->name));
        switch (k->kind) {
        case S_U64:
            msgpack_pack_uint64(&pk, *(const uint64_t *)p);
            break;
        case S_U32:
            msgpack_pack_uint32(&pk, *(const uint32_t *)p);
            break;
        case S_TEXT: {
            size_t n = strnlen((const char *)p, k->cap);
            if (n == k->cap)
                return -EINVAL; /* not NUL-terminated */
            mp_pack_cstr(&pk, (const char *)p, n);
            break;
        }
        }
    }
    if (w.overflow)
        return -ENOSPC;
    return (int)w.len;
}

int tap_record_decode(const uint8_t *buf, size_t len, tap_record_t *r)
{
    mp_reader_t rd;
    mp_item_t top, key, value;
    if (!r)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    if (!buf)
        goto bad;
    mp_reader_init(&rd, buf, len);
    if (mp_read(&rd, &top) < 0 || top.type != MP_MAP)
        goto bad;
    for (uint32_t i = 0; i < top.len; i++) {
        const s_key_t *k = NULL;
        if (mp_read(&rd, &key) < 0 || key.type != MP_STR)
            goto bad;
        for (size_t j = 0; j < S_KEY_COUNT && !k; j++)
            if (mp_str_eq(&key, s_keys[j].name, strlen(s_keys[j].name)))
                k = &s_keys[j];
        if (!k) {
            if (mp_skip(&rd) < 0)
                goto bad;
            continue;
        }
        uint8_t *p = (uint8_t *)r + k->offset;
        if (mp_read(&rd, &value) < 0)
            goto bad;
        switch (k->kind) {
        case S_U64:
            if (value.type != MP_UINT)
                goto bad;
            *(uint64_t *)p = value.u;
            break;
        case S_U32:
            if (value.type != MP_UINT || value.u > UINT32_MAX)
                goto bad;
            *(uint32_t *)p = (uint32_t)value.u;
            break;
        case S_TEXT:
            if (value.type != MP_STR || value.len >= k->cap || memchr(value.data, 0, value.len))
                goto bad;
            memcpy(p, value.data, value.len);
            p[value.len] = '\0';
            break;
        }
    }
    if (mp_reader_left(&rd) != 0)
        goto bad;
    return 0;
bad:
    memset(r, 0, sizeof *r);
    return -EBADMSG;
}
