/* utf8.h - strict UTF-8 (RFC 3629) for everything UsChat reads from a user or the network: the
 * message codec and its pretty-printer, the account field checks, the client's password
 * transform and the desktop client's text handling.
 *
 * Valid means: no overlong forms, no surrogates (U+D800..DFFF), nothing past U+10FFFF, no
 * truncated sequence. A STR field of a message must also hold no NUL byte: it becomes a C
 * string (a NUL would cut it silently), it is stored in MySQL as utf8mb4 and it is printed
 * into JSON. Pure functions, no allocation; any thread.
 */
#ifndef USCHAT_UTF8_H
#define USCHAT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid sequence that starts at p (n bytes available), or 0 when it is
 * invalid or n is 0. */
size_t utf8_sequence(const uint8_t *p, size_t n);
/* Decodes the code point at p (n bytes available) into *cp. Returns its length (1..4), or 0
 * (and *cp untouched) when the sequence is invalid or n is 0. */
size_t utf8_read(const uint8_t *p, size_t n, uint32_t *cp);
/* Writes cp (at most U+10FFFF) as UTF-8 into out; returns the byte count (1..4). */
size_t utf8_write(uint32_t cp, uint8_t out[4]);
/* True when p[0..n) is valid UTF-8 with no NUL byte. */
bool utf8_text_valid(const uint8_t *p, size_t n);

#endif
