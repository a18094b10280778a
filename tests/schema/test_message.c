/* test_message.c - the message table and the generic body codec (schema/src/message.c):
 * round trip of the test message that covers every field kind, the table's limits on both
 * sides, unknown keys, wrong types, missing required fields, truncation, huge counts that must
 * not allocate, lists of records (their max, their records' own rules, damage inside them),
 * and msg_clear() freeing everything (ASan/LSan report any leak).
 * Runs single-threaded under CTest as `schema_message`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "uschat/message.h"

#include "alloc_probe.h"
#define CHECK_KEEP_GOING
#include "check.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static uint8_t s_blob[1024];

static msg_schema_test_t s_full(void)
{
    msg_schema_test_t m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < sizeof s_blob; i++)
        s_blob[i] = (uint8_t)(i * 31);
    m.uid = 123456789012ull;
    m.delta = -12345;
    m.count = 199;
    m.flag = true;
    m.name = "ali\xc3\xa7\xe4\xb8\xad \"q\"";
    m.passwd = "hunter2";
    m.blob.data = s_blob;
    m.blob.len = 100;
    m.peer = "77";
    return m;
}

static bool s_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* A body packed by msgpack-c directly, so tests can write what our encoder never would. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} raw_t;

static void raw_begin(raw_t *r, uint32_t pairs)
{
    msgpack_sbuffer_init(&r->sb);
    msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
    msgpack_pack_map(&r->pk, pairs);
}

static void raw_key(raw_t *r, const char *k)
{
    msgpack_pack_str_with_body(&r->pk, k, strlen(k));
}

static void raw_str(raw_t *r, const char *k, const char *v)
{
    raw_key(r, k);
    msgpack_pack_str_with_body(&r->pk, v, strlen(v));
}

static void raw_uint(raw_t *r, const char *k, uint64_t v)
{
    raw_key(r, k);
    msgpack_pack_uint64(&r->pk, v);
}

static int raw_decode(raw_t *r, msg_schema_test_t *m)
{
    int rc = msg_schema_test_decode((const uint8_t *)r->sb.data, r->sb.size, m);
    msgpack_sbuffer_destroy(&r->sb);
    if (rc < 0)
        CHECK(s_is_zero(m, sizeof *m));
    return rc;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_table(void)
{
    const msg_desc_t *echo = msg_desc(MSG_ECHO);
    CHECK(echo != NULL);
    CHECK_STR(echo->name, "echo");
    CHECK_INT(echo->field_count, 2);
    CHECK_STR(echo->fields[0].name, "payload");
    CHECK_INT(echo->fields[0].kind, MSG_KIND_BIN);
    CHECK_INT(echo->fields[0].max, 65536);
    CHECK_INT(echo->size, sizeof(msg_echo_t));
    CHECK(msg_desc_by_name("echo") == echo);
    CHECK(msg_desc_by_name("schema_test") == msg_desc(MSG_SCHEMA_TEST));
    CHECK(msg_desc_by_name("nope") == NULL);
    CHECK(msg_desc_by_name(NULL) == NULL);
    CHECK(msg_desc(MSG_NONE) == NULL);
    CHECK(msg_desc(65535) == NULL);
    CHECK(msg_desc_at(msg_desc_count()) == NULL);

    /* Every entry is reachable by id and by name, and its fields fit in its struct. */
    CHECK(msg_desc_count() >= 2);
    for (size_t i = 0; i < msg_desc_count(); i++) {
        const msg_desc_t *d = msg_desc_at(i);
        CHECK(d != NULL);
        if (!d)
            continue;
        CHECK(msg_desc(d->id) == d);
        CHECK(msg_desc_by_name(d->name) == d);
        CHECK(d->doc && d->doc[0]);
        for (size_t f = 0; f < d->field_count; f++) {
            CHECK(d->fields[f].offset < d->size);
            CHECK(d->fields[f].kind <= MSG_KIND_LIST);
            CHECK((d->fields[f].kind == MSG_KIND_LIST) == (d->fields[f].record != NULL));
        }
    }
}

