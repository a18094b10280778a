/* passwd.c - the seed client's password transform (http.h): every UTF-16 code unit XOR
 * (unit count % 255). The gate applies the same function to get the typed password back.
 *
 * Works on code points decoded from strict UTF-8, so no UTF-16 string is ever built: a key
 * below 256 only flips bits of a unit's low byte, hence a surrogate pair stays a pair (high
 * stays in D800-DBFF, low in DC00-DFFF) and can be XORed half by half and recombined. Pure;
 * any thread.
 */
#include <stdint.h>
#include <stdlib.h>

#include "uschat/client/error.h"
#include "uschat/client/http.h"

/* Decodes one code point of strict UTF-8 at S (LEN bytes left). Returns its byte length, or 0
 * for invalid input (overlong, surrogate, above U+10FFFF, truncated). */
static size_t s_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static size_t s_utf8_encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int uschat_passwd_xor(const char *in, size_t in_len, char **out, size_t *out_len)
{
    if (!out || (!in && in_len > 0))
        return USCHAT_E_ARG;
    *out = NULL;
    const unsigned char *s = (const unsigned char *)in;
    /* pass 1: validate and count UTF-16 units */
    size_t units = 0;
    for (size_t i = 0; i < in_len;) {
        uint32_t cp;
        size_t n = s_utf8_decode(s + i, in_len - i, &cp);
        if (n == 0)
            return USCHAT_E_ARG;
        units += cp >= 0x10000 ? 2 : 1;
        i += n;
    }
    uint32_t key = (uint32_t)(units % 255);
    /* A 1-byte character can become a 2-byte one (key >= 0x80), nothing grows more. */
    unsigned char *buf = malloc(2 * in_len + 1);
    if (!buf)
        return USCHAT_E_NOMEM;
    size_t w = 0;
    for (size_t i = 0; i < in_len;) {
        uint32_t cp;
        i += s_utf8_decode(s + i, in_len - i, &cp);
        if (cp < 0x10000) {
            cp ^= key;
        } else {
            uint32_t hi = 0xD800 + ((cp - 0x10000) >> 10);
            uint32_t lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            hi ^= key;
            lo ^= key;
            cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        }
        w += s_utf8_encode(cp, buf + w);
    }
    buf[w] = '\0';
    *out = (char *)buf;
    if (out_len)
        *out_len = w;
    return 0;
}
