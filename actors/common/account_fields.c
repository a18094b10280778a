/* account_fields.c - email, user name and password checks and the seed's password transform
 * (account_fields.h). Called by gate's HTTP thread and varify's workers; pure functions.
 */
#include "uschat/account_fields.h"

#include <stdint.h>
#include <string.h>

#include "uschat/utf8.h"

/* Decodes one code point at s[*i] (schema's strict UTF-8); advances *i. -1 on invalid UTF-8
 * (overlong forms, surrogates, values past U+10FFFF, truncated sequences). */
static int32_t s_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    uint32_t cp;
    size_t n = utf8_read(s + *i, len - *i, &cp);
    if (n == 0)
        return -1;
    *i += n;
    return (int32_t)cp;
}

int account_utf8_count(const char *s, size_t len)
{
    if (!s)
        return -1;
    int count = 0;
    for (size_t i = 0; i < len;) {
        if (s_utf8_next((const unsigned char *)s, len, &i) < 0)
            return -1;
        count++;
    }
    return count;
}

static bool s_is_cjk(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* CJK Unified Ideographs */
           (cp >= 0x3400 && cp <= 0x4DBF) ||   /* Extension A */
           (cp >= 0x20000 && cp <= 0x323AF) || /* Extensions B-H */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* Compatibility Ideographs */
           (cp >= 0x3040 && cp <= 0x30FF) ||   /* Hiragana, Katakana */
           (cp >= 0xAC00 && cp <= 0xD7A3) ||   /* Hangul syllables */
           cp == 0x3007;                       /* ideographic zero */
}

bool account_name_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > ACCOUNT_NAME_MAX_BYTES)
        return false;
    int count = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp = s_utf8_next((const unsigned char *)s, len, &i);
        if (cp < 0)
            return false;
        bool ok = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                  (cp >= '0' && cp <= '9') || cp == '_' || s_is_cjk(cp);
        if (!ok || ++count > ACCOUNT_NAME_MAX)
            return false;
    }
    return true;
}

static bool s_is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool s_is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool account_email_normalize(const char *in, size_t len, char out[ACCOUNT_EMAIL_MAX + 1])
{
    if (!in || len < 6 || len > ACCOUNT_EMAIL_MAX)
        return false;
    const unsigned char *s = (const unsigned char *)in;
    const unsigned char *at = memchr(s, '@', len);
    if (!at)
        return false;
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
        return false;
    for (size_t i = 0; i < local; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!s_is_atext(s[i])) {
            return false;
        }
    }
    /* domain: labels of 1-63 letters, digits, inner hyphens; at least two labels */
    size_t labels = 0, label_len = 0;
    for (size_t i = local + 1; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label_len == 0 || label_len > 63 || s[i - 1] == '-' || s[i - label_len] == '-')
                return false;
            labels++;
            label_len = 0;
        } else if (s_is_label_char(s[i])) {
            label_len++;
        } else {
            return false;
        }
    }
    if (labels < 2)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + ('a' - 'A') : s[i]);
    out[len] = '\0';
    return true;
}

int account_pwd_transform(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    if (!in || !out || cap == 0)
        return -1;
    const unsigned char *s = (const unsigned char *)in;
    /* first pass: the number of UTF-16 units, and validity */
    size_t units = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp = s_utf8_next(s, len, &i);
        if (cp < 0)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
    }
    int32_t key = (int32_t)(units % 255);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp = s_utf8_next(s, len, &i), res;
        if (cp >= 0x10000) {
            int32_t hi = 0xD800 + ((cp - 0x10000) >> 10), lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            hi ^= key;
            lo ^= key;
            res = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        } else {
            res = cp ^ key;
        }
        if (o + 4 >= cap)
            return -1;
        o += utf8_write((uint32_t)res, (uint8_t *)out + o);
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}

bool account_password_valid(const char *s, size_t len)
{
    if (!s || len > ACCOUNT_PASSWORD_MAX_BYTES)
        return false;
    int count = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp = s_utf8_next((const unsigned char *)s, len, &i);
        if (cp < 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return false;
        count++;
    }
    return count >= ACCOUNT_PASSWORD_MIN && count <= ACCOUNT_PASSWORD_MAX;
}
