/* frame.c - the client frame codec of docs/protocol.md §2 (u16 id, u16 length, body).
 *
 * Called by the chat node's event loop, the client library and the load generator, each on
 * the thread that owns the connection; a decoder is never shared. The decoder is a small state
 * machine over "header so far" and "body so far". A frame whose body lies whole in the bytes
 * being fed is returned in place; only a body split across feeds is copied, into a buffer
 * sized from a length that has already passed the max_body check. That buffer stays alive
 * until the next feed (the caller may still be reading the frame returned from it) and is
 * freed then, so an idle connection holds nothing but the struct.
 */
#include "uschat/frame.h"

#include <stdlib.h>
#include <string.h>

/* What out->body points at for an empty body, so callers never see NULL. */
static const uint8_t s_empty_body[1];

void frame_decoder_init(frame_decoder_t *d, uint32_t max_body)
{
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    if (max_body < 1)
        max_body = 1;
    if (max_body > FRAME_MAX_BODY)
        max_body = FRAME_MAX_BODY;
    d->max_body = max_body;
}

void frame_decoder_reset(frame_decoder_t *d)
{
    if (!d)
        return;
    free(d->body);
    d->body = NULL;
    d->body_have = 0;
    d->header_have = 0;
    d->id = 0;
    d->length = 0;
    d->err = 0;
}

static void s_frame_done(frame_decoder_t *d, frame_t *out, const uint8_t *body)
{
    out->id = d->id;
    out->length = d->length;
    out->body = body;
    d->header_have = 0;
    d->body_have = 0;
}

int frame_decoder_feed(frame_decoder_t *d, const uint8_t *data, size_t len, size_t *consumed,
                       frame_t *out)
{
    size_t pos = 0;
    if (consumed)
        *consumed = 0;
    if (!d || !consumed || !out || (!data && len > 0))
        return FRAME_ERR_ARG;
    if (d->err)
        return d->err;
    /* A body buffer with no frame in progress belongs to the frame returned last time; the
     * caller is done with it now. */
    if (d->body && d->header_have == 0) {
        free(d->body);
        d->body = NULL;
    }

    if (d->header_have < FRAME_HEADER_SIZE) {
        size_t take = FRAME_HEADER_SIZE - d->header_have;
        if (take > len)
            take = len;
        memcpy(d->header + d->header_have, data, take);
        d->header_have = (uint8_t)(d->header_have + take);
        pos = take;
        if (d->header_have < FRAME_HEADER_SIZE) {
            *consumed = pos;
            return 0;
        }
        d->id = (uint16_t)((d->header[0] << 8) | d->header[1]);
        d->length = (uint16_t)((d->header[2] << 8) | d->header[3]);
        d->body_have = 0;
        if (d->length > d->max_body) {
            d->err = FRAME_ERR_TOO_LARGE;
            *consumed = pos;
            return d->err;
        }
    }

    size_t left = len - pos;
    if (d->body_have == 0 && left >= d->length) {
        /* Whole body in this feed: hand it out in place. */
        s_frame_done(d, out, d->length ? data + pos : s_empty_body);
        *consumed = pos + d->length;
        return 1;
    }
    if (left == 0) {
        /* Nothing of the body yet: no buffer until part of it is actually here, since the
         * rest may well arrive whole in the next feed. */
        *consumed = pos;
        return 0;
    }
    if (!d->body) {
        /* d->length <= max_body <= 65535 was checked when the header completed. */
        d->body = malloc(d->length);
        if (!d->body) {
            d->err = FRAME_ERR_NOMEM;
            *consumed = pos;
            return d->err;
        }
    }
    size_t take = d->length - d->body_have;
    if (take > left)
        take = left;
    if (take)
        memcpy(d->body + d->body_have, data + pos, take);
    d->body_have += (uint32_t)take;
    pos += take;
    *consumed = pos;
    if (d->body_have < d->length)
        return 0;
    s_frame_done(d, out, d->body);
    return 1;
}

int frame_header_write(uint8_t out[FRAME_HEADER_SIZE], uint16_t id, size_t body_len)
{
    if (!out)
        return FRAME_ERR_ARG;
    if (body_len > FRAME_MAX_BODY)
        return FRAME_ERR_TOO_LARGE;
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    out[2] = (uint8_t)(body_len >> 8);
    out[3] = (uint8_t)body_len;
    return 0;
}

int frame_encode(uint16_t id, const void *body, size_t body_len, uint8_t *out, size_t cap)
{
    if (body_len > FRAME_MAX_BODY)
        return FRAME_ERR_TOO_LARGE;
    if (!out || (!body && body_len > 0) || cap < FRAME_HEADER_SIZE + body_len)
        return FRAME_ERR_ARG;
    frame_header_write(out, id, body_len);
    if (body_len)
        memcpy(out + FRAME_HEADER_SIZE, body, body_len);
    return (int)(FRAME_HEADER_SIZE + body_len);
}

const char *frame_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case FRAME_ERR_TOO_LARGE:
        return "frame body over the limit";
    case FRAME_ERR_NOMEM:
        return "out of memory";
    case FRAME_ERR_ARG:
        return "invalid argument";
    default:
        return "unknown frame error";
    }
}
