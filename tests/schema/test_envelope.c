/* test_envelope.c - the broker envelope codec (schema/src/envelope.c): round trip of every
 * kind, every malformed input we can think of (truncation at every length, wrong version,
 * wrong types, oversize strings, trailing bytes, garbage, huge counts that must not allocate),
 * and its speed. Runs single-threaded under CTest as `schema_envelope`;
 * `test_envelope --bench` prints the encode/decode cost per envelope.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "uschat/envelope.h"

#include "alloc_probe.h"
#define CHECK_KEEP_GOING
#include "check.h"

static envelope_t s_sample(int kind)
{
    envelope_t e;
    memset(&e, 0, sizeof e);
    e.kind = (uint8_t)kind;
    e.type = 301;
    e.corr = 0x0123456789abcdefull;
    e.load = 42;
    e.error = kind == ENVELOPE_ERROR ? ROUTE_ERR_NO_SERVICE : 0;
    strcpy(e.service, "chat");
    strcpy(e.node, "chat.node1");
    strcpy(e.from, "gate.host.4242");
    return e;
}

static bool s_equal(const envelope_t *a, const envelope_t *b)
{
    return a->kind == b->kind && a->type == b->type && a->corr == b->corr && a->load == b->load &&
           a->error == b->error && strcmp(a->service, b->service) == 0 &&
           strcmp(a->node, b->node) == 0 && strcmp(a->from, b->from) == 0;
}

static bool s_is_zero(const envelope_t *e)
{
    static const envelope_t zero;
    return memcmp(e, &zero, sizeof zero) == 0;
}

static void s_garbage(envelope_t *e)
{
    memset(e, 0x5a, sizeof *e);
}

static void test_round_trip_every_kind(void)
{
    for (int kind = ENVELOPE_READY; kind <= ENVELOPE_ERROR; kind++) {
        envelope_t e = s_sample(kind), d;
        uint8_t buf[ENVELOPE_MAX_SIZE];
        int n = envelope_encode(&e, buf, sizeof buf);
        CHECK(n > 0);
        s_garbage(&d);
        CHECK_INT(envelope_decode(buf, (size_t)n, &d), 0);
        CHECK(s_equal(&e, &d));
        CHECK(strcmp(envelope_kind_name(kind), "?") != 0);
    }
    /* Empty strings and zeros. */
    envelope_t e, d;
    memset(&e, 0, sizeof e);
    e.kind = ENVELOPE_HEARTBEAT;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(&e, buf, sizeof buf);
    CHECK_INT(n, 10); /* array, 6 one-byte ints, 3 empty strings */
    CHECK_INT(envelope_decode(buf, (size_t)n, &d), 0);
    CHECK(s_equal(&e, &d));
}

static void test_extremes(void)
{
    envelope_t e, d;
    memset(&e, 0, sizeof e);
    e.kind = ENVELOPE_REQUEST;
    e.type = UINT16_MAX;
    e.corr = UINT64_MAX;
    e.load = UINT32_MAX;
    e.error = UINT16_MAX;
    memset(e.service, 's', sizeof e.service - 1);
    memset(e.node, 'n', sizeof e.node - 1);
    memset(e.from, 'f', sizeof e.from - 1);
    memcpy(e.node, "n\xc3\xa9", 3); /* UTF-8 is fine in names */
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(&e, buf, sizeof buf);
    CHECK(n > 0 && n <= ENVELOPE_MAX_SIZE);
    CHECK_INT(envelope_decode(buf, (size_t)n, &d), 0);
    CHECK(s_equal(&e, &d));

    /* Every cap below the size fails; the exact size works. */
    for (int cap = 0; cap < n; cap++)
        CHECK(envelope_encode(&e, buf, (size_t)cap) < 0);
    CHECK_INT(envelope_encode(&e, buf, (size_t)n), n);
}

static void test_encode_refuses_what_would_not_decode(void)
{
    uint8_t buf[ENVELOPE_MAX_SIZE];
    envelope_t e = s_sample(ENVELOPE_REQUEST);
    e.kind = 0;
    CHECK(envelope_encode(&e, buf, sizeof buf) < 0);
    e.kind = ENVELOPE_ERROR + 1;
    CHECK(envelope_encode(&e, buf, sizeof buf) < 0);
    e = s_sample(ENVELOPE_REQUEST);
    memset(e.service, 'x', sizeof e.service); /* no NUL */
    CHECK(envelope_encode(&e, buf, sizeof buf) < 0);
    e = s_sample(ENVELOPE_REQUEST);
    strcpy(e.node, "bad\nnode");
    CHECK(envelope_encode(&e, buf, sizeof buf) < 0);
    CHECK(envelope_encode(NULL, buf, sizeof buf) < 0);
    e = s_sample(ENVELOPE_REQUEST);
    CHECK(envelope_encode(&e, NULL, 0) < 0);
}

