/* test_frame.c - the client frame codec (schema/src/frame.c): whole frames, frames split at
 * every byte, coalesced frames, 1-byte feeds, the body limit and its sticky error, the
 * encoder. Runs single-threaded under CTest as `schema_frame`.
 */
#include <stdlib.h>
#include <string.h>

#include "uschat/client_proto.h"
#include "uschat/frame.h"

#define CHECK_KEEP_GOING
#include "check.h"

/* A stream of frames, and what the decoder returned for it. */
typedef struct {
    uint16_t id;
    uint16_t length;
    uint8_t body[4096];
} got_frame_t;

static size_t s_make(uint8_t *out, size_t cap, uint16_t id, size_t len, uint8_t seed)
{
    uint8_t body[4096];
    for (size_t i = 0; i < len; i++)
        body[i] = (uint8_t)(seed + i * 7);
    int n = frame_encode(id, body, len, out, cap);
    CHECK(n == (int)(FRAME_HEADER_SIZE + len));
    return n > 0 ? (size_t)n : 0;
}

/* Feeds data in chunks of the given sizes (cycled), collecting frames. Returns how many. */
static size_t s_feed_chunks(frame_decoder_t *d, const uint8_t *data, size_t len,
                            const size_t *chunks, size_t nchunks, got_frame_t *got, size_t max)
{
    size_t count = 0, pos = 0, ci = 0;
    while (pos < len) {
        size_t chunk = chunks[ci++ % nchunks];
        if (chunk > len - pos)
            chunk = len - pos;
        const uint8_t *p = data + pos;
        size_t left = chunk;
        while (left > 0) {
            size_t used = 0;
            frame_t f;
            int rc = frame_decoder_feed(d, p, left, &used, &f);
            CHECK(rc >= 0);
            if (rc < 0)
                return count;
            CHECK(used <= left);
            if (rc == 1) {
                CHECK(count < max);
                if (count < max) {
                    got[count].id = f.id;
                    got[count].length = f.length;
                    CHECK(f.body != NULL);
                    memcpy(got[count].body, f.body, f.length);
                }
                count++;
            } else {
                CHECK(used == left);
            }
            p += used;
            left -= used;
        }
        pos += chunk;
    }
    return count;
}

static void test_whole_frame_is_zero_copy(void)
{
    uint8_t buf[256];
    size_t n = s_make(buf, sizeof buf, USCHAT_ID_TEXT_CHAT_REQ, 100, 3);
    frame_decoder_t d;
    frame_decoder_init(&d, FRAME_DEFAULT_MAX_BODY);
    frame_t f;
    size_t used = 0;
    CHECK_INT(frame_decoder_feed(&d, buf, n, &used, &f), 1);
    CHECK_INT(used, n);
    CHECK_INT(f.id, USCHAT_ID_TEXT_CHAT_REQ);
    CHECK_INT(f.length, 100);
    CHECK(f.body == buf + FRAME_HEADER_SIZE);
    CHECK(d.body == NULL);
    frame_decoder_reset(&d);
}

static void test_split_at_every_position(void)
{
    uint8_t buf[512];
    size_t n = s_make(buf, sizeof buf, 0xBEEF, 300, 9);
    for (size_t split = 0; split <= n; split++) {
        frame_decoder_t d;
        frame_decoder_init(&d, 1000);
        size_t chunks[2] = {split ? split : n, n};
        got_frame_t got[2];
        size_t count = s_feed_chunks(&d, buf, n, chunks, 2, got, 2);
        CHECK_INT(count, 1);
        CHECK_INT(got[0].id, 0xBEEF);
        CHECK_INT(got[0].length, 300);
        CHECK(memcmp(got[0].body, buf + FRAME_HEADER_SIZE, 300) == 0);
        frame_decoder_reset(&d);
    }
}

static void test_body_buffer_only_while_split(void)
{
    uint8_t buf[64];
    size_t n = s_make(buf, sizeof buf, 7, 20, 1);
    frame_decoder_t d;
    frame_decoder_init(&d, 100);
    frame_t f;
    size_t used;
    /* Header only: nothing allocated yet. */
    CHECK_INT(frame_decoder_feed(&d, buf, FRAME_HEADER_SIZE, &used, &f), 0);
    CHECK(d.body == NULL);
    /* Half the body: now it is split, so it is buffered. */
    CHECK_INT(frame_decoder_feed(&d, buf + 4, 10, &used, &f), 0);
    CHECK(d.body != NULL);
    CHECK_INT(frame_decoder_feed(&d, buf + 14, n - 14, &used, &f), 1);
    CHECK(f.body == d.body);
    CHECK(memcmp(f.body, buf + 4, 20) == 0);
    /* The next feed releases it. */
    CHECK_INT(frame_decoder_feed(&d, buf, 0, &used, &f), 0);
    CHECK(d.body == NULL);
    /* The header split, the body whole in the next feed: no copy either. */
    CHECK_INT(frame_decoder_feed(&d, buf, 2, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, buf + 2, n - 2, &used, &f), 1);
    CHECK(f.body == buf + 4);
    CHECK(d.body == NULL);
    frame_decoder_reset(&d);
}

