/* test_format.c - the pretty-printer (schema/src/message_format.c): text and JSON lines of a
 * known message, secrets masked (by flag and, for keys the table does not know, by name),
 * unknown types, undecodable bodies, truncation, JSON that jansson parses whatever the body,
 * msg_mentions_uid, and the masked copy the broker's tap publishes (msg_mask_secrets). Runs
 * single-threaded under CTest as `schema_format`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "uschat/message.h"

#define CHECK_KEEP_GOING
#include "check.h"

#define UNKNOWN_TYPE 4242

static uint8_t *s_body(size_t *len)
{
    static const uint8_t blob[3] = {0x01, 0x02, 0xff};
    msg_schema_test_t m;
    memset(&m, 0, sizeof m);
    m.uid = 42;
    m.delta = -5;
    m.count = 3;
    m.flag = true;
    m.name = "al\"ice\n\xe4\xb8\xad";
    m.passwd = "hunter2";
    m.blob.data = (uint8_t *)blob;
    m.blob.len = sizeof blob;
    m.peer = "77";
    uint8_t *buf = NULL;
    CHECK_INT(msg_schema_test_encode(&m, &buf, len), 0);
    return buf;
}

static void test_text(void)
{
    size_t len;
    uint8_t *buf = s_body(&len);
    char out[512];
    int n = msg_format(MSG_SCHEMA_TEST, buf, len, 0, out, sizeof out);
    CHECK_STR(out, "uid=42 delta=-5 count=3 flag=true name=\"al\\\"ice\\n\xe4\xb8\xad\" "
                   "passwd=*** blob=0x0102ff peer=\"77\" items=[]");
    CHECK_INT(n, strlen(out));
    msg_format(MSG_SCHEMA_TEST, buf, len, MSG_FORMAT_SHOW_SECRETS, out, sizeof out);
    CHECK(strstr(out, "passwd=\"hunter2\"") != NULL);
    CHECK(strchr(out, '\n') == NULL);
    free(buf);

    /* A long bin is summarised. */
    static uint8_t payload[100];
    msg_echo_t e = {.payload = {payload, sizeof payload}, .seq = 9};
    CHECK_INT(msg_echo_encode(&e, &buf, &len), 0);
    msg_format(MSG_ECHO, buf, len, 0, out, sizeof out);
    CHECK_STR(out, "payload=<100 bytes> seq=9");
    msg_format(MSG_ECHO, buf, len, MSG_FORMAT_JSON, out, sizeof out);
    CHECK_STR(out, "{\"payload\":\"<100 bytes>\",\"seq\":9}");
    free(buf);
}

static void test_json(void)
{
    size_t len;
    uint8_t *buf = s_body(&len);
    char out[512];
    msg_format(MSG_SCHEMA_TEST, buf, len, MSG_FORMAT_JSON, out, sizeof out);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    CHECK(j != NULL);
    if (!j) {
        fprintf(stderr, "jansson: %s in %s\n", err.text, out);
        free(buf);
        return;
    }
    CHECK(json_is_object(j));
    CHECK_INT(json_integer_value(json_object_get(j, "uid")), 42);
    CHECK_INT(json_integer_value(json_object_get(j, "delta")), -5);
    CHECK(json_is_true(json_object_get(j, "flag")));
    CHECK_STR(json_string_value(json_object_get(j, "name")), "al\"ice\n\xe4\xb8\xad");
    CHECK_STR(json_string_value(json_object_get(j, "passwd")), "***");
    CHECK_STR(json_string_value(json_object_get(j, "blob")), "0x0102ff");
    CHECK_STR(json_string_value(json_object_get(j, "peer")), "77");
    json_decref(j);

    msg_format(MSG_SCHEMA_TEST, buf, len, MSG_FORMAT_JSON | MSG_FORMAT_SHOW_SECRETS, out,
               sizeof out);
    j = json_loads(out, 0, &err);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "passwd")), "hunter2");
    json_decref(j);
    free(buf);
}

