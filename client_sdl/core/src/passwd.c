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
#include "uschat/utf8.h"

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
        size_t n = utf8_read(s + i, in_len - i, &cp);
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
        i += utf8_read(s + i, in_len - i, &cp);
        if (cp < 0x10000) {
            cp ^= key;
        } else {
            uint32_t hi = 0xD800 + ((cp - 0x10000) >> 10);
            uint32_t lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            hi ^= key;
            lo ^= key;
            cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        }
        w += utf8_write(cp, buf + w);
    }
    buf[w] = '\0';
    *out = (char *)buf;
    if (out_len)
        *out_len = w;
    return 0;
}