static void test_truncated_at_every_length(void)
{
    envelope_t e = s_sample(ENVELOPE_REPLY), d;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(&e, buf, sizeof buf);
    for (int len = 0; len < n; len++) {
        /* A copy of exactly len bytes, so ASan sees any read past it. */
        uint8_t *copy = malloc(len ? (size_t)len : 1);
        memcpy(copy, buf, (size_t)len);
        s_garbage(&d);
        CHECK(envelope_decode(copy, (size_t)len, &d) < 0);
        CHECK(s_is_zero(&d));
        free(copy);
    }
    s_garbage(&d);
    CHECK(envelope_decode(NULL, 0, &d) < 0);
    CHECK(s_is_zero(&d));
}

/* Packs an envelope array field by field with msgpack-c, so a test can put anything in any
 * position. Each spec is one of: 'u' (uint, value), 'i' (negative int), 's' (string text),
 * 'b' (bin), 'n' (nil), 't' (true), 'f' (float). */
typedef struct {
    char what;
    uint64_t u;
    const char *s;
} slot_t;

static size_t s_pack(const slot_t *slots, size_t count, size_t declared, uint8_t *out, size_t cap)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, declared);
    for (size_t i = 0; i < count; i++) {
        switch (slots[i].what) {
        case 'u':
            msgpack_pack_uint64(&pk, slots[i].u);
            break;
        case 'i':
            msgpack_pack_int64(&pk, -(int64_t)slots[i].u);
            break;
        case 's':
            msgpack_pack_str_with_body(&pk, slots[i].s, strlen(slots[i].s));
            break;
        case 'b':
            msgpack_pack_bin_with_body(&pk, slots[i].s, strlen(slots[i].s));
            break;
        case 'n':
            msgpack_pack_nil(&pk);
            break;
        case 't':
            msgpack_pack_true(&pk);
            break;
        case 'f':
            msgpack_pack_double(&pk, 1.5);
            break;
        }
    }
    size_t n = sb.size < cap ? sb.size : cap;
    memcpy(out, sb.data, n);
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static slot_t s_good[9] = {{'u', 1, NULL},   {'u', 4, NULL},      {'u', 301, NULL},
                           {'u', 77, NULL},  {'u', 0, NULL},      {'u', 0, NULL},
                           {'s', 0, "chat"}, {'s', 0, "chat.n1"}, {'s', 0, ""}};

static int s_decode_slots(const slot_t *slots, size_t count, size_t declared)
{
    uint8_t buf[1024];
    envelope_t d;
    size_t n = s_pack(slots, count, declared, buf, sizeof buf);
    s_garbage(&d);
    int rc = envelope_decode(buf, n, &d);
    if (rc < 0)
        CHECK(s_is_zero(&d));
    return rc;
}