static void test_round_trip_every_kind(void)
{
    msg_schema_test_t m = s_full(), d;
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    CHECK(buf != NULL && len > 100);
    memset(&d, 0x5a, sizeof d);
    CHECK_INT(msg_schema_test_decode(buf, len, &d), 0);
    CHECK_INT(d.uid, m.uid);
    CHECK_INT(d.delta, m.delta);
    CHECK_INT(d.count, m.count);
    CHECK(d.flag == true);
    CHECK_STR(d.name, m.name);
    CHECK_STR(d.passwd, m.passwd);
    CHECK_INT(d.blob.len, 100);
    CHECK(d.blob.data && memcmp(d.blob.data, s_blob, 100) == 0);
    CHECK_STR(d.peer, "77");
    msg_schema_test_clear(&d);
    CHECK(s_is_zero(&d, sizeof d));
    msg_schema_test_clear(&d); /* twice is harmless */
    free(buf);

    /* The limits themselves pass. */
    char name[33], passwd[65];
    memset(name, 'n', 32);
    name[32] = '\0';
    memset(passwd, 'p', 64);
    passwd[64] = '\0';
    m.uid = UINT64_MAX;
    m.delta = -1000000;
    m.count = 200;
    m.flag = false;
    m.name = name;
    m.passwd = passwd;
    m.blob.len = 1024;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    CHECK_INT(msg_schema_test_decode(buf, len, &d), 0);
    CHECK_INT(d.uid, UINT64_MAX);
    CHECK_INT(d.delta, -1000000);
    CHECK_INT(d.count, 200);
    CHECK(d.flag == false);
    CHECK_STR(d.name, name);
    CHECK_STR(d.passwd, passwd);
    CHECK(d.blob.len == 1024 && memcmp(d.blob.data, s_blob, 1024) == 0);
    msg_schema_test_clear(&d);
    free(buf);
    m.delta = 1000000;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    CHECK_INT(msg_schema_test_decode(buf, len, &d), 0);
    CHECK_INT(d.delta, 1000000);
    msg_schema_test_clear(&d);
    free(buf);
}

static void test_optional_fields(void)
{
    /* NULL strings stay off the wire and come back NULL; an empty bin comes back empty. */
    msg_schema_test_t m, d;
    memset(&m, 0, sizeof m);
    m.uid = 1;
    m.name = "";
    uint8_t *buf;
    size_t len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    CHECK_INT(msg_schema_test_decode(buf, len, &d), 0);
    CHECK_STR(d.name, "");
    CHECK(d.passwd == NULL);
    CHECK(d.peer == NULL);
    CHECK(d.blob.data == NULL && d.blob.len == 0);
    msg_schema_test_clear(&d);
    free(buf);

    /* Echo, through its typed wrappers, with an empty and a full payload. */
    msg_echo_t e = {.payload = {NULL, 0}, .seq = 7}, back;
    CHECK_INT(msg_echo_encode(&e, &buf, &len), 0);
    CHECK_INT(msg_echo_decode(buf, len, &back), 0);
    CHECK_INT(back.seq, 7);
    CHECK_INT(back.payload.len, 0);
    msg_echo_clear(&back);
    free(buf);
    static uint8_t big[65536];
    memset(big, 0xab, sizeof big);
    e.payload.data = big;
    e.payload.len = sizeof big;
    CHECK_INT(msg_echo_encode(&e, &buf, &len), 0);
    CHECK_INT(msg_echo_decode(buf, len, &back), 0);
    CHECK(back.payload.len == sizeof big && memcmp(back.payload.data, big, sizeof big) == 0);
    msg_echo_clear(&back);
    free(buf);
    e.payload.len = sizeof big + 1;
    CHECK_INT(msg_echo_encode(&e, &buf, &len), -EINVAL);
}

