/* message_format.c - one-line text or JSON rendering of a message body, for logs and the
 * monitor tool (msg_format), and the monitor's --uid filter (msg_mentions_uid).
 *
 * Called from any thread (the monitor's loop, an actor's log line); no shared state. A body is
 * first checked whole (the table's rules for a known type, plain msgpack well-formedness for an
 * unknown one) so that a bad body prints as one short note, never as half a line. Then the
 * msgpack map is printed in wire order, straight from the bytes: a known type's unknown keys
 * show too, which is what someone debugging a version mismatch wants to see.
 *
 * Secrets: a known field with MSG_F_SECRET prints as ***; any other key (an unknown type, or a
 * key the table does not know) is masked when its name looks secret (passwd, password, token,
 * code, hash, secret). Output follows snprintf: always NUL-terminated, the return value is the
 * length the whole line needs; a cut line is cut on a UTF-8 boundary.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/message.h"

#include "message_internal.h"
#include "mp_reader.h"
#include "uschat/utf8.h"

/* Deeper values print as "..."; the recursion depth is bounded by this, not by the input. */
#define FMT_MAX_DEPTH 16
/* Bins up to this size print as hex, longer ones as <N bytes>. */
#define FMT_BIN_HEX_MAX 16

typedef struct {
    char *out;
    size_t cap;
    size_t len; /* what the whole output needs, even past cap */
    bool json;
    bool show_secrets;
} fmt_t;

static void s_put(fmt_t *f, const char *s, size_t n)
{
    if (f->len + 1 < f->cap) {
        size_t room = f->cap - 1 - f->len;
        memcpy(f->out + f->len, s, n < room ? n : room);
    }
    f->len += n;
}

static void s_puts(fmt_t *f, const char *s)
{
    s_put(f, s, strlen(s));
}

