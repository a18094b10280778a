/* envelope.c - encoder and decoder of the broker envelope (see envelope.h).
 *
 * The broker calls both for every message it routes (decode what came in, encode what goes
 * out), and the actor runtime for every message it sends or receives, on whichever thread owns
 * the socket. So: no allocation, no msgpack_unpack (the bounded reader of mp_reader.h reads
 * the nine fixed fields in place), and packing through msgpack-c's packer straight into the
 * caller's buffer. Strings are checked the same way on both sides (length bound, no NUL and no
 * control characters, since node names end up in logs), so anything encoded here decodes.
 */
#include "uschat/envelope.h"

#include <errno.h>
#include <string.h>

#include "mp_reader.h"
#include "mp_writer.h"

#define ENVELOPE_FIELDS 9

/* Length of a NUL-terminated name held in a char[cap], or -1 when it has no NUL in the array
 * or contains a control character. */
static inline int s_name_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n] != '\0') {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c == 0x7f)
            return -1;
        n++;
    }
    return n < cap ? (int)n : -1;
}

static inline bool s_name_ok(const uint8_t *p, uint32_t len, size_t cap)
{
    if (len >= cap)
        return false;
    for (uint32_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
    return true;
}

int envelope_encode(const envelope_t *e, uint8_t *buf, size_t cap)
{
    if (!e || !buf)
        return -EINVAL;
    if (e->kind < ENVELOPE_READY || e->kind > ENVELOPE_ERROR)
        return -EINVAL;
    int service_len = s_name_len(e->service, sizeof e->service);
    int node_len = s_name_len(e->node, sizeof e->node);
    int from_len = s_name_len(e->from, sizeof e->from);
    if (service_len < 0 || node_len < 0 || from_len < 0)
        return -EINVAL;

    mp_writer_t w;
    msgpack_packer pk;
    mp_writer_init(&w, &pk, buf, cap);
    msgpack_pack_array(&pk, ENVELOPE_FIELDS);
    msgpack_pack_uint8(&pk, ENVELOPE_VERSION);
    msgpack_pack_uint8(&pk, e->kind);
    msgpack_pack_uint16(&pk, e->type);
    msgpack_pack_uint64(&pk, e->corr);
    msgpack_pack_uint32(&pk, e->load);
    msgpack_pack_uint16(&pk, e->error);
    mp_pack_cstr(&pk, e->service, (size_t)service_len);
    mp_pack_cstr(&pk, e->node, (size_t)node_len);
    mp_pack_cstr(&pk, e->from, (size_t)from_len);
    if (w.overflow)
        return -ENOSPC;
    return (int)w.len;
}

static inline int s_read_uint(mp_reader_t *r, uint64_t max, uint64_t *v)
{
    mp_item_t it;
    if (mp_read(r, &it) < 0 || it.type != MP_UINT || it.u > max)
        return -1;
    *v = it.u;
    return 0;
}

static inline int s_read_name(mp_reader_t *r, char *dst, size_t cap)
{
    mp_item_t it;
    if (mp_read(r, &it) < 0 || it.type != MP_STR || !s_name_ok(it.data, it.len, cap))
        return -1;
    memcpy(dst, it.data, it.len);
    dst[it.len] = '\0';
    return 0;
}

int envelope_decode(const uint8_t *buf, size_t len, envelope_t *e)
{
    mp_reader_t r;
    mp_item_t it;
    uint64_t version, kind, type, load, error;

    if (!e)
        return -EINVAL;
    memset(e, 0, sizeof *e);
    if (!buf)
        goto bad;
    mp_reader_init(&r, buf, len);
    if (mp_read(&r, &it) < 0 || it.type != MP_ARRAY || it.len != ENVELOPE_FIELDS)
        goto bad;
    if (s_read_uint(&r, UINT8_MAX, &version) < 0 || version != ENVELOPE_VERSION)
        goto bad;
    if (s_read_uint(&r, ENVELOPE_ERROR, &kind) < 0 || kind < ENVELOPE_READY)
        goto bad;
    if (s_read_uint(&r, UINT16_MAX, &type) < 0 || s_read_uint(&r, UINT64_MAX, &e->corr) < 0 ||
        s_read_uint(&r, UINT32_MAX, &load) < 0 || s_read_uint(&r, UINT16_MAX, &error) < 0)
        goto bad;
    if (s_read_name(&r, e->service, sizeof e->service) < 0 ||
        s_read_name(&r, e->node, sizeof e->node) < 0 ||
        s_read_name(&r, e->from, sizeof e->from) < 0)
        goto bad;
    if (mp_reader_left(&r) != 0)
        goto bad;
    e->kind = (uint8_t)kind;
    e->type = (uint16_t)type;
    e->load = (uint32_t)load;
    e->error = (uint16_t)error;
    return 0;
bad:
    memset(e, 0, sizeof *e);
    return -EBADMSG;
}

const char *envelope_kind_name(int kind)
{
    switch (kind) {
    case ENVELOPE_READY:
        return "READY";
    case ENVELOPE_HEARTBEAT:
        return "HEARTBEAT";
    case ENVELOPE_DISCONNECT:
        return "DISCONNECT";
    case ENVELOPE_REQUEST:
        return "REQUEST";
    case ENVELOPE_REPLY:
        return "REPLY";
    case ENVELOPE_NOTIFY:
        return "NOTIFY";
    case ENVELOPE_ERROR:
        return "ERROR";
    default:
        return "?";
    }
}

const char *route_error_name(int error)
{
    switch (error) {
    case ROUTE_OK:
        return "ok";
    case ROUTE_ERR_NO_SERVICE:
        return "no_service";
    case ROUTE_ERR_NO_NODE:
        return "no_node";
    case ROUTE_ERR_BAD_ENVELOPE:
        return "bad_envelope";
    case ROUTE_ERR_NOT_READY:
        return "not_ready";
    case ROUTE_ERR_TIMEOUT:
        return "timeout";
    case ROUTE_ERR_REPLACED:
        return "replaced";
    case ROUTE_ERR_UNDELIVERABLE:
        return "undeliverable";
    case ROUTE_ERR_FORBIDDEN:
        return "forbidden";
    default:
        return "?";
    }
}
