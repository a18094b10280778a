/* test_tap.c - the broker's tap record (schema/src/tap.c): round trip, bounds, truncation,
 * unknown keys, wrong types. Runs single-threaded under CTest as `schema_tap`.
 */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "uschat/tap.h"

#define CHECK_KEEP_GOING
#include "check.h"

static bool s_is_zero(const tap_record_t *r)
{
    static const tap_record_t zero;
    return memcmp(r, &zero, sizeof zero) == 0;
}

static bool s_equal(const tap_record_t *a, const tap_record_t *b)
{
    return a->time_us == b->time_us && a->size == b->size && !strcmp(a->event, b->event) &&
           !strcmp(a->from_service, b->from_service) && !strcmp(a->from_node, b->from_node) &&
           !strcmp(a->to_service, b->to_service) && !strcmp(a->to_node, b->to_node) &&
           !strcmp(a->peer, b->peer);
}

static void test_round_trip(void)
{
    tap_record_t r, d;
    memset(&r, 0, sizeof r);
    r.time_us = 1732500000123456ull;
    strcpy(r.from_service, "gate");
    strcpy(r.from_node, "gate.host.1");
    strcpy(r.to_service, "varify");
    strcpy(r.to_node, "varify.host.2");
    r.size = 123;
    uint8_t buf[TAP_RECORD_MAX_SIZE];
    int n = tap_record_encode(&r, buf, sizeof buf);
    CHECK(n > 0);
    memset(&d, 0x5a, sizeof d);
    CHECK_INT(tap_record_decode(buf, (size_t)n, &d), 0);
    CHECK(s_equal(&r, &d));

    /* An event record. */
    memset(&r, 0, sizeof r);
    r.time_us = 1;
    strcpy(r.event, "handshake_failed");
    strcpy(r.peer, "tcp://127.0.0.1:5555");
    n = tap_record_encode(&r, buf, sizeof buf);
    CHECK_INT(tap_record_decode(buf, (size_t)n, &d), 0);
    CHECK(s_equal(&r, &d));
}

static void test_largest_fits(void)
{
    tap_record_t r, d;
    memset(&r, 'x', sizeof r);
    r.event[sizeof r.event - 1] = '\0';
    r.from_service[sizeof r.from_service - 1] = '\0';
    r.from_node[sizeof r.from_node - 1] = '\0';
    r.to_service[sizeof r.to_service - 1] = '\0';
    r.to_node[sizeof r.to_node - 1] = '\0';
    r.peer[sizeof r.peer - 1] = '\0';
    r.time_us = UINT64_MAX;
    r.size = UINT32_MAX;
    uint8_t buf[TAP_RECORD_MAX_SIZE];
    int n = tap_record_encode(&r, buf, sizeof buf);
    CHECK(n > 0 && n <= TAP_RECORD_MAX_SIZE);
    CHECK_INT(tap_record_decode(buf, (size_t)n, &d), 0);
    CHECK(s_equal(&r, &d));
    for (int cap = 0; cap < n; cap++)
        CHECK(tap_record_encode(&r, buf, (size_t)cap) < 0);
    for (int len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? (size_t)len : 1);
        memcpy(copy, buf, (size_t)len);
        memset(&d, 0x5a, sizeof d);
        CHECK(tap_record_decode(copy, (size_t)len, &d) < 0);
        CHECK(s_is_zero(&d));
        free(copy);
    }
    /* A string without its NUL does not encode. */
    memset(r.peer, 'p', sizeof r.peer);
    CHECK(tap_record_encode(&r, buf, sizeof buf) < 0);
}

static int s_decode_raw(void (*fill)(msgpack_packer *), tap_record_t *d)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fill(&pk);
    memset(d, 0x5a, sizeof *d);
    int rc = tap_record_decode((const uint8_t *)sb.data, sb.size, d);
    msgpack_sbuffer_destroy(&sb);
    if (rc < 0)
        CHECK(s_is_zero(d));
    return rc;
}

static void s_fill_unknown(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    msgpack_pack_str_with_body(pk, "from_node", 9);
    msgpack_pack_str_with_body(pk, "n1", 2);
    msgpack_pack_str_with_body(pk, "added_later", 11);
    msgpack_pack_array(pk, 2);
    msgpack_pack_nil(pk);
    msgpack_pack_map(pk, 0);
    msgpack_pack_str_with_body(pk, "size", 4);
    msgpack_pack_uint16(pk, 500);
}

static void s_fill_long_service(msgpack_packer *pk)
{
    char s[ENVELOPE_SERVICE_MAX + 1];
    memset(s, 's', sizeof s);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "to_service", 10);
    msgpack_pack_str_with_body(pk, s, ENVELOPE_SERVICE_MAX);
}

static void s_fill_wrong_type(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "time_us", 7);
    msgpack_pack_str_with_body(pk, "now", 3);
}

static void s_fill_negative_size(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "size", 4);
    msgpack_pack_int32(pk, -1);
}

static void s_fill_big_size(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "size", 4);
    msgpack_pack_uint64(pk, 1ull << 32);
}

static void s_fill_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint8(pk, 1);
}

static void test_decode_rules(void)
{
    tap_record_t d;
    CHECK_INT(s_decode_raw(s_fill_unknown, &d), 0);
    CHECK_STR(d.from_node, "n1");
    CHECK_INT(d.size, 500);
    CHECK_STR(d.event, ""); /* absent */
    CHECK_INT(d.time_us, 0);
    CHECK(s_decode_raw(s_fill_long_service, &d) < 0);
    CHECK(s_decode_raw(s_fill_wrong_type, &d) < 0);
    CHECK(s_decode_raw(s_fill_negative_size, &d) < 0);
    CHECK(s_decode_raw(s_fill_big_size, &d) < 0);
    CHECK(s_decode_raw(s_fill_array, &d) < 0);
    CHECK(tap_record_decode((const uint8_t *)"\xdf\xff\xff\xff\xff", 5, &d) < 0);
    CHECK(tap_record_decode((const uint8_t *)"\x80\x00", 2, &d) < 0); /* trailing byte */
    CHECK_INT(tap_record_decode((const uint8_t *)"\x80", 1, &d), 0);
    CHECK(tap_record_decode(NULL, 0, &d) < 0);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_largest_fits);
    RUN(test_decode_rules);
    return CHECK_DONE();
}
