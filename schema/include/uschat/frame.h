/* frame.h - the client frame codec: u16 id, u16 length (both big-endian), JSON body.
 *
 * The framing of docs/protocol.md §2, shared by the chat node, the client library and the load
 * generator. No I/O: the caller feeds bytes it read and gets whole frames out.
 *
 * The decoder is a plain struct so a connection can embed it: an idle connection costs only
 * the struct, a body buffer exists only while a body is split across reads, and it is sized
 * from a length already checked against the limit. Errors are sticky (like hiredis' reader):
 * once a header announces more than max_body, every later feed returns the same error.
 * Not thread-safe; one decoder per connection.
 */
#ifndef USCHAT_FRAME_H
#define USCHAT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_SIZE      4u
#define FRAME_DEFAULT_MAX_BODY 8192u
#define FRAME_MAX_BODY         65535u

enum {
    FRAME_ERR_TOO_LARGE = -1, /* a header announced a body over max_body */
    FRAME_ERR_NOMEM = -2,
    FRAME_ERR_ARG = -3,
};

typedef struct {
    uint16_t id;
    uint16_t length;
    const uint8_t *body; /* valid until the next feed or reset on the same decoder */
} frame_t;

typedef struct {
    uint32_t max_body;
    uint8_t header[FRAME_HEADER_SIZE];
    uint8_t header_have;
    int err;       /* 0 or a sticky FRAME_ERR_* */
    uint8_t *body; /* owned; only while a body is split across feeds */
    uint32_t body_have;
    uint16_t id, length; /* of the frame in progress, once its header is whole */
} frame_decoder_t;

/* max_body is clamped to 1..FRAME_MAX_BODY. */
void frame_decoder_init(frame_decoder_t *d, uint32_t max_body);
/* Frees the body buffer and forgets any partial frame and error. */
void frame_decoder_reset(frame_decoder_t *d);

/* Consumes bytes from data. Returns 1 with *out set when a frame is complete (*consumed says
 * how much of data was used; feed the rest again), 0 when all of data was consumed without
 * completing a frame, or a negative FRAME_ERR_* (sticky). A frame that arrives whole in data
 * is returned without copying (out->body points into data). */
int frame_decoder_feed(frame_decoder_t *d, const uint8_t *data, size_t len, size_t *consumed,
                       frame_t *out);

/* Writes the 4-byte header. Returns 0, or FRAME_ERR_TOO_LARGE when body_len > FRAME_MAX_BODY. */
int frame_header_write(uint8_t out[FRAME_HEADER_SIZE], uint16_t id, size_t body_len);

/* Writes header and body to out. Returns the bytes written, FRAME_ERR_TOO_LARGE, or
 * FRAME_ERR_ARG when cap is too small. */
int frame_encode(uint16_t id, const void *body, size_t body_len, uint8_t *out, size_t cap);

const char *frame_strerror(int err);

#endif
