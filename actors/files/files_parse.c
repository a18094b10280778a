/* files_parse.c - the header checks of the files service (files_parse.h).
 *
 * Called from the service's HTTP threads and from the fuzz target; no state.
 */
#include "files_parse.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

int files_parse_u64(const char *text, uint64_t *out)
{
    if (!text || !*text || strlen(text) > 20)
        return -EINVAL;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

bool files_is_hex(const char *text, size_t len)
{
    if (!text || strlen(text) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return false;
    return true;
}

/* Decodes the base64 value [b, e) into out (cap bytes with the NUL). 0 or -EINVAL. */
static int s_b64(const char *b, const char *e, char *out, size_t cap)
{
    size_t len = 0;
    if (e == b) {
        out[0] = '\0';
        return 0;
    }
    if (sodium_base642bin((unsigned char *)out, cap - 1, b, (size_t)(e - b), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -EINVAL;
    if (memchr(out, '\0', len))
        return -EINVAL;
    out[len] = '\0';
    return 0;
}

int files_parse_metadata(const char *text, files_meta_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (!text) {
        *why = "Upload-Metadata is required (name, type, sha256)";
        return -EINVAL;
    }
    unsigned seen = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *kb = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        size_t klen = (size_t)(p - kb);
        const char *vb = p, *ve = p;
        if (*p == ' ') {
            vb = ++p;
            while (*p && *p != ',')
                p++;
            ve = p;
            while (ve > vb && ve[-1] == ' ')
                ve--;
        }
        if (*p == ',')
            p++;
        if (klen == 0) {
            *why = "Upload-Metadata has an empty key";
            return -EINVAL;
        }
        char *dst = NULL;
        size_t cap = 0;
        unsigned bit = 0;
        if (klen == 4 && memcmp(kb, "name", 4) == 0)
            dst = out->name, cap = sizeof out->name, bit = 1;
        else if ((klen == 4 && memcmp(kb, "type", 4) == 0) ||
                 (klen == 8 && memcmp(kb, "filetype", 8) == 0))
            dst = out->type, cap = sizeof out->type, bit = 2;
        else if (klen == 6 && memcmp(kb, "sha256", 6) == 0)
            dst = out->sha256, cap = sizeof out->sha256, bit = 4;
        if (!dst)
            continue;
        if (seen & bit) {
            *why = "Upload-Metadata names a key twice";
            return -EINVAL;
        }
        seen |= bit;
        if (s_b64(vb, ve, dst, cap) != 0) {
            *why = "an Upload-Metadata value is not base64 or is too long";
            return -EINVAL;
        }
    }
    if (seen != 7) {
        *why = "Upload-Metadata needs name, type and sha256";
        return -EINVAL;
    }
    for (char *c = out->sha256; *c; c++)
        if (*c >= 'A' && *c <= 'F')
            *c = (char)(*c - 'A' + 'a');
    if (!files_is_hex(out->sha256, FILES_SHA_LEN)) {
        *why = "sha256 must be 64 hex digits";
        return -EINVAL;
    }
    return 0;
}

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not valid (overlong,
 * surrogate, past U+10FFFF, cut short). */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return len;
}

int files_check_name(const char *name, const char **why)
{
    size_t n = strlen(name);
    if (n == 0 || n > FILES_NAME_MAX) {
        *why = "the file name must have 1 to 255 bytes";
        return -EINVAL;
    }
    if (name[0] == '.' || name[n - 1] == ' ' || name[n - 1] == '.') {
        *why = "the file name must not start with a dot nor end with a dot or a space";
        return -EINVAL;
    }
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x20 || s[i] == 0x7F) {
            *why = "the file name has a control character";
            return -EINVAL;
        }
        if (s[i] == '/' || s[i] == '\\') {
            *why = "the file name has a path separator";
            return -EINVAL;
        }
        size_t len = s_utf8_len(s + i, n - i);
        if (len == 0) {
            *why = "the file name is not valid UTF-8";
            return -EINVAL;
        }
        /* C1 controls (U+0080..U+009F) are control characters too */
        if (len == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0) {
            *why = "the file name has a control character";
            return -EINVAL;
        }
        i += len;
    }
    return 0;
}

/* True when [b, b+n) is a MIME token (RFC 2045 tspecials excluded). */
static bool s_token(const char *b, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c <= 0x20 || c >= 0x7F || strchr("()<>@,;:\\\"/[]?=", c))
            return false;
    }
    return true;
}

bool files_type_allowed(const char *allowed, const char *type)
{
    const char *slash = strchr(type, '/');
    size_t n = strlen(type);
    if (!slash || n > FILES_TYPE_MAX || !s_token(type, (size_t)(slash - type)) ||
        !s_token(slash + 1, n - (size_t)(slash - type) - 1))
        return false;
    size_t major = (size_t)(slash - type);
    for (const char *p = allowed; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *b = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        size_t len = (size_t)(p - b);
        if (len == 0)
            break;
        if (len == 1 && *b == '*')
            return true;
        if (len == major + 2 && strncasecmp(b, type, major + 1) == 0 && b[major + 1] == '*')
            return true;
        if (len == n && strncasecmp(b, type, n) == 0)
            return true;
    }
    return false;
}

int files_parse_range(const char *text, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (!text || strncmp(text, "bytes=", 6) != 0)
        return 0;
    const char *spec = text + 6;
    if (strchr(spec, ','))
        return 0; /* several ranges: the whole file is an allowed answer */
    const char *dash = strchr(spec, '-');
    if (!dash)
        return 0;
    char a[24] = "", b[24] = "";
    size_t alen = (size_t)(dash - spec), blen = strlen(dash + 1);
    if (alen >= sizeof a || blen >= sizeof b)
        return 0;
    memcpy(a, spec, alen);
    memcpy(b, dash + 1, blen + 1);
    uint64_t x = 0, y = 0;
    if (alen == 0) {
        if (files_parse_u64(b, &y) != 0)
            return 0;
        if (y == 0 || size == 0)
            return -1;
        *first = y >= size ? 0 : size - y;
        *last = size - 1;
        return 1;
    }
    if (files_parse_u64(a, &x) != 0)
        return 0;
    if (blen == 0)
        y = UINT64_MAX;
    else if (files_parse_u64(b, &y) != 0 || y < x)
        return 0;
    if (x >= size)
        return -1;
    *first = x;
    *last = y >= size ? size - 1 : y;
    return 1;
}