static void s_putc(fmt_t *f, char c)
{
    s_put(f, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void s_printf(fmt_t *f, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        s_put(f, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* NUL-terminates, stepping back so a cut never leaves half a UTF-8 sequence. */
static void s_finish(fmt_t *f)
{
    if (f->cap == 0 || !f->out)
        return;
    size_t end = f->len < f->cap ? f->len : f->cap - 1;
    if (end < f->len) {
        size_t start = end;
        while (start > 0 && ((uint8_t)f->out[start - 1] & 0xc0) == 0x80)
            start--;
        if (start > 0 && (uint8_t)f->out[start - 1] >= 0xc0 &&
            utf8_sequence((const uint8_t *)f->out + start - 1, end - start + 1) == 0)
            end = start - 1;
    }
    f->out[end] = '\0';
}

/* ---- scalars -------------------------------------------------------------------------- */

/* A quoted string: C-like escapes in text (\xNN for control and invalid bytes), JSON escapes
 * in JSON (U+FFFD for invalid bytes, so the line stays valid JSON; also for NUL in a key,
 * which common JSON readers such as jansson refuse). */
static void s_string_as(fmt_t *f, const uint8_t *p, size_t n, bool key)
{
    s_putc(f, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            s_put(f, (const char *)p + i, run - i);
            i = run;
            continue;
        }
        uint8_t c = p[i];
        if (c >= 0x80) {
            size_t k = utf8_sequence(p + i, n - i);
            if (k) {
                s_put(f, (const char *)p + i, k);
                i += k;
            } else {
                if (f->json)
                    s_puts(f, "\\ufffd");
                else
                    s_printf(f, "\\x%02x", c);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':
            s_puts(f, "\\\"");
            break;
        case '\\':
            s_puts(f, "\\\\");
            break;
        case '\n':
            s_puts(f, "\\n");
            break;
        case '\r':
            s_puts(f, "\\r");
            break;
        case '\t':
            s_puts(f, "\\t");
            break;
        default:
            if (f->json && key && c == 0)
                s_puts(f, "\\ufffd");
            else if (f->json)
                s_printf(f, "\\u%04x", c);
            else
                s_printf(f, "\\x%02x", c);
        }
        i++;
    }
    s_putc(f, '"');
}

static void s_string(fmt_t *f, const uint8_t *p, size_t n)
{
    s_string_as(f, p, n, false);
}

/* A note like <5 bytes>; a JSON string in JSON. */
__attribute__((format(printf, 2, 3))) static void s_note(fmt_t *f, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (f->json)
        s_putc(f, '"');
    s_put(f, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    if (f->json)
        s_putc(f, '"');
}

static void s_bin(fmt_t *f, const uint8_t *p, size_t n)
{
    if (n == 0 || n > FMT_BIN_HEX_MAX) {
        s_note(f, "<%zu bytes>", n);
        return;
    }
    char hex[2 + 2 * FMT_BIN_HEX_MAX + 1];
    hex[0] = '0';
    hex[1] = 'x';
    for (size_t i = 0; i < n; i++) {
        hex[2 + 2 * i] = "0123456789abcdef"[p[i] >> 4];
        hex[3 + 2 * i] = "0123456789abcdef"[p[i] & 15];
    }
    hex[2 + 2 * n] = '\0';
    s_note(f, "%s", hex);
}

static void s_masked(fmt_t *f)
{
    s_puts(f, f->json ? "\"***\"" : "***");
}

/* ---- secrets -------------------------------------------------------------------------- */

static bool s_contains_word(const uint8_t *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        size_t k = 0;
        while (k < w && (p[i + k] | 0x20) == (uint8_t)word[k])
            k++;
        if (k == w)
            return true;
    }
    return false;
}

bool msg__secret_name(const uint8_t *name, size_t len)
{
    static const char *const words[] = {"passwd", "password", "token", "code", "hash", "secret"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (s_contains_word(name, len, words[i]))
            return true;
    return false;
}

/* For keys the table does not describe: does the name look like it holds a secret? */
static bool s_secret_name(const mp_item_t *key)
{
    return key->type == MP_STR && msg__secret_name(key->data, key->len);
}

/* ---- values --------------------------------------------------------------------------- */

static int s_value(fmt_t *f, mp_reader_t *r, const mp_item_t *it, int depth);

static int s_skip_contents(mp_reader_t *r, const mp_item_t *it)
{
    uint64_t n = it->type == MP_MAP ? 2ull * it->len : it->type == MP_ARRAY ? it->len : 0;
    for (uint64_t i = 0; i < n; i++)
        if (mp_skip(r) < 0)
            return -1;
    return 0;
}

static bool s_simple_key(const mp_item_t *key)
{
    if (key->len == 0)
        return false;
    for (uint32_t i = 0; i < key->len; i++) {
        uint8_t c = key->data[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* A map key: bare when it is a plain name (text), a JSON string in JSON even when the key is
 * not a string in msgpack. */
static int s_key(fmt_t *f, mp_reader_t *r, const mp_item_t *key, int depth)
{
    if (key->type == MP_STR) {
        if (!f->json && s_simple_key(key))
            s_put(f, (const char *)key->data, key->len);
        else
            s_string_as(f, key->data, key->len, true);
        return 0;
    }
    if (!f->json)
        return s_value(f, r, key, depth);
    char tmp[128];
    fmt_t sub = {tmp, sizeof tmp, 0, false, f->show_secrets};
    int rc = s_value(&sub, r, key, depth);
    s_finish(&sub);
    s_string_as(f, (const uint8_t *)tmp, strlen(tmp), true);
    return rc;
}

static int s_records(fmt_t *f, mp_reader_t *r, const mp_item_t *it, const msg_desc_t *record,
                     int depth);

/* The pairs of a map whose header is read. desc: the message at the top level or the record
 * of a list, else NULL.
 * Text: k=v separated by sep; JSON: "k":v separated by commas. */
static int s_pairs(fmt_t *f, mp_reader_t *r, uint32_t count, const msg_desc_t *desc, char sep,
                   int depth)
{
    for (uint32_t i = 0; i < count; i++) {
        mp_item_t key, value;
        if (i > 0)
            s_putc(f, f->json ? ',' : sep);
        if (mp_read(r, &key) < 0 || s_key(f, r, &key, depth + 1) < 0)
            return -1;
        s_putc(f, f->json ? ':' : '=');
        bool secret;
        const msg_field_t *field =
            desc && key.type == MP_STR ? msg__field_find(desc, key.data, key.len) : NULL;
        if (field)
            secret = (field->flags & MSG_F_SECRET) != 0;
        else
            secret = s_secret_name(&key);
        if (secret && !f->show_secrets) {
            s_masked(f);
            if (mp_skip(r) < 0)
                return -1;
            continue;
        }
        if (mp_read(r, &value) < 0)
            return -1;
        if (field && field->kind == MSG_KIND_LIST && value.type == MP_ARRAY &&
            depth + 1 < FMT_MAX_DEPTH) {
            if (s_records(f, r, &value, field->record, depth + 1) < 0)
                return -1;
            continue;
        }
        if (s_value(f, r, &value, depth + 1) < 0)
            return -1;
    }
    return 0;
}

/* The value of a LIST field (its array header in it): each record printed by its table, so
 * its secrets are masked as the top level's are. */
static int s_records(fmt_t *f, mp_reader_t *r, const mp_item_t *it, const msg_desc_t *record,
                     int depth)
{
    s_putc(f, '[');
    for (uint32_t i = 0; i < it->len; i++) {
        mp_item_t el;
        if (i > 0)
            s_putc(f, ',');
        if (mp_read(r, &el) < 0)
            return -1;
        if (el.type != MP_MAP) {
            if (s_value(f, r, &el, depth + 1) < 0)
                return -1;
            continue;
        }
        s_putc(f, '{');
        if (s_pairs(f, r, el.len, record, ',', depth + 1) < 0)
            return -1;
        s_putc(f, '}');
    }
    s_putc(f, ']');
    return 0;
}

/* One value whose header (it) has been read from r; containers read their elements. */
static int s_value(fmt_t *f, mp_reader_t *r, const mp_item_t *it, int depth)
{
    switch (it->type) {
    case MP_NIL:
        s_puts(f, f->json ? "null" : "nil");
        return 0;
    case MP_BOOL:
        s_puts(f, it->b ? "true" : "false");
        return 0;
    case MP_UINT:
        /* Past INT64_MAX as a string, which JSON readers with 64-bit signed integers (jansson)
         * can still take. */
        if (f->json && it->u > INT64_MAX)
            s_printf(f, "\"%" PRIu64 "\"", it->u);
        else
            s_printf(f, "%" PRIu64, it->u);
        return 0;
    case MP_INT:
        s_printf(f, "%" PRId64, it->i);
        return 0;
    case MP_FLOAT:
        if (f->json && !isfinite(it->f))
            s_puts(f, "null");
        else
            s_printf(f, "%.17g", it->f);
        return 0;
    case MP_STR:
        s_string(f, it->data, it->len);
        return 0;
    case MP_BIN:
        s_bin(f, it->data, it->len);
        return 0;
    case MP_EXT:
        s_note(f, "<ext %d, %" PRIu32 " bytes>", it->ext_type, it->len);
        return 0;
    case MP_ARRAY:
    case MP_MAP:
        break;
    }
    if (depth >= FMT_MAX_DEPTH) {
        s_note(f, "...");
        return s_skip_contents(r, it);
    }
    if (it->type == MP_MAP) {
        s_putc(f, '{');
        if (s_pairs(f, r, it->len, NULL, ',', depth) < 0)
            return -1;
        s_putc(f, '}');
        return 0;
    }
    s_putc(f, '[');
    for (uint32_t i = 0; i < it->len; i++) {
        mp_item_t el;
        if (i > 0)
            s_putc(f, ',');
        if (mp_read(r, &el) < 0 || s_value(f, r, &el, depth + 1) < 0)
            return -1;
    }
    s_putc(f, ']');
    return 0;
}

/* Well-formed msgpack: exactly one value, within MSG_MAX_BODY. */
static int s_generic_check(const uint8_t *buf, size_t len)
{
    mp_reader_t r;
    if (!buf || len > MSG_MAX_BODY)
        return -EBADMSG;
    mp_reader_init(&r, buf, len);
    if (mp_skip(&r) < 0 || mp_reader_left(&r) != 0)
        return -EBADMSG;
    return 0;
}

static int s_body(fmt_t *f, const msg_desc_t *desc, const uint8_t *buf, size_t len)
{
    mp_reader_t r;
    mp_item_t top;
    mp_reader_init(&r, buf, len);
    if (mp_read(&r, &top) < 0)
        return -1;
    if (top.type == MP_MAP) {
        if (f->json)
            s_putc(f, '{');
        if (s_pairs(f, &r, top.len, desc, ' ', 0) < 0)
            return -1;
        if (f->json)
            s_putc(f, '}');
        return 0;
    }
    /* Only an unknown type gets here (a known body is a map). */
    if (f->json)
        s_puts(f, "{\"value\":");
    if (s_value(f, &r, &top, 0) < 0)
        return -1;
    if (f->json)
        s_putc(f, '}');
    return 0;
}

int msg_format(uint16_t type, const uint8_t *buf, size_t len, unsigned flags, char *out, size_t cap)
{
    fmt_t f = {out, out ? cap : 0, 0, (flags & MSG_FORMAT_JSON) != 0,
               (flags & MSG_FORMAT_SHOW_SECRETS) != 0};
    const msg_desc_t *desc = msg_desc(type);
    int rc = desc ? msg__body_read(desc, buf, len, NULL) : s_generic_check(buf, len);
    if (rc == 0)
        rc = s_body(&f, desc, buf, len);
    if (rc < 0) {
        f.len = 0;
        if (f.json)
            s_printf(&f, "{\"undecodable_bytes\":%zu}", len);
        else
            s_printf(&f, "<undecodable %zu bytes>", len);
    }
    s_finish(&f);
    return f.len > INT_MAX ? INT_MAX : (int)f.len;
}

/* Whether a MSG_F_UID field of the map at r (a checked body or record of d) holds uid, as a
 * number or its decimal text. Walks the map whole when nothing matches. */
static bool s_map_mentions(const msg_desc_t *d, mp_reader_t *r, uint64_t uid, const char *digits,
                           size_t ndigits)
{
    mp_item_t top, key, value;
    if (mp_read(r, &top) < 0 || top.type != MP_MAP)
        return false;
    for (uint32_t i = 0; i < top.len; i++) {
        if (mp_read(r, &key) < 0)
            return false;
        const msg_field_t *field = msg__field_find(d, key.data, key.len);
        if (field && field->kind == MSG_KIND_LIST) {
            const uint8_t *start = r->p;
            if (mp_read(r, &value) < 0)
                return false;
            if (value.type != MP_ARRAY) { /* nil */
                r->p = start;
                if (mp_skip(r) < 0)
                    return false;
                continue;
            }
            for (uint32_t k = 0; k < value.len; k++)
                if (s_map_mentions(field->record, r, uid, digits, ndigits))
                    return true;
            continue;
        }
        if (!field || !(field->flags & MSG_F_UID)) {
            if (mp_skip(r) < 0)
                return false;
            continue;
        }
        /* A known field of a checked body: a scalar of its kind, or nil. */
        if (mp_read(r, &value) < 0)
            return false;
        if (value.type == MP_UINT && value.u == uid)
            return true;
        if (value.type == MP_STR && value.len == ndigits &&
            memcmp(value.data, digits, ndigits) == 0)
            return true;
    }
    return false;
}

bool msg_mentions_uid(uint16_t type, const uint8_t *buf, size_t len, uint64_t uid)
{
    const msg_desc_t *desc = msg_desc(type);
    if (!desc || msg__body_read(desc, buf, len, NULL) < 0)
        return false;
    char digits[24];
    int ndigits = snprintf(digits, sizeof digits, "%" PRIu64, uid);
    mp_reader_t r;
    mp_reader_init(&r, buf, len);
    return s_map_mentions(desc, &r, uid, digits, (size_t)ndigits);
}
