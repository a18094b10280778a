/* chat_buf.h - a growable byte buffer for building JSON text by hand, where jansson's object
 * building would cost more than the work around it: the SQL parameters of a message batch and
 * the 1018/1019 bodies (chat_store_text.c), written once per message on a worker thread.
 *
 * A buffer belongs to one thread. Appending never fails halfway silently: after an allocation
 * failure the buffer is marked failed, further appends are ignored, and chat_buf_failed() says
 * so once the text is complete (one check at the end instead of one per append).
 */
#ifndef USCHAT_CHAT_BUF_H
#define USCHAT_CHAT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data; /* NUL-terminated while not failed */
    size_t len, cap;
    bool failed;
} chat_buf_t;

/* An empty buffer is all zeroes. */
void chat_buf_reset(chat_buf_t *b); /* len 0, keeps the memory */
void chat_buf_free(chat_buf_t *b);
void chat_buf_append(chat_buf_t *b, const char *s, size_t len);
void chat_buf_str(chat_buf_t *b, const char *s); /* NUL-terminated s */
void chat_buf_char(chat_buf_t *b, char c);
void chat_buf_i64(chat_buf_t *b, int64_t v);
/* An object member's start: sep (unless 0: '{' for the first member, ',' for the next), then
 * "name": with name as is (a field name of the protocol's table, nothing to escape). */
void chat_buf_key(chat_buf_t *b, char sep, const char *name);
/* s (len bytes of valid UTF-8) as a JSON string with its quotes: ", \ and control characters
 * escaped, everything else as is. */
void chat_buf_json_str(chat_buf_t *b, const char *s, size_t len);
static inline bool chat_buf_failed(const chat_buf_t *b)
{
    return b->failed;
}
/* A malloc'd copy of the text (caller frees), NULL when failed or out of memory. */
char *chat_buf_dup(const chat_buf_t *b);

#endif