/* A body of an unknown type, packed by hand. */
static size_t s_unknown(uint8_t *out, size_t cap)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    msgpack_pack_str_with_body(&pk, "user", 4);
    msgpack_pack_str_with_body(&pk, "bob", 3);
    msgpack_pack_str_with_body(&pk, "varifycode", 10);
    msgpack_pack_str_with_body(&pk, "123456", 6);
    msgpack_pack_str_with_body(&pk, "Access_Token", 12);
    msgpack_pack_str_with_body(&pk, "abc", 3);
    msgpack_pack_str_with_body(&pk, "nested", 6);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "pw_hash", 7);
    msgpack_pack_str_with_body(&pk, "$argon2id$", 10);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_int64(&pk, -1);
    msgpack_pack_str_with_body(&pk, "list", 4);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_double(&pk, 0.5);
    msgpack_pack_uint64(&pk, 7); /* a key that is not a string */
    msgpack_pack_str_with_body(&pk, "seven", 5);
    msgpack_pack_str_with_body(&pk, "odd key", 7);
    msgpack_pack_str_with_body(&pk, "bad \xff", 5);
    size_t n = sb.size < cap ? sb.size : cap;
    memcpy(out, sb.data, n);
    msgpack_sbuffer_destroy(&sb);
    return n;
}

static void test_unknown_type(void)
{
    uint8_t body[256];
    size_t len = s_unknown(body, sizeof body);
    char out[512];
    msg_format(UNKNOWN_TYPE, body, len, 0, out, sizeof out);
    CHECK_STR(out, "user=\"bob\" varifycode=*** Access_Token=*** nested={pw_hash=***,n=-1} "
                   "list=[1,nil,0.5] 7=\"seven\" \"odd key\"=\"bad \\xff\"");
    msg_format(UNKNOWN_TYPE, body, len, MSG_FORMAT_SHOW_SECRETS, out, sizeof out);
    CHECK(strstr(out, "varifycode=\"123456\"") && strstr(out, "pw_hash=\"$argon2id$\""));

    msg_format(UNKNOWN_TYPE, body, len, MSG_FORMAT_JSON, out, sizeof out);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    CHECK(j != NULL);
    if (j) {
        CHECK_STR(json_string_value(json_object_get(j, "varifycode")), "***");
        CHECK_STR(json_string_value(json_object_get(j, "Access_Token")), "***");
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "nested"), "pw_hash")),
                  "***");
        CHECK_STR(json_string_value(json_object_get(j, "7")), "seven");
        CHECK_STR(json_string_value(json_object_get(j, "odd key")), "bad \xef\xbf\xbd");
        CHECK_INT(json_array_size(json_object_get(j, "list")), 3);
        json_decref(j);
    } else {
        fprintf(stderr, "jansson: %s in %s\n", err.text, out);
    }

    /* A known type's keys that its table does not describe are masked by name too. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "seq", 3);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_str_with_body(&pk, "session_token", 13);
    msgpack_pack_str_with_body(&pk, "t0k", 3);
    msg_format(MSG_ECHO, (const uint8_t *)sb.data, sb.size, 0, out, sizeof out);
    CHECK_STR(out, "seq=1 session_token=***");
    msgpack_sbuffer_destroy(&sb);

    /* A scalar body of an unknown type. */
    msg_format(UNKNOWN_TYPE, (const uint8_t *)"\x05", 1, 0, out, sizeof out);
    CHECK_STR(out, "5");
    msg_format(UNKNOWN_TYPE, (const uint8_t *)"\x05", 1, MSG_FORMAT_JSON, out, sizeof out);
    CHECK_STR(out, "{\"value\":5}");
}