static void test_encode_refuses_bad_values(void)
{
    uint8_t *buf = (uint8_t *)1;
    size_t len = 99;
    char long_name[40];
    memset(long_name, 'x', 33);
    long_name[33] = '\0';

    msg_schema_test_t m = s_full();
    m.name = long_name;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    CHECK(buf == NULL && len == 0);
    m = s_full();
    m.name = NULL; /* required */
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.name = "bad \xff utf-8";
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.name = "\xed\xa0\x80"; /* a surrogate */
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.count = 201;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.delta = -1000001;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.blob.len = 1025;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    m.blob.data = NULL;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    m = s_full();
    CHECK(msg_encode(999, &m, &buf, &len) < 0);
    CHECK(msg_encode(MSG_SCHEMA_TEST, NULL, &buf, &len) < 0);
    CHECK(msg_encode(MSG_SCHEMA_TEST, &m, NULL, &len) < 0);
}

static void test_unknown_keys_ignored(void)
{
    raw_t r;
    msg_schema_test_t d;
    raw_begin(&r, 6);
    raw_str(&r, "added_later", "whatever");
    raw_uint(&r, "uid", 5);
    raw_key(&r, "nested");
    msgpack_pack_map(&r.pk, 1);
    raw_key(&r, "deep");
    msgpack_pack_array(&r.pk, 3);
    msgpack_pack_nil(&r.pk);
    msgpack_pack_double(&r.pk, 2.5);
    msgpack_pack_bin_with_body(&r.pk, "xy", 2);
    raw_str(&r, "name", "bob");
    raw_key(&r, "Name"); /* keys are case-sensitive */
    msgpack_pack_int64(&r.pk, -1);
    raw_key(&r, "ext");
    msgpack_pack_ext_with_body(&r.pk, "abcd", 4, 3);
    CHECK_INT(raw_decode(&r, &d), 0);
    CHECK_INT(d.uid, 5);
    CHECK_STR(d.name, "bob");
    msg_schema_test_clear(&d);
}

static void test_wrong_types(void)
{
    /* Each field, given each value of the wrong type; the other fields are good. */
    const char *fields[] = {"uid",    "delta", "count", "flag", "name",
                            "passwd", "blob",  "peer",  "items"};
    enum { W_NEG, W_STR, W_BIN, W_TRUE, W_FLOAT, W_ARRAY, W_MAP, W_UINT, W_COUNT };
    for (size_t fi = 0; fi < sizeof fields / sizeof fields[0]; fi++) {
        for (int w = 0; w < W_COUNT; w++) {
            const char *f = fields[fi];
            bool ok_type =
                (w == W_NEG && strcmp(f, "delta") == 0) ||
                (w == W_STR &&
                 (!strcmp(f, "name") || !strcmp(f, "passwd") || !strcmp(f, "peer"))) ||
                (w == W_BIN && !strcmp(f, "blob")) || (w == W_TRUE && !strcmp(f, "flag")) ||
                (w == W_UINT && (!strcmp(f, "uid") || !strcmp(f, "delta") || !strcmp(f, "count")));
            if (ok_type)
                continue;
            raw_t r;
            msg_schema_test_t d;
            bool replaces_required = !strcmp(f, "uid") || !strcmp(f, "name");
            raw_begin(&r, replaces_required ? 2 : 3);
            if (strcmp(f, "uid"))
                raw_uint(&r, "uid", 1);
            if (strcmp(f, "name"))
                raw_str(&r, "name", "n");
            raw_key(&r, f);
            switch (w) {
            case W_NEG:
                msgpack_pack_int64(&r.pk, -3);
                break;
            case W_STR:
                msgpack_pack_str_with_body(&r.pk, "7", 1);
                break;
            case W_BIN:
                msgpack_pack_bin_with_body(&r.pk, "7", 1);
                break;
            case W_TRUE:
                msgpack_pack_true(&r.pk);
                break;
            case W_FLOAT:
                msgpack_pack_double(&r.pk, 7.0);
                break;
            case W_ARRAY:
                msgpack_pack_array(&r.pk, 1);
                msgpack_pack_uint8(&r.pk, 7);
                break;
            case W_MAP:
                msgpack_pack_map(&r.pk, 1);
                msgpack_pack_uint8(&r.pk, 7);
                msgpack_pack_uint8(&r.pk, 7);
                break;
            case W_UINT:
                msgpack_pack_uint8(&r.pk, 7);
                break;
            }
            int rc = raw_decode(&r, &d);
            if (rc != -EBADMSG)
                fprintf(stderr, "field %s, wrong value %d: rc %d\n", f, w, rc);
            CHECK_INT(rc, -EBADMSG);
        }
    }
}

