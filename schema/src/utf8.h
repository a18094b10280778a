/* utf8.h - UTF-8 validation for the message codec and the pretty-printer (internal).
 *
 * A STR field must be valid UTF-8 without NUL bytes: it becomes a C string (a NUL would cut it
 * silently), it is stored in MySQL as utf8mb4 and it is printed into JSON. Overlong forms,
 * surrogates and code points past U+10FFFF are invalid (RFC 3629). Pure functions.
 */
#ifndef USCHAT_UTF8_H
#define USCHAT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid sequence that starts at p (n > 0 bytes available), or 0. */
static inline size_t utf8_sequence(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    size_t len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] >= 0x90))
        return 0;
    return len;
}

/* True when p[0..n) is valid UTF-8 with no NUL byte. */
static inline bool utf8_text_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] != 0 && p[i] < 0x80) {
            i++;
            continue;
        }
        if (p[i] == 0)
            return false;
        size_t k = utf8_sequence(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

#endif
