/* conn.h - the sans-I/O client connection core: frames out, events in, no sockets.
 *
 * A uschat_conn_t holds what one chat node connection needs besides its socket: the bytes
 * waiting to be written (requests encoded as docs/protocol.md frames) and the frame decoder for the
 * bytes read. The owner does the I/O however it likes (the blocking session, the load
 * generator's epoll loop, the SDL client's thread):
 *
 *     uschat_conn_send(c, USCHAT_ID_LOGIN_REQ, body);       // queue a frame
 *     data = uschat_conn_out(c, &len); n = write(fd, data, len); uschat_conn_out_consume(c, n);
 *     n = read(fd, buf, sizeof buf);
 *     for (off = 0; off < n; off += used)
 *         if (uschat_conn_feed(c, buf + off, n - off, &used, &msg) == 1) { ...;
 * json_decref(msg.body); }
 *
 * Memory: an idle connection (nothing queued, no frame half-read) is the struct alone (well
 * under 100 bytes); the out buffer is allocated on the first send and freed when it drains, the
 * decoder holds a body buffer only while a frame is split across reads.
 * Not thread-safe: one owner thread per connection.
 */
#ifndef USCHAT_CLIENT_CONN_H
#define USCHAT_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uschat_conn uschat_conn_t;

/* One message from the server. The caller owns body (json_decref). */
typedef struct {
    uint16_t id;
    json_t *body; /* always a JSON object */
} uschat_msg_t;

/* MAX_BODY: largest body accepted from the server, 0 = 65535 (the protocol's maximum). The
 * same bound applies to what uschat_conn_send() will encode. NULL when out of memory. */
uschat_conn_t *uschat_conn_new(uint32_t max_body);
/* Frees the connection and whatever it still buffers; NULL-safe, sets *p to NULL. */
void uschat_conn_destroy(uschat_conn_t **p);

/* ---- outgoing ------------------------------------------------------------------------- */

/* Encodes BODY (a JSON object; borrowed, not stolen) as a frame with ID and appends it to the
 * out buffer. 0, USCHAT_E_ARG (not an object), USCHAT_E_TOOLARGE (encoded body over the
 * limit; nothing queued) or USCHAT_E_NOMEM. */
int uschat_conn_send(uschat_conn_t *c, uint16_t id, const json_t *body);
/* Queues a frame with ID and the raw bytes BODY as its body (tests use it to send bodies that
 * are not JSON). Same returns. */
int uschat_conn_send_raw(uschat_conn_t *c, uint16_t id, const void *body, size_t len);
/* Queues BYTES as they are, no framing (tests: truncated or oversized headers). */
int uschat_conn_send_bytes(uschat_conn_t *c, const void *bytes, size_t len);

/* The bytes waiting to be written (NULL and *len = 0 when none). Valid until the next call
 * that queues or consumes. */
const uint8_t *uschat_conn_out(const uschat_conn_t *c, size_t *len);
/* Marks N bytes of the front of the out buffer as written; frees the buffer once empty. */
void uschat_conn_out_consume(uschat_conn_t *c, size_t n);
/* Bytes waiting to be written. */
size_t uschat_conn_out_pending(const uschat_conn_t *c);

/* ---- incoming ------------------------------------------------------------------------- */

/* Feeds bytes read from the socket. *consumed says how much of DATA was used; feed the rest
 * again (a read of many frames gives one message per call). Returns:
 *    1  *msg filled (caller owns msg->body);
 *    0  all of DATA consumed, no complete frame yet;
 *    USCHAT_E_BADBODY  a whole frame arrived whose body is not a JSON object: it was skipped
 *       (*consumed covers it), *msg->id says which id, the stream is still in sync;
 *    USCHAT_E_TOOLARGE  a header announced more than max_body: the stream cannot be trusted
 *       any more; sticky (every later feed returns it); close the connection;
 *    USCHAT_E_NOMEM. */
int uschat_conn_feed(uschat_conn_t *c, const uint8_t *data, size_t len, size_t *consumed,
                     uschat_msg_t *msg);
/* 0, or the sticky error of the decoder. */
int uschat_conn_error(const uschat_conn_t *c);
/* Forgets buffered bytes both ways and any sticky error (for a reconnect). */
void uschat_conn_reset(uschat_conn_t *c);

/* Bytes this connection holds right now (struct + buffers), for memory accounting. */
size_t uschat_conn_memory(const uschat_conn_t *c);

#ifdef __cplusplus
}
#endif

#endif