static void test_coalesced_and_one_byte_feeds(void)
{
    static uint8_t stream[8192];
    size_t n = 0;
    const size_t lens[] = {0, 1, 100, 4096, 3, 0, 2000};
    const size_t nframes = sizeof lens / sizeof lens[0];
    for (size_t i = 0; i < nframes; i++)
        n += s_make(stream + n, sizeof stream - n, (uint16_t)(1000 + i), lens[i], (uint8_t)i);

    const size_t chunk_sets[][3] = {{n, n, n}, {1, 1, 1}, {2, 3, 5}, {4, 4, 4}, {7, 1000, 13}};
    for (size_t s = 0; s < sizeof chunk_sets / sizeof chunk_sets[0]; s++) {
        frame_decoder_t d;
        frame_decoder_init(&d, FRAME_DEFAULT_MAX_BODY);
        static got_frame_t got[8];
        size_t count = s_feed_chunks(&d, stream, n, chunk_sets[s], 3, got, 8);
        CHECK_INT(count, nframes);
        size_t off = 0;
        for (size_t i = 0; i < nframes && i < count; i++) {
            CHECK_INT(got[i].id, 1000 + i);
            CHECK_INT(got[i].length, lens[i]);
            CHECK(memcmp(got[i].body, stream + off + FRAME_HEADER_SIZE, lens[i]) == 0);
            off += FRAME_HEADER_SIZE + lens[i];
        }
        frame_decoder_reset(&d);
    }
}

static void test_random_chunks(void)
{
    static uint8_t stream[65536];
    static got_frame_t got[64];
    uint32_t seed = 12345;
    size_t n = 0, nframes = 0;
    size_t lens[64];
    while (nframes < 64) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 8) % 700;
        if (n + FRAME_HEADER_SIZE + len > sizeof stream)
            break;
        lens[nframes] = len;
        n += s_make(stream + n, sizeof stream - n, (uint16_t)nframes, len, (uint8_t)seed);
        nframes++;
    }
    for (int round = 0; round < 20; round++) {
        size_t chunks[16];
        for (size_t i = 0; i < 16; i++) {
            seed = seed * 1103515245u + 12345u;
            chunks[i] = 1 + (seed >> 8) % 900;
        }
        frame_decoder_t d;
        frame_decoder_init(&d, 1000);
        size_t count = s_feed_chunks(&d, stream, n, chunks, 16, got, 64);
        CHECK_INT(count, nframes);
        for (size_t i = 0; i < count && i < nframes; i++) {
            CHECK_INT(got[i].id, i);
            CHECK_INT(got[i].length, lens[i]);
        }
        frame_decoder_reset(&d);
    }
}

static void test_oversized_header_is_sticky(void)
{
    frame_decoder_t d;
    frame_decoder_init(&d, 100);
    uint8_t hdr[FRAME_HEADER_SIZE];
    CHECK_INT(frame_header_write(hdr, USCHAT_ID_LOGIN_REQ, 101), 0);
    frame_t f;
    size_t used = 99;
    /* One byte at a time: the error comes with the fourth. */
    CHECK_INT(frame_decoder_feed(&d, hdr, 1, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, hdr + 1, 1, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, hdr + 2, 1, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, hdr + 3, 1, &used, &f), FRAME_ERR_TOO_LARGE);
    CHECK(d.body == NULL);
    /* A good frame afterwards gets the same error. */
    uint8_t good[16];
    int n = frame_encode(1, "{}", 2, good, sizeof good);
    CHECK_INT(frame_decoder_feed(&d, good, (size_t)n, &used, &f), FRAME_ERR_TOO_LARGE);
    CHECK_INT(used, 0);
    CHECK_INT(frame_decoder_feed(&d, good, (size_t)n, &used, &f), FRAME_ERR_TOO_LARGE);
    /* Reset forgets it. */
    frame_decoder_reset(&d);
    CHECK_INT(d.max_body, 100);
    CHECK_INT(frame_decoder_feed(&d, good, (size_t)n, &used, &f), 1);
    CHECK_INT(f.length, 2);

    /* The largest length of all, 65535, against the default limit. */
    frame_decoder_init(&d, FRAME_DEFAULT_MAX_BODY);
    const uint8_t huge[] = {0x03, 0xED, 0xFF, 0xFF, 'x'};
    CHECK_INT(frame_decoder_feed(&d, huge, sizeof huge, &used, &f), FRAME_ERR_TOO_LARGE);
    CHECK_INT(used, 4);
    CHECK(d.body == NULL);
    frame_decoder_reset(&d);
}

