/* curve_keys.h - the CURVE keys a process uses to reach the broker, found in its config.
 *
 * Two ways to give them (section broker): the three Z85 keys curve_server_public,
 * curve_public and curve_secret (all three, e.g. from an environment file); or curve_keys_dir,
 * a folder laid out by uschat-keys, where DIR/broker.cert is the broker's public certificate
 * and DIR/actors/NAME.cert_secret this process's pair (NAME: its node name, else its service,
 * else the tool's own name, e.g. "monitor"). The explicit keys win. No keys at all is plain
 * TCP, which broker/plain_tcp must ask for (curve_keys_plain_allowed()).
 *
 * Reads files and the config; no shared state; any thread.
 */
#ifndef USCHAT_CURVE_KEYS_H
#define USCHAT_CURVE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "uschat/config.h"

#define CURVE_KEY_TEXT 41 /* 40 Z85 characters + NUL */

typedef struct {
    char server_public[CURVE_KEY_TEXT];
    char public_key[CURVE_KEY_TEXT];
    char secret_key[CURVE_KEY_TEXT];
    char source[512]; /* where they came from, for a log line (no secret in it) */
} curve_keys_t;

/* Fills keys for the first of names (NULL-terminated, NULL entries skipped) that has a key
 * pair. Returns 1 (found), 0 (none configured: plain TCP), or -1 (configured but unusable: a
 * missing or unreadable file, a bad key; logged). config may be NULL (environment only). */
int curve_keys_load(config_t *config, const char *const *names, curve_keys_t *keys);

/* broker/plain_tcp: whether this process may talk to the broker without CURVE. */
bool curve_keys_plain_allowed(config_t *config);

#endif