static void test_undecodable(void)
{
    char out[128];
    /* Truncated, a known type with a bad field, garbage, nothing. */
    size_t len;
    uint8_t *buf = s_body(&len);
    char expect[64];
    snprintf(expect, sizeof expect, "<undecodable %zu bytes>", len - 1);
    CHECK_INT(msg_format(MSG_SCHEMA_TEST, buf, len - 1, 0, out, sizeof out), strlen(expect));
    CHECK_STR(out, expect);
    msg_format(UNKNOWN_TYPE, buf, len - 1, 0, out, sizeof out);
    CHECK_STR(out, expect);
    msg_format(MSG_SCHEMA_TEST, buf, len - 1, MSG_FORMAT_JSON, out, sizeof out);
    snprintf(expect, sizeof expect, "{\"undecodable_bytes\":%zu}", len - 1);
    CHECK_STR(out, expect);
    free(buf);

    const uint8_t missing_name[] = {0x81, 0xa3, 'u', 'i', 'd', 0x01};
    msg_format(MSG_SCHEMA_TEST, missing_name, sizeof missing_name, 0, out, sizeof out);
    CHECK_STR(out, "<undecodable 6 bytes>");
    msg_format(UNKNOWN_TYPE, (const uint8_t *)"\xc1", 1, 0, out, sizeof out);
    CHECK_STR(out, "<undecodable 1 bytes>");
    msg_format(MSG_ECHO, NULL, 0, 0, out, sizeof out);
    CHECK_STR(out, "<undecodable 0 bytes>");
    msg_format(UNKNOWN_TYPE, (const uint8_t *)"\xdf\xff\xff\xff\xff", 5, 0, out, sizeof out);
    CHECK_STR(out, "<undecodable 5 bytes>");
}

static void test_truncation(void)
{
    size_t len;
    uint8_t *buf = s_body(&len);
    char full[512];
    int need = msg_format(MSG_SCHEMA_TEST, buf, len, 0, full, sizeof full);
    for (size_t cap = 0; cap <= (size_t)need + 1; cap++) {
        char small[512];
        memset(small, '#', sizeof small);
        int n = msg_format(MSG_SCHEMA_TEST, buf, len, 0, cap ? small : NULL, cap);
        CHECK_INT(n, need);
        if (cap == 0)
            continue;
        size_t got = strlen(small);
        CHECK(got < cap);
        CHECK(strncmp(small, full, got) == 0);
        /* Never half a UTF-8 character: "中" is 3 bytes, kept whole or dropped. */
        json_t *s = json_stringn(small, got); /* NULL for invalid UTF-8 */
        CHECK(s != NULL);
        json_decref(s);
        CHECK(got + 3 > cap - 1);
        CHECK(small[cap] == '#' || cap == sizeof small);
    }
    free(buf);
}

/* JSON output parses for any body: random mutations of a known body, random msgpack-ish
 * bytes for an unknown type (invalid UTF-8, NaN, huge integers, deep nesting). */