static void test_wrong_fields(void)
{
    CHECK_INT(s_decode_slots(s_good, 9, 9), 0);

    /* Each position with each wrong thing in it. */
    const slot_t wrong[] = {{'i', 1, NULL}, {'s', 0, "1"},  {'b', 0, "x"},
                            {'n', 0, NULL}, {'t', 0, NULL}, {'f', 0, NULL}};
    for (size_t pos = 0; pos < 9; pos++) {
        for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
            slot_t s[9];
            memcpy(s, s_good, sizeof s);
            /* A string in a string slot is right, not wrong. */
            if (pos >= 6 && wrong[w].what == 's')
                continue;
            s[pos] = wrong[w];
            CHECK(s_decode_slots(s, 9, 9) < 0);
        }
        /* And a number in a string slot. */
        if (pos >= 6) {
            slot_t s[9];
            memcpy(s, s_good, sizeof s);
            s[pos] = (slot_t){'u', 5, NULL};
            CHECK(s_decode_slots(s, 9, 9) < 0);
        }
    }

    slot_t s[10];
    /* Wrong version, wrong kinds, out-of-range numbers. */
    const struct {
        size_t pos;
        uint64_t value;
    } bad_numbers[] = {{0, 0},   {0, 2},     {1, 0},          {1, 8},
                       {1, 256}, {2, 65536}, {4, 1ull << 32}, {5, 65536}};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
        memcpy(s, s_good, sizeof s_good);
        s[bad_numbers[i].pos].u = bad_numbers[i].value;
        CHECK(s_decode_slots(s, 9, 9) < 0);
    }
    /* Top values pass. */
    memcpy(s, s_good, sizeof s_good);
    s[2].u = 65535;
    s[3].u = UINT64_MAX;
    s[4].u = UINT32_MAX;
    s[5].u = 65535;
    CHECK_INT(s_decode_slots(s, 9, 9), 0);

    /* Strings at and over their bounds. */
    char service[40], node[80];
    memset(service, 'a', sizeof service);
    memset(node, 'b', sizeof node);
    memcpy(s, s_good, sizeof s_good);
    service[ENVELOPE_SERVICE_MAX - 1] = '\0';
    s[6].s = service;
    CHECK_INT(s_decode_slots(s, 9, 9), 0);
    service[ENVELOPE_SERVICE_MAX - 1] = 'a';
    service[ENVELOPE_SERVICE_MAX] = '\0';
    CHECK(s_decode_slots(s, 9, 9) < 0);
    memcpy(s, s_good, sizeof s_good);
    node[ENVELOPE_NODE_MAX - 1] = '\0';
    s[7].s = node;
    s[8].s = node;
    CHECK_INT(s_decode_slots(s, 9, 9), 0);
    node[ENVELOPE_NODE_MAX - 1] = 'b';
    node[ENVELOPE_NODE_MAX] = '\0';
    s[7].s = s_good[7].s;
    CHECK(s_decode_slots(s, 9, 9) < 0);
    /* Control characters in names. */
    memcpy(s, s_good, sizeof s_good);
    s[7].s = "chat\x1bnode";
    CHECK(s_decode_slots(s, 9, 9) < 0);

    /* Too few, too many elements; a count that the bytes do not hold. */
    CHECK(s_decode_slots(s_good, 8, 8) < 0);
    memcpy(s, s_good, sizeof s_good);
    s[9] = (slot_t){'u', 1, NULL};
    CHECK(s_decode_slots(s, 10, 10) < 0);
    CHECK(s_decode_slots(s_good, 9, 10) < 0);
    CHECK(s_decode_slots(s_good, 8, 9) < 0);
}

static void test_non_minimal_encodings_accepted(void)
{
    /* Another encoder may write small numbers wide or strings as str8/str16: still valid. */
    const uint8_t wide[] = {0xdc, 0x00, 0x09,                          /* array16 of 9 */
                            0xcf, 0,    0,    0,    0,   0,   0, 0, 1, /* version as uint64 */
                            0xd0, 0x04,                                /* kind as int8 */
                            0xcd, 0x01, 0x2d,                          /* type 301 as uint16 */
                            0xd3, 0,    0,    0,    0,   0,   0, 0, 9, /* corr as int64 */
                            0xce, 0,    0,    0,    5,                 /* load */
                            0x00,                                      /* error */
                            0xd9, 0x04, 'c',  'h',  'a', 't',          /* str8 */
                            0xda, 0x00, 0x02, 'n',  '1',               /* str16 */
                            0xdb, 0x00, 0x00, 0x00, 0x00};             /* str32, empty */
    envelope_t d;
    CHECK_INT(envelope_decode(wide, sizeof wide, &d), 0);
    CHECK_INT(d.kind, ENVELOPE_REQUEST);
    CHECK_INT(d.type, 301);
    CHECK_INT(d.corr, 9);
    CHECK_INT(d.load, 5);
    CHECK_STR(d.service, "chat");
    CHECK_STR(d.node, "n1");
    CHECK_STR(d.from, "");
}

static void test_trailing_bytes_and_garbage(void)
{
    envelope_t e = s_sample(ENVELOPE_NOTIFY), d;
    uint8_t buf[ENVELOPE_MAX_SIZE + 1];
    int n = envelope_encode(&e, buf, sizeof buf);
    buf[n] = 0xc0;
    s_garbage(&d);
    CHECK(envelope_decode(buf, (size_t)n + 1, &d) < 0);
    CHECK(s_is_zero(&d));

    /* A map, a string, nil, and the 0xc1 byte that msgpack never uses. */
    const uint8_t *junk[] = {(const uint8_t *)"\x80", (const uint8_t *)"\xa1x",
                             (const uint8_t *)"\xc0", (const uint8_t *)"\xc1",
                             (const uint8_t *)"\x99\xc1\x04\x00\x00\x00\x00\xa0\xa0\xa0"};
    const size_t junk_len[] = {1, 2, 1, 1, 10};
    for (size_t i = 0; i < 5; i++)
        CHECK(envelope_decode(junk[i], junk_len[i], &d) < 0);

    /* Random bytes, and random mutations of a good envelope: never a crash; what decodes
     * re-encodes to something that decodes to the same. */
    uint32_t seed = 99;
    int decoded = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t m[ENVELOPE_MAX_SIZE];
        size_t len;
        seed = seed * 1664525u + 1013904223u;
        if (round % 2) {
            len = (seed >> 16) % 64;
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1664525u + 1013904223u;
                m[i] = (uint8_t)(seed >> 24);
            }
        } else {
            len = (size_t)n;
            memcpy(m, buf, len);
            for (int k = 0; k < 3; k++) {
                seed = seed * 1664525u + 1013904223u;
                m[(seed >> 8) % len] = (uint8_t)(seed >> 24);
            }
        }
        if (envelope_decode(m, len, &d) == 0) {
            envelope_t again;
            uint8_t out[ENVELOPE_MAX_SIZE];
            int k = envelope_encode(&d, out, sizeof out);
            CHECK(k > 0);
            CHECK_INT(envelope_decode(out, (size_t)k, &again), 0);
            CHECK(s_equal(&d, &again));
            decoded++;
        }
    }
    CHECK(decoded > 0);
}

