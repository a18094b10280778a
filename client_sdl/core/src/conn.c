/* conn.c - the sans-I/O connection core (conn.h): requests encoded as frames into an out
 * buffer, bytes from the server decoded into JSON messages.
 *
 * The framing itself is schema's frame codec (frame.h), shared with the chat node, so client
 * and server cannot disagree about it. This file adds the JSON layer and the buffer policy that
 * keeps an idle connection small: the out buffer exists only while something waits to be
 * written. Called from the one thread that owns the connection.
 */
#include "uschat/client/conn.h"

#include <stdlib.h>
#include <string.h>

#include "uschat/client/error.h"
#include "uschat/frame.h"

struct uschat_conn {
    frame_decoder_t dec;
    uint8_t *out;     /* NULL while nothing waits to be written */
    uint32_t out_off; /* bytes of out already written */
    uint32_t out_len; /* bytes of out filled */
    uint32_t out_cap;
    uint32_t max_body;
};

uschat_conn_t *uschat_conn_new(uint32_t max_body)
{
    uschat_conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->max_body = (max_body == 0 || max_body > FRAME_MAX_BODY) ? FRAME_MAX_BODY : max_body;
    frame_decoder_init(&c->dec, c->max_body);
    return c;
}

void uschat_conn_destroy(uschat_conn_t **p)
{
    if (!p || !*p)
        return;
    uschat_conn_t *c = *p;
    frame_decoder_reset(&c->dec);
    free(c->out);
    free(c);
    *p = NULL;
}

/* Makes room for N more bytes at the end of the out buffer; returns where they go or NULL. */
static uint8_t *s_out_reserve(uschat_conn_t *c, size_t n)
{
    if (c->out_off > 0 && c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
    }
    if ((size_t)c->out_cap - c->out_len >= n)
        return c->out + c->out_len;
    /* Slide unwritten bytes to the front before growing: a slow peer should not make us
     * grow without bound just because the front is already sent. */
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
        if ((size_t)c->out_cap - c->out_len >= n)
            return c->out + c->out_len;
    }
    size_t need = (size_t)c->out_len + n;
    if (need > UINT32_MAX / 2)
        return NULL;
    size_t cap = c->out_cap ? c->out_cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *grown = realloc(c->out, cap);
    if (!grown)
        return NULL;
    c->out = grown;
    c->out_cap = (uint32_t)cap;
    return c->out + c->out_len;
}

int uschat_conn_send_raw(uschat_conn_t *c, uint16_t id, const void *body, size_t len)
{
    if (!c || (len > 0 && !body))
        return USCHAT_E_ARG;
    if (len > c->max_body)
        return USCHAT_E_TOOLARGE;
    uint8_t *dst = s_out_reserve(c, FRAME_HEADER_SIZE + len);
    if (!dst)
        return USCHAT_E_NOMEM;
    frame_header_write(dst, id, len);
    if (len > 0)
        memcpy(dst + FRAME_HEADER_SIZE, body, len);
    c->out_len += (uint32_t)(FRAME_HEADER_SIZE + len);
    return 0;
}

int uschat_conn_send(uschat_conn_t *c, uint16_t id, const json_t *body)
{
    if (!c || !json_is_object(body))
        return USCHAT_E_ARG;
    size_t len = json_dumpb(body, NULL, 0, JSON_COMPACT);
    if (len == 0)
        return USCHAT_E_NOMEM; /* an object dumps to at least "{}" */
    if (len > c->max_body)
        return USCHAT_E_TOOLARGE;
    uint8_t *dst = s_out_reserve(c, FRAME_HEADER_SIZE + len);
    if (!dst)
        return USCHAT_E_NOMEM;
    if (json_dumpb(body, (char *)dst + FRAME_HEADER_SIZE, len, JSON_COMPACT) != len)
        return USCHAT_E_NOMEM;
    frame_header_write(dst, id, len);
    c->out_len += (uint32_t)(FRAME_HEADER_SIZE + len);
    return 0;
}

int uschat_conn_send_bytes(uschat_conn_t *c, const void *bytes, size_t len)
{
    if (!c || (len > 0 && !bytes))
        return USCHAT_E_ARG;
    if (len == 0)
        return 0;
    uint8_t *dst = s_out_reserve(c, len);
    if (!dst)
        return USCHAT_E_NOMEM;
    memcpy(dst, bytes, len);
    c->out_len += (uint32_t)len;
    return 0;
}

const uint8_t *uschat_conn_out(const uschat_conn_t *c, size_t *len)
{
    size_t n = c ? (size_t)(c->out_len - c->out_off) : 0;
    if (len)
        *len = n;
    return n ? c->out + c->out_off : NULL;
}

void uschat_conn_out_consume(uschat_conn_t *c, size_t n)
{
    if (!c)
        return;
    size_t pending = c->out_len - c->out_off;
    if (n > pending)
        n = pending;
    c->out_off += (uint32_t)n;
    if (c->out_off == c->out_len) {
        /* drained: give the memory back, an idle connection holds no buffer */
        free(c->out);
        c->out = NULL;
        c->out_off = c->out_len = c->out_cap = 0;
    }
}

size_t uschat_conn_out_pending(const uschat_conn_t *c)
{
    return c ? (size_t)(c->out_len - c->out_off) : 0;
}

static int s_frame_error(int err)
{
    switch (err) {
    case FRAME_ERR_TOO_LARGE:
        return USCHAT_E_TOOLARGE;
    case FRAME_ERR_NOMEM:
        return USCHAT_E_NOMEM;
    default:
        return USCHAT_E_ARG;
    }
}

int uschat_conn_feed(uschat_conn_t *c, const uint8_t *data, size_t len, size_t *consumed,
                     uschat_msg_t *msg)
{
    if (consumed)
        *consumed = 0;
    if (!c || !consumed || !msg || (len > 0 && !data))
        return USCHAT_E_ARG;
    msg->id = 0;
    msg->body = NULL;
    frame_t frame;
    int rc = frame_decoder_feed(&c->dec, data, len, consumed, &frame);
    if (rc < 0)
        return s_frame_error(rc);
    if (rc == 0)
        return 0;
    msg->id = frame.id;
    json_error_t jerr;
    json_t *body = json_loadb((const char *)frame.body, frame.length, JSON_ALLOW_NUL, &jerr);
    if (c->dec.body && c->dec.header_have == 0) {
        /* The frame came from the decoder's own buffer (it was split across reads); the
         * decoder would keep it until the next feed. Feeding nothing releases it now, so an
         * idle connection holds no body buffer. */
        static const uint8_t nothing;
        size_t none;
        frame_t unused;
        (void)frame_decoder_feed(&c->dec, &nothing, 0, &none, &unused);
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return USCHAT_E_BADBODY;
    }
    msg->body = body;
    return 1;
}

int uschat_conn_error(const uschat_conn_t *c)
{
    return c && c->dec.err ? s_frame_error(c->dec.err) : 0;
}

void uschat_conn_reset(uschat_conn_t *c)
{
    if (!c)
        return;
    frame_decoder_reset(&c->dec);
    free(c->out);
    c->out = NULL;
    c->out_off = c->out_len = c->out_cap = 0;
}

size_t uschat_conn_memory(const uschat_conn_t *c)
{
    if (!c)
        return 0;
    return sizeof *c + c->out_cap + (c->dec.body ? c->dec.length : 0);
}
