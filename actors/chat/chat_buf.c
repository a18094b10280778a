/* chat_buf.c - growable byte buffer and JSON string escaping (chat_buf.h). Any thread; one
 * buffer is used by one thread at a time.
 */
#include "chat_buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_reserve(chat_buf_t *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void chat_buf_reset(chat_buf_t *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = 0;
}

void chat_buf_free(chat_buf_t *b)
{
    free(b->data);
    *b = (chat_buf_t){0};
}

void chat_buf_append(chat_buf_t *b, const char *s, size_t len)
{
    if (!s_reserve(b, len))
        return;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = 0;
}

void chat_buf_str(chat_buf_t *b, const char *s)
{
    chat_buf_append(b, s, strlen(s));
}

void chat_buf_char(chat_buf_t *b, char c)
{
    if (!s_reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void chat_buf_key(chat_buf_t *b, char sep, const char *name)
{
    if (sep)
        chat_buf_char(b, sep);
    chat_buf_char(b, '"');
    chat_buf_str(b, name);
    chat_buf_str(b, "\":");
}

void chat_buf_i64(chat_buf_t *b, int64_t v)
{
    if (!s_reserve(b, 24))
        return;
    b->len += (size_t)snprintf(b->data + b->len, 24, "%" PRId64, v);
}

void chat_buf_json_str(chat_buf_t *b, const char *s, size_t len)
{
    /* worst case: every byte a \u00XX */
    if (!s_reserve(b, len * 6 + 2))
        return;
    static const char hex[] = "0123456789abcdef";
    char *out = b->data + b->len;
    *out++ = '"';
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (i > start)
            memcpy(out, s + start, i - start);
        out += i - start;
        start = i + 1;
        *out++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *out++ = (char)c;
            break;
        case '\n':
            *out++ = 'n';
            break;
        case '\r':
            *out++ = 'r';
            break;
        case '\t':
            *out++ = 't';
            break;
        default:
            memcpy(out, "u00", 3);
            out[3] = hex[c >> 4];
            out[4] = hex[c & 15];
            out += 5;
        }
    }
    if (len > start)
        memcpy(out, s + start, len - start);
    out += len - start;
    *out++ = '"';
    *out = 0;
    b->len = (size_t)(out - b->data);
}

char *chat_buf_dup(const chat_buf_t *b)
{
    if (b->failed)
        return NULL;
    char *copy = malloc(b->len + 1);
    if (copy) {
        if (b->len)
            memcpy(copy, b->data, b->len);
        copy[b->len] = 0;
    }
    return copy;
}