static void test_max_body_bounds(void)
{
    frame_decoder_t d;
    frame_decoder_init(&d, 0);
    CHECK_INT(d.max_body, 1);
    frame_decoder_init(&d, 1u << 20);
    CHECK_INT(d.max_body, FRAME_MAX_BODY);

    /* Exactly the limit passes, one more fails. */
    static uint8_t buf[FRAME_HEADER_SIZE + 200];
    frame_decoder_init(&d, 200);
    size_t n = s_make(buf, sizeof buf, 2, 200, 0);
    frame_t f;
    size_t used;
    CHECK_INT(frame_decoder_feed(&d, buf, n, &used, &f), 1);
    CHECK_INT(f.length, 200);
    frame_decoder_reset(&d);
    frame_decoder_init(&d, 199);
    CHECK_INT(frame_decoder_feed(&d, buf, n, &used, &f), FRAME_ERR_TOO_LARGE);
    frame_decoder_reset(&d);

    /* The full 16-bit range, split, allocates just the body. */
    static uint8_t big[FRAME_HEADER_SIZE + FRAME_MAX_BODY];
    memset(big + FRAME_HEADER_SIZE, 'a', FRAME_MAX_BODY);
    CHECK_INT(frame_header_write(big, 9, FRAME_MAX_BODY), 0);
    frame_decoder_init(&d, FRAME_MAX_BODY);
    CHECK_INT(frame_decoder_feed(&d, big, 1000, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, big + 1000, sizeof big - 1000, &used, &f), 1);
    CHECK_INT(f.length, FRAME_MAX_BODY);
    CHECK(f.body[FRAME_MAX_BODY - 1] == 'a');
    frame_decoder_reset(&d);
}

static void test_empty_body(void)
{
    uint8_t buf[8];
    CHECK_INT(frame_encode(USCHAT_ID_HEARTBEAT_REQ, NULL, 0, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "\x03\xff\x00\x00", 4) == 0);
    frame_decoder_t d;
    frame_decoder_init(&d, 10);
    frame_t f;
    size_t used;
    CHECK_INT(frame_decoder_feed(&d, buf, 4, &used, &f), 1);
    CHECK_INT(used, 4);
    CHECK_INT(f.id, USCHAT_ID_HEARTBEAT_REQ);
    CHECK_INT(f.length, 0);
    CHECK(f.body != NULL);
    /* Header in 1-byte steps: the frame comes with the last header byte. */
    for (int i = 0; i < 3; i++)
        CHECK_INT(frame_decoder_feed(&d, buf + i, 1, &used, &f), 0);
    CHECK_INT(frame_decoder_feed(&d, buf + 3, 1, &used, &f), 1);
    CHECK_INT(f.length, 0);
    frame_decoder_reset(&d);
}

static void test_encoder(void)
{
    uint8_t hdr[FRAME_HEADER_SIZE];
    CHECK_INT(frame_header_write(hdr, 0x1234, 0xABCD), 0);
    CHECK(memcmp(hdr, "\x12\x34\xAB\xCD", 4) == 0);
    CHECK_INT(frame_header_write(hdr, 1, FRAME_MAX_BODY + 1), FRAME_ERR_TOO_LARGE);

    uint8_t out[16];
    CHECK_INT(frame_encode(USCHAT_ID_LOGIN_REQ, "{\"a\":1}", 7, out, sizeof out), 11);
    CHECK(memcmp(out, "\x03\xed\x00\x07{\"a\":1}", 11) == 0);
    CHECK_INT(frame_encode(USCHAT_ID_LOGIN_REQ, "{\"a\":1}", 7, out, 10), FRAME_ERR_ARG);
    CHECK_INT(frame_encode(USCHAT_ID_LOGIN_REQ, NULL, 7, out, sizeof out), FRAME_ERR_ARG);
    static uint8_t big[FRAME_MAX_BODY + 8];
    CHECK_INT(frame_encode(1, big, FRAME_MAX_BODY + 1, big, sizeof big), FRAME_ERR_TOO_LARGE);

    frame_decoder_t d;
    frame_decoder_init(&d, 16);
    frame_t f;
    size_t used;
    CHECK_INT(frame_decoder_feed(&d, out, 11, &used, &f), 1);
    CHECK_INT(f.id, USCHAT_ID_LOGIN_REQ);
    CHECK(f.length == 7 && memcmp(f.body, "{\"a\":1}", 7) == 0);
    frame_decoder_reset(&d);

    CHECK_INT(frame_decoder_feed(NULL, out, 1, &used, &f), FRAME_ERR_ARG);
    CHECK_INT(frame_decoder_feed(&d, NULL, 1, &used, &f), FRAME_ERR_ARG);
    CHECK_STR(frame_strerror(FRAME_ERR_TOO_LARGE), "frame body over the limit");
}

int main(void)
{
    RUN(test_whole_frame_is_zero_copy);
    RUN(test_split_at_every_position);
    RUN(test_body_buffer_only_while_split);
    RUN(test_coalesced_and_one_byte_feeds);
    RUN(test_random_chunks);
    RUN(test_oversized_header_is_sticky);
    RUN(test_max_body_bounds);
    RUN(test_empty_body);
    RUN(test_encoder);
    return CHECK_DONE();
}