static void test_json_always_parses(void)
{
    size_t len;
    uint8_t *good = s_body(&len);
    static char out[1 << 16];
    uint32_t seed = 3;
    int objects = 0;
    for (int round = 0; round < 6000; round++) {
        uint8_t body[256];
        size_t n;
        uint16_t type;
        if (round % 2) {
            n = len;
            memcpy(body, good, len);
            seed = seed * 1664525u + 1013904223u;
            body[(seed >> 8) % len] = (uint8_t)(seed >> 24);
            type = round % 4 == 1 ? MSG_SCHEMA_TEST : UNKNOWN_TYPE;
        } else {
            /* Small random values from a biased alphabet of msgpack type bytes. */
            static const uint8_t alphabet[] = {0x81, 0x82, 0x92, 0xa1, 0xa2, 0xc0, 0xc3, 0xff,
                                               0xcb, 0x7f, 0xcf, 0x80, 0xe0, 0x00, 0x91, 0xc4};
            seed = seed * 1664525u + 1013904223u;
            n = 1 + (seed >> 8) % 40;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1664525u + 1013904223u;
                body[i] = (seed >> 28) < 12 ? alphabet[(seed >> 8) % sizeof alphabet]
                                            : (uint8_t)(seed >> 16);
            }
            type = UNKNOWN_TYPE;
        }
        int need = msg_format(type, body, n, MSG_FORMAT_JSON, out, sizeof out);
        CHECK(need < (int)sizeof out);
        json_error_t err;
        /* A NUL inside a string value is valid JSON; jansson wants to be told. */
        json_t *j = json_loads(out, JSON_ALLOW_NUL, &err);
        if (!j) {
            fprintf(stderr, "jansson: %s in %s\n", err.text, out);
            CHECK(j != NULL);
            break;
        }
        objects++;
        json_decref(j);
        /* Text never has a newline. */
        msg_format(type, body, n, 0, out, sizeof out);
        CHECK(strchr(out, '\n') == NULL);
    }
    CHECK_INT(objects, 6000);

    /* The edges one by one: NaN, u64 max, deep nesting. */
    const uint8_t nan_body[] = {0x81, 0xa1, 'f', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    msg_format(UNKNOWN_TYPE, nan_body, sizeof nan_body, MSG_FORMAT_JSON, out, sizeof out);
    CHECK_STR(out, "{\"f\":null}");
    const uint8_t big[] = {0x81, 0xa1, 'u', 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    msg_format(UNKNOWN_TYPE, big, sizeof big, MSG_FORMAT_JSON, out, sizeof out);
    CHECK_STR(out, "{\"u\":\"18446744073709551615\"}");
    uint8_t deep[200];
    memset(deep, 0x91, sizeof deep - 1);
    deep[sizeof deep - 1] = 0x01;
    msg_format(UNKNOWN_TYPE, deep, sizeof deep, MSG_FORMAT_JSON, out, sizeof out);
    json_t *j = json_loads(out, 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
    msg_format(UNKNOWN_TYPE, deep, sizeof deep, 0, out, sizeof out);
    CHECK(strstr(out, "...") != NULL);
    free(good);
}

static void test_mentions_uid(void)
{
    size_t len;
    uint8_t *buf = s_body(&len);
    CHECK(msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 42)); /* uid, a u64 */
    CHECK(msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 77)); /* peer, a str */
    CHECK(!msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 3)); /* count is not a uid field */
    CHECK(!msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 43));
    CHECK(!msg_mentions_uid(MSG_SCHEMA_TEST, buf, len - 1, 42)); /* undecodable */
    CHECK(!msg_mentions_uid(UNKNOWN_TYPE, buf, len, 42));
    CHECK(!msg_mentions_uid(MSG_ECHO, buf, len, 42)); /* echo has no uid field */
    free(buf);
}

/* msg_mask_secrets: what the broker's tap may publish */
static void test_mask(void)
{
    size_t len, masked_len;
    uint8_t *buf = s_body(&len), *masked = NULL;
    CHECK_INT(msg_mask_secrets(MSG_SCHEMA_TEST, buf, len, &masked, &masked_len), 1);
    CHECK(masked && !memmem(masked, masked_len, "hunter2", 7));
    /* the rest is untouched and the copy still decodes, with "***" for the secret */
    char out[512];
    msg_format(MSG_SCHEMA_TEST, masked, masked_len, MSG_FORMAT_SHOW_SECRETS, out, sizeof out);
    CHECK_STR(out, "uid=42 delta=-5 count=3 flag=true name=\"al\\\"ice\\n\xe4\xb8\xad\" "
                   "passwd=\"***\" blob=0x0102ff peer=\"77\" items=[]");
    msg_schema_test_t m;
    CHECK_INT(msg_schema_test_decode(masked, masked_len, &m), 0);
    CHECK_STR(m.passwd, "***");
    msg_schema_test_clear(&m);
    free(masked);
    free(buf);

    /* nothing secret: nothing copied */
    msg_echo_t e = {.payload = {(uint8_t *)"x", 1}, .seq = 1};
    CHECK_INT(msg_echo_encode(&e, &buf, &len), 0);
    masked = (uint8_t *)"sentinel";
    CHECK_INT(msg_mask_secrets(MSG_ECHO, buf, len, &masked, &masked_len), 0);
    CHECK(masked == NULL);
    free(buf);

    /* an unknown type: secret-looking keys at any depth, a container as a key */
    static const uint8_t nested[] = "\x82\xa1"
                                    "a\x81\xa5token\xa4"
                                    "abcd\xa1"
                                    "b\x91\x81\xa4"
                                    "code\x01";
    CHECK_INT(msg_mask_secrets(UNKNOWN_TYPE, nested, sizeof nested - 1, &masked, &masked_len), 1);
    CHECK(!memmem(masked, masked_len, "abcd", 4));
    msg_format(UNKNOWN_TYPE, masked, masked_len, MSG_FORMAT_SHOW_SECRETS, out, sizeof out);
    CHECK_STR(out, "a={token=\"***\"} b=[{code=\"***\"}]");
    free(masked);

    /* deeper than the walk goes: the whole container goes */
    uint8_t deep[40];
    size_t n = 0;
    for (; n < 20; n++)
        deep[n] = 0x91; /* [[[[...]]]] */
    deep[n++] = 0xa6;
    memcpy(deep + n, "secret", 6);
    n += 6;
    CHECK_INT(msg_mask_secrets(UNKNOWN_TYPE, deep, n, &masked, &masked_len), 1);
    CHECK(!memmem(masked, masked_len, "secret", 6));
    free(masked);

    /* not msgpack, or trailing bytes: nothing of it may go out */
    CHECK_INT(msg_mask_secrets(UNKNOWN_TYPE, (const uint8_t *)"\xc1", 1, &masked, &masked_len),
              -EBADMSG);
    CHECK_INT(msg_mask_secrets(MSG_ECHO, (const uint8_t *)"\x80\x80", 2, &masked, &masked_len),
              -EBADMSG);
    CHECK(masked == NULL);
}