static void test_limits_on_the_wire(void)
{
    raw_t r;
    msg_schema_test_t d;
    char s33[34];
    memset(s33, 's', 33);
    s33[33] = '\0';

    raw_begin(&r, 2);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", s33);
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "n");
    raw_uint(&r, "count", 201);
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "n");
    raw_key(&r, "delta");
    msgpack_pack_int64(&r.pk, -1000001);
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "n");
    raw_uint(&r, "delta", 1ull << 63); /* does not fit an i64 */
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "n");
    raw_key(&r, "blob");
    static char big[1025];
    msgpack_pack_bin_with_body(&r.pk, big, sizeof big);
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    /* Strings: an embedded NUL, invalid UTF-8, an overlong form. */
    const char *bad[] = {"a\0b", "\xc3", "\xc0\xaf", "\xf4\x90\x80\x80"};
    const size_t bad_len[] = {3, 1, 2, 4};
    for (size_t i = 0; i < 4; i++) {
        raw_begin(&r, 2);
        raw_uint(&r, "uid", 1);
        raw_key(&r, "name");
        msgpack_pack_str_with_body(&r.pk, bad[i], bad_len[i]);
        CHECK_INT(raw_decode(&r, &d), -EBADMSG);
    }
}

static void test_required_and_nil(void)
{
    raw_t r;
    msg_schema_test_t d;
    raw_begin(&r, 1);
    raw_str(&r, "name", "n");
    CHECK_INT(raw_decode(&r, &d), -EBADMSG); /* uid missing */

    raw_begin(&r, 2);
    raw_key(&r, "uid");
    msgpack_pack_nil(&r.pk);
    raw_str(&r, "name", "n");
    CHECK_INT(raw_decode(&r, &d), -EBADMSG); /* nil is absent */

    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "n");
    raw_key(&r, "passwd");
    msgpack_pack_nil(&r.pk);
    CHECK_INT(raw_decode(&r, &d), 0);
    CHECK(d.passwd == NULL);
    msg_schema_test_clear(&d);

    /* A key given twice is refused, and what the first one allocated is freed. */
    raw_begin(&r, 3);
    raw_uint(&r, "uid", 1);
    raw_str(&r, "name", "first");
    raw_str(&r, "name", "second");
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    /* Not a map; a key that is not a string; an empty body. */
    const uint8_t arr[] = {0x91, 0x01};
    CHECK_INT(msg_schema_test_decode(arr, sizeof arr, &d), -EBADMSG);
    const uint8_t intkey[] = {0x81, 0x01, 0x01};
    CHECK_INT(msg_schema_test_decode(intkey, sizeof intkey, &d), -EBADMSG);
    CHECK_INT(msg_schema_test_decode(NULL, 0, &d), -EBADMSG);
    CHECK_INT(msg_schema_test_decode(arr, 0, &d), -EBADMSG);
    CHECK(msg_decode(999, arr, sizeof arr, &d) < 0);
}