static void test_huge_counts_do_not_allocate(void)
{
    /* 5 bytes each: array32, map32, str32, bin32, ext32 announcing ~4 GB. */
    const uint8_t *cases[] = {
        (const uint8_t *)"\xdd\xff\xff\xff\xff", (const uint8_t *)"\xdf\xff\xff\xff\xff",
        (const uint8_t *)"\xdb\xff\xff\xff\xff", (const uint8_t *)"\xc6\xff\xff\xff\xff",
        (const uint8_t *)"\xc9\xff\xff\xff\xff"};
    /* And an honest array whose service string claims 4 GB. */
    const uint8_t inner[] = {0x99, 1, 4, 0, 0, 0, 0, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
    envelope_t d;
    alloc_probe_start();
    for (size_t i = 0; i < 5; i++)
        CHECK(envelope_decode(cases[i], 5, &d) < 0);
    CHECK(envelope_decode(inner, sizeof inner, &d) < 0);
    /* A good one allocates nothing either. */
    envelope_t e = s_sample(ENVELOPE_REQUEST);
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int n = envelope_encode(&e, buf, sizeof buf);
    CHECK_INT(envelope_decode(buf, (size_t)n, &d), 0);
    alloc_probe_stop();
    if (alloc_probe_active()) {
        CHECK_INT(alloc_probe_count(), 0);
        /* The probe itself sees allocations. */
        alloc_probe_start();
        free(malloc(4096));
        alloc_probe_stop();
        CHECK_INT(alloc_probe_count(), 1);
        CHECK_INT(alloc_probe_max(), 4096);
    } else
        printf("     (allocation probe needs ASan; not checked)\n");
}

static void test_names(void)
{
    CHECK_STR(envelope_kind_name(ENVELOPE_READY), "READY");
    CHECK_STR(envelope_kind_name(ENVELOPE_ERROR), "ERROR");
    CHECK_STR(envelope_kind_name(0), "?");
    CHECK_STR(envelope_kind_name(99), "?");
    CHECK_STR(route_error_name(ROUTE_ERR_NO_SERVICE), "no_service");
    CHECK_STR(route_error_name(ROUTE_ERR_UNDELIVERABLE), "undeliverable");
    CHECK_STR(route_error_name(-1), "?");
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prints ns per encode and per decode of a typical REQUEST. */
static void s_bench(long iterations)
{
    envelope_t e = s_sample(ENVELOPE_REQUEST), d;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    volatile int sink = 0;
    int n = 0;
    double t0 = s_now();
    for (long i = 0; i < iterations; i++) {
        e.corr = (uint64_t)i;
        n = envelope_encode(&e, buf, sizeof buf);
        sink += n;
    }
    double t1 = s_now();
    for (long i = 0; i < iterations; i++) {
        buf[10] = (uint8_t)i; /* keep the compiler from hoisting the decode */
        sink += envelope_decode(buf, (size_t)n, &d);
    }
    double t2 = s_now();
    printf("envelope (%d bytes): encode %.1f ns, decode %.1f ns, round trip %.1f ns (%ld each)\n",
           n, (t1 - t0) * 1e9 / (double)iterations, (t2 - t1) * 1e9 / (double)iterations,
           (t2 - t0) * 1e9 / (double)iterations, iterations);
    (void)sink;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        s_bench(argc > 2 ? atol(argv[2]) : 5000000);
        return 0;
    }
    RUN(test_round_trip_every_kind);
    RUN(test_extremes);
    RUN(test_encode_refuses_what_would_not_decode);
    RUN(test_truncated_at_every_length);
    RUN(test_wrong_fields);
    RUN(test_non_minimal_encodings_accepted);
    RUN(test_trailing_bytes_and_garbage);
    RUN(test_huge_counts_do_not_allocate);
    RUN(test_names);
    s_bench(200000);
    return CHECK_DONE();
}