/* A LIST field: each record printed, masked and searched by its own table. */
static void test_list(void)
{
    msg_schema_test_item_t items[2] = {{.id = 5, .label = "a b", .pin = "1234"},
                                       {.id = 6, .pin = "9876"}};
    msg_schema_test_t m;
    memset(&m, 0, sizeof m);
    m.uid = 42;
    m.name = "n";
    m.items.items = items;
    m.items.count = 2;
    uint8_t *buf = NULL, *masked = NULL;
    size_t len, masked_len;
    CHECK_INT(msg_schema_test_encode(&m, &buf, &len), 0);
    char out[512];
    msg_format(MSG_SCHEMA_TEST, buf, len, 0, out, sizeof out);
    CHECK_STR(out, "uid=42 delta=0 count=0 flag=false name=\"n\" blob=<0 bytes> "
                   "items=[{id=5,label=\"a b\",pin=***},{id=6,pin=***}]");
    msg_format(MSG_SCHEMA_TEST, buf, len, MSG_FORMAT_SHOW_SECRETS, out, sizeof out);
    CHECK(strstr(out, "pin=\"1234\"") && strstr(out, "pin=\"9876\""));

    msg_format(MSG_SCHEMA_TEST, buf, len, MSG_FORMAT_JSON, out, sizeof out);
    json_t *j = json_loads(out, 0, NULL);
    json_t *list = json_object_get(j, "items");
    CHECK(json_array_size(list) == 2);
    CHECK(json_integer_value(json_object_get(json_array_get(list, 1), "id")) == 6);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "pin")), "***");
    json_decref(j);

    /* the monitor's --uid filter finds a uid field inside a record */
    CHECK(msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 6));
    CHECK(!msg_mentions_uid(MSG_SCHEMA_TEST, buf, len, 7));

    /* the tap's copy masks a record's secret field, though its name does not look secret */
    CHECK_INT(msg_mask_secrets(MSG_SCHEMA_TEST, buf, len, &masked, &masked_len), 1);
    CHECK(masked && !memmem(masked, masked_len, "1234", 4) &&
          !memmem(masked, masked_len, "9876", 4));
    msg_schema_test_t back;
    CHECK_INT(msg_schema_test_decode(masked, masked_len, &back), 0);
    CHECK(back.items.count == 2 && strcmp(back.items.items[0].pin, "***") == 0 &&
          strcmp(back.items.items[0].label, "a b") == 0);
    msg_schema_test_clear(&back);
    free(masked);
    free(buf);
}

int main(void)
{
    RUN(test_text);
    RUN(test_json);
    RUN(test_unknown_type);
    RUN(test_undecodable);
    RUN(test_truncation);
    RUN(test_json_always_parses);
    RUN(test_mentions_uid);
    RUN(test_mask);
    RUN(test_list);
    return CHECK_DONE();
}