static void test_truncated_and_trailing(void)
{
    msg_schema_test_t m = s_full(), d;
    uint8_t *buf;
    size_t len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        memset(&d, 0x5a, sizeof d);
        CHECK(msg_schema_test_decode(copy, cut, &d) < 0);
        CHECK(s_is_zero(&d, sizeof d));
        free(copy);
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0xc0;
    CHECK_INT(msg_schema_test_decode(longer, len + 1, &d), -EBADMSG);
    free(longer);
    free(buf);

    /* Over MSG_MAX_BODY is refused before it is looked at. */
    CHECK_INT(msg_echo_decode((const uint8_t *)"", MSG_MAX_BODY + 1, &(msg_echo_t){0}), -E2BIG);
}

static void test_huge_counts_do_not_allocate(void)
{
    /* Each announces ~4 GB in a few bytes: as the body, as a key, as a value. */
    const struct {
        const char *bytes;
        size_t len;
    } cases[] = {
        {"\xdf\xff\xff\xff\xff", 5},              /* map32 */
        {"\xdd\xff\xff\xff\xff", 5},              /* array32 */
        {"\x81\xdb\xff\xff\xff\xff", 6},          /* key str32 */
        {"\x81\xa4name\xdb\xff\xff\xff\xff", 10}, /* value str32 */
        {"\x81\xa4"
         "blob\xc6\xff\xff\xff\xff",
         10},                                     /* value bin32 */
        {"\x81\xa1x\xdd\xff\xff\xff\xff", 8},     /* unknown key, array32 value */
        {"\x81\xa1x\x91\xdf\xff\xff\xff\xff", 9}, /* nested map32 */
        {"\x83\xa3uid\x01\xa4name\xa1n\xa1x\xc9\xff\xff\xff\xff\x01", 20}, /* ext32 */
    };
    msg_schema_test_t d;
    alloc_probe_start();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(msg_schema_test_decode((const uint8_t *)cases[i].bytes, cases[i].len, &d) < 0);
    alloc_probe_stop();
    /* Only the last case allocates: the 2 bytes of name "n", read before the bad ext. */
    if (alloc_probe_active()) {
        CHECK_INT(alloc_probe_count(), 1);
        CHECK_INT(alloc_probe_max(), 2);
    }

    /* A good body allocates no more than it carries. */
    msg_schema_test_t m = s_full();
    uint8_t *buf;
    size_t len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    alloc_probe_start();
    CHECK_INT(msg_schema_test_decode(buf, len, &d), 0);
    alloc_probe_stop();
    if (alloc_probe_active()) {
        CHECK_INT(alloc_probe_count(), 4); /* name, passwd, blob, peer */
        CHECK(alloc_probe_max() <= len);
    } else {
        printf("     (allocation probe needs ASan; not checked)\n");
    }
    msg_schema_test_clear(&d);
    free(buf);
}

/* Random damage to a good body (near its end, where the list is, when tail is set): never a
 * crash or a leak; what decodes re-encodes to a body that decodes the same. Returns how many
 * of the damaged copies decoded. */
static int s_damage(const uint8_t *buf, size_t len, uint32_t seed, bool tail)
{
    msg_schema_test_t d, again;
    uint8_t *mut = malloc(len);
    int decoded = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(mut, buf, len);
        int hits = 1 + round % 4;
        for (int k = 0; k < hits; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t at = tail ? len - 1 - (seed >> 8) % (len / 2) : (seed >> 8) % len;
            mut[at] = (uint8_t)(seed >> 24);
        }
        if (msg_schema_test_decode(mut, len, &d) == 0) {
            uint8_t *out;
            size_t out_len;
            CHECK_INT(msg_schema_test_encode(&d, &out, &out_len), 0);
            CHECK_INT(msg_schema_test_decode(out, out_len, &again), 0);
            CHECK(again.uid == d.uid && again.count == d.count && again.blob.len == d.blob.len);
            CHECK(again.items.count == d.items.count);
            for (size_t i = 0; i < again.items.count && i < d.items.count; i++)
                CHECK(again.items.items[i].id == d.items.items[i].id);
            msg_schema_test_clear(&again);
            free(out);
            decoded++;
        }
        msg_schema_test_clear(&d);
    }
    free(mut);
    return decoded;
}

