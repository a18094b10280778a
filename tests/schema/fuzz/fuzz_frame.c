/* fuzz_frame.c - libFuzzer target for the client frame decoder.
 *
 * Input: 2 bytes of max_body, 4 bytes that choose the feed sizes, then the byte stream. The
 * stream is decoded twice, once in one feed and once in the chosen pieces (1 byte up to 256),
 * and both must give the same frames and the same error; no frame may exceed max_body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/frame.h"

typedef struct {
    size_t frames;
    uint64_t hash; /* of every frame's id, length and body */
    int err;
} outcome_t;

static uint64_t s_mix(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static outcome_t s_run(uint32_t max_body, const uint8_t *data, size_t len, const uint8_t *sizes)
{
    outcome_t o = {0, 14695981039346656037ull, 0};
    frame_decoder_t d;
    frame_decoder_init(&d, max_body);
    size_t pos = 0, step = 0;
    while (pos < len && !o.err) {
        size_t chunk = sizes ? 1 + sizes[step++ % 4] : len;
        if (chunk > len - pos)
            chunk = len - pos;
        const uint8_t *p = data + pos;
        size_t left = chunk;
        while (left > 0) {
            size_t used = 0;
            frame_t f;
            int rc = frame_decoder_feed(&d, p, left, &used, &f);
            if (used > left)
                abort();
            if (rc < 0) {
                o.err = rc;
                if (frame_decoder_feed(&d, p, left, &used, &f) != rc) /* sticky */
                    abort();
                break;
            }
            if (rc == 1) {
                if (f.length > d.max_body || !f.body)
                    abort();
                uint8_t hdr[4] = {(uint8_t)(f.id >> 8), (uint8_t)f.id, (uint8_t)(f.length >> 8),
                                  (uint8_t)f.length};
                o.hash = s_mix(s_mix(o.hash, hdr, 4), f.body, f.length);
                o.frames++;
            } else if (used != left) {
                abort();
            }
            p += used;
            left -= used;
        }
        pos += chunk;
    }
    frame_decoder_reset(&d);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    uint32_t max_body = ((uint32_t)data[0] << 8) | data[1];
    const uint8_t *sizes = data + 2;
    const uint8_t *stream = data + 6;
    size_t len = size - 6;
    outcome_t whole = s_run(max_body, stream, len, NULL);
    outcome_t pieces = s_run(max_body, stream, len, sizes);
    if (whole.frames != pieces.frames || whole.hash != pieces.hash || whole.err != pieces.err)
        abort();
    return 0;
}
