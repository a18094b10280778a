/* account_fields.h - the account fields of the HTTP gate's contract (docs/protocol.md §1): email
 * shape, user name, password length, and the seed client's password transform.
 *
 * Used by gate (every request) and varify (emails it is asked to mail). Pure functions, no
 * I/O, thread-safe. Inputs are untrusted bytes with explicit lengths (a JSON string may hold
 * NUL); nothing here asserts on them.
 */
#ifndef USCHAT_ACCOUNT_FIELDS_H
#define USCHAT_ACCOUNT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "uschat/client_proto.h"

/* The limits of schema/messages/http.def. */
#define ACCOUNT_EMAIL_MAX      USCHAT_MAX(HTTP_REGISTER_REQ, email) /* bytes (RFC 5321 path) */
#define ACCOUNT_NAME_MAX       USCHAT_MAX(HTTP_REGISTER_REQ, user)  /* characters (code points) */
#define ACCOUNT_NAME_MAX_BYTES (ACCOUNT_NAME_MAX * 4)
#define ACCOUNT_PASSWORD_MIN   USCHAT_MIN(HTTP_REGISTER_REQ, passwd) /* characters, plain */
#define ACCOUNT_PASSWORD_MAX   USCHAT_MAX(HTTP_REGISTER_REQ, passwd)
/* a wire password of 64 characters is at most 256 bytes of UTF-8 */
#define ACCOUNT_PASSWORD_MAX_BYTES (ACCOUNT_PASSWORD_MAX * 4)

/* Checks the shape local@domain.tld (ASCII; local part 1-64 of the RFC 5322 atom characters
 * and single dots; domain of at least two labels of letters, digits and inner hyphens) and
 * writes the lower-cased address to out (ACCOUNT_EMAIL_MAX + 1 bytes). Lower case because the
 * database compares emails without case, and Redis keys must agree with it. */
bool account_email_normalize(const char *in, size_t len, char out[ACCOUNT_EMAIL_MAX + 1]);

/* 1-32 characters, each an ASCII letter or digit, '_' or a CJK character (ideographs with
 * their extensions and compatibility block, kana, hangul syllables). */
bool account_name_valid(const char *s, size_t len);

/* Number of code points in valid UTF-8 (no overlongs, no surrogates), or -1. */
int account_utf8_count(const char *s, size_t len);

/* The seed's transform: every UTF-16 code unit of the string XOR (number of units % 255).
 * It is its own inverse (the unit count does not change) and maps valid UTF-16 to valid
 * UTF-16 (only the low 8 bits change, so surrogates stay surrogates of the same kind).
 * in is UTF-8 (may contain NUL); out gets the result as UTF-8 plus a NUL: an ASCII character
 * may become a 2-byte one, so cap = 2 * len + 1 is always enough. Returns 0, or -1 for invalid
 * UTF-8 or a short buffer. */
int account_pwd_transform(const char *in, size_t len, char *out, size_t cap, size_t *out_len);

/* A plain password: 6-64 characters of valid UTF-8 with no control characters. */
bool account_password_valid(const char *s, size_t len);

#endif
