/* test_conn.c - the sans-I/O connection core: frames on the wire are exactly docs/protocol.md's
 * (big-endian id and length, compact JSON), bytes split or coalesced any way decode to the same
 * messages, malformed frames from a server give errors (never a crash), and an idle connection
 * holds no buffers.
 */
#include <stdlib.h>
#include <string.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "uschat_client.h"

/* Moves everything queued in FROM into a contiguous buffer (caller frees). */
static uint8_t *s_drain(uschat_conn_t *from, size_t *len)
{
    size_t n = 0;
    const uint8_t *data = uschat_conn_out(from, &n);
    uint8_t *copy = malloc(n ? n : 1);
    if (copy && n)
        memcpy(copy, data, n);
    uschat_conn_out_consume(from, n);
    *len = n;
    return copy;
}

/* Feeds DATA to C in chunks of CHUNK bytes; collects up to MAX messages into MSGS. Returns the
 * number of messages, or the first negative feed result. */
static int s_feed_chunks(uschat_conn_t *c, const uint8_t *data, size_t len, size_t chunk,
                         uschat_msg_t *msgs, int max)
{
    int got = 0;
    for (size_t start = 0; start < len; start += chunk) {
        size_t end = start + chunk < len ? start + chunk : len;
        for (size_t off = start; off < end;) {
            size_t used = 0;
            uschat_msg_t m;
            int rc = uschat_conn_feed(c, data + off, end - off, &used, &m);
            off += used;
            if (rc < 0)
                return rc;
            if (rc == 1) {
                if (got < max)
                    msgs[got] = m;
                else
                    json_decref(m.body);
                got++;
            }
        }
    }
    return got;
}

static void test_wire_format(void)
{
    uschat_conn_t *c = uschat_conn_new(0);
    json_t *login = uschat_req_login(42, "tok");
    CHECK_INT(uschat_conn_send(c, USCHAT_ID_LOGIN_REQ, login), 0);
    json_decref(login);
    size_t len = 0;
    const uint8_t *out = uschat_conn_out(c, &len);
    const char *body = "{\"uid\":42,\"token\":\"tok\"}";
    CHECK_INT(len, 4 + strlen(body));
    CHECK(out && out[0] == 0x03 && out[1] == 0xED); /* 1005 big-endian */
    CHECK(out && out[2] == 0 && out[3] == strlen(body));
    CHECK(out && memcmp(out + 4, body, strlen(body)) == 0);
    /* partial write: the rest stays, in order */
    uschat_conn_out_consume(c, 3);
    CHECK_INT(uschat_conn_out_pending(c), len - 3);
    out = uschat_conn_out(c, &len);
    CHECK(out && out[0] == (uint8_t)strlen(body));
    uschat_conn_out_consume(c, len);
    CHECK(uschat_conn_out(c, &len) == NULL && len == 0);
    uschat_conn_destroy(&c);
    CHECK(c == NULL);
    uschat_conn_destroy(&c); /* NULL-safe */
}

static void test_round_trip_split_and_coalesced(void)
{
    uschat_conn_t *writer = uschat_conn_new(0);
    /* three frames queued back to back, one with Chinese text and a long body */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    uschat_text_t items[2] = {{"\xe4\xbd\xa0\xe5\xa5\xbd", "u1"}, {big, "u2"}};
    json_t *a = uschat_req_heartbeat(7);
    json_t *b = uschat_req_text_chat(9, 100, items, 2);
    json_t *d = uschat_req_sync(100, 5, 50);
    CHECK_INT(uschat_conn_send(writer, USCHAT_ID_HEARTBEAT_REQ, a), 0);
    CHECK_INT(uschat_conn_send(writer, USCHAT_ID_TEXT_CHAT_REQ, b), 0);
    CHECK_INT(uschat_conn_send(writer, USCHAT_ID_SYNC_REQ, d), 0);
    size_t len = 0;
    uint8_t *wire = s_drain(writer, &len);
    CHECK_INT(uschat_conn_memory(writer) <= 128, 1); /* drained: the buffer is gone */

    /* whole, byte by byte, 7 bytes at a time, 1000 at a time: always the same three */
    size_t chunks[] = {len, 1, 7, 1000};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        uschat_conn_t *reader = uschat_conn_new(0);
        uschat_msg_t m[3] = {{0}};
        CHECK_INT(s_feed_chunks(reader, wire, len, chunks[i], m, 3), 3);
        CHECK_INT(m[0].id, USCHAT_ID_HEARTBEAT_REQ);
        CHECK_INT(m[1].id, USCHAT_ID_TEXT_CHAT_REQ);
        CHECK_INT(m[2].id, USCHAT_ID_SYNC_REQ);
        CHECK(json_equal(m[0].body, a));
        CHECK(json_equal(m[1].body, b));
        CHECK(json_equal(m[2].body, d));
        for (int k = 0; k < 3; k++)
            json_decref(m[k].body);
        /* after the last frame nothing is held, even when bodies were split across feeds */
        CHECK_INT(uschat_conn_memory(reader) <= 128, 1);
        CHECK_INT(uschat_conn_error(reader), 0);
        uschat_conn_destroy(&reader);
    }
    free(wire);
    json_decref(a);
    json_decref(b);
    json_decref(d);
    uschat_conn_destroy(&writer);
}