static void test_mutations(void)
{
    msg_schema_test_t m = s_full();
    uint8_t *buf;
    size_t len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    CHECK(s_damage(buf, len, 7, false) > 0);
    free(buf);
}

/* ---- lists ------------------------------------------------------------------------------ */

static msg_schema_test_item_t s_items[4] = {
    {.id = 1, .label = "one", .pin = "s1"},
    {.id = 2, .label = NULL, .pin = NULL},
    {.id = UINT64_MAX, .label = "\xc3\xa7 three", .pin = "s3"},
    {.id = 4, .label = "", .pin = ""},
};

static msg_schema_test_t s_with_items(size_t count)
{
    msg_schema_test_t m = s_full();
    m.items.items = s_items;
    m.items.count = count;
    return m;
}

static void test_list_round_trip(void)
{
    const msg_desc_t *d = msg_desc(MSG_SCHEMA_TEST);
    const msg_field_t *f = &d->fields[d->field_count - 1];
    CHECK_STR(f->name, "items");
    CHECK_INT(f->kind, MSG_KIND_LIST);
    CHECK_INT(f->max, 4);
    CHECK(f->record && strcmp(f->record->name, "schema_test_item") == 0);
    CHECK(f->record && f->record->id == 0 && f->record->size == sizeof(msg_schema_test_item_t));

    for (size_t count = 0; count <= 4; count++) {
        msg_schema_test_t m = s_with_items(count), back;
        uint8_t *buf;
        size_t len;
        CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
        CHECK_INT(msg_schema_test_decode(buf, len, &back), 0);
        CHECK_INT(back.items.count, count);
        CHECK((count == 0) == (back.items.items == NULL));
        for (size_t i = 0; i < back.items.count; i++) {
            const msg_schema_test_item_t *a = &s_items[i], *b = &back.items.items[i];
            CHECK_INT(b->id, a->id);
            CHECK((a->label == NULL) == (b->label == NULL));
            CHECK(!a->label || strcmp(a->label, b->label) == 0);
            CHECK(!a->pin || (b->pin && strcmp(a->pin, b->pin) == 0));
        }
        msg_schema_test_clear(&back);
        CHECK(s_is_zero(&back, sizeof back));
        free(buf);
    }

    /* The encoder applies the table to every record, and the list's own max. */
    uint8_t *buf = (uint8_t *)1;
    size_t len = 9;
    msg_schema_test_item_t five[5] = {{.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}, {.id = 5}};
    msg_schema_test_t m = s_full();
    m.items.items = five;
    m.items.count = 5;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    CHECK(buf == NULL && len == 0);
    m.items.count = 4;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    free(buf);
    five[1].label = "seventeen bytes!!"; /* max 16 */
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    five[1].label = "bad \xff";
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
    five[1].label = NULL;
    m.items.items = NULL; /* a count without items */
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), -EINVAL);
}

/* A body with uid, name and the list whose items the caller packs (count of them). */
static void raw_list_begin(raw_t *r, uint32_t count)
{
    raw_begin(r, 3);
    raw_uint(r, "uid", 1);
    raw_str(r, "name", "n");
    raw_key(r, "items");
    msgpack_pack_array(&r->pk, count);
}

