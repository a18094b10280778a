/* utf8.c - UTF-8 helpers (utf8.h). Pure functions, any thread. Decoding and encoding are
 * schema's strict ones (uschat/utf8.h); here invalid input turns into U+FFFD instead. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "uschat/utf8.h"

size_t utf8_decode(const char *str, size_t len, uint32_t *cp)
{
    if (len == 0) {
        *cp = 0;
        return 0;
    }
    size_t n = utf8_read((const uint8_t *)str, len, cp);
    if (n == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return n;
}

size_t utf8_next(const char *s, size_t len, size_t pos)
{
    if (pos >= len)
        return len;
    uint32_t cp;
    return pos + utf8_decode(s + pos, len - pos, &cp);
}

size_t utf8_prev(const char *s, size_t pos)
{
    if (pos == 0)
        return 0;
    size_t p = pos - 1;
    /* at most 3 continuation bytes back */
    while (p > 0 && pos - p < 4 && ((unsigned char)s[p] & 0xC0) == 0x80)
        p--;
    return p;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t pos = 0; pos < len; pos = utf8_next(s, len, pos))
        n++;
    return n;
}

size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    return utf8_write(cp, (uint8_t *)out);
}

char *utf8_clean(const char *s, size_t len)
{
    /* U+FFFD is 3 bytes and replaces 1 invalid byte: the worst case triples the length */
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + pos, len - pos, &cp);
        pos += n;
        if (cp == '\r') {
            if (pos < len && s[pos] == '\n')
                continue;
            cp = '\n';
        }
        if (cp == '\t')
            cp = ' ';
        if ((cp < 0x20 && cp != '\n') || cp == 0x7F)
            continue;
        o += utf8_encode(cp, out + o);
    }
    out[o] = '\0';
    return out;
}

size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t end = max;
    while (end > 0 && ((unsigned char)s[end] & 0xC0) == 0x80)
        end--;
    for (size_t p = end; p > end - end / 4 && p > 0; p--)
        if (s[p - 1] == ' ' || s[p - 1] == '\n')
            return p;
    return end > 0 ? end : utf8_next(s, len, 0);
}

size_t utf8_ellipsize(char *out, size_t cap, const char *s)
{
    if (!out || cap == 0)
        return 0;
    size_t len = s ? strlen(s) : 0;
    if (len < cap) {
        memcpy(out, s ? s : "", len + 1);
        return len;
    }
    if (cap < 4) {
        out[0] = '\0';
        return 0;
    }
    /* room for the cut text, the 3 bytes of U+2026 and the NUL */
    size_t end = cap - 4;
    while (end > 0 && ((unsigned char)s[end] & 0xC0) == 0x80)
        end--;
    memcpy(out, s, end);
    memcpy(out + end, "\xE2\x80\xA6", 4);
    return end + 3;
}

int utf8_is_wide_break(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x9FFF) ||   /* CJK radicals, kana, ideographs, ... */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||   /* hangul syllables */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0xFF00 && cp <= 0xFFEF) ||   /* full-width forms */
           (cp >= 0x20000 && cp <= 0x3FFFF) || /* ideograph extensions */
           (cp >= 0x1F000 && cp <= 0x1FAFF);   /* emoji: break around them too */
}
