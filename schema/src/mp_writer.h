/* mp_writer.h - the output side for msgpack-c's packer (internal to schema/).
 *
 * msgpack-c's packer writes through a callback. This one writes into a caller's fixed buffer
 * (no allocation: the envelope and tap record encoders run per message on the broker), or,
 * with buf NULL, only counts, so message.c can size its output exactly before the one
 * malloc. Overflow is remembered rather than reported per call, so a sequence of
 * msgpack_pack_* calls needs one check at the end. Thread-safe: a writer is a local.
 */
#ifndef USCHAT_MP_WRITER_H
#define USCHAT_MP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

typedef struct {
    uint8_t *buf; /* NULL: count only */
    size_t cap;
    size_t len;
    bool overflow;
} mp_writer_t;

static inline int mp_writer_write(void *data, const char *src, size_t n)
{
    mp_writer_t *w = data;
    if (w->buf) {
        if (n > w->cap - w->len) {
            w->overflow = true;
            return -1;
        }
        memcpy(w->buf + w->len, src, n);
    }
    w->len += n;
    return 0;
}

static inline void mp_writer_init(mp_writer_t *w, msgpack_packer *pk, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->overflow = false;
    msgpack_packer_init(pk, w, mp_writer_write);
}

static inline void mp_pack_cstr(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

#endif
