/* redis_keys.h - the names of every Redis key UsChat uses, in one place.
 *
 * Shared by gate, varify, status and the chat nodes. Every key has a TTL (nothing in Redis is
 * meant to outlive its use). Build a key with redis_key(buf, prefix, suffix).
 */
#ifndef USCHAT_REDIS_KEYS_H
#define USCHAT_REDIS_KEYS_H

#include <stdio.h>

/* varify: the live verification code of an email (string of 6 digits, TTL = code lifetime) */
#define REDIS_KEY_CODE "code_"
/* varify: wrong tries against the live code (counter, same TTL as the code) */
#define REDIS_KEY_CODE_TRIES "codetries_"
/* varify: present while a new code for this email is refused (TTL = the resend interval) */
#define REDIS_KEY_CODE_RATE "coderate_"
/* status: the login token of a uid (64 hex chars, TTL = token lifetime); a new login
 * replaces it, a password reset deletes it. A chat node checks login 1005 against it. */
#define REDIS_KEY_TOKEN "utoken_"
/* chat: node name (broker node) holding the uid's live session; TTL refreshed while the
 * session lives. status sends SESSION_KICK to this node. */
#define REDIS_KEY_UIP "uip_"
/* gate: failed logins per email / per client address (counter, TTL = the window) */
#define REDIS_KEY_LOGIN_FAIL_EMAIL "loginfail_e_"
#define REDIS_KEY_LOGIN_FAIL_ADDR  "loginfail_a_"

#define REDIS_KEY_MAX 320 /* prefix + an email of 254 bytes + NUL fits */

/* Writes prefix+suffix into buf (REDIS_KEY_MAX bytes). Returns buf. */
static inline char *redis_key(char buf[REDIS_KEY_MAX], const char *prefix, const char *suffix)
{
    snprintf(buf, REDIS_KEY_MAX, "%s%s", prefix, suffix);
    return buf;
}

#endif