static void test_list_on_the_wire(void)
{
    raw_t r;
    msg_schema_test_t d;

    /* five records: over the max */
    raw_list_begin(&r, 5);
    for (int i = 0; i < 5; i++) {
        msgpack_pack_map(&r.pk, 1);
        raw_uint(&r, "id", (uint64_t)i + 1);
    }
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    /* a record without its required id, after a good one (which is freed again) */
    raw_list_begin(&r, 2);
    msgpack_pack_map(&r.pk, 2);
    raw_uint(&r, "id", 1);
    raw_str(&r, "label", "kept until the error");
    msgpack_pack_map(&r.pk, 1);
    raw_str(&r, "label", "no id");
    CHECK_INT(raw_decode(&r, &d), -EBADMSG);

    /* a record field over its max, of the wrong type, twice; an item that is not a map */
    for (int bad = 0; bad < 4; bad++) {
        raw_list_begin(&r, 1);
        if (bad == 3) {
            msgpack_pack_array(&r.pk, 0);
        } else {
            msgpack_pack_map(&r.pk, bad == 2 ? 3 : 2);
            raw_uint(&r, "id", 1);
            if (bad == 0)
                raw_str(&r, "label", "seventeen bytes!!");
            else
                raw_uint(&r, "label", 7);
            if (bad == 2)
                raw_uint(&r, "id", 2);
        }
        CHECK_INT(raw_decode(&r, &d), -EBADMSG);
    }

    /* unknown keys in a record are ignored, nil reads as absent, an empty list is no items */
    raw_list_begin(&r, 1);
    msgpack_pack_map(&r.pk, 3);
    raw_uint(&r, "id", 9);
    raw_str(&r, "later", "x");
    raw_key(&r, "label");
    msgpack_pack_nil(&r.pk);
    CHECK_INT(raw_decode(&r, &d), 0);
    CHECK(d.items.count == 1 && d.items.items[0].id == 9 && d.items.items[0].label == NULL);
    msg_schema_test_clear(&d);
    raw_list_begin(&r, 0);
    CHECK_INT(raw_decode(&r, &d), 0);
    CHECK(d.items.count == 0 && d.items.items == NULL);
    msg_schema_test_clear(&d);

    /* a list claiming more records than the bytes left allocates nothing */
    const uint8_t huge[] = {0x83, 0xa3, 'u', 'i', 'd', 0x01, 0xa4, 'n',  'a',  'm',  'e',  0xa1,
                            'n',  0xa5, 'i', 't', 'e', 'm',  's',  0xdd, 0xff, 0xff, 0xff, 0xff};
    const uint8_t four[] = {0x83, 0xa3, 'u', 'i',  'd', 0x01, 0xa4, 'n', 'a', 'm',
                            'e',  0xa1, 'n', 0xa5, 'i', 't',  'e',  'm', 's', 0x94};
    alloc_probe_start();
    CHECK_INT(msg_schema_test_decode(huge, sizeof huge, &d), -EBADMSG);
    CHECK_INT(msg_schema_test_decode(four, sizeof four, &d), -EBADMSG);
    alloc_probe_stop();
    if (alloc_probe_active())
        CHECK_INT(alloc_probe_count(), 2); /* "n" of each, before the list */
}

static void test_list_damage(void)
{
    /* Every cut of a body with records fails cleanly; damage inside the list too. */
    msg_schema_test_t m = s_with_items(4), d;
    uint8_t *buf;
    size_t len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    for (size_t cut = 0; cut < len; cut++) {
        memset(&d, 0x5a, sizeof d);
        CHECK(msg_schema_test_decode(buf, cut, &d) < 0);
        CHECK(s_is_zero(&d, sizeof d));
    }
    CHECK(s_damage(buf, len, 11, true) > 0);
    free(buf);
}

int main(void)
{
    RUN(test_table);
    RUN(test_round_trip_every_kind);
    RUN(test_optional_fields);
    RUN(test_encode_refuses_bad_values);
    RUN(test_unknown_keys_ignored);
    RUN(test_wrong_types);
    RUN(test_limits_on_the_wire);
    RUN(test_required_and_nil);
    RUN(test_truncated_and_trailing);
    RUN(test_huge_counts_do_not_allocate);
    RUN(test_mutations);
    RUN(test_list_round_trip);
    RUN(test_list_on_the_wire);
    RUN(test_list_damage);
    return CHECK_DONE();
}
