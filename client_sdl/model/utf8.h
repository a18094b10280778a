/* utf8.h - the few UTF-8 operations the desktop client needs: decoding one code point,
 * stepping over whole characters (cursor moves, backspace), validating user input, and cutting
 * text into pieces of at most N bytes without splitting a character.
 *
 * Pure functions, no allocation except utf8_clean(); used by the model (no SDL) and the UI
 * thread.
 */
#ifndef USCHAT_SDL_UTF8_H
#define USCHAT_SDL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at S (LEN bytes available). Returns its byte length (>= 1) and sets
 * *cp; an invalid or truncated sequence reads as U+FFFD of length 1, so callers always make
 * progress. LEN 0 returns 0. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Byte offset of the character after / before POS in S (LEN bytes). */
size_t utf8_next(const char *s, size_t len, size_t pos);
size_t utf8_prev(const char *s, size_t pos);
/* Number of characters (code points) in S. */
size_t utf8_count(const char *s, size_t len);
/* Writes CP as UTF-8 into OUT (>= 4 bytes); returns the byte count. */
size_t utf8_encode(uint32_t cp, char *out);
/* A new NUL-terminated copy of S with invalid sequences replaced by U+FFFD, tabs turned into
 * spaces and other control characters than '\n' dropped ('\r\n' becomes '\n'). Caller
 * frees; NULL on out of memory. */
char *utf8_clean(const char *s, size_t len);
/* The largest prefix length <= MAX of S (LEN bytes) that ends on a character boundary,
 * preferring to end after a space or newline when one is in the last quarter. */
size_t utf8_cut(const char *s, size_t len, size_t max);
/* Copies S into OUT (CAP >= 4 bytes, always NUL-terminated). When S does not fit, it is cut on
 * a character boundary and ends with an ellipsis (U+2026) instead of half a character. Returns
 * the bytes written without the NUL. */
size_t utf8_ellipsize(char *out, size_t cap, const char *s);
/* True for characters that may be broken before or after anywhere (CJK ideographs, kana,
 * hangul, full-width forms): lines wrap between them without spaces. */
int utf8_is_wide_break(uint32_t cp);

#endif