static void test_malformed_frames(void)
{
    uschat_conn_t *w = uschat_conn_new(0);
    /* not JSON, a JSON array, an empty body, then a good frame: errors, then the good one */
    CHECK_INT(uschat_conn_send_raw(w, USCHAT_ID_NOTIFY_TEXT_CHAT, "not json", 8), 0);
    CHECK_INT(uschat_conn_send_raw(w, USCHAT_ID_NOTIFY_TEXT_CHAT, "[1,2]", 5), 0);
    CHECK_INT(uschat_conn_send_raw(w, 1024, NULL, 0), 0);
    CHECK_INT(uschat_conn_send_raw(w, 1024, "{\"error\":0}", 11), 0);
    size_t len = 0;
    uint8_t *wire = s_drain(w, &len);
    uschat_conn_t *r = uschat_conn_new(0);
    int results[4], n = 0;
    uint16_t ids[4];
    for (size_t off = 0; off < len && n < 4;) {
        size_t used = 0;
        uschat_msg_t m;
        int rc = uschat_conn_feed(r, wire + off, len - off, &used, &m);
        off += used;
        if (rc != 0) {
            ids[n] = m.id;
            results[n++] = rc;
            json_decref(m.body);
        }
    }
    CHECK_INT(n, 4);
    CHECK_INT(results[0], USCHAT_E_BADBODY);
    CHECK_INT(ids[0], USCHAT_ID_NOTIFY_TEXT_CHAT);
    CHECK_INT(results[1], USCHAT_E_BADBODY);
    CHECK_INT(results[2], USCHAT_E_BADBODY);
    CHECK_INT(results[3], 1);
    CHECK_INT(ids[3], 1024);
    CHECK_INT(uschat_conn_error(r), 0);
    free(wire);
    uschat_conn_destroy(&r);

    /* a header announcing more than the limit: sticky error, nothing allocated */
    r = uschat_conn_new(8192);
    const uint8_t huge[] = {0x03, 0xFB, 0xEA, 0x60, '{'}; /* 1019, 60000 bytes */
    size_t used = 0;
    uschat_msg_t m;
    CHECK_INT(uschat_conn_feed(r, huge, sizeof huge, &used, &m), USCHAT_E_TOOLARGE);
    CHECK(m.body == NULL);
    CHECK_INT(uschat_conn_error(r), USCHAT_E_TOOLARGE);
    CHECK_INT(uschat_conn_feed(r, (const uint8_t *)"{}", 2, &used, &m), USCHAT_E_TOOLARGE);
    CHECK_INT(uschat_conn_memory(r) <= 128, 1);
    uschat_conn_reset(r); /* a reconnect starts clean */
    CHECK_INT(uschat_conn_error(r), 0);
    uschat_conn_destroy(&r);
    uschat_conn_destroy(&w);
}

static void test_send_limits(void)
{
    uschat_conn_t *c = uschat_conn_new(64);
    char text[100];
    memset(text, 'y', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    json_t *big = json_pack("{s:s}", "content", text);
    CHECK_INT(uschat_conn_send(c, USCHAT_ID_TEXT_CHAT_REQ, big), USCHAT_E_TOOLARGE);
    CHECK_INT(uschat_conn_out_pending(c), 0); /* nothing half-queued */
    json_decref(big);
    json_t *arr = json_array();
    CHECK_INT(uschat_conn_send(c, USCHAT_ID_TEXT_CHAT_REQ, arr),
              USCHAT_E_ARG); /* bodies are objects */
    CHECK_INT(uschat_conn_send(c, USCHAT_ID_TEXT_CHAT_REQ, NULL), USCHAT_E_ARG);
    json_decref(arr);
    /* many frames queued while nothing is written: they stay whole and in order */
    for (int i = 0; i < 500; i++) {
        json_t *hb = uschat_req_heartbeat(i + 1);
        CHECK_INT(uschat_conn_send(c, USCHAT_ID_HEARTBEAT_REQ, hb), 0);
        json_decref(hb);
        if (i % 3 == 0)
            uschat_conn_out_consume(c, 5); /* a slow writer takes a little now and then */
    }
    CHECK(uschat_conn_out_pending(c) > 0);
    uschat_conn_destroy(&c);
}

/* Random bytes in random chunks: the decoder must reject or accept, never crash or leak. */
static void test_garbage_input(void)
{
    srand(12345);
    uint8_t buf[4096];
    for (int round = 0; round < 200; round++) {
        uschat_conn_t *c = uschat_conn_new((uint32_t)(1 + rand() % 9000));
        size_t len = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand();
        if (round % 2 == 0 && len > 8) { /* half the time: plausible small headers */
            buf[2] = 0;
            buf[3] = (uint8_t)(rand() % 64);
        }
        for (size_t off = 0; off < len;) {
            size_t chunk = 1 + (size_t)(rand() % 300);
            if (chunk > len - off)
                chunk = len - off;
            size_t used = 0;
            uschat_msg_t m;
            int rc = uschat_conn_feed(c, buf + off, chunk, &used, &m);
            if (rc == 1)
                json_decref(m.body);
            if (rc == USCHAT_E_TOOLARGE)
                break;
            off += used;
        }
        uschat_conn_destroy(&c);
    }
    CHECK(1);
}

int main(void)
{
    RUN(test_wire_format);
    RUN(test_round_trip_split_and_coalesced);
    RUN(test_malformed_frames);
    RUN(test_send_limits);
    RUN(test_garbage_input);
    return CHECK_DONE();
}
